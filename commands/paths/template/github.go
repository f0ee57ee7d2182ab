package template

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"
)

// GitHubFiles reads files and folders from GitHub repositories; cmd/platbot
// adapts the one GitHub client (integrations/github) to it. With it,
// templates delivered by GitHub catalog locations are read, skeleton
// included, from their repository.
type GitHubFiles interface {
	GetFile(ctx context.Context, owner, repo, filePath, ref string) ([]byte, error)
	ListDir(ctx context.Context, owner, repo, dirPath, ref string) ([]DirEntry, error)
}

// DirEntry is one item of a folder listing.
type DirEntry struct {
	// Path is the item's path in the repository.
	Path string
	// Type is "file", "dir", "symlink" or "submodule".
	Type string
}

// GitHubFile is a file named by a GitHub URL
// (https://github.com/<owner>/<repo>/blob/<ref>/<path>), as the catalog
// records the source of an entity read from a GitHub location.
type GitHubFile struct {
	owner, repo, ref, path string
}

func ParseGitHubURL(u string) (GitHubFile, bool) {
	rest, ok := strings.CutPrefix(u, "https://github.com/")
	if !ok {
		return GitHubFile{}, false
	}
	parts := strings.SplitN(rest, "/", 5)
	if len(parts) != 5 || parts[2] != "blob" || parts[4] == "" {
		return GitHubFile{}, false
	}
	ref := parts[3]
	if ref == "HEAD" {
		ref = ""
	}
	return GitHubFile{owner: parts[0], repo: parts[1], ref: ref, path: parts[4]}, true
}

// LoadGitHub reads a template and the skeleton folders its
// fetch:template steps use from GitHub.
func LoadGitHub(ctx context.Context, gh GitHubFiles, f GitHubFile, name string) (*Template, error) {
	raw, err := gh.GetFile(ctx, f.owner, f.repo, f.path, f.ref)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.path, err)
	}
	t, err := parse(raw, name)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{f.path: {Data: raw}}
	base := path.Dir(f.path)
	total := len(raw)
	switch b, err := gh.GetFile(ctx, f.owner, f.repo, path.Join(base, ChangelogFile), f.ref); {
	case err == nil:
		fsys[path.Join(base, ChangelogFile)] = &fstest.MapFile{Data: b}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path.Join(base, ChangelogFile), err)
	}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > 10 {
			return errors.New("skeleton folders nest too deep")
		}
		ents, err := gh.ListDir(ctx, f.owner, f.repo, dir, f.ref)
		if err != nil {
			return fmt.Errorf("list %s: %w", dir, err)
		}
		for _, e := range ents {
			switch e.Type {
			case "dir":
				if err := walk(e.Path, depth+1); err != nil {
					return err
				}
			case "file":
				b, err := gh.GetFile(ctx, f.owner, f.repo, e.Path, f.ref)
				if err != nil {
					return fmt.Errorf("read %s: %w", e.Path, err)
				}
				total += len(b)
				if len(fsys) >= maxTemplateFiles || total > maxTemplateBytes {
					return fmt.Errorf("skeleton too large (over %d files or %d bytes)", maxTemplateFiles, maxTemplateBytes)
				}
				fsys[e.Path] = &fstest.MapFile{Data: b}
			default:
				return fmt.Errorf("%s is a %s; a skeleton holds files and folders only", e.Path, e.Type)
			}
		}
		return nil
	}
	dirs, files := t.skeletonDirs()
	for _, d := range dirs {
		if err := walk(path.Join(base, d), 0); err != nil {
			return nil, &Error{Template: t.Name, Problems: []string{fmt.Sprintf("skeleton %s: %v", d, err)}}
		}
	}
	for _, p := range files {
		full := path.Join(base, p)
		b, err := gh.GetFile(ctx, f.owner, f.repo, full, f.ref)
		if err != nil {
			return nil, &Error{Template: t.Name, Problems: []string{fmt.Sprintf("file %s: %v", p, err)}}
		}
		fsys[full] = &fstest.MapFile{Data: b}
	}
	return Load(fsys, f.path, name)
}
