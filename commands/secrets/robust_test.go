package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/store"
)

// crashStore makes the next transitions of a change to StateSealed fail,
// leaving the database as a crash right after the KV write would.
type crashStore struct {
	Store
	mu         sync.Mutex
	failSealed int
}

func (c *crashStore) TransitionRecord(ctx context.Context, kind, id string, from []string, to string, mutate func(*store.Record) error) (*store.Record, error) {
	c.mu.Lock()
	if kind == KindChange && to == StateSealed && slices.Contains(from, StateSealing) && c.failSealed > 0 {
		c.failSealed--
		c.mu.Unlock()
		return nil, errors.New("simulated crash between the KV write and the state update")
	}
	c.mu.Unlock()
	return c.Store.TransitionRecord(ctx, kind, id, from, to, mutate)
}

// hookKV runs beforePut before every Put (it may panic, to simulate a
// crash before the write).
type hookKV struct {
	KV
	beforePut func(ctx context.Context)
}

func (h *hookKV) Put(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	if h.beforePut != nil {
		h.beforePut(ctx)
	}
	return h.KV.Put(ctx, path, data, cas)
}

// pendingLink issues a link for jane's new secret and returns its token.
func pendingLink(t *testing.T, e *env, name string) string {
	t.Helper()
	link, said := e.add(userJane, "orders-service", "dev", name, "")
	if link == "" {
		t.Fatalf("no link: %s", said)
	}
	return tokenOf(link)
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func countWhere(evs []store.Event, f func(store.Event) bool) int {
	n := 0
	for _, ev := range evs {
		if f(ev) {
			n++
		}
	}
	return n
}

func byChange(id string) func(store.Event) bool {
	return func(ev store.Event) bool { return fmt.Sprint(ev.Details["change"]) == id }
}

func queuedKinds(t *testing.T, e *env) []string {
	t.Helper()
	jobs, err := e.st.Jobs(e.ctx, []string{store.JobQueued}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.Kind)
	}
	return out
}

func TestSealInterruptedAfterWrite(t *testing.T) {
	clk := bottest.NewClock(time.Now())
	cs := &crashStore{}
	e := newEnv(t, envOptions{now: clk.Now, wrapStore: func(s Store) Store { cs.Store = s; return cs }})
	token := pendingLink(t, e, "CRASHED_KEY")
	id := mustID(t, token)
	const path = "payments/orders-service/dev/CRASHED_KEY"
	value := canary(t)

	cs.mu.Lock()
	cs.failSealed = 1
	cs.mu.Unlock()
	e.post(token, e.encrypt(id, value))

	// What a crash right after the KV write leaves: the value in the
	// store, the change "sealing", the intent audited, nothing else.
	if got, v := e.value(path); got != value || v != 1 {
		t.Fatalf("the KV write did not happen: %q v%d", got, v)
	}
	if rec, _ := e.change(token); rec.State != StateSealing {
		t.Fatalf("state %s, want sealing", rec.State)
	}
	if n := countWhere(e.audit("secrets.sealing"), byChange(id)); n != 1 {
		t.Fatalf("%d intent events, want 1", n)
	}
	if n := countWhere(e.audit("secrets.sealed"), byChange(id)); n != 0 {
		t.Fatal("sealed was audited although the state update failed")
	}
	if sec, _ := e.sec.loadSecret(e.ctx, path); sec != nil {
		t.Fatal("the secret was recorded")
	}
	code, page := e.do(http.MethodGet, "/seal/"+token, "", nil)
	if code != http.StatusConflict || !strings.Contains(page["_body"].(string), "being stored") {
		t.Fatalf("page while sealing: %d %s", code, page["_body"])
	}
	// Reconcile leaves a change alone while a seal may still be running.
	if err := e.sec.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rec, _ := e.change(token); rec.State != StateSealing {
		t.Fatalf("a fresh claim was settled: %s", rec.State)
	}

	clk.Advance(stuckAfter + time.Second)
	code, page = e.do(http.MethodGet, "/seal/"+token, "", nil)
	if code != http.StatusConflict || !strings.Contains(page["_body"].(string), "interrupted") {
		t.Fatalf("page of an interrupted seal: %d %s", code, page["_body"])
	}
	if err := e.sec.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	rec, ch := e.change(token)
	if rec.State != StateSealed || ch.Version != 1 || !ch.Recovered || !ch.Recorded {
		t.Fatalf("after reconcile: %s %+v", rec.State, ch)
	}
	sealed := e.audit("secrets.sealed")
	if countWhere(sealed, byChange(id)) != 1 || sealed[0].Details["recovered"] != true || sealed[0].Details["version"] != float64(1) {
		t.Fatalf("sealed events: %+v", sealed)
	}
	if sec, _ := e.sec.loadSecret(e.ctx, path); sec == nil || sec.Version != 1 || sec.CreatedBy.ID != userJane {
		t.Fatalf("secret record: %+v", sec)
	}
	if !slices.Contains(queuedKinds(t, e), JobReconcile) {
		t.Fatal("Resume did not queue the periodic reconcile")
	}
	e.drain()
	_, ch = e.change(token)
	if ch.PullRequest == nil {
		t.Fatal("no pull request after reconcile")
	}
	dms := e.msgr.Ops("dm")
	mustContain(t, "the final DM", dms[len(dms)-1].Text(), "CRASHED_KEY", "added: version 1", "Pull request #")

	// Settled once: running it again changes nothing.
	if err := e.sec.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(e.audit("secrets.sealed"), byChange(id)); n != 1 {
		t.Fatalf("%d sealed events after a second reconcile", n)
	}
	mustContain(t, "the history", e.reply(userJane, "secret history orders-service CRASHED_KEY"), "→ version 1 (recorded after an interruption)")
	assertNowhere(t, e, value)
}

