package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsGitHubRepo(t *testing.T) {
	for s, want := range map[string]bool{
		"acme/gitops": true, "acme-corp/platform.gitops": true,
		"./gitops": false, "/srv/gitops": false, "gitops": false, "a/b/c": false, ".platbot/gitops": false,
		"testdata/backstage": false, // an existing folder
	} {
		if got := IsGitHubRepo(s); got != want {
			t.Errorf("IsGitHubRepo(%q) = %v", s, got)
		}
	}
}

func TestWiringFromEnvironment(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"PLATBOT_GITOPS_REPO": filepath.Join(dir, "gitops")}
	getenv := func(k string) string { return env[k] }
	cfg := Config{DataDir: filepath.Join(dir, "data")}
	cfg.ApplyEnv(getenv)

	pub, err := NewPublisher(ctx, cfg, getenv, quietLogger())
	if err != nil || !strings.Contains(pub.Describe(), "local git repository "+filepath.Join(dir, "gitops")) {
		t.Fatalf("local publisher: %v %v", pub, err)
	}
	sec, err := NewSecretStore(cfg, getenv, quietLogger())
	if err != nil || !sec.DevelopmentOnly() || !strings.Contains(sec.Describe(), "development-only") || sec.Mount() != "secret" {
		t.Fatalf("dev secrets: %v %v", sec, err)
	}

	gh := newGHFake(t)
	env = map[string]string{"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": "gh-token", "GITHUB_API_URL": strings.TrimSuffix(gh.URL(), "/"), "VAULT_ADDR": "http://127.0.0.1:8200", "VAULT_TOKEN": "t"}
	cfg = Config{DataDir: filepath.Join(dir, "data")}
	cfg.ApplyEnv(getenv)
	pub, err = NewPublisher(ctx, cfg, getenv, quietLogger())
	if err != nil || pub.Describe() != "GitHub acme/gitops" {
		t.Fatalf("GitHub publisher: %v %v", pub, err)
	}
	sec, err = NewSecretStore(cfg, getenv, quietLogger())
	if err != nil || sec.DevelopmentOnly() || sec.Describe() != "Vault at http://127.0.0.1:8200" {
		t.Fatalf("vault: %v %v", sec, err)
	}
	delete(env, "GITHUB_TOKEN")
	if _, err := NewPublisher(ctx, cfg, getenv, quietLogger()); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Fatalf("missing token: %v", err)
	}
}
