package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/slack/slackfake"
)

const testSigningSecret = "test-signing-secret-8f2c"

// servedBot is platbot serve on loopback, talking to a fake Slack Web API.
type servedBot struct {
	t     testing.TB
	url   string
	slack *slackfake.Server
	env   map[string]string
	stop  func()
	n     int
	// app is the served bot's App (its features, store and metrics).
	app *App
}

func startServe(t testing.TB) *servedBot { return startServeWith(t, "") }

// startServeWith serves with a platbot.yaml holding configYAML ("" for none).
func startServeWith(t testing.TB, configYAML string) *servedBot {
	t.Helper()
	return startServeEnv(t, configYAML, nil)
}

// startServeEnv is startServeWith with extra environment variables.
func startServeEnv(t testing.TB, configYAML string, extra map[string]string) *servedBot {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	e := testEnv(t, map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": testSigningSecret,
		"SLACK_API_URL":        fake.APIURL(),
	})
	e["PLATBOT_GITOPS_REPO"] = filepath.Join(t.TempDir(), "gitops")
	for k, v := range extra {
		e[k] = v
	}
	if configYAML != "" {
		p := filepath.Join(t.TempDir(), "platbot.yaml")
		if err := os.WriteFile(p, []byte(configYAML), 0o600); err != nil {
			t.Fatal(err)
		}
		e["PLATBOT_CONFIG"] = p
	}
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := buildApp(ctx, cfg, newLogger(cfg, io.Discard, 0))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	b := &servedBot{t: t, url: "http://" + ln.Addr().String(), slack: fake, env: e, app: app}
	// stop may be called by a test (a restart) and again at cleanup.
	b.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		app.Close()
	})
	t.Cleanup(b.stop)
	b.waitReady()
	return b
}

func (b *servedBot) waitReady() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(b.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatal("serve never became ready")
}

