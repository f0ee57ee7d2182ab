package main

import (
	"context"
	"maps"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths/golden"
	examplerepos "github.com/platbot/platbot/examples/repos"
)

// TestShellServiceRepoPathsOnEmbeddedDefaults: the shell on the embedded
// defaults creates the example services' own repositories (examples/repos)
// as local git repositories and starts the GitOps repository with an
// example database new-db made, so /plat new-api-endpoint, new-sdk,
// add-ci-workflow and new-migration each show a dry run and open their
// pull request: three to acme/payments-service, one to the GitOps
// repository numbered after the database's migrations. A component whose
// repository is missing is a field error naming the repository (before
// the dry run promises a pull request), and so is a new service whose
// repository exists. A second session changes no repository; outside demo
// mode none is created and the path says the repository is missing.
func TestShellServiceRepoPathsOnEmbeddedDefaults(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := testEnv(t, nil)
	endpoint := []string{"payments-service", "2", "/payments/{paymentId}/refunds", "Refund a payment", "1", ""}
	sdk := []string{"payments-service", "", "", ""}
	ci := []string{"payments-service", "", ""}
	migration := []string{"add refunds", "payouts-db", ""}
	var script []string
	add := func(cmd string, answers ...string) { script = append(append(script, cmd), answers...) }
	add("/plat new-api-endpoint --dry-run", endpoint...)
	add("/plat new-api-endpoint", endpoint...)
	add("/plat new-sdk --dry-run", sdk...)
	add("/plat new-sdk", sdk...)
	// payments-ledger has no repository: refused, asked again.
	add("/plat add-ci-workflow --dry-run", "payments-ledger", "", "", "payments-service")
	add("/plat add-ci-workflow", ci...)
	add("/plat new-migration --dry-run", migration...)
	add("/plat new-migration", migration...)
	// name, description, owner, system, language, repository owner and
	// name (payments-service exists: refused, asked again), environments.
	add("/plat new-service --dry-run", "ledger-two", "", "", "", "", "", "payments-service", "", "ledger-two")
	add("/plat new-service", "ledger-two", "", "", "", "", "", "ledger-two", "")
	code, out, errOut := runBot(t, e, strings.Join(script, "\n")+"\n", "shell", "--as", "alice.moreau")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	repos := absDir(e["PLATBOT_DATA_DIR"] + "/repos")
	for _, want := range []string{
		"Dry run of New API endpoint",
		"add POST /payments/{paymentId}/refunds to acme/payments-service's openapi.yaml",
		"New API endpoint is ready for review",
		"Dry run of New SDK",
		"generate the Go client sdk/go/paymentsserviceclient/client.gen.go in acme/payments-service",
		"New SDK (generated client) is ready for review",
		"! Component: payments-ledger's repository acme/payments-ledger is not among the local git repositories under " + repos + " (no GitHub is configured)",
		"Dry run of Add the standard CI workflow",
		"Add the standard CI workflow is ready for review",
		"Dry run of New database migration",
		"add databases/payouts-db/migrations/0003_add_refunds.sql (migration 0003 of payouts-db, after 0002_add_payouts.sql)",
		"New database migration is ready for review",
		"! Repository: repository: the repository acme/payments-service already exists among the local git repositories under " + repos,
		"Dry run of New service `ledger-two`",
		// Local mode says where, and links the repository by its absolute folder.
		"create the internal repository acme/ledger-two among the local git repositories under " + repos + " (no GitHub is configured)",
		"Create the repository — file://" + repos + "/acme/ledger-two\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("shell output lacks %q", want)
		}
	}
	if strings.Contains(out, "on GitHub") {
		t.Error("local mode says \"on GitHub\"")
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", out)
	}

	examples, err := examplerepos.All()
	if err != nil {
		t.Fatal(err)
	}
	var payments examplerepos.Repo
	for _, r := range examples {
		if r.Slug() == "acme/payments-service" {
			payments = r
		}
	}
	svc := repos + "/acme/payments-service"
	if got, want := gitLines(t, svc, "ls-tree", "-r", "--name-only", "main"), slices.Sorted(maps.Keys(payments.Files)); !slices.Equal(got, want) {
		t.Fatalf("payments-service's main holds %q, want the example %q", got, want)
	}
	head := gitLines(t, svc, "rev-parse", "main")[0]
	branches := runBranches(t, svc, "new-api-endpoint", "new-sdk", "add-ci-workflow")
	if changed := gitLines(t, svc, "diff", "--name-only", "main", branches["new-api-endpoint"]); !slices.Contains(changed, "openapi.yaml") || !slices.Contains(changed, "docs/api.md") {
		t.Errorf("new-api-endpoint changed %q", changed)
	}
	doc, err := golden.LoadOpenAPI31(context.Background(), gitShow(t, svc, branches["new-api-endpoint"]+":openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if item := doc.Paths.Value("/payments/{paymentId}/refunds"); item == nil || item.Post == nil || doc.Paths.Value("/payments").Post == nil {
		t.Errorf("the OpenAPI document's paths %v lack the new POST or the old one", doc.Paths.InMatchingOrder())
	}
	client := string(gitShow(t, svc, branches["new-sdk"]+":sdk/go/paymentsserviceclient/client.gen.go"))
	if !strings.HasPrefix(client, "// Code generated by platbot:sdk") || !strings.Contains(client, "DO NOT EDIT") {
		t.Errorf("client header: %.200s", client)
	}
	if probs, err := golden.LintWorkflow(gitShow(t, svc, branches["add-ci-workflow"]+":"+golden.CIWorkflowPath)); err != nil || len(probs) > 0 {
		t.Errorf("actionlint: %v %q", err, probs)
	}

	gitops := e["PLATBOT_DATA_DIR"] + "/gitops"
	mig := runBranches(t, gitops, "new-migration")["new-migration"]
	if changed := withoutLineage(gitLines(t, gitops, "diff", "--name-only", "main", mig)); !slices.Equal(changed, []string{"databases/payouts-db/migrations/0003_add_refunds.sql"}) {
		t.Errorf("new-migration changed %q", changed)
	}

	// A second session leaves the repositories as they are.
	if code, out, errOut := runBot(t, e, "/plat ping\n", "shell", "--as", "alice.moreau"); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if now := gitLines(t, svc, "rev-parse", "main")[0]; now != head {
		t.Fatalf("a second session moved payments-service's main from %s to %s", head, now)
	}

	// Outside demo mode no repository is made, and the path says so.
	off := testEnv(t, map[string]string{"PLATBOT_DEMO": "0"})
	code, out, errOut = runBot(t, off, "/plat template approve new-api-endpoint\n", "shell", "--as", "priya.raman")
	if code != 0 || !strings.Contains(out, "Approved template") {
		t.Fatalf("approve: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = runBot(t, off, "/plat new-api-endpoint --dry-run\n"+strings.Join(endpoint, "\n")+"\ncancel\n", "shell", "--as", "alice.moreau")
	offRepos := absDir(off["PLATBOT_DATA_DIR"] + "/repos")
	if code != 0 || !strings.Contains(out, "! Service: payments-service's repository acme/payments-service is not among the local git repositories under "+offRepos) {
		t.Fatalf("demo mode off: exit %d: %s\n%s", code, errOut, out)
	}
	if _, err := exec.Command("git", "-C", path.Join(offRepos, "acme", "payments-service"), "rev-parse", "--git-dir").Output(); err == nil {
		t.Fatal("outside demo mode the example repository was created")
	}
}

// runBranches finds the pull-request branch of each path in a local
// repository (plat/<run>-<path>), exactly one each.
func runBranches(t *testing.T, repo string, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	all := gitLines(t, repo, "branch", "--list", "plat/*")
	for _, p := range paths {
		for _, b := range all {
			if strings.HasSuffix(b, "-"+p) {
				if out[p] != "" {
					t.Fatalf("branches %q: two of %s", all, p)
				}
				out[p] = b
			}
		}
		if out[p] == "" {
			t.Fatalf("branches %q: none of %s", all, p)
		}
	}
	return out
}

// TestServeMissingServiceRepositoryOverSlack: through the served bot as
// Slack does, /plat add-ci-workflow on a component whose repository is not
// there comes back as an error beside the component field naming the
// repository and where it was looked for, and nothing is posted or
// started.
func TestServeMissingServiceRepositoryOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t)
	if r := b.reply(b.command("U0PLATPRIYA", "template approve add-ci-workflow")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "add-ci-workflow")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	state := jobState{}
	state.set(t, v.View, "component", "component:default/payments-ledger", "payments-ledger")
	state.set(t, v.View, "language", "go", "Go (go vet, go test -race, go build)")
	a, raw := b.submit(v, state)
	repos := absDir(b.env["PLATBOT_DATA_DIR"] + "/repos")
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["component"], "payments-ledger's repository acme/payments-ledger is not among the local git repositories under "+repos) {
		t.Fatalf("a component without its repository answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("a refused submission posted %d messages", n)
	}
}
