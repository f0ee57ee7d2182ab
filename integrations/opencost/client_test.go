package opencost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
)

var t0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func dataset() *opencost.Dataset {
	ds := opencost.NewDataset()
	checkout := opencosttest.Workload{Cluster: "prod", Namespace: "shop", Kind: "deployment", Name: "checkout",
		Labels: map[string]string{"service": "checkout", "app": "checkout"}, CPU: 10, RAM: 5, PV: 2, Network: 1, LB: 1, Shared: 1, CPUEff: 0.5, RAMEff: 0.8}
	payments := opencosttest.Workload{Cluster: "prod", Namespace: "pay", Kind: "statefulset", Name: "payments-db",
		Labels: map[string]string{"service": "payments"}, CPU: 20, RAM: 20, PV: 10, CPUEff: 0.2, RAMEff: 0.4}
	orphan := opencosttest.Workload{Cluster: "prod", Namespace: "batch", Kind: "job", Name: "nightly", CPU: 3, RAM: 1}
	ds.Add(checkout.Rows(t0, 3, func(i int) float64 { return float64(i + 1) })...)
	ds.Add(payments.Rows(t0, 3, nil)...)
	ds.Add(orphan.Rows(t0, 3, nil)...)
	ds.Add(&opencost.Allocation{Name: opencost.Idle, Window: opencost.Window{Start: t0, End: t0.Add(24 * time.Hour)}, CPUCost: 50, RAMCost: 50, TotalCost: 100})
	return ds
}

