package paths

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/vault"
)

var _ GitHubFiles = (*github.Client)(nil)

var slugRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)

// IsGitHubRepo reports whether a PLATBOT_GITOPS_REPO value names a GitHub
// repository ("owner/name") rather than a local folder. A value starting
// with ".", "/" or "~", with more than one "/", or naming an existing folder
// is a folder.
func IsGitHubRepo(s string) bool {
	if !slugRe.MatchString(s) || strings.HasPrefix(s, ".") {
		return false
	}
	if _, err := os.Stat(s); err == nil {
		return false
	}
	return true
}

// NewPublisher returns the GitOps target cfg.GitOpsRepo names: GitHub for
// "owner/name" (token from GITHUB_TOKEN, API base cfg.GitHubAPIURL), else a
// local git repository in that folder, created with git init when missing.
func NewPublisher(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger) (Publisher, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	if IsGitHubRepo(cfg.GitOpsRepo) {
		token := getenv("GITHUB_TOKEN")
		if token == "" {
			return nil, fmt.Errorf("paths: PLATBOT_GITOPS_REPO=%s names a GitHub repository but GITHUB_TOKEN is not set", cfg.GitOpsRepo)
		}
		c, err := github.New(cfg.GitHubAPIURL, token, nil)
		if err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		prs, err := c.PullRequests(cfg.GitOpsRepo, github.PullRequestOptions{Base: cfg.GitOpsBase})
		if err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		log.Info("golden paths open pull requests on GitHub", "repo", cfg.GitOpsRepo)
		return GitHubPublisher(prs), nil
	}
	repo, err := gitlocal.Open(ctx, cfg.GitOpsRepo, gitlocal.Options{Base: cfg.GitOpsBase, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("paths: local GitOps repository: %w", err)
	}
	log.Info("golden paths open pull requests as branches of a local git repository", "repo", repo.Dir())
	return LocalPublisher(repo), nil
}

// NewSecretStore returns Vault when cfg.Vault.Addr is set (token from
// VAULT_TOKEN), else the development-only local store in cfg.DataDir.
func NewSecretStore(cfg Config, getenv func(string) string, log *slog.Logger) (SecretStore, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	if cfg.Vault.Addr != "" {
		c, err := vault.New(vault.Config{Addr: cfg.Vault.Addr, Token: getenv("VAULT_TOKEN"), Namespace: getenv("VAULT_NAMESPACE"), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		log.Info("golden paths write secrets to Vault", "addr", cfg.Vault.Addr, "mount", cfg.Vault.Mount)
		return VaultSecrets(c, cfg.Vault.Mount, cfg.Vault.AuthMount), nil
	}
	s, err := devsecrets.Open(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	log.Warn("no Vault configured (VAULT_ADDR): golden paths write secrets to the development-only local store", "dir", s.Dir())
	return DevSecrets(s, cfg.Vault.Mount), nil
}

// ---- GitHub ----

type githubPublisher struct{ prs *github.PullRequests }

// GitHubPublisher opens pull requests on GitHub.
func GitHubPublisher(prs *github.PullRequests) Publisher { return githubPublisher{prs: prs} }

func (g githubPublisher) Describe() string { return "GitHub " + g.prs.Repo() }

func (g githubPublisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	files := make([]github.NewFile, len(names))
	for i, n := range names {
		files[i] = github.NewFile{Path: n, Content: []byte(c.Files[n])}
	}
	pr, err := g.prs.Open(ctx, github.PullRequestSpec{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: files, Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, err
	}
	out := &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created}
	if pr.AssigneeError != "" {
		out.Note = "could not assign " + strings.Join(c.Assignees, ", ")
	}
	return out, nil
}

// ---- local git ----

type localPublisher struct{ repo *gitlocal.Repo }

// LocalPublisher opens "pull requests" (branches plus a record) in a local
// git repository.
func LocalPublisher(repo *gitlocal.Repo) Publisher { return localPublisher{repo: repo} }

func (l localPublisher) Describe() string { return "the local git repository " + l.repo.Dir() }

func (l localPublisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	files := make([]gitlocal.File, len(names))
	for i, n := range names {
		files[i] = gitlocal.File{Path: n, Content: []byte(c.Files[n])}
	}
	pr, created, err := l.repo.OpenPullRequest(ctx, gitlocal.PullRequestSpec{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: files, Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, err
	}
	return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: created}, nil
}

// ---- Vault ----

type vaultSecrets struct {
	c         *vault.Client
	mount     string
	authMount string
}

// VaultSecrets writes secrets to Vault's KV v2 mount; with authMount set,
// it also attaches each read policy to the service's Kubernetes auth role.
func VaultSecrets(c *vault.Client, mount, authMount string) SecretStore {
	if mount == "" {
		mount = "secret"
	}
	return vaultSecrets{c: c, mount: mount, authMount: authMount}
}

func (v vaultSecrets) Mount() string         { return v.mount }
func (v vaultSecrets) Describe() string      { return "Vault at " + v.c.Addr() }
func (v vaultSecrets) DevelopmentOnly() bool { return false }

func (v vaultSecrets) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	d := make(map[string]any, len(data))
	for k, x := range data {
		d[k] = x
	}
	res, err := v.c.WriteKVOnce(ctx, v.mount, path, d, owner)
	return res.Created, mapVaultErr(err)
}

func (v vaultSecrets) PutPolicy(ctx context.Context, name, rules string) error {
	return mapVaultErr(v.c.PutPolicy(ctx, name, rules))
}

func (v vaultSecrets) BindRole(ctx context.Context, role, sa, ns, policy string) error {
	if v.authMount == "" {
		return nil
	}
	return mapVaultErr(v.c.EnsureKubernetesRole(ctx, vault.KubernetesRole{
		Mount: v.authMount, Name: role, ServiceAccounts: []string{sa}, Namespaces: []string{ns}, Policies: []string{policy},
	}))
}

func mapVaultErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, vault.ErrExists):
		return classified{class: ErrSecretExists, err: err}
	case errors.Is(err, vault.ErrUnavailable):
		return classified{class: ErrSecretUnavailable, err: err}
	}
	return err
}

// classified is an integration's error that also matches one of this
// package's sentinel errors; its text is the integration's.
type classified struct{ class, err error }

func (c classified) Error() string   { return c.err.Error() }
func (c classified) Unwrap() []error { return []error{c.class, c.err} }

// ---- development store ----

type devSecrets struct {
	s     *devsecrets.Store
	mount string
}

// DevSecrets writes secrets to the local development-only store, with the
// same path layout as Vault (<mount>/<team>/<service>/<env>/<name>).
func DevSecrets(s *devsecrets.Store, mount string) SecretStore {
	if mount == "" {
		mount = "secret"
	}
	return devSecrets{s: s, mount: mount}
}

func (d devSecrets) Mount() string         { return d.mount }
func (d devSecrets) Describe() string      { return devsecrets.Description }
func (d devSecrets) DevelopmentOnly() bool { return true }

func (d devSecrets) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	res, err := d.s.WriteOnce(ctx, d.mount+"/"+path, data, owner)
	if errors.Is(err, devsecrets.ErrExists) {
		return false, classified{class: ErrSecretExists, err: err}
	}
	return res.Created, err
}

func (d devSecrets) PutPolicy(ctx context.Context, name, rules string) error {
	return d.s.PutPolicy(ctx, name, rules)
}

// BindRole has nothing to bind in the local store.
func (d devSecrets) BindRole(context.Context, string, string, string, string) error { return nil }
