package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/vault"
)

// parseExternalSecret reads an ExternalSecret the way Kubernetes tooling
// would, refusing fields platbot does not write.
func parseExternalSecret(t *testing.T, text string) externalSecret {
	t.Helper()
	var es externalSecret
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&es); err != nil {
		t.Fatalf("the ExternalSecret is not valid YAML of the expected shape: %v\n%s", err, text)
	}
	return es
}

// canary returns a value that must never show up outside the KV store.
func canary(t *testing.T) string {
	return fmt.Sprintf("CANARY-%s-%d-ÿ", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

func assertNowhere(t *testing.T, e *env, values ...string) {
	t.Helper()
	all := e.everything()
	for _, v := range values {
		if strings.Contains(all, v) {
			t.Fatalf("the value %q leaked into logs, the database, the audit log, Slack or the GitOps repository", v)
		}
		if b64 := base64.StdEncoding.EncodeToString([]byte(v)); strings.Contains(all, b64) {
			t.Fatalf("the value %q leaked base64-encoded", v)
		}
	}
}

// addAndSeal runs the whole add flow with the page's encryption done in Go.
func addAndSeal(t *testing.T, e *env, user, service, envName, name, value string) (token string) {
	t.Helper()
	link, said := e.add(user, service, envName, name, "Stripe key for refunds")
	if link == "" {
		t.Fatalf("no link sent: %s", said)
	}
	token = tokenOf(link)
	code, out := e.post(token, e.encrypt(mustID(t, token), value))
	if code != http.StatusOK {
		t.Fatalf("seal: %d %v", code, out)
	}
	return token
}

func mustID(t *testing.T, token string) string {
	t.Helper()
	id, ok := parseToken(token)
	if !ok {
		t.Fatalf("malformed token %q", token)
	}
	return id
}

func testAddFlow(t *testing.T, e *env) {
	value := canary(t)
	link, said := e.add(userJane, "component:default/orders-service", "dev", "STRIPE_API_KEY", "Stripe key for refunds")
	mustContain(t, "the reply and DM", said, "I sent you a DM", "one-time link", "STRIPE_API_KEY", "orders-service", "http://localhost:8080/seal/")
	if e.kv.DevelopmentOnly() {
		mustContain(t, "the dev reply", said, DevLabel)
	}
	dms := e.msgr.Ops("dm")
	if len(dms) != 1 || dms[0].User != userJane {
		t.Fatalf("want one DM to jane, got %+v", dms)
	}
	token := tokenOf(link)
	if len(token) != 24+1+43 {
		t.Fatalf("token %q is not 96+256 random bits", token)
	}
	// Only the hash of the token is stored.
	rec, ch := e.change(token)
	if strings.Contains(string(rec.Data), token[25:]) || ch.TokenHash != tokenHash(ch, token) || ch.Requester.ID != userJane || rec.State != StatePending {
		t.Fatalf("change record holds the token or a wrong hash: %s", rec.Data)
	}
	if got := ch.Expires.Sub(rec.Created); got < 14*time.Minute || got > 16*time.Minute {
		t.Fatalf("link expires after %s, want 15m", got)
	}

	code, page := e.do(http.MethodGet, "/seal/"+token, "", nil)
	if code != http.StatusOK {
		t.Fatalf("page: %d %s", code, page["_body"])
	}
	body := page["_body"].(string)
	mustContain(t, "the page", body, "jane (U-jane)", "orders-service", "STRIPE_API_KEY", "dev", `data-binding="`+ch.ID+`"`, "/seal/static/seal.js")
	if strings.Contains(body, "<script>") || strings.Contains(body, "onclick") || strings.Contains(body, "onsubmit") {
		t.Fatal("the page has inline script")
	}
	if page["_Cache-Control"] != "no-store" || page["_X-Content-Type-Options"] != "nosniff" || page["_Referrer-Policy"] != "no-referrer" {
		t.Fatalf("headers: %v", page)
	}
	mustContain(t, "the CSP", page["_Content-Security-Policy"].(string), "default-src 'none'", "script-src 'self'", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'")

	code, out := e.post(token, e.encrypt(ch.ID, value))
	if code != http.StatusOK || out["ok"] != true {
		t.Fatalf("seal: %d %v", code, out)
	}
	mustContain(t, "the sealed answer", out["message"].(string), "version 1")
	if got, v := e.value("payments/orders-service/dev/STRIPE_API_KEY"); got != value || v != 1 {
		t.Fatalf("stored %q v%d, want the value at v1", got, v)
	}
	if rec, _ := e.change(token); rec.State != StateSealed {
		t.Fatalf("change state %s, want sealed", rec.State)
	}

	// The pull request: the ExternalSecret, and the env entry added to the
	// Deployment with its comments kept.
	e.drain()
	_, ch = e.change(token)
	if ch.PullRequest == nil {
		t.Fatalf("no pull request recorded: %+v", ch)
	}
	branch := ch.PullRequest.Branch
	dep := e.git("show", branch+":apps/orders-service/dev/deployment.yaml")
	want := strings.Replace(deploymentYAML, "              value: debug\n", "              value: debug\n"+
		"            - name: STRIPE_API_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: orders-service-stripe-api-key\n                  key: STRIPE_API_KEY\n", 1)
	if dep != want {
		t.Fatalf("deployment in the PR:\n%s\nwant:\n%s", dep, want)
	}
	es := e.git("show", branch+":apps/orders-service/dev/externalsecret-orders-service-stripe-api-key.yaml")
	mustContain(t, "the ExternalSecret", es, "# Managed by platbot", "The value itself is never in this repository.")
	got := parseExternalSecret(t, es)
	if got.APIVersion != "external-secrets.io/v1" || got.Kind != "ExternalSecret" || got.Metadata.Name != "orders-service-stripe-api-key" ||
		got.Metadata.Namespace != "payments-dev" || got.Spec.SecretStoreRef != (esStoreRef{Kind: "ClusterSecretStore", Name: "vault"}) ||
		got.Spec.Target.Name != "orders-service-stripe-api-key" || len(got.Spec.Data) != 1 ||
		got.Spec.Data[0] != (esSecretData{SecretKey: "STRIPE_API_KEY", RemoteRef: esRemoteRef{Key: "payments/orders-service/dev/STRIPE_API_KEY", Property: "value"}}) ||
		len(got.Metadata.Annotations) != 0 {
		t.Fatalf("the ExternalSecret:\n%s", es)
	}
	done := e.msgr.Ops("dm")
	mustContain(t, "the final DM", done[len(done)-1].Text(), "STRIPE_API_KEY", "version 1", "Pull request #")

	list := e.reply(userBob, "secret list orders-service")
	mustContain(t, "the list", list, "STRIPE_API_KEY", "`dev`", "v1", "by jane (U-jane)", "Stripe key for refunds")
	var rotate *bot.Button
	for _, b := range e.msgr.Last().Msg.Blocks {
		if s, ok := b.(bot.Section); ok && s.Accessory != nil {
			rotate = s.Accessory
		}
	}
	if rotate == nil || rotate.ActionID != "secrets:rotate" {
		t.Fatalf("no Rotate button: %+v", e.msgr.Last().Msg.Blocks)
	}
	hist := e.reply(userBob, "secret history orders-service STRIPE_API_KEY")
	mustContain(t, "the history", hist, "one-time link (add) sent to jane (U-jane)", "value sealed through the link of jane (U-jane) → version 1", "pull request file://")

	// Rotation: a fresh link from the button, a new version, and a PR that
	// bumps the checksum annotation and the ExternalSecret's force-sync.
	n := len(e.msgr.Sent())
	if err := e.router.Act(e.ctx, e.request(userJane, ""), bot.Action{ID: rotate.ActionID, Value: rotate.Value}); err != nil {
		t.Fatal(err)
	}
	rlink := linkIn(e.since(n))
	if rlink == "" {
		t.Fatalf("rotate sent no link: %s", e.since(n))
	}
	rtoken := tokenOf(rlink)
	newValue := canary(t) + "-rotated"
	if code, out := e.post(rtoken, e.encrypt(mustID(t, rtoken), newValue)); code != http.StatusOK {
		t.Fatalf("rotate seal: %d %v", code, out)
	}
	if got, v := e.value("payments/orders-service/dev/STRIPE_API_KEY"); got != newValue || v != 2 {
		t.Fatalf("after rotation: %q v%d", got, v)
	}
	e.drain()
	_, rch := e.change(rtoken)
	if rch.PullRequest == nil {
		t.Fatal("no rotation pull request")
	}
	dep = e.git("show", rch.PullRequest.Branch+":apps/orders-service/dev/deployment.yaml")
	mustContain(t, "the rotated deployment", dep, `platbot.io/secrets-checksum: "`+checksum(rch.Target, 2)+`"`)
	es = e.git("show", rch.PullRequest.Branch+":apps/orders-service/dev/externalsecret-orders-service-stripe-api-key.yaml")
	if got := parseExternalSecret(t, es); got.Metadata.Annotations["force-sync"] != rch.ID {
		t.Fatalf("the rotated ExternalSecret has no force-sync %s:\n%s", rch.ID, es)
	}
	list = e.reply(userBob, "secret list orders-service")
	mustContain(t, "the list after rotation", list, "v2", "by jane (U-jane)")
	hist = e.reply(userBob, "secret history orders-service STRIPE_API_KEY dev")
	mustContain(t, "the history after rotation", hist, "one-time link (rotate)", "→ version 2")

	assertNowhere(t, e, value, newValue)
}

func TestAddAndRotateDevelopment(t *testing.T) {
	testAddFlow(t, newEnv(t, envOptions{}))
}

func TestAddAndRotateRealVault(t *testing.T) {
	v := realVault(t)
	e := newEnv(t, envOptions{vault: v})
	testAddFlow(t, e)
	// The transit key was created as an RSA-4096 key.
	k, err := e.vc.ReadTransitKey(e.ctx, "transit", e.sec.cfg.TransitKey)
	if err != nil || k.Type != vault.TransitKeyType {
		t.Fatalf("transit key: %+v %v", k, err)
	}
}

func TestRefusals(t *testing.T) {
	clk := bottest.NewClock(time.Now())
	e := newEnv(t, envOptions{now: clk.Now})
	const path = "payments/orders-service/dev/API_TOKEN"
	nothingWritten := func(t *testing.T, p string) {
		t.Helper()
		if _, err := e.kv.Info(e.ctx, p); err == nil {
			t.Fatalf("%s was written", p)
		}
	}

	t.Run("reuse", func(t *testing.T) {
		v := canary(t)
		token := addAndSeal(t, e, userJane, "orders-service", "dev", "REUSED", v)
		code, out := e.post(token, e.encrypt(mustID(t, token), "second "+v))
		if code != http.StatusGone || !strings.Contains(out["title"].(string), "already used") {
			t.Fatalf("reuse: %d %v", code, out)
		}
		if got, ver := e.value("payments/orders-service/dev/REUSED"); got != v || ver != 1 {
			t.Fatalf("reuse changed the value: v%d", ver)
		}
		code, page := e.do(http.MethodGet, "/seal/"+token, "", nil)
		if code != http.StatusGone || !strings.Contains(page["_body"].(string), "already used") || strings.Contains(page["_body"].(string), "goroutine") {
			t.Fatalf("used page: %d %s", code, page["_body"])
		}
	})

	t.Run("expired", func(t *testing.T) {
		link, _ := e.add(userJane, "orders-service", "dev", "API_TOKEN", "")
		token := tokenOf(link)
		ct := e.encrypt(mustID(t, token), canary(t))
		clk.Advance(16 * time.Minute)
		defer clk.Advance(-16 * time.Minute)
		code, page := e.do(http.MethodGet, "/seal/"+token, "", nil)
		if code != http.StatusGone || !strings.Contains(page["_body"].(string), "expired") {
			t.Fatalf("expired page: %d %s", code, page["_body"])
		}
		code, out := e.post(token, ct)
		if code != http.StatusGone || !strings.Contains(out["title"].(string), "expired") {
			t.Fatalf("expired post: %d %v", code, out)
		}
		nothingWritten(t, path)
	})

	t.Run("another user's token", func(t *testing.T) {
		// Two real requests: jane's for her secret, bob's for his.
		jlink, _ := e.add(userJane, "orders-service", "dev", "JANE_KEY", "")
		blink, _ := e.add(userBob, "billing-service", "dev", "BOB_KEY", "")
		jt, bt := tokenOf(jlink), tokenOf(blink)
		if jt == "" || bt == "" {
			t.Fatal("no links")
		}
		janePath, bobPath := "payments/orders-service/dev/JANE_KEY", "billing/billing-service/dev/BOB_KEY"

		// Bob's secret half with jane's change id: not a link of anyone's.
		forged := mustID(t, jt) + "." + strings.SplitN(bt, ".", 2)[1]
		code, out := e.post(forged, e.encrypt(mustID(t, jt), "bob's value for jane"))
		if code != http.StatusNotFound || !strings.Contains(out["title"].(string), "not valid") {
			t.Fatalf("bob's token on jane's change: %d %v", code, out)
		}
		code, page := e.do(http.MethodGet, "/seal/"+forged, "", nil)
		if code != http.StatusNotFound || strings.Contains(page["_body"].(string), "orders-service") || strings.Contains(page["_body"].(string), "JANE_KEY") {
			t.Fatalf("forged page: %d, it must not describe jane's request: %s", code, page["_body"])
		}
		// Bob's token with a value encrypted on jane's page: refused.
		code, out = e.post(bt, e.encrypt(mustID(t, jt), "jane's value"))
		if code != http.StatusBadRequest || !strings.Contains(out["message"].(string), "another link") {
			t.Fatalf("cross-link ciphertext: %d %v", code, out)
		}
		// The page cannot name the target: a submission has the ciphertext only.
		body := fmt.Sprintf(`{"ciphertext":%q,"path":%q}`, e.encrypt(mustID(t, bt), "x"), janePath)
		if code, out := e.do(http.MethodPost, "/seal/"+bt, "application/json", []byte(body)); code != http.StatusBadRequest {
			t.Fatalf("a submission naming a path: %d %v", code, out)
		}
		nothingWritten(t, janePath)
		nothingWritten(t, bobPath)

		// Bob's link seals bob's secret, and only it.
		bv := canary(t)
		if code, out := e.post(bt, e.encrypt(mustID(t, bt), bv)); code != http.StatusOK {
			t.Fatalf("bob's own seal: %d %v", code, out)
		}
		if got, v := e.value(bobPath); got != bv || v != 1 {
			t.Fatalf("bob's secret: %q v%d", got, v)
		}
		nothingWritten(t, janePath)
		// Jane's link is untouched by all of that.
		jv := canary(t) + "-jane"
		if code, out := e.post(jt, e.encrypt(mustID(t, jt), jv)); code != http.StatusOK {
			t.Fatalf("jane's own seal: %d %v", code, out)
		}
		if got, _ := e.value(janePath); got != jv {
			t.Fatal("jane's secret was not sealed through her link")
		}

		// The target is fixed when the link is issued: re-pointing a
		// pending change at another secret (even in the database) breaks
		// its link.
		blink2, _ := e.add(userBob, "billing-service", "dev", "BOB_OTHER", "")
		bt2 := tokenOf(blink2)
		rec, ch := e.change(bt2)
		ch.Target.Path, ch.Target.Team, ch.Target.Service, ch.Target.Name = "payments/orders-service/dev/HIJACKED", "payments", "orders-service", "HIJACKED"
		rec.Data, _ = json.Marshal(ch)
		if _, err := e.st.UpdateRecord(e.ctx, *rec); err != nil {
			t.Fatal(err)
		}
		if code, out := e.post(bt2, e.encrypt(mustID(t, bt2), "x")); code != http.StatusNotFound {
			t.Fatalf("a re-pointed change accepted its link: %d %v", code, out)
		}
		nothingWritten(t, "payments/orders-service/dev/HIJACKED")
		if len(e.audit("secrets.refused")) == 0 {
			t.Fatal("refusals of real links are not audited")
		}
	})

	t.Run("tampered ciphertext", func(t *testing.T) {
		link, _ := e.add(userJane, "orders-service", "dev", "TAMPERED", "")
		token := tokenOf(link)
		ct := e.encrypt(mustID(t, token), canary(t))
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(ct, "vault:v1:"))
		raw[20] ^= 0x01
		bad := "vault:v1:" + base64.StdEncoding.EncodeToString(raw)
		for i := 1; i <= maxAttempts; i++ {
			code, out := e.post(token, bad)
			if code != http.StatusBadRequest || !strings.Contains(out["title"].(string), "could not be decrypted") {
				t.Fatalf("attempt %d: %d %v", i, code, out)
			}
		}
		// The link is closed after too many: even the right ciphertext is refused.
		if code, out := e.post(token, ct); code != http.StatusGone {
			t.Fatalf("after %d bad attempts: %d %v", maxAttempts, code, out)
		}
		for _, junk := range []string{"", "hello", "vault:v1:***", strings.Repeat("A", 5000)} {
			link, _ := e.add(userJane, "orders-service", "dev", "JUNK", "")
			if code, _ := e.post(tokenOf(link), junk); code != http.StatusBadRequest {
				t.Fatalf("junk %.20q: %d", junk, code)
			}
		}
		nothingWritten(t, "payments/orders-service/dev/TAMPERED")
		nothingWritten(t, "payments/orders-service/dev/JUNK")
	})

	t.Run("invalid name", func(t *testing.T) {
		n := len(e.msgr.Ops("dm"))
		for _, name := range []string{"api_key", "1KEY", "API-KEY", "A" + strings.Repeat("B", 64), "../etc"} {
			link, said := e.add(userJane, "orders-service", "dev", name, "")
			if link != "" || !strings.Contains(said, "name") {
				t.Fatalf("name %q: link %q, said %s", name, link, said)
			}
		}
		if len(e.msgr.Ops("dm")) != n {
			t.Fatal("a link was sent for an invalid name")
		}
		got := e.reply(userJane, "secret rotate orders-service dev ../../x")
		mustContain(t, "rotate of a bad name", got, "not a secret name")
	})

	t.Run("another team's service", func(t *testing.T) {
		n := len(e.msgr.Ops("dm"))
		got := e.reply(userJane, "secret add billing-service")
		mustContain(t, "add for another team", got, "🚫", "scaffold-only-for-own-team")
		link, said := e.add(userJane, "component:default/billing-service", "dev", "STOLEN", "")
		if link != "" || !strings.Contains(said, "not one of the choices") {
			t.Fatalf("form with another team's service: %q %s", link, said)
		}
		got = e.reply(userJane, "secret rotate billing-service dev BOB_KEY")
		mustContain(t, "rotate for another team", got, "🚫")
		if len(e.msgr.Ops("dm")) != n {
			t.Fatal("a link was sent for another team's service")
		}
		nothingWritten(t, "billing/billing-service/dev/STOLEN")
		// The policy decision is audited.
		denied := false
		for _, ev := range e.audit("policy") {
			denied = denied || ev.Decision == "deny" && ev.Target == "component:default/billing-service"
		}
		if !denied {
			t.Fatal("the denial is not in the audit log")
		}
	})

	t.Run("already exists", func(t *testing.T) {
		addAndSeal(t, e, userJane, "orders-service", "dev", "EXISTS", canary(t))
		_, said := e.add(userJane, "orders-service", "dev", "EXISTS", "")
		mustContain(t, "add of an existing secret", said, "already exists", "Rotate")
	})

	t.Run("http", func(t *testing.T) {
		link, _ := e.add(userJane, "orders-service", "dev", "HTTP_CHECKS", "")
		token := tokenOf(link)
		for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if code, out := e.do(m, "/seal/"+token, "application/json", []byte(`{}`)); code != http.StatusMethodNotAllowed || out["_Cache-Control"] != "no-store" {
				t.Fatalf("%s: %d", m, code)
			}
		}
		if code, _ := e.do(http.MethodPost, "/seal/"+token, "application/x-www-form-urlencoded", []byte("value=plain")); code != http.StatusUnsupportedMediaType {
			t.Fatalf("form post: %d", code)
		}
		if code, _ := e.do(http.MethodPost, "/seal/"+token, "application/json", []byte(`{"ciphertext":"`+strings.Repeat("A", 20000)+`"}`)); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("big body: %d", code)
		}
		if code, _ := e.do(http.MethodPost, "/seal/"+token, "application/json", []byte(`{"value":"plain"}`)); code != http.StatusBadRequest {
			t.Fatalf("unknown field: %d", code)
		}
		if code, _ := e.do(http.MethodPost, "/seal/static/seal.js", "application/json", nil); code != http.StatusMethodNotAllowed {
			t.Fatalf("post to static: %d", code)
		}
		code, js := e.do(http.MethodGet, "/seal/static/seal.js", "", nil)
		if code != http.StatusOK || !strings.Contains(js["_body"].(string), "RSA-OAEP") {
			t.Fatalf("seal.js: %d", code)
		}
		if code, _ := e.do(http.MethodGet, "/seal/not-a-token", "", nil); code != http.StatusNotFound {
			t.Fatalf("junk token: %d", code)
		}
		// The link still works after all that.
		if code, out := e.post(token, e.encrypt(mustID(t, token), "ok")); code != http.StatusOK {
			t.Fatalf("seal after refusals: %d %v", code, out)
		}
	})
}