func newClient(t *testing.T, base string, opts ...opencost.Option) *opencost.Client {
	t.Helper()
	opts = append([]opencost.Option{opencost.WithBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := opencost.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAllocationMultiStep(t *testing.T) {
	srv := opencosttest.New(dataset(), "", func() time.Time { return t0.AddDate(0, 0, 3) })
	defer srv.Close()
	c := newClient(t, srv.Base())
	sets, err := c.Allocation(context.Background(), opencost.Query{
		Start: t0, End: t0.AddDate(0, 0, 3), Step: 24 * time.Hour,
		Aggregate: []string{"label:service", "namespace", "controller"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 3 {
		t.Fatalf("want 3 daily sets, got %d", len(sets))
	}
	a := sets[2]["checkout/shop/deployment:checkout"]
	if a == nil {
		t.Fatalf("checkout missing from %v", keys(sets[2]))
	}
	if !near(a.CPUCost, 30) || !near(a.TotalCost, 60) || !a.Window.Start.Equal(t0.AddDate(0, 0, 2)) {
		t.Errorf("day 3 checkout = cpu %v total %v window %v", a.CPUCost, a.TotalCost, a.Window)
	}
	if a.Properties.Namespace != "shop" || a.Properties.Labels["service"] != "checkout" {
		t.Errorf("properties = %+v", a.Properties)
	}
	un := sets[0]["__unallocated__/batch/job:nightly"]
	if un == nil || !near(un.TotalCost, 4) {
		t.Fatalf("unallocated nightly job missing or wrong: %+v (keys %v)", un, keys(sets[0]))
	}
	if _, ok := sets[0][opencost.Idle]; ok {
		t.Error("idle returned without includeIdle")
	}
	q := srv.Queries()[0]
	if q.Get("window") != "2026-05-01T00:00:00Z,2026-05-04T00:00:00Z" || q.Get("step") != "1d" ||
		q.Get("aggregate") != "label:service,namespace,controller" || q.Get("accumulate") != "false" {
		t.Errorf("query sent = %v", q)
	}
}

func TestKubecostBasePath(t *testing.T) {
	srv := opencosttest.New(dataset(), "/model", func() time.Time { return t0.AddDate(0, 0, 3) })
	defer srv.Close()
	c := newClient(t, srv.Base()+"/")
	sets, err := c.Allocation(context.Background(), opencost.Query{Window: "2026-05-01T00:00:00Z,2026-05-04T00:00:00Z", Aggregate: []string{"namespace"}, Accumulate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || !near(sets[0]["pay"].TotalCost, 150) {
		t.Fatalf("accumulated pay = %+v", sets)
	}
	if !strings.HasSuffix(c.AllocationURL(opencost.Query{Window: "7d"})[:len(srv.Base())+len("/allocation")], "/model/allocation") {
		t.Errorf("url = %s", c.AllocationURL(opencost.Query{Window: "7d"}))
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	srv := opencosttest.New(dataset(), "", nil)
	defer srv.Close()
	srv.FailNext(2, opencosttest.Down)
	c := newClient(t, srv.Base(), opencost.WithRetries(3))
	if _, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"}); err != nil {
		t.Fatalf("want success after retries: %v", err)
	}
	if n := len(srv.Queries()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     opencosttest.Mode
		requests int
		check    func(error) bool
		text     string
	}{
		{"down", opencosttest.Down, 3, func(err error) bool { var ae *opencost.APIError; return errors.As(err, &ae) && ae.Status == 503 }, "after 3 attempts"},
		{"error envelope", opencosttest.Error, 3, func(err error) bool { var ae *opencost.APIError; return errors.As(err, &ae) && ae.Code == 500 }, "error querying prometheus"},
		{"bad request", opencosttest.BadRequest, 1, func(err error) bool { var ae *opencost.APIError; return errors.As(err, &ae) && !ae.Temporary() }, "400 invalid window"},
		{"malformed", opencosttest.Malformed, 1, func(err error) bool { var de *opencost.DecodeError; return errors.As(err, &de) }, "malformed allocation response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := opencosttest.New(dataset(), "", nil)
			defer srv.Close()
			srv.SetMode(tc.mode)
			c := newClient(t, srv.Base(), opencost.WithRetries(2))
			_, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"})
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v", err)
			}
			if n := len(srv.Queries()); n != tc.requests {
				t.Errorf("requests = %d, want %d", n, tc.requests)
			}
		})
	}
}

func TestTimeoutRetried(t *testing.T) {
	srv := opencosttest.New(dataset(), "", nil)
	defer srv.Close()
	// The server answers far later than the timeout (or when the client
	// gives up): an answer means the timeout was not honoured.
	srv.SetDelay(time.Minute)
	c := newClient(t, srv.Base(), opencost.WithTimeout(30*time.Millisecond), opencost.WithRetries(1))
	_, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"})
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Queries()); n != 2 {
		t.Errorf("requests = %d, want 2 (one retry)", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := opencosttest.New(dataset(), "", nil)
	base := srv.Base()
	srv.Close()
	c := newClient(t, base, opencost.WithRetries(1))
	_, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"})
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "opencost:9003", "ftp://x", "http://"} {
		if _, err := opencost.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestDatasetShareIdleFilterAndProrate(t *testing.T) {
	ds := dataset()
	sets, err := ds.Query(opencost.Query{Start: t0, End: t0.Add(24 * time.Hour), Aggregate: []string{"namespace"}, ShareIdle: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, a := range sets[0] {
		total += a.TotalCost
	}
	// 20 (checkout) + 50 (payments) + 4 (nightly) + 100 idle shared.
	if !near(total, 174) {
		t.Errorf("total with shared idle = %v, want 174", total)
	}
	if _, ok := sets[0][opencost.Idle]; ok {
		t.Error("shared idle still listed")
	}
	sets, err = ds.Query(opencost.Query{Start: t0, End: t0.Add(12 * time.Hour), Filter: `namespace:"shop","pay"+label[service]!:"payments"`, Aggregate: []string{"controller"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets[0]) != 1 || !near(sets[0]["deployment:checkout"].TotalCost, 10) {
		t.Errorf("filtered half day = %+v", sets[0])
	}
	if _, err := ds.Query(opencost.Query{Window: "1d", Aggregate: []string{"bogus"}}, t0); err == nil {
		t.Error("unsupported aggregate accepted")
	}
}

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string][2]time.Time{
		"7d":                    {now.AddDate(0, 0, -7), now},
		"month":                 {time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), now},
		"lastmonth":             {time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		"yesterday":             {time.Date(2026, 5, 13, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC)},
		"1778716800,1778803200": {time.Unix(1778716800, 0).UTC(), time.Unix(1778803200, 0).UTC()},
	} {
		s, e, err := opencost.ParseWindow(in, now)
		if err != nil || !s.Equal(want[0]) || !e.Equal(want[1]) {
			t.Errorf("ParseWindow(%q) = %v, %v, %v", in, s, e, err)
		}
	}
	for _, bad := range []string{"", "x", "7y", "2026-05-02T00:00:00Z,2026-05-01T00:00:00Z"} {
		if _, _, err := opencost.ParseWindow(bad, now); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
	if s := opencost.FormatDuration(48 * time.Hour); s != "2d" {
		t.Errorf("FormatDuration = %s", s)
	}
}

func TestRecordedReplaysProfile(t *testing.T) {
	ds := dataset()
	sets, err := ds.Query(opencost.Query{Start: t0, End: t0.AddDate(0, 0, 3), Step: 24 * time.Hour, Aggregate: []string{"namespace", "controller"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Restore full properties the way a recording at controller grain keeps them.
	b, _ := json.Marshal(opencost.Response{Code: 200, Data: sets})
	now := time.Date(2026, 7, 20, 6, 0, 0, 0, time.UTC)
	rec, err := opencost.LoadRecorded(fstest.MapFS{"alloc.json": {Data: b}, "notes.txt": {Data: []byte("x")}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Days() != 3 {
		t.Fatalf("days = %d", rec.Days())
	}
	got, err := rec.Allocation(context.Background(), opencost.Query{Start: now.AddDate(0, 0, -10).Truncate(24 * time.Hour), End: now, Step: 24 * time.Hour, Aggregate: []string{"label:service"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 11 {
		t.Fatalf("sets = %d, want 11", len(got))
	}
	// Today replays the last recorded day (checkout ×3 = 60/day) for 6 of 24 hours.
	if a := got[10]["checkout"]; a == nil || !near(a.TotalCost, 15) {
		t.Errorf("today checkout = %+v", a)
	}
	// Yesterday replays day 2 (×2 = 40), the day before day 1 (×1 = 20).
	if !near(got[9]["checkout"].TotalCost, 40) || !near(got[8]["checkout"].TotalCost, 20) || !near(got[7]["checkout"].TotalCost, 60) {
		t.Errorf("replay = %v %v %v", got[7]["checkout"].TotalCost, got[8]["checkout"].TotalCost, got[9]["checkout"].TotalCost)
	}
	if got[9][opencost.Unallocated] == nil {
		t.Error("unlabelled workload not __unallocated__")
	}
	if _, err := opencost.LoadRecorded(fstest.MapFS{"bad.json": {Data: []byte("{")}}, nil); err == nil {
		t.Error("malformed recording accepted")
	}
}

func keys(s opencost.AllocationSet) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	return out
}

// TestPasswordRedacted: a password in the base URL (OPENCOST_URL) reaches
// no error, log line or BaseURL, whatever goes wrong.
func TestPasswordRedacted(t *testing.T) {
	srv := opencosttest.New(dataset(), "", nil)
	defer srv.Close()
	base := strings.Replace(srv.Base(), "http://", "http://admin:s3cret@", 1)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c := newClient(t, base, opencost.WithRetries(1), opencost.WithLogger(log), opencost.WithTimeout(30*time.Millisecond))
	var msgs []string
	for _, mode := range []opencosttest.Mode{opencosttest.Down, opencosttest.Malformed} {
		srv.SetMode(mode)
		_, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"})
		if err == nil {
			t.Fatalf("mode %v: no error", mode)
		}
		msgs = append(msgs, err.Error())
		var ae *opencost.APIError
		var de *opencost.DecodeError
		if errors.As(err, &ae) {
			msgs = append(msgs, ae.URL)
		}
		if errors.As(err, &de) {
			msgs = append(msgs, de.URL)
		}
	}
	srv.SetMode(opencosttest.OK)
	srv.SetDelay(time.Minute) // every attempt times out
	if _, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"}); err == nil {
		t.Fatal("timeout: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	srv.Close()
	if _, err := c.Allocation(context.Background(), opencost.Query{Window: "7d"}); err == nil {
		t.Fatal("connection refused: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	for _, bad := range []string{"ftp://admin:s3cret@opencost:9003", "http://admin:s3cret@opencost:port"} {
		if _, err := opencost.New(bad); err == nil {
			t.Fatalf("New(%q) accepted", bad)
		} else {
			msgs = append(msgs, err.Error())
		}
	}
	msgs = append(msgs, c.BaseURL(), logs.String())
	all := strings.Join(msgs, "\n")
	if strings.Contains(all, "s3cret") {
		t.Fatalf("the password leaked:\n%s", all)
	}
	if !strings.Contains(all, "GET http://admin:xxxxx@127.0.0.1:") || !strings.Contains(logs.String(), "opencost: retrying") {
		t.Fatalf("errors and logs no longer name the server:\n%s", all)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"http://admin:s3cret@opencost:9003/model": "http://admin:xxxxx@opencost:9003/model",
		"http://opencost:9003":                    "http://opencost:9003",
		"http://admin:s3cret@opencost:port/x?y=1": "http://xxxxx@opencost:port/x?y=1",
		"http://admin:s3:cr@t@opencost:port":      "http://xxxxx@opencost:port",
		"not a url with a password s3cret in it":  "not a url with a password s3cret in it",
	} {
		if got := opencost.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
