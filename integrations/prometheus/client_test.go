package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProm speaks the instant-query API on loopback and records queries.
type fakeProm struct {
	mu      sync.Mutex
	queries []string
	times   []string
	fail    int // answer 503 this many times first
	answer  func(q string) (int, string)
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.Query().Get("query"))
	f.times = append(f.times, r.URL.Query().Get("time"))
	fail := f.fail > 0
	if fail {
		f.fail--
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/prom/api/v1/query" {
		w.WriteHeader(404)
		return
	}
	if fail {
		w.WriteHeader(503)
		fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"overloaded"}`)
		return
	}
	code, body := f.answer(r.URL.Query().Get("query"))
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func newFake(t *testing.T, f *fakeProm) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/prom/", WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQueryVectorRetriesAndSums(t *testing.T) {
	f := &fakeProm{fail: 1, answer: func(string) (int, string) {
		return 200, `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"pod":"a"},"value":[1778716800.5,"1200"]},
			{"metric":{"pod":"b"},"value":[1778716800.5,"34.5"]}]}}`
	}}
	c := newFake(t, f)
	at := time.Unix(1778716800, 0)
	res, err := c.Query(context.Background(), `sum(increase(http_requests_total{service="checkout"}[30d]))`, at)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Sum(); !ok || v != 1234.5 {
		t.Errorf("sum = %v %v", v, ok)
	}
	if len(f.queries) != 2 || !strings.Contains(f.queries[1], `service="checkout"`) || f.times[1] != "1778716800.000" {
		t.Errorf("queries = %q times = %q", f.queries, f.times)
	}
	if res.Samples[0].Metric["pod"] != "a" || res.Samples[0].At.UnixMilli() != 1778716800500 {
		t.Errorf("sample = %+v", res.Samples[0])
	}
}

func TestQueryScalarAndEmpty(t *testing.T) {
	f := &fakeProm{answer: func(q string) (int, string) {
		if q == "scalar(1)" {
			return 200, `{"status":"success","data":{"resultType":"scalar","result":[1778716800,"1"]}}`
		}
		return 200, `{"status":"success","data":{"resultType":"vector","result":[]}}`
	}}
	c := newFake(t, f)
	res, err := c.Query(context.Background(), "scalar(1)", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Sum(); !ok || v != 1 {
		t.Errorf("scalar = %v %v", v, ok)
	}
	res, err = c.Query(context.Background(), "absent_metric", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Sum(); ok {
		t.Error("empty vector reported a value")
	}
}

func TestQueryErrors(t *testing.T) {
	f := &fakeProm{answer: func(q string) (int, string) {
		if q == "malformed" {
			return 200, `{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"x"]}]}}`
		}
		return 400, `{"status":"error","errorType":"bad_data","error":"parse error at char 4"}`
	}}
	c := newFake(t, f)
	_, err := c.Query(context.Background(), "sum(", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "bad_data: parse error") {
		t.Fatalf("err = %v", err)
	}
	if len(f.queries) != 1 {
		t.Errorf("bad_data retried: %d requests", len(f.queries))
	}
	if _, err := c.Query(context.Background(), "malformed", time.Time{}); err == nil || !strings.Contains(err.Error(), "bad sample value") {
		t.Errorf("malformed err = %v", err)
	}
	f.fail = 10
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "503 unavailable") {
		t.Errorf("down err = %v", err)
	}
	if _, err := New("localhost:9090"); err == nil {
		t.Error("bad base URL accepted")
	}
}

// TestPasswordRedacted: a password in the base URL (PROMETHEUS_URL) reaches
// no error or log line, whatever goes wrong.
func TestPasswordRedacted(t *testing.T) {
	f := &fakeProm{answer: func(q string) (int, string) {
		return 400, `{"status":"error","errorType":"bad_data","error":"parse error"}`
	}}
	srv := httptest.NewServer(f)
	base := strings.Replace(srv.URL, "http://", "http://admin:s3cret@", 1) + "/prom"
	var logs bytes.Buffer
	c, err := New(base, WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c.set.Log = slog.New(slog.NewTextHandler(&logs, nil))
	var msgs []string
	if _, err := c.Query(context.Background(), "sum(", time.Time{}); err == nil {
		t.Fatal("bad query: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	f.fail = 10
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil {
		t.Fatal("server down: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	srv.Close()
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil {
		t.Fatal("connection refused: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	for _, bad := range []string{"ftp://admin:s3cret@prometheus:9090", "http://admin:s3cret@prometheus:port"} {
		if _, err := New(bad); err == nil {
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
	if !strings.Contains(c.BaseURL(), "admin:xxxxx@127.0.0.1:") || !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("base URL or logs changed:\n%s", all)
	}
}