func (b *servedBot) post(path string, body []byte, signed bool) *http.Response {
	b.t.Helper()
	req := slackfake.SignedRequest(testSigningSecret, b.url+path, body, time.Now())
	if !signed {
		req.Header.Set("X-Slack-Signature", "v0=0000000000000000000000000000000000000000000000000000000000000000")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// command sends a signed slash command as Slack does and returns its response URL id.
func (b *servedBot) command(user, text string) string {
	b.t.Helper()
	b.n++
	id := fmt.Sprintf("cmd-%d", b.n)
	form := url.Values{
		"command": {"/plat"}, "text": {text}, "user_id": {user}, "user_name": {user},
		"channel_id": {"C0TEST"}, "team_id": {"T0TEST"},
		"response_url": {b.slack.ResponseURL(id)}, "trigger_id": {fmt.Sprintf("trigger.%d", b.n)},
	}
	resp := b.post("/slack/commands", []byte(form.Encode()), true)
	if resp.StatusCode != 200 {
		b.t.Fatalf("/plat %s: status %d", text, resp.StatusCode)
	}
	return id
}

// reply waits for the answer posted to a command's response URL.
func (b *servedBot) reply(id string) string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range b.slack.Calls() {
			if strings.HasSuffix(c.Path, "/response/"+id) {
				return c.Text() + "\n" + string(c.Raw)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("no reply to %s; calls: %+v", id, b.slack.Calls())
	return ""
}

func TestServeHealthMetricsAndSignatures(t *testing.T) {
	b := startServe(t)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(b.url + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		if p == "/metrics" && !strings.Contains(string(body), "go_goroutines") {
			t.Fatalf("metrics lack Go collectors")
		}
	}
	form := url.Values{"command": {"/plat"}, "text": {"ping"}, "user_id": {"U0PAYALICE"}, "response_url": {b.slack.ResponseURL("forged")}, "trigger_id": {"t.forged"}}
	if resp := b.post("/slack/commands", []byte(form.Encode()), false); resp.StatusCode != 401 {
		t.Fatalf("forged signature: %d", resp.StatusCode)
	}
	id := b.command("U0PAYALICE", "ping")
	if r := b.reply(id); !strings.Contains(r, "pong") {
		t.Fatalf("ping reply: %s", r)
	}
	time.Sleep(100 * time.Millisecond)
	for _, c := range b.slack.Calls() {
		if strings.Contains(c.Path, "forged") {
			t.Fatal("the forged request caused a side effect")
		}
	}
	resp, _ := http.Get(b.url + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `platbot_slack_rejected_total`) || !strings.Contains(string(body), `platbot_commands_total{command="ping",outcome="ok"} 1`) {
		t.Fatalf("metrics do not count the rejection and the command:\n%s", body)
	}
}

// TestServeIdentityByEmail: a Slack user the catalog does not know by id is
// matched by the email Slack's users.info gives.
func TestServeIdentityByEmail(t *testing.T) {
	b := startServe(t)
	b.slack.AddUser(slackfake.User{ID: "U0SAMNEW", Name: "sam", RealName: "Sam Patel", Email: "sam.patel@acme.example"})
	r := b.reply(b.command("U0SAMNEW", "whoami"))
	if !strings.Contains(r, "user:default/sam.patel") || !strings.Contains(r, "group:default/reports") {
		t.Fatalf("whoami did not map the user by email:\n%s", r)
	}
	if len(b.slack.Calls("users.info")) == 0 {
		t.Fatal("users.info was never asked")
	}
}

func TestServeDenialAsTheUserSeesIt(t *testing.T) {
	b := startServe(t)
	r := b.reply(b.command("U0PAYALICE", "catalog reload"))
	for _, want := range []string{"You may not run /plat catalog reload", "admins-only", "Ask the platform admins"} {
		if !strings.Contains(r, want) {
			t.Errorf("denial lacks %q:\n%s", want, r)
		}
	}
}

// fillView answers every input block of a views.open payload with values
// by block id, building view.state.values as Slack does.
func fillView(t testing.TB, view map[string]any, values map[string][]string) map[string]any {
	t.Helper()
	state := map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, bl := range blocks {
		blk, _ := bl.(map[string]any)
		if blk["type"] != "input" {
			continue
		}
		id, _ := blk["block_id"].(string)
		el, _ := blk["element"].(map[string]any)
		action, _ := el["action_id"].(string)
		vals, ok := values[id]
		if !ok {
			continue
		}
		var v map[string]any
		switch el["type"] {
		case "static_select":
			v = map[string]any{"type": "static_select", "selected_option": map[string]any{"value": vals[0]}}
		case "multi_static_select", "checkboxes":
			var opts []any
			for _, x := range vals {
				opts = append(opts, map[string]any{"value": x})
			}
			v = map[string]any{"type": el["type"], "selected_options": opts}
		default:
			v = map[string]any{"type": el["type"], "value": vals[0]}
		}
		state[id] = map[string]any{action: v}
	}
	return map[string]any{"values": state}
}

func (b *servedBot) waitCall(method string, n int) []slackfake.Call {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	calls, err := b.slack.Wait(ctx, n, method)
	if err != nil {
		b.t.Fatalf("waiting for %d %s: %v (calls so far: %d)", n, method, err, len(b.slack.Calls(method)))
	}
	return calls
}

// submitModal sends /plat text as user, waits for the modal it opens and
// submits it filled with values as a signed view_submission (view id
// viewID), failing the test unless the submission is accepted.
func (b *servedBot) submitModal(user, text, viewID string, values map[string][]string) {
	b.t.Helper()
	b.command(user, text)
	open := b.waitCall("views.open", 1)[0]
	var view map[string]any
	if err := json.Unmarshal([]byte(open.Param("view")), &view); err != nil {
		b.t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user},
		"view": map[string]any{"id": viewID, "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
			"state": fillView(b.t, view, values)},
	})
	if resp := b.post("/slack/interactions", []byte(url.Values{"payload": {string(raw)}}.Encode()), true); resp.StatusCode != 200 {
		b.t.Fatalf("submit: %d", resp.StatusCode)
	}
}

// TestServeNewDBEndToEnd drives the headline golden path the way Slack
// does: signed slash commands, the views.open modal, a view_submission
// (delivered twice, as a double click would), and the progress message,
// ending in one branch with one commit in the GitOps repository.
func TestServeNewDBEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startServe(t)
	// An admin approves the template first: governance.
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-db")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "new-db")
	open := b.waitCall("views.open", 1)[0]
	if open.Param("trigger_id") == "" {
		t.Fatal("views.open without the trigger id")
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(open.Param("view")), &view); err != nil {
		t.Fatalf("views.open view: %v", err)
	}
	if view["type"] != "modal" || !strings.Contains(open.Param("view"), `"block_id":"name"`) {
		t.Fatalf("modal lacks the name field: %s", open.Param("view"))
	}
	submit := func(values map[string][]string) *http.Response {
		payload := map[string]any{
			"type": "view_submission", "team": map[string]any{"id": "T0TEST"},
			"user": map[string]any{"id": "U0PAYALICE", "name": "alice"},
			"view": map[string]any{
				"id": "V0NEWDB", "type": "modal", "callback_id": view["callback_id"], "hash": "h1",
				"private_metadata": view["private_metadata"], "state": fillView(t, view, values),
			},
		}
		raw, _ := json.Marshal(payload)
		return b.post("/slack/interactions", []byte(url.Values{"payload": {string(raw)}}.Encode()), true)
	}
	// A bad name comes back as a field error on the modal.
	bad := map[string][]string{"name": {"Bad Name!"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"20"}, "environments": {"dev"}}
	raw, _ := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "U0PAYALICE"},
		"view": map[string]any{"id": "V0BAD", "callback_id": view["callback_id"], "private_metadata": view["private_metadata"], "state": fillView(t, view, bad)},
	})
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSigningSecret, b.url+"/slack/interactions", []byte(url.Values{"payload": {string(raw)}}.Encode()), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	errBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(errBody), `"response_action":"errors"`) || !strings.Contains(string(errBody), `"name"`) {
		t.Fatalf("bad name not shown on the field: %s", errBody)
	}

	good := map[string][]string{"name": {"orders-db"}, "owner": {"group:default/payments"}, "size": {"medium"}, "storageGB": {"50"}, "environments": {"dev", "prod"}}
	for i := 0; i < 2; i++ { // a double submission
		if r := submit(good); r.StatusCode != 200 {
			t.Fatalf("submission %d: %d", i, r.StatusCode)
		}
	}
	// Progress is one message updated in place until the run succeeds.
	deadline := time.Now().Add(30 * time.Second)
	var final string
	for time.Now().Before(deadline) && final == "" {
		for _, c := range b.slack.Calls("chat.update") {
			if strings.Contains(c.Param("blocks")+c.Text(), "ready for review") {
				final = c.Param("blocks")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if final == "" {
		t.Fatalf("run never finished; posts: %d updates: %d", len(b.slack.Calls("chat.postMessage")), len(b.slack.Calls("chat.update")))
	}
	posts := 0
	for _, c := range b.slack.Calls("chat.postMessage") {
		if strings.Contains(c.Param("blocks")+c.Text(), "orders-db") {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("progress messages posted = %d, want 1 (double submission ran twice?)", posts)
	}
	out, err := exec.Command("git", "-C", b.env["PLATBOT_GITOPS_REPO"], "branch", "--list", "plat/*").Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(string(out))); n != 1 {
		t.Fatalf("branches: %q, want exactly one", out)
	}
	files, err := exec.Command("git", "-C", b.env["PLATBOT_GITOPS_REPO"], "show", "--name-only", "--format=", strings.TrimSpace(string(out))).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dev/postgres-instance.yaml", "prod/external-secret.yaml", "migrations/0001_init.sql", "catalog-info.yaml"} {
		if !strings.Contains(string(files), want) {
			t.Errorf("the commit lacks %s:\n%s", want, files)
		}
	}
	// The generated password never reached Slack: no call carries anything
	// that looks like a credential field.
	for _, c := range b.slack.Calls() {
		if strings.Contains(string(c.Raw), "password\":\"") {
			t.Fatalf("a Slack call carries a password field: %s %s", c.Method, c.Raw)
		}
	}
	if _, err := os.Stat(b.env["PLATBOT_DB"]); err != nil {
		t.Fatal(err)
	}
}

// TestServeGitHubWebhookSignature: POST /github/webhook is part of the
// contract; a forged X-Hub-Signature-256 is refused before anything else.
func TestServeGitHubWebhookSignature(t *testing.T) {
	b := startServeWith(t, "github:\n  webhook_secret: hook-secret-1\n")
	body := []byte(`{"action":"opened","number":1,"pull_request":{"head":{"sha":"abc"}},"repository":{"full_name":"acme/catalog"}}`)
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, b.url+"/github/webhook", strings.NewReader(string(body)))
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "d-1")
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("sha256=" + strings.Repeat("0", 64)); code != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d, want 401", code)
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Fatalf("missing signature: %d, want 401", code)
	}
	mac := hmac.New(sha256.New, []byte("hook-secret-1"))
	mac.Write(body)
	if code := post("sha256=" + hex.EncodeToString(mac.Sum(nil))); code == http.StatusUnauthorized {
		t.Fatalf("a correctly signed delivery was refused")
	}
}