func TestRotationRace(t *testing.T) {
	e := newEnv(t, envOptions{})
	addAndSeal(t, e, userJane, "orders-service", "dev", "RACE", "one")
	first := tokenOf(linkIn(e.reply(userJane, "secret rotate orders-service dev RACE") + e.msgr.Ops("dm")[len(e.msgr.Ops("dm"))-1].Text()))
	second := tokenOf(linkIn(e.reply(userAda, "secret rotate orders-service dev RACE") + e.msgr.Ops("dm")[len(e.msgr.Ops("dm"))-1].Text()))
	if code, out := e.post(second, e.encrypt(mustID(t, second), "two")); code != http.StatusOK {
		t.Fatalf("second rotation: %d %v", code, out)
	}
	code, out := e.post(first, e.encrypt(mustID(t, first), "stale"))
	if code != http.StatusConflict || !strings.Contains(out["title"].(string), "changed after") {
		t.Fatalf("stale rotation: %d %v", code, out)
	}
	if got, v := e.value("payments/orders-service/dev/RACE"); got != "two" || v != 2 {
		t.Fatalf("value %q v%d", got, v)
	}
}

func TestEnvAlreadyDefinedAndNoDeployment(t *testing.T) {
	dep := strings.Replace(deploymentYAML, "value: debug\n", "value: debug\n            - name: API_KEY\n              value: hard-coded\n", 1)
	e := newEnv(t, envOptions{seedRepo: map[string]string{"apps/orders-service/dev/deployment.yaml": dep}})
	tok := addAndSeal(t, e, userJane, "orders-service", "dev", "API_KEY", "v")
	e.drain()
	_, ch := e.change(tok)
	if ch.PullRequest == nil {
		t.Fatal("no pull request")
	}
	files := e.git("diff", "--name-only", "main", ch.PullRequest.Branch)
	if strings.Contains(files, "deployment.yaml") || !strings.Contains(files, "externalsecret-") {
		t.Fatalf("PR files: %s", files)
	}
	mustContain(t, "the notes", strings.Join(ch.Notes, "\n"), "already defines API_KEY", "left it unchanged")
	mustContain(t, "the DM", e.msgr.Ops("dm")[len(e.msgr.Ops("dm"))-1].Text(), "already defines API_KEY")

	// No Deployment for refunds: the PR has the ExternalSecret and says what to add.
	tok = addAndSeal(t, e, userJane, "refunds", "prod", "REFUNDS_KEY", "v")
	e.drain()
	_, ch = e.change(tok)
	mustContain(t, "the notes", strings.Join(ch.Notes, "\n"), "No Deployment manifest at `apps/refunds/prod/deployment.yaml`", "secretKeyRef")
}

