// Package repos embeds the example catalog's services' own repositories
// (one txtar archive each, named after the repository): what the golden
// paths that change a service's repository (new-api-endpoint, new-sdk,
// add-ci-workflow) start from. In demo mode with the example catalog,
// platbot creates each of them as a local git repository
// (<data folder>/repos/<owner>/<name>) that does not exist yet, with these
// files as its first commit.
package repos

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/tools/txtar"
)

// Dir is the folder's name in messages.
const Dir = "examples/repos"

// Owner is the GitHub owner of every example repository (the example
// catalog's github.com/project-slug annotations).
const Owner = "acme"

//go:embed *.txtar
var archives embed.FS

// Repo is one example repository.
type Repo struct {
	// Owner and Name: the repository is Owner/Name.
	Owner, Name string
	// Files are slash path → content.
	Files map[string][]byte
}

// Slug is owner/name.
func (r Repo) Slug() string { return r.Owner + "/" + r.Name }

// All returns the example repositories, by name.
func All() ([]Repo, error) {
	names, err := fs.Glob(archives, "*.txtar")
	if err != nil {
		return nil, err
	}
	out := make([]Repo, 0, len(names))
	for _, n := range names {
		b, err := archives.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", Dir, n, err)
		}
		a := txtar.Parse(b)
		r := Repo{Owner: Owner, Name: strings.TrimSuffix(n, ".txtar"), Files: map[string][]byte{}}
		for _, f := range a.Files {
			p := path.Clean(f.Name)
			if p != f.Name || strings.HasPrefix(p, "../") || path.IsAbs(p) {
				return nil, fmt.Errorf("%s/%s: %q is not a clean relative path", Dir, n, f.Name)
			}
			if _, dup := r.Files[p]; dup {
				return nil, fmt.Errorf("%s/%s: %s appears twice", Dir, n, p)
			}
			r.Files[p] = f.Data
		}
		if len(r.Files) == 0 {
			return nil, fmt.Errorf("%s/%s holds no file", Dir, n)
		}
		out = append(out, r)
	}
	return out, nil
}