func TestSealInterruptedBeforeWrite(t *testing.T) {
	clk := bottest.NewClock(time.Now())
	hk := &hookKV{}
	e := newEnv(t, envOptions{now: clk.Now, wrapKV: func(k KV) KV { hk.KV = k; return hk }})
	crash := func(context.Context) { panic("simulated crash before the KV write") }

	// Within the link's lifetime: released, and the link works again.
	token := pendingLink(t, e, "RETRIED_KEY")
	hk.beforePut = crash
	if code, _ := e.post(token, e.encrypt(mustID(t, token), "lost")); code != http.StatusInternalServerError {
		t.Fatalf("crashing seal: %d", code)
	}
	hk.beforePut = nil
	if rec, _ := e.change(token); rec.State != StateSealing {
		t.Fatalf("state %s, want sealing", rec.State)
	}
	clk.Advance(stuckAfter + time.Second)
	if err := e.sec.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	rec, ch := e.change(token)
	if rec.State != StatePending || ch.Attempts != 0 {
		t.Fatalf("after reconcile: %s, %d attempts", rec.State, ch.Attempts)
	}
	if len(e.audit("secrets.reconciled")) != 1 {
		t.Fatal("the release is not audited")
	}
	v := canary(t)
	if code, out := e.post(token, e.encrypt(mustID(t, token), v)); code != http.StatusOK {
		t.Fatalf("seal after release: %d %v", code, out)
	}

	// Expired meanwhile: the page says so (not "in progress"), and
	// reconcile closes the link and tells the requester.
	token = pendingLink(t, e, "EXPIRED_KEY")
	hk.beforePut = crash
	e.post(token, e.encrypt(mustID(t, token), "lost"))
	hk.beforePut = nil
	clk.Advance(e.sec.cfg.TokenTTL + time.Minute)
	code, page := e.do(http.MethodGet, "/seal/"+token, "", nil)
	if code != http.StatusGone || !strings.Contains(page["_body"].(string), "expired") {
		t.Fatalf("page of an expired, stuck link: %d %s", code, page["_body"])
	}
	n := len(e.msgr.Ops("dm"))
	if err := e.sec.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	rec, ch = e.change(token)
	if rec.State != StateFailed || !strings.Contains(ch.Failure, "expired") {
		t.Fatalf("after reconcile: %s %q", rec.State, ch.Failure)
	}
	dms := e.msgr.Ops("dm")
	if len(dms) != n+1 || dms[n].User != userJane {
		t.Fatalf("requester not told: %+v", dms[n:])
	}
	mustContain(t, "the DM", dms[n].Text(), "EXPIRED_KEY", "did not complete", "nothing was stored", "/plat secret add orders-service dev EXPIRED_KEY")
	if _, err := e.kv.Info(e.ctx, "payments/orders-service/dev/EXPIRED_KEY"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("something was written: %v", err)
	}
	assertNowhere(t, e, v)
}

