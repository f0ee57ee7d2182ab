package cost

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
)

// People of examples/catalog.
const (
	exampleAlice = "U0PAYALICE"  // payments engineer
	exampleBob   = "U0PAYBOB"    // payments engineer
	exampleErik  = "U0CHKERIK"   // checkout engineer
	examplePriya = "U0PLATPRIYA" // platform admin
)

// loadExampleCatalog loads examples/catalog the way platbot does.
func loadExampleCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../../examples/catalog"}}
	cat, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// exampleWorld is the shell's default data (example catalog and cost
// data) behind the shipped default policy, as cmd/platbot wires it.
func exampleWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	cat := loadExampleCatalog(t)
	w := newWorld(t, cfg)
	eng, err := policy.New(policy.DefaultConfig(), cat, w.audit, policy.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	w.catalog, w.policy, w.examples = cat, eng, os.DirFS("../../examples/cost")
	w.cfg.OpenCost.URL = ""
	w.start()
	return w
}

// TestAlertButtonsWithDefaultPolicy: the owning team may snooze and
// acknowledge its alerts, another team may not, admins may.
func TestAlertButtonsWithDefaultPolicy(t *testing.T) {
	// payments-service runs close to its finops/monthly-budget.
	w := exampleWorld(t, Config{})
	var alert *bottest.Sent
	for _, p := range w.alerts() {
		if p.Channel == "#team-payments" && strings.Contains(p.Text(), "payments-service: budget alert") {
			alert = &p
		}
	}
	if alert == nil {
		t.Fatalf("no payments alert:\n%s", w.msgr.AllText())
	}
	id := alertID("budget/annotation/component:default/payments-service", "component:default/payments-service")

	out := w.click(exampleErik, *alert, "Snooze 7 days")
	mustContain(t, out, "You may not scaffold", "scaffold-only-for-own-team")
	if rec := w.record(kindAlert, id); rec.State != stateFiring {
		t.Fatalf("another team's click changed the alert to %s", rec.State)
	}

	mustContain(t, w.click(exampleAlice, *alert, "Snooze 7 days"), "😴 Snoozed by <@"+exampleAlice+">")
	mustContain(t, w.click(exampleBob, *alert, "Snooze 7 days"), "Already snoozed by <@"+exampleAlice+">")
	mustContain(t, w.click(examplePriya, *alert, "Acknowledge"), "✅ Acknowledged by <@"+examplePriya+">")
	acts := strings.Join(w.audit.Actions(), " ")
	for _, want := range []string{"cost.alert.snooze", "cost.alert.acknowledge"} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %s: %s", want, acts)
		}
	}
}

// TestAlertsPacedPerChannel: posts to one channel are about a second apart;
// posts to different channels do not wait for each other.
func TestAlertsPacedPerChannel(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{
		{Name: "a", Type: RuleBudget, Service: "checkout", Budget: 1},
		{Name: "b", Type: RuleBudget, Service: "checkout", Budget: 2},
		{Name: "c", Type: RuleBudget, Service: "checkout", Budget: 3},
		{Name: "d", Type: RuleBudget, Service: "payments", Budget: 1},
	}})
	posts := w.alerts()
	if len(posts) != 4 {
		t.Fatalf("posts = %d", len(posts))
	}
	// The clock stands still, so each wait reaches the channel's next slot:
	// the second post to #team-shop waits 1s, the third 2s. Payments' team
	// has no channel and posts to #platform, which never waited.
	got := w.waits()
	want := []time.Duration{time.Second, 2 * time.Second}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("pacing waits = %v, want %v", got, want)
	}
	shop := 0
	for _, p := range posts {
		if p.Channel == "#team-shop" {
			shop++
		}
	}
	if shop != 3 {
		t.Fatalf("posts to #team-shop = %d", shop)
	}

}

