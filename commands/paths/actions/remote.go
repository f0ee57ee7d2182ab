package actions

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
)

// Remote content for fetch:plain and fetch:plain:file: a GitHub address
// (https://<host>/<owner>/<repo>/tree/<ref>/<path> for a folder, .../blob/...
// for a file), read through the GitHub client at run time. It is not part
// of the approved version of the template (the address is): the step's
// effect says so.

// maxRemoteFiles and maxRemoteBytes bound what one step fetches.
const (
	maxRemoteFiles = 500
	maxRemoteBytes = 4 << 20
)

// remoteRef is a parsed GitHub content address.
type remoteRef struct {
	owner, repo, ref, path string
	// kind is "tree" (a folder) or "blob" (a file).
	kind string
}

// parseRemote reads a GitHub content address on host; ok false when u is
// not one.
func parseRemote(u, host string) (remoteRef, bool) {
	if host == "" {
		host = "github.com"
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme != "https" || !strings.EqualFold(pu.Host, host) || pu.RawQuery != "" || pu.User != nil {
		return remoteRef{}, false
	}
	parts := strings.Split(strings.Trim(pu.Path, "/"), "/")
	if len(parts) < 4 || (parts[2] != "tree" && parts[2] != "blob") {
		return remoteRef{}, false
	}
	r := remoteRef{owner: parts[0], repo: parts[1], kind: parts[2], ref: parts[3], path: strings.Join(parts[4:], "/")}
	if r.owner == "" || r.repo == "" || r.ref == "" || (r.kind == "blob" && r.path == "") {
		return remoteRef{}, false
	}
	for _, seg := range parts {
		if seg == ".." || seg == "." {
			return remoteRef{}, false
		}
	}
	return r, true
}

// remoteURLProblem says what is wrong with a fetch:plain url that is not a
// path beside the template ("" when it is a GitHub address of the right
// kind).
func remoteURLProblem(u, host string, wantDir bool) string {
	r, ok := parseRemote(u, host)
	if !ok {
		if host == "" {
			host = "github.com"
		}
		return fmt.Sprintf("input.url %q must be a path beside the template or a GitHub address (https://%s/<owner>/<repo>/tree/<ref>/<folder>, or /blob/ for a file)", u, host)
	}
	if wantDir && r.kind != "tree" {
		return fmt.Sprintf("input.url %q names a file (/blob/); fetch:plain copies a folder (/tree/)", u)
	}
	if !wantDir && r.kind != "blob" {
		return fmt.Sprintf("input.url %q names a folder (/tree/); fetch:plain:file copies a file (/blob/)", u)
	}
	return ""
}

// fetchRemote reads the files at r: path in the repository → content.
func fetchRemote(ctx context.Context, gh template.GitHubFiles, r remoteRef) (map[string]string, error) {
	out := map[string]string{}
	total := 0
	add := func(p string) error {
		b, err := gh.GetFile(ctx, r.owner, r.repo, p, r.ref)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		total += len(b)
		if len(out) >= maxRemoteFiles || total > maxRemoteBytes {
			return fmt.Errorf("more than %d files or %d bytes", maxRemoteFiles, maxRemoteBytes)
		}
		out[p] = string(b)
		return nil
	}
	if r.kind == "blob" {
		return out, add(r.path)
	}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > 20 {
			return fmt.Errorf("%s nests too deep", dir)
		}
		entries, err := gh.ListDir(ctx, r.owner, r.repo, dir, r.ref)
		if err != nil {
			return fmt.Errorf("list %s: %w", dir, err)
		}
		for _, e := range entries {
			switch e.Type {
			case "dir":
				if err := walk(e.Path, depth+1); err != nil {
					return err
				}
			case "file":
				if err := add(e.Path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(r.path, 0)
}

// runRemote copies a GitHub folder or file into the run's files at target
// (for a file: target is the file's path).
func runRemote(ctx context.Context, sc *StepContext, gh template.GitHubFiles, r remoteRef, target string) (map[string]any, error) {
	if gh == nil {
		return nil, &StepError{Msg: fmt.Sprintf("%s is on GitHub, and platbot has no GitHub access configured", sc.str("url")), Hint: "Set GITHUB_TOKEN (see the README), or tell the template's owners (" + sc.Template.Owner + ") to keep the files beside the template."}
	}
	files, err := fetchRemote(ctx, gh, r)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &StepError{Msg: fmt.Sprintf("could not fetch %s: %v", sc.str("url"), err), Hint: "Press Retry to try again.", Err: err}
	}
	if len(files) == 0 {
		return nil, &StepError{Msg: fmt.Sprintf("%s holds no files", sc.str("url")), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	var list []any
	for p, c := range files {
		to := target
		if r.kind == "tree" {
			to = path.Join(target, strings.TrimPrefix(strings.TrimPrefix(p, r.path), "/"))
		}
		if err := skeleton.CheckOutputPath(to); err != nil {
			return nil, &StepError{Msg: fmt.Sprintf("file %s would be written to %q: %v", p, to, err)}
		}
		sc.Files[to] = c
		list = append(list, to)
	}
	return map[string]any{"files": list, "targetPath": sc.str("targetPath")}, nil
}