func TestSealSurvivesDisconnect(t *testing.T) {
	hk := &hookKV{}
	e := newEnv(t, envOptions{wrapKV: func(k KV) KV { hk.KV = k; return hk }})
	token := pendingLink(t, e, "DISCONNECT_KEY")
	body, _ := json.Marshal(map[string]string{"ciphertext": e.encrypt(mustID(t, token), "v")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var putErr error
	hk.beforePut = func(putCtx context.Context) {
		cancel() // the browser goes away after the claim
		putErr = putCtx.Err()
	}
	req := httptest.NewRequest(http.MethodPost, "/seal/"+token, strings.NewReader(string(body))).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	e.sec.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if putErr != nil {
		t.Fatalf("the KV write ran on the request's context: %v", putErr)
	}
	rec, ch := e.change(token)
	if rec.State != StateSealed || ch.Version != 1 || !ch.Recorded {
		t.Fatalf("after a disconnect: %s %+v", rec.State, ch)
	}
}

func TestRegenerateInterrupted(t *testing.T) {
	clk := bottest.NewClock(time.Now())
	cs := &crashStore{}
	e := newEnv(t, envOptions{now: clk.Now, wrapStore: func(s Store) Store { cs.Store = s; return cs }})
	ds, err := devsecrets.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.WriteOnce(e.ctx, "secret/payments/orders-db/dev/db", map[string]string{"username": "u", "password": "old-password-old-password"}, "run-1/credentials"); err != nil {
		t.Fatal(err)
	}
	cs.failSealed = 1
	e.reply(userJane, "secret rotate orders-db dev db")
	recs, err := e.st.ListRecords(e.ctx, store.Query{Kind: KindChange, States: []string{StateSealing}})
	if err != nil || len(recs) != 1 {
		t.Fatalf("want one change left sealing: %d %v", len(recs), err)
	}
	id := recs[0].ID
	if _, v := e.value("payments/orders-db/dev/db"); v != 2 {
		t.Fatalf("version %d, want 2 written", v)
	}
	if len(e.audit("secrets.sealing")) != 1 || len(e.audit("secrets.regenerated")) != 0 {
		t.Fatal("want the intent audited and nothing else")
	}
	clk.Advance(stuckAfter + time.Second)
	if err := e.sec.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	rec, ch, err := e.sec.loadChange(e.ctx, id)
	if err != nil || rec.State != StateSealed || ch.Version != 2 || !ch.Recovered {
		t.Fatalf("after reconcile: %v %s %+v", err, rec.State, ch)
	}
	regen := e.audit("secrets.regenerated")
	if len(regen) != 1 || regen[0].Details["recovered"] != true {
		t.Fatalf("regenerated events: %+v", regen)
	}
	if sec, _ := e.sec.loadSecret(e.ctx, "payments/orders-db/dev/db"); sec == nil || !sec.Generated || sec.Version != 2 {
		t.Fatalf("secret record: %+v", sec)
	}
	e.drain()
	if len(e.audit("secrets.pr")) != 1 {
		t.Fatal("no pull request after reconcile")
	}
}

// failingPublisher never manages to open a pull request.
type failingPublisher struct{}

func (failingPublisher) Open(context.Context, PRChange) (*PullRequestInfo, error) {
	return nil, errors.New("GitHub answered 502")
}

func TestPublishFailsForGood(t *testing.T) {
	e := newEnv(t, envOptions{wrapPub: func(Publisher) Publisher { return failingPublisher{} }})
	token := addAndSeal(t, e, userJane, "orders-service", "dev", "UNPUBLISHED", canary(t))
	id := mustID(t, token)
	payload, _ := json.Marshal(publishPayload{Change: id})
	n := len(e.msgr.Ops("dm"))
	for i := 1; i < publishMaxAttempts; i++ {
		err := e.sec.publishJob(e.ctx, payload)
		var perm *bot.PermanentError
		if err == nil || errors.As(err, &perm) {
			t.Fatalf("attempt %d: %v, want a retryable error", i, err)
		}
	}
	if len(e.msgr.Ops("dm")) != n {
		t.Fatal("the requester was told before platbot gave up")
	}
	err := e.sec.publishJob(e.ctx, payload)
	var perm *bot.PermanentError
	if !errors.As(err, &perm) {
		t.Fatalf("last attempt: %v, want a permanent error", err)
	}
	dms := e.msgr.Ops("dm")
	if len(dms) != n+1 || dms[n].User != userJane {
		t.Fatalf("want one DM to jane, got %+v", dms[n:])
	}
	mustContain(t, "the DM", dms[n].Text(), "UNPUBLISHED", "version 1", "could not open the pull request", id)
	if strings.Contains(dms[n].Text(), "502") {
		t.Fatal("the DM passes on the raw error")
	}
	prs := e.audit("secrets.pr")
	if len(prs) != 1 || prs[0].Outcome != "error" {
		t.Fatalf("pr events: %+v", prs)
	}
	if _, ch := e.change(token); ch.PublishFailure == "" || ch.PublishAttempts != publishMaxAttempts {
		t.Fatalf("change: %+v", ch)
	}
	if err := e.sec.publishJob(e.ctx, payload); err != nil {
		t.Fatalf("after giving up: %v", err)
	}
	mustContain(t, "the history", e.reply(userJane, "secret history orders-service UNPUBLISHED"), "the pull request could not be opened")
}

func TestParentGroupService(t *testing.T) {
	e := newEnv(t, envOptions{})
	// jane is in payments, a sub-team of commerce, which owns storefront.
	e.reply(userJane, "secret add")
	form := e.msgr.Last().Form
	if form == nil {
		t.Fatal("no form")
	}
	for _, o := range form.Fields[0].Options {
		if strings.Contains(o.Value, "storefront") {
			t.Fatalf("the form offers the parent group's service: %+v", form.Fields[0].Options)
		}
	}
	mustContain(t, "add with the parent's service", e.reply(userJane, "secret add storefront"), "not one of your own teams", "commerce")
	req := e.request(userJane, "")
	err := e.sec.submitAdd(e.ctx, req, bot.Values{"service": {"component:default/storefront"}, "environment": {"dev"}, "name": {"PARENT_KEY"}})
	if err == nil || !strings.Contains(err.Error(), "not one of your own teams") {
		t.Fatalf("submit for the parent's service: %v", err)
	}
	mustContain(t, "rotate of the parent's service", e.reply(userJane, "secret rotate storefront dev PARENT_KEY"), "not one of your own teams")
	if len(e.msgr.Ops("dm")) != 0 {
		t.Fatal("a link was sent")
	}
	// An admin may.
	e.reply(userAda, "secret add")
	found := false
	for _, o := range e.msgr.Last().Form.Fields[0].Options {
		found = found || strings.Contains(o.Value, "storefront")
	}
	if !found {
		t.Fatal("an admin is not offered storefront")
	}
	if link, said := e.add(userAda, "storefront", "dev", "PARENT_KEY", ""); link == "" {
		t.Fatalf("admin add: %s", said)
	}
}

func TestAuditFloodAndRateLimit(t *testing.T) {
	clk := bottest.NewClock(time.Now())
	reg := prometheus.NewRegistry()
	e := newEnv(t, envOptions{now: clk.Now, metrics: reg})
	unknown := func() string {
		id, _ := randomID()
		tok, _ := newToken(id)
		return tok
	}
	for _, tok := range []string{"not-a-token", unknown(), unknown(), unknown()} {
		if code, _ := e.post(tok, "vault:v1:AAAA"); code != http.StatusNotFound {
			t.Fatalf("unknown token: %d", code)
		}
	}
	if n := len(e.audit("secrets.*")); n != 0 {
		t.Fatalf("%d audit events for tokens nobody was given", n)
	}
	if got := counterValue(t, e.sec.metrics.requests.WithLabelValues("unknown_token")); got != 4 {
		t.Fatalf("unknown_token = %v, want 4", got)
	}
	families, err := reg.Gather()
	if err != nil || !slices.ContainsFunc(families, func(f *dto.MetricFamily) bool { return f.GetName() == "platbot_secrets_seal_requests_total" }) {
		t.Fatalf("metric not registered: %v", err)
	}
	// A real change id with a wrong secret half is an attempt on a real
	// link: audited.
	token := pendingLink(t, e, "FLOOD_KEY")
	wrong := mustID(t, token) + "." + strings.Repeat("A", 43)
	e.post(wrong, "vault:v1:AAAA")
	refused := e.audit("secrets.refused")
	if len(refused) != 1 || refused[0].ActorID != "anonymous" || refused[0].Target != "secret:payments/orders-service/dev/FLOOD_KEY" {
		t.Fatalf("refusals: %+v", refused)
	}

	// Ten submissions a minute per address; the eleventh is 429.
	e.remote = "203.0.113.9:5555"
	for i := 0; i < 10; i++ {
		if code, _ := e.post(unknown(), "vault:v1:AAAA"); code != http.StatusNotFound {
			t.Fatalf("submission %d: %d", i+1, code)
		}
	}
	code, out := e.post(token, e.encrypt(mustID(t, token), "v"))
	if code != http.StatusTooManyRequests || !strings.Contains(out["title"].(string), "Too many") {
		t.Fatalf("11th submission: %d %v", code, out)
	}
	if rec, _ := e.change(token); rec.State != StatePending {
		t.Fatal("a limited submission touched the link")
	}
	e.remote = "203.0.113.9:6666" // the same host from another port
	if code, _ := e.post(token, e.encrypt(mustID(t, token), "v")); code != http.StatusTooManyRequests {
		t.Fatalf("another port of the same host: %d", code)
	}
	e.remote = "203.0.113.10:5555"
	if code, _ := e.post(unknown(), "vault:v1:AAAA"); code != http.StatusNotFound {
		t.Fatalf("another address: %d", code)
	}
	clk.Advance(time.Minute)
	e.remote = "203.0.113.9:5555"
	if code, out := e.post(token, e.encrypt(mustID(t, token), "v")); code != http.StatusOK {
		t.Fatalf("a minute later: %d %v", code, out)
	}
	if got := counterValue(t, e.sec.metrics.requests.WithLabelValues("rate_limited")); got != 2 {
		t.Fatalf("rate_limited = %v, want 2", got)
	}
}

func TestDevelopmentMessagesNameNoPath(t *testing.T) {
	e := newEnv(t, envOptions{})
	addAndSeal(t, e, userJane, "orders-service", "dev", "DEV_KEY", canary(t))
	e.drain()
	var all strings.Builder
	for _, s := range e.msgr.Sent() {
		all.WriteString(s.Text())
		b, _ := json.Marshal(s.Msg.Blocks)
		all.Write(b)
	}
	if strings.Contains(all.String(), e.dataDir) || strings.Contains(all.String(), "seal-key.pem") {
		t.Fatalf("Slack messages name a server path:\n%s", all.String())
	}
	mustContain(t, "the DM", all.String(), "a local development key", DevLabel)
}

func TestSmallTransitKeyRefused(t *testing.T) {
	v := realVault(t)
	e := newEnv(t, envOptions{vault: v})
	api, err := v.Client()
	if err != nil {
		t.Fatal(err)
	}
	name := "small-" + e.mount
	if _, err := api.Logical().WriteWithContext(e.ctx, "transit/keys/"+name, map[string]any{"type": "rsa-2048"}); err != nil {
		t.Fatal(err)
	}
	_, err = VaultSealer(e.vc, "transit", name).PublicKey(e.ctx)
	if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), `"rsa-2048"`) || !strings.Contains(err.Error(), "rsa-4096") {
		t.Fatalf("an rsa-2048 transit key: err = %v", err)
	}
}