func TestRegenerateGenerated(t *testing.T) {
	e := newEnv(t, envOptions{})
	// What the new-db golden path leaves: generated credentials, owned by its run.
	ds, err := devsecrets.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	const oldPW = "old-generated-password-0123456789"
	if _, err := ds.WriteOnce(e.ctx, "secret/payments/orders-db/dev/db", map[string]string{"username": "orders_db_app", "password": oldPW}, "run-42/credentials-dev"); err != nil {
		t.Fatal(err)
	}
	list := e.reply(userJane, "secret list orders-db")
	mustContain(t, "the list", list, "*db*", "v1", "golden path run run-42/credentials-dev", "generated")
	n := len(e.msgr.Ops("dm"))
	got := e.reply(userJane, "secret rotate orders-db dev db")
	mustContain(t, "the regeneration", got, "Generated a new password", "version 2", DevLabel)
	if len(e.msgr.Ops("dm")) != n {
		t.Fatal("regeneration sent a link")
	}
	val, v := e.value("payments/orders-db/dev/db")
	if v != 2 || !strings.Contains(val, `"username":"orders_db_app"`) || strings.Contains(val, oldPW) {
		t.Fatalf("after regeneration: v%d", v)
	}
	e.drain()
	recs := e.audit("secrets.pr")
	if len(recs) != 1 {
		t.Fatalf("%d PR events", len(recs))
	}
	branch := recs[0].Details["branch"].(string)
	dep := e.git("show", branch+":apps/orders-service/dev/deployment.yaml")
	mustContain(t, "the dependent's deployment", dep, "platbot.io/secrets-checksum")
	onlyNew := strings.Replace(dep, "\n      annotations:\n        platbot.io/secrets-checksum: \""+checksum(Target{Path: "payments/orders-db/dev/db"}, 2)+"\"", "", 1)
	if onlyNew != deploymentYAML {
		t.Fatalf("the checksum bump changed more than the annotation:\n%s", dep)
	}
	// Bob (billing) may not regenerate payments' database password.
	mustContain(t, "bob's rotation", e.reply(userBob, "secret rotate orders-db dev db"), "🚫")
	newPW := strings.Split(strings.Split(val, `"password":"`)[1], `"`)[0]
	assertNowhere(t, e, oldPW, newPW)
}

