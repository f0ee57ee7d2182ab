package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/integrations/gitops"
)

// TestUpgradeNewServiceInItsOwnRepository upgrades a service new-service
// generated, whose files went to two repositories: its own (created by the
// run) and the GitOps repository. A new version that changes the README
// skeleton opens one pull request, in the service's repository, with its
// lineage file; the GitOps repository, where nothing changes, gets none.
func TestUpgradeNewServiceInItsOwnRepository(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "new-service"), os.DirFS("../../examples/templates/new-service")); err != nil {
		t.Fatal(err)
	}
	reposDir := filepath.Join(t.TempDir(), "repos")
	e := newEnv(t, envOptions{templates: dir, placer: &newServicePlacer{clusters: seedClusters()}, noApprove: true,
		repos: e2eRepos{gitops.LocalRepositories(reposDir)}})
	e.approve(t, "new-service")
	if errs := e.submit(userJane, e.form(userJane, "new-service"), newServiceValues("ledger-api", "go", "dev")); errs != nil {
		t.Fatalf("valid service refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	gitopsRepo, repo := filepath.Join(e.dir, "gitops"), filepath.Join(reposDir, "acme", "ledger-api")
	git(t, gitopsRepo, "update-ref", "refs/heads/main", r.Branch())
	if l := r.Lineage; l == nil || len(l.Outputs) != 2 || l.Outputs[0].Repo != "ledger-api" || !l.Outputs[1].GitOps() {
		t.Fatalf("lineage outputs %+v", r.Lineage)
	}

	readme := filepath.Join(dir, "new-service/skeleton/common/README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readme, []byte(strings.Replace(string(b), "## Runbook", "## Runbook (paged by the on-call)", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.approve(t, "new-service")
	out := e.reply(userJane, "upgrade ledger-api")
	if !strings.Contains(out, "*acme/ledger-api* — ") || !strings.Contains(out, "merged cleanly: `README.md`") || !strings.Contains(out, "*The GitOps repository*\n• nothing changes here") {
		t.Fatalf("upgrade answered:\n%s", out)
	}
	branch := "plat/upgrade-ledger-api-new-service-" + e.approved("new-service").Hash[:12]
	if got := git(t, repo, "show", branch+":README.md"); !strings.Contains(got, "## Runbook (paged by the on-call)") {
		t.Fatalf("README.md on %s:\n%s", branch, got)
	}
	if got := git(t, repo, "diff", "--name-only", "main", branch); got != LineageDir+"/ledger-api/new-service.yaml\nREADME.md" {
		t.Fatalf("files changed on %s:\n%s", branch, got)
	}
	if got := git(t, gitopsRepo, "branch", "--list", "plat/upgrade-*"); got != "" {
		t.Fatalf("the GitOps repository got an upgrade branch: %s", got)
	}

	// Merged, the service is on the new version, though the GitOps
	// repository's lineage file (which the upgrade had no reason to touch)
	// still names the old one.
	git(t, repo, "update-ref", "refs/heads/main", branch)
	for range 2 {
		if got := e.reply(userJane, "upgrade ledger-api"); !strings.Contains(got, "is already on the approved version of `new-service`") {
			t.Fatalf("upgrade after the merge answered:\n%s", got)
		}
	}
	if got := e.reply(userJane, "template drift"); !strings.Contains(got, "is on the latest approved version") {
		t.Fatalf("drift after the merge:\n%s", got)
	}
}