func TestHistoryGoldenPathAndCap(t *testing.T) {
	e := newEnv(t, envOptions{})
	ds, err := devsecrets.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.WriteOnce(e.ctx, "secret/payments/orders-db/dev/db", map[string]string{"username": "u", "password": "first-password-first-password"}, "run-42/credentials-dev"); err != nil {
		t.Fatal(err)
	}
	// What the new-db golden path's vault:kv step records (commands/paths).
	step := func(path string, created bool) store.Event {
		return store.Event{Time: time.Now(), ActorID: userJane, ActorName: "jane", Action: "paths.step", Target: "template:new-db", Outcome: "ok",
			Details: map[string]any{"run": "run-42", "step": "credentials-dev", "action": "vault:kv", "attempt": 1,
				"output": map[string]any{"path": path, "created": created, "policy": "p", "role": "r", "store": "s"}}}
	}
	for _, ev := range []store.Event{
		step("secret/payments/orders-db/dev/db", true),
		step("secret/payments/orders-db/dev/db", false), // a re-run that found it written
		step("secret/payments/other-db/dev/db", true),
		{Time: time.Now(), ActorID: userJane, Action: "paths.step", Target: "template:new-db", Outcome: "ok", Details: map[string]any{"action": "github:pr"}},
	} {
		if err := e.st.Audit(e.ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	hist := e.reply(userBob, "secret history orders-db db")
	mustContain(t, "the history", hist, "generated by golden path `new-db` (run run-42) for jane (U-jane) → version 1")
	if strings.Count(hist, "golden path") != 1 {
		t.Fatalf("the history shows other writes:\n%s", hist)
	}
	e.reply(userJane, "secret rotate orders-db dev db")
	hist = e.reply(userBob, "secret history orders-db db dev")
	i, j := strings.Index(hist, "regenerated by jane"), strings.Index(hist, "generated by golden path")
	if i < 0 || j < 0 || i > j {
		t.Fatalf("want the regeneration above the golden path's write:\n%s", hist)
	}
	if strings.Contains(hist, "secrets.sealing") {
		t.Fatalf("the history shows the intent events:\n%s", hist)
	}
	if strings.Contains(hist, "Older entries") {
		t.Fatal("a short history says it was cut")
	}

	// The scan is capped; the answer says so.
	defer func(n int) { historyScanLimit = n }(historyScanLimit)
	historyScanLimit = 2
	for k := 0; k < 3; k++ {
		if err := e.st.Audit(e.ctx, step(fmt.Sprintf("secret/billing/x/dev/db%d", k), true)); err != nil {
			t.Fatal(err)
		}
	}
	hist = e.reply(userBob, "secret history orders-db db")
	if strings.Contains(hist, "golden path") || !strings.Contains(hist, "Older entries: `platbot audit`") {
		t.Fatalf("capped history:\n%s", hist)
	}
}

func TestK8sName(t *testing.T) {
	dns := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	cases := []struct {
		service, name, want string
	}{
		{"orders-service", "STRIPE_API_KEY", "orders-service-stripe-api-key"},
		{"Orders_Service", "API_KEY", "orders-service-api-key"},
		{"orders.v2", "db", ""},
		{"orders-v2", "db", "orders-v2-db"},
		{"payments", "a.b-c", ""},
		{"x", "__", ""},
		{strings.Repeat("long-service-name", 5), "SOME_VERY_LONG_SECRET_NAME", ""},
	}
	seen := map[string]string{}
	for _, c := range cases {
		got := k8sName(Target{Service: c.service, Name: c.name})
		if !dns.MatchString(got) || len(got) > 63 {
			t.Errorf("%s/%s: %q is not a DNS-1123 label", c.service, c.name, got)
		}
		if c.want != "" && got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.service, c.name, got, c.want)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("%s/%s and %s give the same name %q", c.service, c.name, prev, got)
		}
		seen[got] = c.service + "/" + c.name
	}

	// The manifests of a service whose catalog name has '.' and upper case.
	s := &Secrets{cfg: DefaultConfig(), kv: &devKV{mount: "secret"}}
	tg := Target{Service: "Orders.V2", Team: "Pay_ments", Env: "dev", Name: "API_KEY", Path: "Pay_ments/Orders.V2/dev/API_KEY"}
	text, err := s.externalSecret(tg, &Change{ID: "012345678901234567890123", Op: OpRotate})
	if err != nil {
		t.Fatal(err)
	}
	es := parseExternalSecret(t, text)
	if !dns.MatchString(es.Metadata.Name) || !dns.MatchString(es.Metadata.Namespace) || es.Spec.Target.Name != es.Metadata.Name ||
		es.Metadata.Annotations["force-sync"] != "012345678901234567890123" || es.Spec.Data[0].RemoteRef.Key != tg.Path {
		t.Fatalf("ExternalSecret:\n%s", text)
	}
}

func TestPublicURLUsedForLinks(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PublicURL = "https://platbot.example.com/"
	e := newEnv(t, envOptions{cfg: &cfg})
	link, said := e.add(userJane, "orders-service", "dev", "URL_KEY", "")
	if !strings.HasPrefix(link, "https://platbot.example.com/seal/") {
		t.Fatalf("link %q: %s", link, said)
	}
	dm := e.msgr.Ops("dm")[0]
	b, _ := json.Marshal(dm.Msg.Blocks)
	if strings.Contains(dm.Text()+string(b), "localhost") {
		t.Fatalf("the DM points at localhost: %s", b)
	}
	mustContain(t, "the DM", dm.Text()+string(b), `"https://platbot.example.com/seal/`,
		"This link is yours: don't forward it — whoever opens it within 15 minutes can set this one secret, once")
}
