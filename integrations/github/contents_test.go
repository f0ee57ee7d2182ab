package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeContents speaks GitHub's contents API on loopback:
// GET /api/v3/repos/{owner}/{repo}/contents/{path}?ref=. Files are keyed
// "owner/repo/path@ref" ("@" alone for the default branch).
type fakeContents struct {
	mu    sync.Mutex
	files map[string]string
	dirs  map[string][]string
	// fail answers the next n requests with status.
	fail   int
	status int
	hits   atomic.Int64
	auth   []string
	refs   []string
}

func (f *fakeContents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.refs = append(f.refs, r.URL.Query().Get("ref"))
	if f.fail > 0 {
		f.fail--
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		http.Error(w, `{"message":"try again"}`, f.status)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	parts := strings.SplitN(strings.TrimPrefix(p, "/repos/"), "/", 4)
	if r.Method != http.MethodGet || len(parts) < 3 || parts[2] != "contents" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	file := ""
	if len(parts) == 4 {
		file = parts[3]
	}
	key := parts[0] + "/" + parts[1] + "/" + file + "@" + r.URL.Query().Get("ref")
	w.Header().Set("Content-Type", "application/json")
	if body, ok := f.files[key]; ok {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"type": "file", "encoding": "base64", "name": file[strings.LastIndex(file, "/")+1:], "path": file,
			"size": len(body), "content": base64.StdEncoding.EncodeToString([]byte(body)),
		})
		return
	}
	if names, ok := f.dirs[key]; ok {
		var out []map[string]any
		for _, n := range names {
			out = append(out, map[string]any{"type": "file", "name": n, "path": file + "/" + n})
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
}

func newFake(t *testing.T, f *fakeContents) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "t0ken", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	c.retry.minDelay, c.retry.maxDelay = time.Millisecond, 5*time.Millisecond
	return c
}

func TestGetFile(t *testing.T) {
	f := &fakeContents{files: map[string]string{
		"acme/payments/catalog-info.yaml@main": "kind: Component\n",
		"acme/payments/docs/a.yaml@":           "a: 1\n",
	}}
	c := newFake(t, f)
	ctx := context.Background()

	got, err := c.GetFile(ctx, "acme", "payments", "catalog-info.yaml", "main")
	if err != nil || string(got) != "kind: Component\n" {
		t.Fatalf("GetFile = %q, %v", got, err)
	}
	if f.auth[0] != "Bearer t0ken" || f.refs[0] != "main" {
		t.Errorf("auth %q ref %q", f.auth[0], f.refs[0])
	}
	if got, err := c.GetFile(ctx, "acme", "payments", "./docs/a.yaml", ""); err != nil || string(got) != "a: 1\n" {
		t.Fatalf("GetFile(default branch) = %q, %v", got, err)
	}

	_, err = c.GetFile(ctx, "acme", "payments", "missing.yaml", "main")
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing file: err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "acme/payments/missing.yaml@main") {
		t.Errorf("error lacks context: %v", err)
	}
}

func TestListDirAndFolderAsFile(t *testing.T) {
	f := &fakeContents{dirs: map[string][]string{"acme/payments/catalog@": {"a.yaml", "b.yaml"}}}
	c := newFake(t, f)
	ents, err := c.ListDir(context.Background(), "acme", "payments", "catalog", "")
	if err != nil || len(ents) != 2 || ents[1].Path != "catalog/b.yaml" {
		t.Fatalf("ListDir = %+v, %v", ents, err)
	}
	if _, err := c.GetFile(context.Background(), "acme", "payments", "catalog", ""); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Fatalf("GetFile(folder) err = %v", err)
	}
}

func TestRetriesOn5xxAnd429(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway} {
		f := &fakeContents{files: map[string]string{"o/r/x.yaml@": "ok"}, fail: 2, status: status}
		c := newFake(t, f)
		got, err := c.GetFile(context.Background(), "o", "r", "x.yaml", "")
		if err != nil || string(got) != "ok" {
			t.Fatalf("status %d: GetFile = %q, %v", status, got, err)
		}
		if n := f.hits.Load(); n != 3 {
			t.Errorf("status %d: %d requests, want 3", status, n)
		}
	}
}

func TestGivesUpAfterRetries(t *testing.T) {
	f := &fakeContents{files: map[string]string{"o/r/x.yaml@": "ok"}, fail: 100, status: http.StatusInternalServerError}
	c := newFake(t, f)
	_, err := c.GetFile(context.Background(), "o", "r", "x.yaml", "")
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a server error", err)
	}
	if n := f.hits.Load(); n != DefaultRetries+1 {
		t.Errorf("%d requests, want %d", n, DefaultRetries+1)
	}
}

func TestNoRetryOn404(t *testing.T) {
	f := &fakeContents{}
	c := newFake(t, f)
	if _, err := c.GetFile(context.Background(), "o", "r", "x.yaml", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if n := f.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRetryTransportLeavesWritesAlone(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	rt := &retryTransport{next: http.DefaultTransport, retries: 3, minDelay: time.Millisecond, maxDelay: time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("POST sent %d times, want 1", hits.Load())
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	rt := &retryTransport{next: http.DefaultTransport, retries: 5, minDelay: time.Hour, maxDelay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("retry did not stop with the context")
	}
}

func TestNewBaseURLs(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "https://api.github.com/",
		"https://api.github.com":         "https://api.github.com/",
		"https://ghe.example.com":        "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/api/v3": "https://ghe.example.com/api/v3/",
	} {
		c, err := New(in, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, c.BaseURL(), want)
		}
	}
}