func TestRegenerateRealVault(t *testing.T) {
	e := newEnv(t, envOptions{vault: realVault(t)})
	if _, err := e.vc.WriteKVOnce(e.ctx, e.mount, "payments/orders-db/prod/db", map[string]any{"username": "orders_db_app", "password": "first"}, "run-7/credentials-prod"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the list", e.reply(userJane, "secret list orders-db"), "*db*", "`prod`", "generated")
	mustContain(t, "the regeneration", e.reply(userJane, "secret rotate orders-db prod db"), "version 2")
	data, md, err := e.vc.ReadKV(e.ctx, e.mount, "payments/orders-db/prod/db")
	if err != nil || data["username"] != "orders_db_app" || data["password"] == "first" || len(data["password"].(string)) != 32 || md[vault.MarkerKey] != "run-7/credentials-prod" {
		t.Fatalf("after regeneration: %v", err)
	}
	assertNowhere(t, e, data["password"].(string))
}

func TestConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://localhost:8080" || c.TokenTTL != 15*time.Minute || !c.ChecksumAnnotation || c.KVMount != "secret" {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []Config{
		{PublicURL: "http://platbot.example.com"},
		{PublicURL: "ftp://x"},
		{Environments: []string{"Prod!"}},
		{TokenTTL: 48 * time.Hour},
		{DeploymentPath: "apps/deploy.yaml"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
