package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// One GitOps publisher serves golden paths and secrets: both features'
// pull requests land in the same repository, numbered in one sequence, and
// secrets reads the base branch through the same publisher.
func TestOneGitOpsPublisherServesPathsAndSecrets(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	repo, err := gitlocal.Open(ctx, filepath.Join(t.TempDir(), "gitops"), gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	pub := gitops.Local(repo)
	var pp paths.Publisher = pathsPublisher{pub}
	var sp secrets.Publisher = secretsPublisher{pub}
	var files secrets.FileReader = pub

	if pp.Describe() != "the local git repository "+repo.Dir() {
		t.Fatalf("Describe = %q", pp.Describe())
	}
	pr, err := pp.Open(ctx, paths.Change{Branch: "plat/r1-new-db", Title: "Add orders-db", Files: map[string]string{"databases/orders-db/claim.yaml": "kind: PostgresInstance\n"}, Labels: []string{"golden-path"}})
	if err != nil || pr.Number != 1 || !pr.Created || pr.Branch != "plat/r1-new-db" || pr.Commit == "" {
		t.Fatalf("golden path PR: %+v %v", pr, err)
	}
	spr, err := sp.Open(ctx, secrets.PRChange{Branch: "plat/secret-c1", Title: "secret: add db-password", Files: map[string]string{"apps/orders/dev/external-secret.yaml": "kind: ExternalSecret\n"}})
	if err != nil || spr.Number != 2 || spr.Branch != "plat/secret-c1" || spr.URL == "" {
		t.Fatalf("secrets PR: %+v %v", spr, err)
	}
	again, err := sp.Open(ctx, secrets.PRChange{Branch: "plat/secret-c1", Title: "secret: add db-password", Files: map[string]string{"apps/orders/dev/external-secret.yaml": "kind: ExternalSecret\n"}})
	if err != nil || again.Number != 2 {
		t.Fatalf("a retried secrets PR must be found again: %+v %v", again, err)
	}
	if _, err := files.ReadFile(ctx, "databases/orders-db/claim.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unmerged file: err = %v, want fs.ErrNotExist", err)
	}
}

// A GitOps repository on GitHub needs the GitHub token: the start says so,
// naming the key.
func TestGitHubGitOpsRepoWithoutTokenIsAConfigError(t *testing.T) {
	e := testEnv(t, map[string]string{"PLATBOT_GITOPS_REPO": "acme/gitops"})
	code, _, errOut := runBot(t, e, "/plat ping\n", "shell")
	if code == 0 || !strings.Contains(errOut, "gitOpsRepo") || !strings.Contains(errOut, "GITHUB_TOKEN is not set") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// One Vault client per configuration: the features get the client the
// audit chain key would use, not one of their own.
func TestFeaturesShareTheOneVaultClient(t *testing.T) {
	e := testEnv(t, map[string]string{"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TOKEN": "t"})
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := buildApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	vc, err := cfg.vaultClient(log)
	if err != nil || vc == nil || vc.Addr() != "http://127.0.0.1:1" {
		t.Fatalf("vaultClient = %v, %v", vc, err)
	}
	if app.feats.vault != vc || app.feats.dev != nil {
		t.Fatalf("features hold Vault client %p (dev store %v), want the configuration's %p", app.feats.vault, app.feats.dev, vc)
	}
}
