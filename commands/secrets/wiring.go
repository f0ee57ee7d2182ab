package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/vault"
)

// NewBackends returns the KV store and sealer the environment selects:
// with VAULT_ADDR set, Vault KV v2 (cfg.KVMount) and the transit key
// cfg.TransitMount/keys/cfg.TransitKey, authenticated with VAULT_TOKEN
// (and VAULT_NAMESPACE); otherwise the development-only local store and an
// RSA-4096 key in cfg.DataDir, so the whole flow runs with nothing
// installed.
func NewBackends(cfg Config, getenv func(string) string, log *slog.Logger) (KV, Sealer, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	if addr := getenv("VAULT_ADDR"); addr != "" {
		c, err := vault.New(vault.Config{Addr: addr, Token: getenv("VAULT_TOKEN"), Namespace: getenv("VAULT_NAMESPACE"), Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("secrets: %w", err)
		}
		log.Info("secrets are sealed with Vault transit and stored in Vault KV", "addr", addr, "kv_mount", cfg.KVMount, "transit_key", cfg.TransitMount+"/keys/"+cfg.TransitKey)
		return VaultKV(c, cfg.KVMount), VaultSealer(c, cfg.TransitMount, cfg.TransitKey), nil
	}
	st, err := devsecrets.Open(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("secrets: %w", err)
	}
	sealer, err := DevSealer(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	log.Warn("no Vault configured (VAULT_ADDR): secrets go to the development-only local store, sealed with a local key", "dir", cfg.DataDir)
	return DevKV(st, cfg.KVMount), sealer, nil
}

// LocalFiles reads files of a local GitOps repository's base branch
// (git show <base>:<path>).
func LocalFiles(repo *gitlocal.Repo) FileReader {
	return localFiles{dir: repo.Dir(), base: repo.Base()}
}

type localFiles struct{ dir, base string }

func (l localFiles) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := gitlocal.CheckPath(path); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", l.dir, "show", l.base+":"+path)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := stderr.String()
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "exists on disk, but not in") || strings.Contains(msg, "invalid object name") {
			return nil, fmt.Errorf("read %s at %s in %s: %w", path, l.base, l.dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("read %s at %s in %s: %s: %w", path, l.base, l.dir, strings.TrimSpace(msg), err)
	}
	return out, nil
}

// GitHubFiles reads files of a GitHub repository ("owner/name") at ref
// ("" = the default branch) through the contents API.
func GitHubFiles(c *github.Client, slug, ref string) (FileReader, error) {
	owner, name, ok := strings.Cut(slug, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("secrets: %q is not a GitHub repository (owner/name)", slug)
	}
	return githubFiles{c: c, owner: owner, repo: name, ref: ref}, nil
}

type githubFiles struct {
	c                *github.Client
	owner, repo, ref string
}

func (g githubFiles) ReadFile(ctx context.Context, path string) ([]byte, error) {
	b, err := g.c.GetFile(ctx, g.owner, g.repo, path, g.ref)
	if errors.Is(err, github.ErrNotFound) {
		return nil, fmt.Errorf("read %s: %w", path, fs.ErrNotExist)
	}
	return b, err
}
