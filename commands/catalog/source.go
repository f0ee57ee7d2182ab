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
	host  string // github: the web host ("" means github.com)
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
		host := p.host
		if host == "" {
			host = DefaultGitHubHost
		}
		return "https://" + host + "/" + p.owner + "/" + p.repo + "/blob/" + ref + "/" + p.path
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p.path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(p.path)
}

// locationName names a configured location as Backstage does ("type:target").
func (l LocationConfig) locationName(host string) string {
	if l.Type == LocationGitHub {
		o, r, _ := strings.Cut(l.Repo, "/")
		return "url:" + place{kind: LocationGitHub, host: host, owner: o, repo: r, ref: l.Ref, path: cleanRepoPath(l.Path)}.String()
	}
	return "file:" + l.Target
}

// rootPlace is the place a configured location starts at.
func (l LocationConfig) rootPlace(host string) (place, error) {
	if l.Type == LocationGitHub {
		o, r, _ := strings.Cut(l.Repo, "/")
		p := cleanRepoPath(l.Path)
		if p == "" || p == ".." {
			return place{}, fmt.Errorf("path %q leaves the repository", l.Path)
		}
		return place{kind: LocationGitHub, host: host, owner: o, repo: r, ref: l.Ref, path: p}, nil
	}
	abs, err := filepath.Abs(l.Target)
	if err != nil {
		return place{}, fmt.Errorf("target %q: %w", l.Target, err)
	}
	return place{kind: LocationFile, path: abs}, nil
}

// root is the place a location's Location entities are confined to: for a
// local location its folder (the folder a file or glob is in), with
// symlinks resolved; for a GitHub location its repository at its ref.
type root struct {
	kind  string
	dir   string // local: absolute folder, as configured
	real  string // local: dir with symlinks resolved
	host  string // github
	owner string
	repo  string
	ref   string
}

// rootOf returns the root of a configured location's starting place.
func rootOf(p place) root {
	if p.kind == LocationGitHub {
		return root{kind: LocationGitHub, host: p.host, owner: p.owner, repo: p.repo, ref: p.ref}
	}
	dir := p.path
	if i := strings.IndexAny(dir, "*?["); i >= 0 {
		dir = filepath.Dir(dir[:i] + "x")
	} else if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		dir = filepath.Dir(dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	return root{kind: LocationFile, dir: dir, real: real}
}

// String names the root in problems.
func (r root) String() string {
	if r.kind == LocationGitHub {
		return place{kind: LocationGitHub, host: r.host, owner: r.owner, repo: r.repo, ref: r.ref}.String()
	}
	return place{kind: LocationFile, path: r.dir}.String()
}

// resolve returns the place a Location entity's target names, relative to
// the file p that holds the Location, confined to the root r of the
// configured location p was reached from: absolute paths and paths that
// leave the root (by "..", or a glob) are refused; in a GitHub repository
// they stay in it. A URL must be a GitHub URL on host (Config.GitHubHost).
// Symlinks are checked when the files are read (see root.contains).
func (p place) resolve(target, typ, host string, r root) (place, error) {
	target = strings.TrimSpace(target)
	if h, owner, repo, ref, fp, ok := parseGitHubURL(target); ok {
		if h != host {
			return place{}, fmt.Errorf("target %q is on %s, but GitHub locations must stay on %s", target, h, host)
		}
		fp = cleanRepoPath(fp)
		if fp == "" || fp == ".." {
			return place{}, fmt.Errorf("target %q names no file in its repository", target)
		}
		return place{kind: LocationGitHub, host: host, owner: owner, repo: repo, ref: ref, path: fp}, nil
	}
	if strings.Contains(target, "://") {
		return place{}, fmt.Errorf("target %q: only relative paths and https://%s/ URLs are supported", target, host)
	}
	if typ != "" && typ != "file" && typ != "url" && typ != LocationGitHub {
		return place{}, fmt.Errorf("location type %q is not supported (want file or url)", typ)
	}
	if target == "" {
		return place{}, fmt.Errorf("target is empty")
	}
	if strings.HasPrefix(target, "/") || strings.HasPrefix(target, `\`) || filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
		return place{}, fmt.Errorf("target %q is an absolute path; a Location names files relative to its own file, inside %s", target, r)
	}
	switch p.kind {
	case LocationGitHub:
		fp := path.Clean(path.Join(path.Dir(p.path), target))
		if fp == "." || fp == ".." || strings.HasPrefix(fp, "../") {
			return place{}, fmt.Errorf("target %q leaves the repository %s", target, r)
		}
		return place{kind: LocationGitHub, host: p.host, owner: p.owner, repo: p.repo, ref: p.ref, path: fp}, nil
	default:
		t := filepath.Clean(filepath.Join(filepath.Dir(p.path), filepath.FromSlash(target)))
		if !within(r.dir, t) {
			what := "path"
			if strings.ContainsAny(target, "*?[") {
				what = "glob"
			}
			return place{}, fmt.Errorf("target %q: the %s leaves the location's root %s", target, what, r)
		}
		return place{kind: LocationFile, path: t}, nil
	}
}

// within reports whether the local path p lies inside the folder dir.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// contains checks that a file about to be read through a Location entity
// lies inside the root once symlinks are resolved: a symlink out of the
// root is refused. A file that does not exist passes (reading it reports
// it missing).
func (r root) contains(p place) error {
	if r.kind == LocationGitHub {
		if p.kind != LocationGitHub {
			return fmt.Errorf("%s is outside the repository %s", p, r)
		}
		return nil
	}
	if p.kind != LocationFile {
		return nil
	}
	real, err := filepath.EvalSymlinks(p.path)
	if err != nil {
		return nil
	}
	if !within(r.real, real) {
		return fmt.Errorf("%s is a symlink (or inside one) that leads out of the location's root %s; not read", p, r)
	}
	return nil
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
