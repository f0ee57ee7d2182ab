package gitops

import (
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// RepoPath is the path inside the GitOps repository of a catalog file, as
// the catalog names an entity's source (commands/catalog Source.File): a
// GitHub blob URL of this repository (https://<host>/<owner>/<repo>/blob/
// <ref>/<path>, any ref), or, for a local repository, a file inside its
// folder (absolute, or relative to the working folder). ok is false for a
// file anywhere else, so that a golden path editing an entity knows whether
// its pull request can carry the edit.
func (p *Publisher) RepoPath(file string) (string, bool) {
	if p.local != nil {
		return localRepoPath(p.local.Dir(), file)
	}
	u, err := url.Parse(file)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host != webHost(p.gh.BaseURL()) {
		return "", false
	}
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "blob" || !strings.EqualFold(parts[0], p.owner) || !strings.EqualFold(parts[1], p.repo) {
		return "", false
	}
	rel := path.Clean(parts[4])
	if rel == "." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// webHost is the web host of a GitHub API base URL: github.com for
// api.github.com, the host itself for GitHub Enterprise (<host>/api/v3).
func webHost(apiBase string) string {
	u, err := url.Parse(apiBase)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Host, "api.")
}

func localRepoPath(dir, file string) (string, bool) {
	if file == "" || strings.Contains(file, "://") {
		return "", false
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", false
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	// Symbolic links (a temporary folder's, say) resolved on both sides.
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if a, err := filepath.EvalSymlinks(abs); err == nil {
		abs = a
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
