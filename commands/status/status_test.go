package status_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/store"
)

// fakeProbe is a probe whose answer the test sets.
type fakeProbe struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (p *fakeProbe) set(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

func (p *fakeProbe) check(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.err
}

const canary = "ghp_CANARYsecretVALUE0123456789"

type env struct {
	h      *bottest.Harness
	cat    *catalogtest.Catalog
	gh     *fakeProbe
	vault  *fakeProbe
	reg    *prometheus.Registry
	f      *status.Feature
	cfg    status.Config
	probes []status.Probe
}

func newEnv(t *testing.T, cfg status.Config) *env {
	t.Helper()
	e := &env{
		h: bottest.NewHarness(t, bottest.HarnessOptions{}),
		cat: catalogtest.FromEntities(t,
			catalogtest.Group("platform", catalog.AnnotationSlackChannel+"=#platform"),
			catalogtest.Group("infra", catalog.AnnotationSlackChannel+"=#infra"),
			catalogtest.Group("quiet"),
		),
		gh: &fakeProbe{}, vault: &fakeProbe{}, cfg: cfg,
	}
	e.probes = []status.Probe{
		{Name: "github", Title: "GitHub", Configured: true, Check: e.gh.check},
		{Name: "vault", Title: "Vault", Configured: true, Check: e.vault.check},
		{Name: "pagerduty", Title: "PagerDuty"},
	}
	e.start(t)
	return e
}

// start builds and registers the feature on the harness's current router
// (again after a Restart: a restarted bot).
func (e *env) start(t *testing.T) {
	t.Helper()
	e.reg = prometheus.NewRegistry()
	f, err := status.New(e.cfg, status.Deps{
		Probes: e.probes, Store: e.h.Store, Teams: e.cat, Metrics: e.reg, Secrets: []string{canary},
		Logger: e.h.Logs.Logger(), Now: e.h.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.NewRegistry(e.h.Router, nil).Install(f); err != nil {
		t.Fatal(err)
	}
	e.f = f
}

func (e *env) check(t *testing.T) {
	t.Helper()
	if err := e.f.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) posts(channel string) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range e.h.Messenger.Ops("post") {
		if s.Channel == channel {
			out = append(out, s)
		}
	}
	return out
}

func platformCfg() status.Config {
	return status.Config{DefaultOwner: "group:default/platform", Grace: "5m", Owners: map[string]string{"vault": "group:default/infra"}}
}

func TestDownBeyondGraceToldOnceAcrossRestartThenResolved(t *testing.T) {
	e := newEnv(t, platformCfg())
	e.gh.set(fmt.Errorf("GET https://x-access-token:%s@api.github.com/rate_limit: 500 Internal Server Error", canary))
	e.check(t) // down since 09:00, within the grace
	if n := len(e.posts("#platform")); n != 0 {
		t.Fatalf("%d notices within the grace", n)
	}
	e.h.Clock.Advance(4 * time.Minute)
	e.check(t)
	if n := len(e.posts("#platform")); n != 0 {
		t.Fatalf("%d notices after 4m of a 5m grace", n)
	}
	e.h.Clock.Advance(time.Minute)
	e.check(t)
	e.check(t)
	notices := e.posts("#platform")
	if len(notices) != 1 {
		t.Fatalf("%d notices, want 1", len(notices))
	}
	if got := notices[0].Text(); !strings.Contains(got, "*GitHub* is down since 09:00 UTC (owned by #platform).") {
		t.Fatalf("notice = %q", got)
	}

	// A restarted bot over the same store: still one notice.
	e.h.Restart()
	e.start(t)
	e.h.Clock.Advance(time.Minute)
	e.check(t)
	if n := len(e.posts("#platform")); n != 1 {
		t.Fatalf("%d notices after a restart, want 1", n)
	}
	if got := gauge(t, e.reg)["github"]; got != 0 {
		t.Fatalf("github up = %v", got)
	}

	// Back: the notice is marked resolved and its thread told, once.
	e.gh.set(nil)
	e.check(t)
	e.check(t)
	ref := notices[0].Ref
	var replies, updates int
	for _, s := range e.h.Messenger.Sent() {
		switch {
		case s.Op == "post" && s.Msg.ThreadTS == ref.TS:
			replies++
			if !strings.Contains(s.Text(), "GitHub is back since 09:06 UTC, after 6m down") {
				t.Errorf("resolution = %q", s.Text())
			}
		case s.Op == "update" && s.Ref == ref:
			updates++
			if !strings.Contains(s.Text(), "was down from 09:00 UTC to 09:06 UTC") {
				t.Errorf("updated notice = %q", s.Text())
			}
		}
	}
	if replies != 1 || updates != 1 {
		t.Fatalf("resolution replies = %d, notice updates = %d; want 1 and 1", replies, updates)
	}
	if got := gauge(t, e.reg)["github"]; got != 1 {
		t.Fatalf("github up = %v after recovery", got)
	}
	// Vault was healthy all along: nothing went to its owner.
	if n := len(e.posts("#infra")); n != 0 {
		t.Fatalf("%d posts to the vault owner", n)
	}
	if got := e.h.Audit.Actions(); !strings.Contains(strings.Join(got, ","), "status.integration") {
		t.Fatalf("audit = %v", got)
	}
	e.noCanary(t)
}

// noCanary: the canary secret is in no message, record, log or audit row.
func (e *env) noCanary(t *testing.T) {
	t.Helper()
	recs, err := e.h.Store.ListRecords(context.Background(), store.Query{Kind: status.KindIntegration})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range recs {
		b.Write(r.Data)
	}
	ev, _ := json.Marshal(e.h.Audit.Events())
	places := map[string]string{"messages": e.h.Messenger.AllText(), "records": b.String(), "logs": e.h.Logs.String(), "audit": string(ev)}
	for _, s := range e.h.Messenger.Sent() {
		raw, _ := json.Marshal(s.Msg)
		places["message json"] += string(raw)
	}
	for where, text := range places {
		if strings.Contains(text, canary) || strings.Contains(text, "CANARYsecret") {
			t.Errorf("the canary secret is in the %s", where)
		}
	}
}

func TestStatusCommandShowsHealthOwnerAndRedactedError(t *testing.T) {
	e := newEnv(t, platformCfg())
	// Never checked yet: the command checks first.
	if got := e.h.Run("U1", "status"); !strings.Contains(got, "🟢 *GitHub* — healthy · owned by #platform\nlast success 09:00 UTC") || e.gh.calls != 1 {
		t.Fatalf("first status (%d probes of GitHub): %s", e.gh.calls, got)
	}
	e.gh.set(fmt.Errorf("auth: token %s refused (Authorization: Bearer %s) at https://api.github.com/?access_token=%s", canary, "abcdefghijklmnop", canary))
	e.vault.set(status.Degrade(errors.New("2 of 3 namespaces answered")))
	e.check(t)
	e.h.Clock.Advance(2 * time.Minute)
	e.gh.set(errors.New("GET /rate_limit: 502 Bad Gateway"))
	e.check(t)
	got := e.h.Run("U1", "status")
	for _, want := range []string{
		"🔴 *GitHub* — down since 09:00 UTC · owned by #platform",
		"last success 09:00 UTC · last error 09:02 UTC: `GET /rate_limit: 502 Bad Gateway`",
		"🟡 *Vault* — degraded since 09:00 UTC · owned by #infra",
		"Not configured: PagerDuty",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	e.vault.set(nil)
	e.check(t)
	got = e.h.Run("U1", "status")
	if !strings.Contains(got, "🟢 *Vault* — healthy · owned by #infra\nlast success 09:02 UTC") {
		t.Errorf("vault after recovery:\n%s", got)
	}
	// The first GitHub error carried the token three ways; none was kept.
	e.gh.set(fmt.Errorf("auth: token %s refused (Authorization: Bearer %s) at https://api.github.com/?access_token=%s", canary, "abcdefghijklmnop", canary))
	e.check(t)
	got = e.h.Run("U1", "status")
	if !strings.Contains(got, "[redacted]") || strings.Contains(got, "abcdefghijklmnop") {
		t.Errorf("error not redacted:\n%s", got)
	}
	e.noCanary(t)

	// Metrics: configured integrations only.
	if got := fmt.Sprint(gauge(t, e.reg)); got != "map[github:0 vault:1]" {
		t.Fatalf("platbot_integration_up = %s", got)
	}
}

// gauge is platbot_integration_up by integration, as gathered.
func gauge(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "platbot_integration_up" || mf.GetType() != dto.MetricType_GAUGE {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "integration" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

func TestExplainNamesTheDownIntegrationAndItsOwner(t *testing.T) {
	e := newEnv(t, platformCfg())
	ctx := context.Background()
	cause := errors.New("POST /repos/acme/gitops/pulls: 500")
	wrapped := fmt.Errorf("open the pull request: %w", status.Wrap("github", cause))
	if !errors.Is(wrapped, cause) || wrapped.Error() != "open the pull request: POST /repos/acme/gitops/pulls: 500" {
		t.Fatalf("Wrap changed the error: %v", wrapped)
	}
	if got := e.f.Explain(ctx, wrapped); got != "" {
		t.Fatalf("before any check: %q", got)
	}
	e.check(t) // healthy
	if got := e.f.Explain(ctx, wrapped); got != "" {
		t.Fatalf("healthy GitHub explained: %q", got)
	}
	e.gh.set(errors.New("500"))
	e.h.Clock.Advance(102 * time.Minute) // 10:42
	e.check(t)
	e.h.Clock.Advance(3 * time.Minute)
	got := e.f.Explain(ctx, wrapped)
	if !strings.HasPrefix(got, "GitHub is down since 10:42 UTC (owned by #platform).") {
		t.Fatalf("explained = %q", got)
	}
	if got := e.f.Explain(ctx, cause); got != "" {
		t.Fatalf("an error naming no integration explained: %q", got)
	}
	if status.Wrap("github", nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
	// The next day the date is named too.
	e.h.Clock.Advance(24 * time.Hour)
	if got := e.f.Explain(ctx, wrapped); !strings.HasPrefix(got, "GitHub is down since Mar 4 10:42 UTC") {
		t.Fatalf("explained = %q", got)
	}
}

func TestOwnerWithoutChannelIsLoggedNotRetried(t *testing.T) {
	cfg := platformCfg()
	cfg.Owners = map[string]string{"github": "group:default/quiet"}
	e := newEnv(t, cfg)
	e.gh.set(errors.New("down"))
	e.check(t)
	e.h.Clock.Advance(6 * time.Minute)
	e.check(t)
	e.check(t)
	if n := len(e.h.Messenger.Ops("post")); n != 0 {
		t.Fatalf("%d posts without a channel", n)
	}
	if logs := e.h.Logs.String(); strings.Count(logs, "its owner has no channel") != 1 {
		t.Fatalf("logs:\n%s", logs)
	}
	// status.channel catches the owners without one.
	cfg.Channel = "#ops"
	e.cfg = cfg
	e.gh.set(nil)
	e.check(t)
	e.gh.set(errors.New("down again"))
	e.h.Restart()
	e.start(t)
	e.check(t)
	e.h.Clock.Advance(6 * time.Minute)
	e.check(t)
	if n := len(e.posts("#ops")); n != 1 {
		t.Fatalf("%d posts to the fallback channel", n)
	}
}

func TestFailedPostIsRetriedAtTheNextCheck(t *testing.T) {
	e := newEnv(t, platformCfg())
	fm := &failingMessenger{Messenger: e.h.Messenger, fail: true}
	f, err := status.New(platformCfg(), status.Deps{Probes: e.probes, Store: e.h.Store, Teams: e.cat, Messenger: fm, Now: e.h.Clock.Now, Logger: e.h.Logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	e.gh.set(errors.New("down"))
	ctx := context.Background()
	_ = f.Check(ctx)
	e.h.Clock.Advance(5 * time.Minute)
	if err := f.Check(ctx); err == nil || !strings.Contains(err.Error(), "post the notice to #platform") {
		t.Fatalf("check = %v", err)
	}
	fm.fail = false
	if err := f.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.posts("#platform")); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
}

type failingMessenger struct {
	*bottest.Messenger
	fail bool
}

func (m *failingMessenger) Post(ctx context.Context, ch string, msg bot.Message) (bot.MessageRef, error) {
	if m.fail {
		return bot.MessageRef{}, errors.New("slack: 503")
	}
	return m.Messenger.Post(ctx, ch, msg)
}

func TestConfigRefused(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	probes := []status.Probe{{Name: "github", Configured: true, Check: func(context.Context) error { return nil }}, {Name: "vault"}}
	for _, tc := range []struct {
		cfg  status.Config
		want string
	}{
		{status.Config{Grace: "soon"}, `grace "soon" is not a positive duration`},
		{status.Config{CheckEvery: "-1m"}, `checkEvery "-1m" is not a positive duration`},
		{status.Config{Owners: map[string]string{"githb": "group:default/a"}}, `owners: no integration "githb" (did you mean "github"?)`},
		{status.Config{Owners: map[string]string{"vault": " "}}, `owners.vault: name the owning team`},
	} {
		_, err := status.New(tc.cfg, status.Deps{Probes: probes, Store: h.Store})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestSlowProbeTimesOut(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	probes := []status.Probe{{Name: "opencost", Title: "OpenCost", Configured: true, Check: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}}
	f, err := status.New(status.Config{Timeout: "10ms"}, status.Deps{Probes: probes, Store: h.Store, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.NewRegistry(h.Router, nil).Install(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.Run("U1", "status"); !strings.Contains(got, "OpenCost* — down") || !strings.Contains(got, "no success yet · last error 09:00 UTC: `no answer within 10ms") {
		t.Fatalf("status:\n%s", got)
	}
}

// An integration that is not configured is recorded once, not on every check.
func TestNotConfiguredIsWrittenOnce(t *testing.T) {
	e := newEnv(t, platformCfg())
	e.check(t)
	e.h.Clock.Advance(time.Minute)
	e.check(t)
	e.check(t)
	pd, err := e.h.Store.GetRecord(context.Background(), status.KindIntegration, "pagerduty")
	if err != nil {
		t.Fatal(err)
	}
	gh, err := e.h.Store.GetRecord(context.Background(), status.KindIntegration, "github")
	if err != nil {
		t.Fatal(err)
	}
	if pd.Version != 1 || pd.State != status.NotConfigured || gh.Version != 3 {
		t.Fatalf("pagerduty v%d %s, github v%d; want v1 not configured and v3", pd.Version, pd.State, gh.Version)
	}
}

// Credentials the configuration does not list are redacted by their
// shape: URL user info, credential parameters, Authorization values and
// token formats; backquotes cannot end the code span.
func TestErrorsRedactedByShape(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	secrets := []string{"pass-1234", "qs-secret-99", "hdr-token-abcdef", "xoxb-1-2-abcdef", "hvs.ABCDEFGHIJKL", "github_pat_ABCDEFGH12"}
	probes := []status.Probe{{Name: "vault", Title: "Vault", Configured: true, Check: func(context.Context) error {
		return fmt.Errorf("GET https://ops:%s@vault.example/v1/x?token=%s&x=1: Authorization: Bearer %s; slack %s; vault %s; gh %s; `tick`",
			secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5])
	}}}
	f, err := status.New(status.Config{}, status.Deps{Probes: probes, Store: h.Store, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.NewRegistry(h.Router, nil).Install(f); err != nil {
		t.Fatal(err)
	}
	got := h.Run("U1", "status")
	for _, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("%q shown: %s", s, got)
		}
	}
	if !strings.Contains(got, "https://[redacted]@vault.example/v1/x?token=[redacted]&amp;x=1") || !strings.Contains(got, "'tick'") {
		t.Errorf("status: %s", got)
	}
}
