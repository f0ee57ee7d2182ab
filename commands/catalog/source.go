package catalog

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// GitHubContents reads files from GitHub repositories (the contents API).
// integrations/github.Client satisfies it. A missing file must yield an
// error that wraps fs.ErrNotExist, so its entities are marked orphaned.
type GitHubContents interface {
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, error)
}

// place is one file (or, for local ones, folder or glob) to read entities from.
type place struct {
	kind  string // LocationFile or LocationGitHub
	path  string // local: absolute path; github: path in the repository
	owner string
	repo  string
	ref   string
}

// String is the file as problems and Entity.Source show it, and the key
// that de-duplicates reads: a local path relative to the working folder
// when it is inside it, or a GitHub URL.
func (p place) String() string {
	if p.kind == LocationGitHub {
		ref := p.ref
		if ref == "" {
			ref = "HEAD"
		}
		return "https://github.com/" + p.owner + "/" + p.repo + "/blob/" + ref + "/" + p.path
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p.path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(p.path)
}

// locationName names a configured location as Backstage does ("type:target").
func (l LocationConfig) locationName() string {
	if l.Type == LocationGitHub {
		o, r, _ := strings.Cut(l.Repo, "/")
		return "url:" + place{kind: LocationGitHub, owner: o, repo: r, ref: l.Ref, path: cleanRepoPath(l.Path)}.String()
	}
	return "file:" + l.Target
}

// rootPlace is the place a configured location starts at.
func (l LocationConfig) rootPlace() (place, error) {
	if l.Type == LocationGitHub {
		o, r, _ := strings.Cut(l.Repo, "/")
		p := cleanRepoPath(l.Path)
		if p == "" {
			return place{}, fmt.Errorf("path %q leaves the repository", l.Path)
		}
		return place{kind: LocationGitHub, owner: o, repo: r, ref: l.Ref, path: p}, nil
	}
	abs, err := filepath.Abs(l.Target)
	if err != nil {
		return place{}, fmt.Errorf("target %q: %w", l.Target, err)
	}
	return place{kind: LocationFile, path: abs}, nil
}

// resolve returns the place a Location entity's target names, relative to
// the file p that holds the Location. Targets in a GitHub file stay in that
// repository unless they are github.com URLs; local files may name local
// paths or github.com URLs.
func (p place) resolve(target, typ string) (place, error) {
	target = strings.TrimSpace(target)
	if owner, repo, ref, fp, ok := parseGitHubURL(target); ok {
		fp = cleanRepoPath(fp)
		if fp == "" {
			return place{}, fmt.Errorf("target %q names no file", target)
		}
		return place{kind: LocationGitHub, owner: owner, repo: repo, ref: ref, path: fp}, nil
	}
	if strings.Contains(target, "://") {
		return place{}, fmt.Errorf("target %q: only local paths and https://github.com/ URLs are supported", target)
	}
	if typ != "" && typ != "file" && typ != "url" && typ != LocationGitHub {
		return place{}, fmt.Errorf("location type %q is not supported (want file or url)", typ)
	}
	switch p.kind {
	case LocationGitHub:
		var fp string
		if strings.HasPrefix(target, "/") {
			fp = cleanRepoPath(target)
		} else {
			fp = cleanRepoPath(path.Join(path.Dir(p.path), target))
		}
		if fp == "" || strings.HasPrefix(fp, "..") {
			return place{}, fmt.Errorf("target %q leaves the repository %s/%s", target, p.owner, p.repo)
		}
		return place{kind: LocationGitHub, owner: p.owner, repo: p.repo, ref: p.ref, path: fp}, nil
	default:
		t := filepath.FromSlash(target)
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p.path), t)
		}
		return place{kind: LocationFile, path: filepath.Clean(t)}, nil
	}
}

// expand turns a local folder or glob into its files; a file (or a GitHub
// place) expands to itself.
func (p place) expand() ([]place, error) {
	if p.kind != LocationFile {
		return []place{p}, nil
	}
	if strings.ContainsAny(p.path, "*?[") {
		matches, err := filepath.Glob(p.path)
		if err != nil {
			return nil, fmt.Errorf("glob %s: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("glob %s matches no file: %w", p, fs.ErrNotExist)
		}
		sort.Strings(matches)
		out := make([]place, 0, len(matches))
		for _, m := range matches {
			out = append(out, place{kind: LocationFile, path: m})
		}
		return out, nil
	}
	info, err := os.Stat(p.path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if !info.IsDir() {
		return []place{p}, nil
	}
	ents, err := os.ReadDir(p.path)
	if err != nil {
		return nil, fmt.Errorf("read folder %s: %w", p, err)
	}
	var out []place
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		out = append(out, place{kind: LocationFile, path: filepath.Join(p.path, n)})
	}
	return out, nil
}

// read returns the file's content.
func (p place) read(ctx context.Context, gh GitHubContents) ([]byte, error) {
	if p.kind == LocationGitHub {
		if gh == nil {
			return nil, fmt.Errorf("read %s: no GitHub client configured (set GITHUB_TOKEN, and GITHUB_API_URL for GitHub Enterprise)", p)
		}
		b, err := gh.GetFile(ctx, p.owner, p.repo, p.path, p.ref)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

func cleanRepoPath(p string) string {
	if strings.HasPrefix(path.Clean(p), "..") {
		return ".."
	}
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "." {
		return ""
	}
	return p
}
