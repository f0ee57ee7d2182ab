package catalog

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/integrations/github"
)

// contentsAPI is a loopback fake of GitHub's contents API:
// GET /api/v3/repos/{owner}/{repo}/contents/{path}?ref=, base64 content.
// Files are keyed "owner/repo/path@ref".
type contentsAPI struct {
	mu       sync.Mutex
	files    map[string]string
	status   int // when set, every request fails with it
	requests []string
}

func (f *contentsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	if f.status != 0 {
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"message":"unavailable"}`, f.status)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v3/repos/")
	parts := strings.SplitN(rest, "/", 4)
	if !ok || r.Method != http.MethodGet || len(parts) != 4 || parts[2] != "contents" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	body, ok := f.files[parts[0]+"/"+parts[1]+"/"+parts[3]+"@"+r.URL.Query().Get("ref")]
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "file", "encoding": "base64", "path": parts[3], "size": len(body),
		"content": base64.StdEncoding.EncodeToString([]byte(body)),
	})
}

func (f *contentsAPI) set(key, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		delete(f.files, key)
		return
	}
	f.files[key] = body
}

func (f *contentsAPI) fail(status int) {
	f.mu.Lock()
	f.status = status
	f.mu.Unlock()
}

func newGitHub(t *testing.T, files map[string]string) (*contentsAPI, *github.Client) {
	t.Helper()
	fake := &contentsAPI{files: files}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	gh, err := github.New(srv.URL, "test-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return fake, gh
}

func TestGitHubLocation(t *testing.T) {
	fake, gh := newGitHub(t, map[string]string{
		"acme/payments/catalog-info.yaml@main": group("payments") + "---\n" + component("payments-service", "payments") + "---\n" +
			ownedLocation("more", "payments", "./catalog/apis.yaml", "./catalog/gone.yaml", "../../escape.yaml"),
		"acme/payments/catalog/apis.yaml@main": "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition: \"openapi: 3.0.0\"\n",
	})
	c := newTestCatalog(t, []LocationConfig{{Repo: "acme/payments", Path: "catalog-info.yaml", Ref: "main"}}, WithGitHub(gh))

	svc, ok := c.Get("payments-service")
	if !ok {
		t.Fatalf("payments-service not loaded; problems:\n%s", problemsText(c.Errors()))
	}
	if svc.Source.File != "https://github.com/acme/payments/blob/main/catalog-info.yaml" || svc.Source.Line != 9 ||
		svc.Source.Location != "url:https://github.com/acme/payments/blob/main/catalog-info.yaml" {
		t.Errorf("source = %+v", svc.Source)
	}
	api, ok := c.Get("api:payments-api")
	if !ok || api.Source.File != "https://github.com/acme/payments/blob/main/catalog/apis.yaml" {
		t.Fatalf("payments-api through the Location: %v; problems:\n%s", api, problemsText(c.Errors()))
	}
	if api.Annotation(AnnotationManagedBy) != "url:https://github.com/acme/payments/blob/main/catalog/apis.yaml" {
		t.Errorf("managed-by-location = %q", api.Annotation(AnnotationManagedBy))
	}
	ps := c.Errors()
	if len(ps) != 2 || !strings.Contains(ps[0].Message, "catalog/gone.yaml not found") || ps[0].Line != 26 ||
		!strings.Contains(ps[1].Message, "leaves the repository") || ps[1].Line != 27 {
		t.Errorf("problems:\n%s", problemsText(ps))
	}
	for _, r := range fake.requests {
		if !strings.HasSuffix(r, "?ref=main") || !strings.HasPrefix(r, "GET /api/v3/repos/acme/payments/contents/") {
			t.Errorf("unexpected request %s", r)
		}
	}

	// GitHub down: the refresh fails whole and the last good state stays.
	fake.fail(http.StatusServiceUnavailable)
	before, sent := c.Len(), len(fake.requests)
	if _, err := c.Refresh(t.Context()); err == nil {
		t.Fatal("refresh with GitHub down succeeded")
	}
	// Each of the three files (the last good Location is still followed)
	// is tried with retries.
	if n := len(fake.requests) - sent; n != 3*(github.DefaultRetries+1) {
		t.Errorf("%d requests, want %d (3 files, with retries)", n, 3*(github.DefaultRetries+1))
	}
	if c.Len() != before {
		t.Errorf("entities %d → %d after a failed refresh", before, c.Len())
	}
}

func TestGitHubFileGoneOrphansItsEntities(t *testing.T) {
	fake, gh := newGitHub(t, map[string]string{
		"acme/org/org.yaml@":            group("payments") + "---\n" + ownedLocation("teams", "payments", "./teams/payments.yaml", "./teams/flaky.yaml"),
		"acme/org/teams/payments.yaml@": component("payments-service", "payments"),
		"acme/org/teams/flaky.yaml@":    component("flaky-service", "payments"),
	})
	c := newTestCatalog(t, []LocationConfig{{Repo: "acme/org", Path: "org.yaml"}}, WithGitHub(gh))
	if c.Len() != 4 {
		t.Fatalf("%d entities; problems:\n%s", c.Len(), problemsText(c.Errors()))
	}

	// payments.yaml is deleted (404): its entity becomes an orphan.
	fake.set("acme/org/teams/payments.yaml@", "")
	rep, err := c.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Orphaned) != 1 || rep.Orphaned[0] != "component:default/payments-service" {
		t.Errorf("orphaned = %v", rep.Orphaned)
	}
	if e, ok := c.Get("payments-service"); !ok || !e.Orphan {
		t.Errorf("payments-service = %v, want an orphan", e)
	}
}

func TestGitHubWithoutClient(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Repo: "acme/payments"}}
	c, err := New(cfg, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Refresh(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no GitHub client configured") {
		t.Errorf("err = %v", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Error("a missing client is not a missing file")
	}
}

// A GitHub URL as a location's target, in the config or in
// PLATBOT_CATALOG, is read from GitHub, not as a local path.
func TestGitHubURLTargetsAreReadFromGitHub(t *testing.T) {
	fake, gh := newGitHub(t, map[string]string{
		"acme/payments/catalog/all.yaml@main":   group("payments") + "---\n" + component("payments-service", "payments"),
		"acme/checkout/catalog-info.yaml@v2":    group("checkout") + "---\n" + component("checkout-service", "checkout"),
		"acme/unrelated/catalog-info.yaml@main": group("nobody"),
	})
	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Target: "https://github.com/acme/payments/blob/main/catalog/all.yaml"}}
	cfg.AddLocations("https://github.com/acme/checkout/blob/v2/catalog-info.yaml")
	c, err := New(cfg, WithGitHub(gh), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	for ref, loc := range map[string]string{
		"payments-service": "url:https://github.com/acme/payments/blob/main/catalog/all.yaml",
		"checkout-service": "url:https://github.com/acme/checkout/blob/v2/catalog-info.yaml",
	} {
		if e, ok := c.Get(ref); !ok || e.Source.Location != loc {
			t.Errorf("%s: %+v; problems:\n%s", ref, e, problemsText(c.Errors()))
		}
	}
	if len(c.Errors()) != 0 {
		t.Errorf("problems:\n%s", problemsText(c.Errors()))
	}
	if len(fake.requests) != 2 {
		t.Errorf("requests: %v", fake.requests)
	}
}
