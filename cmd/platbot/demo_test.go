package main

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

const demoLabel = "🧪 Demo mode: the catalog, cost and scorecard facts shown here are example data from examples/, not production."

// slackEnv is a test environment with Slack credentials, so platbot with
// no subcommand serves.
func slackEnv(t *testing.T, extra map[string]string) map[string]string {
	e := testEnv(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_API_URL": "http://127.0.0.1:1",
	})
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// TestServeRefusesExampleDataOutsideDemoMode: serve with no catalog, cost
// or facts source does not present examples/ as production data; it says
// what to configure, before anything is created.
func TestServeRefusesExampleDataOutsideDemoMode(t *testing.T) {
	for _, args := range [][]string{{"serve"}, nil} {
		e := slackEnv(t, nil)
		code, _, errOut := runBot(t, e, "", args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errOut)
		}
		for _, want := range []string{
			"serve would show the example data under examples/ as if it were production data",
			"no catalog source is configured (set PLATBOT_CATALOG or catalog.locations)",
			"no cost source is configured (set OPENCOST_URL or cost.opencost.url)",
			"no scorecard facts source is configured (set GITHUB_TOKEN, PAGERDUTY_TOKEN or KUBECONFIG)",
			"`platbot serve --demo` (PLATBOT_DEMO=1)",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
		if _, err := os.Stat(e["PLATBOT_DB"]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: the database was created before refusing: %v", args, err)
		}
	}

	// Only what is missing is named; pointing PLATBOT_CATALOG into
	// examples/ does not count as a catalog source.
	e := slackEnv(t, map[string]string{"OPENCOST_URL": "http://127.0.0.1:1", "PLATBOT_CATALOG": "examples/catalog"})
	code, _, errOut := runBot(t, e, "", "serve")
	if code != 1 || strings.Contains(errOut, "no cost source") || !strings.Contains(errOut, "no catalog source") || !strings.Contains(errOut, "no scorecard facts source") {
		t.Fatalf("partial configuration: exit %d, %s", code, errOut)
	}

	// A bad PLATBOT_DEMO is a config error naming it.
	code, _, errOut = runBot(t, slackEnv(t, map[string]string{"PLATBOT_DEMO": "sure"}), "", "serve")
	if code != 1 || !strings.Contains(errOut, `PLATBOT_DEMO: "sure": expected 1`) {
		t.Fatalf("PLATBOT_DEMO=sure: exit %d, %s", code, errOut)
	}
}

func TestServeSourcesCheck(t *testing.T) {
	e := slackEnv(t, map[string]string{"PLATBOT_DEMO": "1"})
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServeSources(cfg); err != nil {
		t.Fatalf("demo mode refused: %v", err)
	}
	if note, err := demoNote(cfg); err != nil || note != demoLabel {
		t.Fatalf("demo note = %q, %v", note, err)
	}
	// Every source configured: no refusal, no label.
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/org.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: ops}\nspec: {type: team, children: []}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e = slackEnv(t, map[string]string{"PLATBOT_CATALOG": dir, "OPENCOST_URL": "http://127.0.0.1:1", "PAGERDUTY_TOKEN": "pd-token"})
	if cfg, err = LoadConfig(env(e)); err != nil {
		t.Fatal(err)
	}
	if err := checkServeSources(cfg); err != nil {
		t.Fatalf("configured sources refused: %v", err)
	}
	cfg.Demo.on = true
	if note, err := demoNote(cfg); err != nil || note != "" {
		t.Fatalf("demo note without example data = %q, %v", note, err)
	}
	ccfg, err := catalogConfig(cfg)
	if err != nil || len(ccfg.Locations) != 1 || ccfg.Locations[0].Target != dir {
		t.Fatalf("PLATBOT_CATALOG does not replace examples/catalog: %+v %v", ccfg.Locations, err)
	}
}

// TestShellDemoRunsEveryFlow: the shell, as a newcomer runs it, is in demo
// mode: its messages say they show example data, /plat new-db is listed
// and runnable (its template counts as approved in demo mode), and
// /plat access runs through the dry-run issuer.
func TestShellDemoRunsEveryFlow(t *testing.T) {
	script := strings.Join([]string{
		"/plat help",
		"/plat service payments-service",
		// The break-glass form: service, environment, level (3 = edit),
		// reason, duration, ticket, confirmation.
		"/plat access payments-service --break-glass", "", "", "3", "payouts are failing, INC-4300", "", "", "y",
		"/plat new-db", "cancel",
		"/plat access payments-service", "", "", "", "read the payout worker logs for INC-4300", "", "",
	}, "\n") + "\n"
	e := testEnv(t, nil)
	code, out, errOut := runBot(t, e, script, "shell", "--as", "alice.moreau")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	// A peer approves the normal request from their own session; the
	// dry-run issuer then shows alice what it would create.
	m := regexp.MustCompile("Request `(ar-[a-z0-9]+)` for \\*?view\\*? access").FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no request confirmed:\n%s", out)
	}
	code, out2, errOut := runBot(t, e, "/plat access approve "+m[1]+"\n", "shell", "--as", "bob.okafor")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out2)
	}
	for _, want := range []string{"Your approval of `" + m[1] + "`", "Dry run (demo mode): your view access to `payments-service`", "ClusterRole `view`"} {
		if !strings.Contains(out2, want) {
			t.Errorf("approving session lacks %q:\n%s", want, out2)
		}
	}
	for _, want := range []string{
		demoLabel,
		// help lists new-db, saying why it runs
		"new-db", "(example template: counts as approved in demo mode)",
		// the dry-run issuer: ServiceAccount, RoleBinding and expiry
		"Dry run (demo mode)", "ServiceAccount `system:serviceaccount:payments:platbot-ar-",
		"RoleBinding in namespace `payments` to ClusterRole `platbot-edit`", "a token that expires at",
		"kind: RoleBinding", "platbot.dev/expires-at:",
		// new-db opens its form, saying it counts as approved
		"this shipped example template counts as approved; no admin approved it",
		// a normal request goes to the approvals channel
		"is posted in",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("shell output lacks %q", want)
		}
	}
	if strings.Contains(out, "not configured here") || strings.Contains(out, "waiting for an admin's approval") {
		t.Errorf("the demo hides a flow:\n%s", out)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}

	// Demo mode off: example data is not labelled, access is not
	// configured, new-db waits for an admin.
	e = testEnv(t, map[string]string{"PLATBOT_DEMO": "0"})
	code, out, errOut = runBot(t, e, "/plat service payments-service\n/plat access payments-service\n/plat new-db\n", "shell", "--as", "alice.moreau")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "Demo mode") || !strings.Contains(out, "Prod access is not configured") || !strings.Contains(out, "waiting for an admin's approval") {
		t.Fatalf("PLATBOT_DEMO=0:\n%s", out)
	}
}

// TestServeDemoLabelsEveryReply: serve --demo (PLATBOT_DEMO=1) on the
// examples labels what it sends to Slack; without demo mode (a test that
// builds the app directly) nothing is labelled.
func TestServeDemoLabelsEveryReply(t *testing.T) {
	b := startServeEnv(t, "", map[string]string{"PLATBOT_DEMO": "1"})
	if r := b.reply(b.command("U0PAYALICE", "service payments-service")); !strings.Contains(r, demoLabel) {
		t.Fatalf("demo reply lacks the label:\n%s", r)
	}
	plain := startServe(t)
	if r := plain.reply(plain.command("U0PAYALICE", "ping")); strings.Contains(r, "Demo mode") {
		t.Fatalf("labelled outside demo mode:\n%s", r)
	}
}
