package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/slack/slackfake"
)

// lockedBuffer collects what serve writes to stderr from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr is a loopback address with a port nobody listens on now.
// freeAddrs returns n distinct loopback addresses that were free a moment
// ago: every listener is held until all are chosen, so two calls cannot
// hand out the same port.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeMetricsAddrAndWorkspace runs `platbot serve` as it is started
// in production, with PLATBOT_METRICS_ADDR and SLACK_TEAM_ID: metrics and
// probes answer on the metrics address, the main address keeps the probes
// but not /metrics, what follows /plat never becomes a metric label, and a
// slash command from another workspace is refused.
func TestServeMetricsAddrAndWorkspace(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	addrs := freeAddrs(t, 2)
	addr, metricsAddr := addrs[0], addrs[1]
	e := testEnv(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_API_URL": fake.APIURL(),
		"PLATBOT_ADDR": addr, "PLATBOT_METRICS_ADDR": metricsAddr, "SLACK_TEAM_ID": "T0TEST",
		"PLATBOT_GITOPS_REPO": t.TempDir() + "/gitops",
		// The examples stand in for the catalog and the other sources.
		"PLATBOT_DEMO": "1",
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	stderr := &lockedBuffer{}
	go func() { done <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, stderr, env(e)) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr)
		}
	})
	b := &servedBot{t: t, url: "http://" + addr, slack: fake, env: e}
	b.waitReady()

	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if code, _ := get(t, "http://"+metricsAddr+p); code != http.StatusOK {
			t.Fatalf("metrics address %s: %d", p, code)
		}
	}
	if code, _ := get(t, b.url+"/healthz"); code != http.StatusOK {
		t.Fatalf("main address /healthz: %d", code)
	}
	if code, _ := get(t, b.url+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("main address /metrics: %d, want 404 when PLATBOT_METRICS_ADDR is set", code)
	}

	const canary = "ghp_CANARY7c1e0b9d2a"
	if r := b.reply(b.command("U0PAYALICE", canary+" hunter2")); !strings.Contains(r, "I don't know") {
		t.Fatalf("reply to the pasted secret: %s", r)
	}
	b.reply(b.command("U0PAYALICE", "pnig"))
	b.reply(b.command("U0PAYALICE", "ping"))

	// Another workspace: an ephemeral refusal, nothing run.
	form := url.Values{"command": {"/plat"}, "text": {"ping"}, "user_id": {"U0MALLORY"}, "team_id": {"T0ELSEWHERE"},
		"response_url": {fake.ResponseURL("elsewhere")}, "trigger_id": {"t.elsewhere"}}
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSigningSecret, b.url+"/slack/commands", []byte(form.Encode()), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || answer["response_type"] != "ephemeral" || !strings.Contains(answer["text"], "another Slack workspace") {
		t.Fatalf("command from another workspace: %d %v", resp.StatusCode, answer)
	}

	_, metrics := get(t, "http://"+metricsAddr+"/metrics")
	for _, leak := range []string{"CANARY", "hunter2", "pnig"} {
		if strings.Contains(metrics, leak) {
			t.Fatalf("/metrics carries %q", leak)
		}
	}
	for _, want := range []string{
		`platbot_commands_total{command="unknown",outcome="unknown"} 2`,
		`platbot_commands_total{command="ping",outcome="ok"} 1`,
		`platbot_slack_rejected_total{reason="other_team"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	for _, c := range fake.Calls() {
		if strings.Contains(c.Path, "elsewhere") {
			t.Fatal("the other workspace's command was run")
		}
	}
}

// TestServeConfigForLimits: the new settings are read from the environment
// and checked, naming the key.
func TestServeConfigForLimits(t *testing.T) {
	cfg, err := LoadConfig(env(testEnv(t, map[string]string{
		"PLATBOT_METRICS_ADDR": "127.0.0.1:9090", "SLACK_TEAM_ID": "T0HOME", "PLATBOT_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsAddr != "127.0.0.1:9090" || cfg.Slack.TeamID != "T0HOME" || fmt.Sprint(cfg.TrustedProxies) != "[10.0.0.0/8 192.0.2.1]" {
		t.Fatalf("config = %q %q %q", cfg.MetricsAddr, cfg.Slack.TeamID, cfg.TrustedProxies)
	}
	if _, err := LoadConfig(env(testEnv(t, map[string]string{"PLATBOT_ADDR": ":8080", "PLATBOT_METRICS_ADDR": ":8080"}))); err == nil || !strings.Contains(err.Error(), "metricsAddr") {
		t.Fatalf("same address twice: %v", err)
	}
	cfg, err = LoadConfig(env(testEnv(t, map[string]string{"PLATBOT_TRUSTED_PROXIES": "proxy.internal"})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildApp(context.Background(), cfg, newLogger(cfg, io.Discard, 0)); err == nil || !strings.Contains(err.Error(), `trustedProxies entry "proxy.internal"`) {
		t.Fatalf("a host name as a trusted proxy: %v", err)
	}
}
