package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which .ci/install-chromium.sh installs.
const chromiumPath = "/usr/bin/chromium"

// needChromium skips (fails in CI) when the browser is not installed.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	msg := chromiumPath + " is missing; install it with: bash .ci/install-chromium.sh (apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// recorder keeps a copy of every POST body the browser sends.
type recorder struct {
	mu    sync.Mutex
	posts [][]byte
	next  atomic.Pointer[http.Handler]
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rc.mu.Lock()
		rc.posts = append(rc.posts, b)
		rc.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	if h := rc.next.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.Error(w, "not ready", http.StatusServiceUnavailable)
}

func (rc *recorder) bodies() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.posts...)
}

func TestSealingPageInBrowser(t *testing.T) {
	needChromium(t)
	t.Run("vault", func(t *testing.T) { browserFlow(t, true) })
	t.Run("development", func(t *testing.T) { browserFlow(t, false) })
}

func browserFlow(t *testing.T, withVault bool) {
	rec := &recorder{}
	srv := httptest.NewServer(rec) // 127.0.0.1
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.PublicURL = srv.URL
	o := envOptions{cfg: &cfg}
	if withVault {
		o.vault = realVault(t)
	}
	e := newEnv(t, o)
	mux := http.NewServeMux()
	mux.Handle(Prefix, e.sec.Handler())
	var h http.Handler = mux
	rec.next.Store(&h)

	link, said := e.add(userJane, "orders-service", "dev", "BROWSER_KEY", "typed in a real browser")
	if !strings.HasPrefix(link, srv.URL+"/seal/") {
		t.Fatalf("link %q does not point at the test server: %s", link, said)
	}
	value := canary(t)

	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("secret-value")),
		chromedp.SendKeys(chromedp.ID("secret-value"), value),
		chromedp.Click(chromedp.ID("seal-submit")),
		chromedp.WaitVisible(chromedp.CSS("#seal-status.ok")),
	)
	if dir := os.Getenv("PLATBOT_SCREENSHOT_DIR"); dir != "" {
		if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
			os.WriteFile(filepath.Join(dir, "seal-"+map[bool]string{true: "vault", false: "dev"}[withVault]+".png"), png, 0o644)
		}
	}
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("browser: %v\npage: %s\nposts: %q", err, body, rec.bodies())
	}
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("seal-user")))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("seal-status")))
	if err != nil {
		t.Fatal(err)
	}
	if user != "jane (U-jane)" {
		t.Fatalf("the page names %q as the user", user)
	}
	mustContain(t, "the page's answer", status, "Sealed", "BROWSER_KEY", "version 1")

	// The value is in the store ...
	if got, v := e.value("payments/orders-service/dev/BROWSER_KEY"); got != value || v != 1 {
		t.Fatalf("stored %q v%d, want the typed value at v1", got, v)
	}
	// ... and what the browser sent was only ciphertext.
	posts := rec.bodies()
	if len(posts) != 1 {
		t.Fatalf("the browser sent %d POSTs, want 1", len(posts))
	}
	var sent map[string]string
	if err := json.Unmarshal(posts[0], &sent); err != nil {
		t.Fatalf("POST body is not JSON: %v", err)
	}
	if len(sent) != 1 || !regexp.MustCompile(`^vault:v[0-9]+:[A-Za-z0-9+/]{600,}={0,2}$`).MatchString(sent["ciphertext"]) {
		t.Fatalf("POST body is not just a ciphertext: %s", posts[0])
	}
	if bytes.Contains(posts[0], []byte(value)) || bytes.Contains(posts[0], []byte(base64.StdEncoding.EncodeToString([]byte(value)))) {
		t.Fatal("the POST body contains the value")
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.SplitN(sent["ciphertext"], ":", 3)[2])
	if len(raw) != 512 {
		t.Fatalf("ciphertext is %d bytes, want 512 (RSA-4096)", len(raw))
	}

	// The pull request follows; then the value must be nowhere else.
	e.drain()
	if len(e.audit("secrets.pr")) != 1 {
		t.Fatal("no pull request was opened")
	}
	assertNowhere(t, e, value)

	// The link is spent: reloading shows a clear page, not the form.
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h1, "already used") {
		t.Fatalf("reloaded page says %q", h1)
	}
}