// TestHygieneOncePerWeek: a retried or repeated hygiene job posts the
// week's report once, audits it, and posts again the next week; a failed
// post is retried.
func TestHygieneOncePerWeek(t *testing.T) {
	w := newWorld(t, Config{})
	failing := &failFirstPost{Messenger: w.msgr, fail: 1}
	w.costs.deps.Messenger = failing
	ctx := context.Background()
	at := w.clock.Now()
	if err := w.costs.postHygiene(ctx, at); err == nil {
		t.Fatal("a failed post did not fail the job")
	}
	for i := 0; i < 3; i++ {
		if err := w.costs.postHygiene(ctx, at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	w.start() // a restart forgets nothing
	w.costs.deps.Messenger = w.msgr
	if err := w.costs.hygieneJob(ctx, []byte(`{"at":"`+at.Add(24*time.Hour).Format(time.RFC3339)+`"}`)); err != nil {
		t.Fatal(err)
	}
	if n := len(w.msgr.Ops("post")); n != 1 {
		t.Fatalf("hygiene posted %d times in one week", n)
	}
	if n := strings.Count(strings.Join(w.audit.Actions(), " "), "cost.hygiene"); n != 1 {
		t.Fatalf("hygiene audited %d times: %v", n, w.audit.Actions())
	}
	if err := w.costs.postHygiene(ctx, at.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(w.msgr.Ops("post")); n != 2 {
		t.Fatalf("next week's report: %d posts", n)
	}
	week := isoWeek(at.In(w.costs.loc))
	if rec := w.record(kindHygiene, week); rec.State != hygieneSent {
		t.Fatalf("week %s is %s", week, rec.State)
	}
}

// failFirstPost fails the first fail posts.
type failFirstPost struct {
	*bottest.Messenger
	fail int
}

func (f *failFirstPost) Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	if f.fail > 0 {
		f.fail--
		return bot.MessageRef{}, errors.New("slack: 503")
	}
	return f.Messenger.Post(ctx, channel, m)
}

// TestRequestCounterChoice: example request rates only with example cost
// data; real cost data without Prometheus has no cost per request; a
// Prometheus URL without a query gets the default one.
func TestRequestCounterChoice(t *testing.T) {
	examples := fstest.MapFS{"requests.json": {Data: []byte(`{"requests_per_day":{"checkout":1000}}`)}}
	if rc, err := NewRequestCounter(Config{}, examples); err != nil {
		t.Fatal(err)
	} else if _, ok := rc.(*ExampleRequests); !ok {
		t.Fatalf("example cost data: counter = %T, want the example rates", rc)
	}
	if rc, err := NewRequestCounter(Config{OpenCost: OpenCostConfig{URL: "http://opencost:9003"}}, examples); err != nil || rc != nil {
		t.Fatalf("real cost data without Prometheus: counter = %#v, %v; want none", rc, err)
	}
	rc, err := NewRequestCounter(Config{OpenCost: OpenCostConfig{URL: "http://opencost:9003"}, Prometheus: PrometheusConfig{URL: "http://prometheus:9090"}}, examples)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := rc.(*PrometheusRequests); !ok || p.Default != DefaultRequestsQuery {
		t.Fatalf("prometheus counter = %#v", rc)
	}
	if DefaultRequestsQuery != `sum(increase(http_requests_total{service="{tag}"}[{window}]))` {
		t.Errorf("default query = %s", DefaultRequestsQuery)
	}
	rc, _ = NewRequestCounter(Config{Prometheus: PrometheusConfig{URL: "http://prometheus:9090"}, Requests: RequestsConfig{Default: "sum(x)"}}, nil)
	if p := rc.(*PrometheusRequests); p.Default != "sum(x)" {
		t.Errorf("configured default replaced: %s", p.Default)
	}

	// With real cost data and no counter, the reply says it is not configured.
	w := newWorld(t, Config{})
	rc, err = NewRequestCounter(w.cfg, examples)
	if err != nil || rc != nil {
		t.Fatalf("counter = %#v, %v", rc, err)
	}
	mustContain(t, w.run("cost checkout"), "Per 1,000 requests: not configured")
}

// TestOpenCostPasswordNeverShown: a password in OPENCOST_URL reaches no
// reply, post or log line.
func TestOpenCostPasswordNeverShown(t *testing.T) {
	w := newWorld(t, Config{})
	var logs bytes.Buffer
	w.logger = slog.New(slog.NewTextHandler(&logs, nil))
	w.cfg.OpenCost.URL = strings.Replace(w.srv.Base(), "http://", "http://admin:s3cret@", 1)
	w.start()
	_, desc, err := NewSource(w.cfg, nil, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for mode, want := range map[opencosttest.Mode]string{opencosttest.Down: "503", opencosttest.Malformed: "malformed"} {
		w.srv.SetMode(mode)
		w.costs.mu.Lock()
		w.costs.cached = nil
		w.costs.mu.Unlock()
		mustContain(t, w.run("cost checkout"), want)
	}
	w.srv.Close()
	out := w.run("cost checkout")
	if _, err := w.costs.RunAlerts(context.Background(), "", nil); err != nil {
		t.Fatal(err)
	}
	all := desc + "\n" + out + "\n" + w.msgr.AllText() + "\n" + logs.String()
	if strings.Contains(all, "s3cret") {
		t.Fatalf("the password leaked:\n%s", all)
	}
	mustContain(t, all, "admin:xxxxx@")
}
