// Package gitlocal is the embedded GitOps backend: a local git repository in
// which a "pull request" is a branch (plat/<run-id>-<path>) holding one
// commit with all of a golden path's files, plus a small JSON record of the
// request (title, description, labels, assignees) kept inside the
// repository's git folder. It lets the shell mode run golden paths end to
// end with no GitHub; reviewers look at the branch with git itself:
//
//	git -C <repo> log --stat plat/<run-id>-new-db
//
// The package drives the git command-line tool through os/exec and only
// uses plumbing commands, so the repository's working tree and index are
// never touched.
package gitlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultBase is the branch pull requests target when Options.Base is empty.
const DefaultBase = "main"

// Options configure Open.
type Options struct {
	// Base is the target branch (default "main"); created with an empty
	// first commit (or Seed) when the repository has none.
	Base string
	// AuthorName and AuthorEmail sign commits (default "platbot", "platbot@localhost").
	AuthorName, AuthorEmail string
	// Git is the git binary (default "git" on PATH).
	Git    string
	Logger *slog.Logger
	// Seed, when Open creates the repository (git init), becomes the
	// base branch's first commit (SeedMessage its message) instead of an
	// empty one. A repository that already exists is never changed.
	Seed        []File
	SeedMessage string
}

// Repo is a local GitOps repository. It is safe for concurrent use.
type Repo struct {
	dir    string
	gitDir string
	opts   Options
	log    *slog.Logger
	mu     sync.Mutex
}

// File is one file of a pull request.
type File struct {
	Path    string
	Content []byte
	// Executable files are committed with mode 100755.
	Executable bool
}

// Mode is the file's git mode: 100755 when executable, else 100644.
func (f File) Mode() string {
	if f.Executable {
		return "100755"
	}
	return "100644"
}

// PullRequestSpec is what to propose.
type PullRequestSpec struct {
	// Branch is the branch to create ("plat/<run-id>-<path>"); deterministic
	// per run, so a retry finds the branch of an earlier attempt.
	Branch        string
	Title         string
	Body          string
	CommitMessage string
	Files         []File
	// Delete names files of the base branch the commit removes (git rm);
	// a path that is not a file there (nothing, or a folder) is an error,
	// and a path may not be both written and deleted.
	Delete    []string
	Labels    []string
	Assignees []string
	// AuthorName and AuthorEmail override the repository's commit author.
	AuthorName, AuthorEmail string
}

// PullRequest is a proposed change: a branch and its record.
type PullRequest struct {
	Number    int       `json:"number"`
	Branch    string    `json:"branch"`
	Base      string    `json:"base"`
	Commit    string    `json:"commit"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Labels    []string  `json:"labels,omitempty"`
	Assignees []string  `json:"assignees,omitempty"`
	Files     []string  `json:"files"`
	Deleted   []string  `json:"deleted,omitempty"`
	Created   time.Time `json:"created"`
	// URL points at the branch ("file://<repo>?branch=<branch>").
	URL string `json:"url"`
	// Closed is set by OpenPullRequest on the record of an earlier pull
	// request that is no longer open: its commit is on the base branch
	// (merged), or its branch was deleted (declined).
	Closed bool `json:"-"`
}

// Open opens the repository at dir, creating it (git init) when dir does not
// hold one, and making sure the base branch has a commit.
func Open(ctx context.Context, dir string, opts Options) (*Repo, error) {
	if opts.Base == "" {
		opts.Base = DefaultBase
	}
	if opts.AuthorName == "" {
		opts.AuthorName = "platbot"
	}
	if opts.AuthorEmail == "" {
		opts.AuthorEmail = "platbot@localhost"
	}
	if opts.Git == "" {
		opts.Git = "git"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	for _, f := range opts.Seed {
		if err := CheckPath(f.Path); err != nil {
			return nil, fmt.Errorf("gitlocal: seed %s: %w", f.Path, err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("gitlocal: %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("gitlocal: create %s: %w", abs, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	r := &Repo{dir: abs, opts: opts, log: opts.Logger.With("component", "gitlocal", "repo", abs)}
	if err := r.ensureRepo(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir returns the repository folder.
func (r *Repo) Dir() string { return r.dir }

// Base returns the target branch.
func (r *Repo) Base() string { return r.opts.Base }

func (r *Repo) ensureRepo(ctx context.Context) error {
	// The folder must be a repository of its own, not a folder inside
	// another one (PLATBOT_GITOPS_REPO=./gitops inside a checkout).
	own := false
	if gd, err := r.git(ctx, nil, nil, "rev-parse", "--absolute-git-dir"); err == nil {
		gd = strings.TrimSpace(gd)
		bare, _ := r.git(ctx, nil, nil, "rev-parse", "--is-bare-repository")
		if strings.TrimSpace(bare) == "true" {
			own = sameDir(gd, r.dir)
		} else if top, err := r.git(ctx, nil, nil, "rev-parse", "--show-toplevel"); err == nil {
			own = sameDir(strings.TrimSpace(top), r.dir)
		}
		if own {
			r.gitDir = gd
		}
	}
	created := !own
	if created {
		if _, err := r.git(ctx, nil, nil, "init", "--quiet", "--initial-branch="+r.opts.Base); err != nil {
			return fmt.Errorf("gitlocal: git init %s: %w", r.dir, err)
		}
		gd, err := r.git(ctx, nil, nil, "rev-parse", "--absolute-git-dir")
		if err != nil {
			return fmt.Errorf("gitlocal: %s: %w", r.dir, err)
		}
		r.gitDir = strings.TrimSpace(gd)
		r.log.Info("created local git repository")
	}
	if _, err := r.git(ctx, nil, nil, "rev-parse", "--verify", "--quiet", "refs/heads/"+r.opts.Base+"^{commit}"); err == nil {
		return nil
	}
	// The first commit on the base branch: empty, or the seed of a
	// repository created just now.
	var files []File
	msg := "Initialize GitOps repository"
	if created && len(r.opts.Seed) > 0 {
		files = r.opts.Seed
		if r.opts.SeedMessage != "" {
			msg = r.opts.SeedMessage
		}
	}
	tree, err := r.writeTree(ctx, "", files)
	if err != nil {
		return err
	}
	commit, err := r.git(ctx, r.authorEnv("", ""), strings.NewReader(msg+"\n"), "commit-tree", tree)
	if err != nil {
		return fmt.Errorf("gitlocal: first commit: %w", err)
	}
	if _, err := r.git(ctx, nil, nil, "update-ref", "refs/heads/"+r.opts.Base, strings.TrimSpace(commit), zeroOID); err != nil {
		// Someone else created it meanwhile: fine.
		if _, verr := r.git(ctx, nil, nil, "rev-parse", "--verify", "--quiet", "refs/heads/"+r.opts.Base); verr != nil {
			return fmt.Errorf("gitlocal: create %s: %w", r.opts.Base, err)
		}
	}
	return nil
}

const zeroOID = "0000000000000000000000000000000000000000"

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

func (r *Repo) authorEnv(name, email string) []string {
	if name == "" {
		name = r.opts.AuthorName
	}
	if email == "" {
		email = r.opts.AuthorEmail
	}
	return []string{
		"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email,
		"GIT_COMMITTER_NAME=" + r.opts.AuthorName, "GIT_COMMITTER_EMAIL=" + r.opts.AuthorEmail,
	}
}

// git runs a git command in the repository and returns its standard output.
func (r *Repo) git(ctx context.Context, env []string, stdin *strings.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, r.opts.Git, append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out.String(), nil
}

// CheckPath reports whether p is a safe repository-relative file path: no
// absolute path, no "..", no empty segment, nothing inside .git.
func CheckPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("path %q must be relative, use / and not be empty", p)
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not clean (no //, ./ or trailing /)", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("path %q leaves the repository", p)
		}
		if strings.EqualFold(seg, ".git") {
			return fmt.Errorf("path %q writes into .git", p)
		}
	}
	return nil
}

func (r *Repo) recordFile(branch string) string {
	return filepath.Join(r.gitDir, "platbot", "pulls", url.PathEscape(branch)+".json")
}

// FindPullRequest returns the pull request of a branch (nil when none).
func (r *Repo) FindPullRequest(_ context.Context, branch string) (*PullRequest, error) {
	b, err := os.ReadFile(r.recordFile(branch))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gitlocal: read record of %s: %w", branch, err)
	}
	var pr PullRequest
	if err := json.Unmarshal(b, &pr); err != nil {
		return nil, fmt.Errorf("gitlocal: record of %s: %w", branch, err)
	}
	return &pr, nil
}

// closed reports whether a recorded pull request is no longer open: its
// commit is on the base branch (merged), or its branch is gone (declined).
func (r *Repo) closed(ctx context.Context, pr *PullRequest) (bool, error) {
	head, err := r.git(ctx, nil, nil, "for-each-ref", "--format=%(objectname)", "refs/heads/"+pr.Branch)
	if err != nil {
		return false, fmt.Errorf("gitlocal: is the pull request of %s open: %w", pr.Branch, err)
	}
	if strings.TrimSpace(head) == "" {
		return true, nil
	}
	mb, err := r.git(ctx, nil, nil, "merge-base", pr.Commit, r.opts.Base)
	if err != nil {
		return false, fmt.Errorf("gitlocal: is the pull request of %s merged: %w", pr.Branch, err)
	}
	return strings.TrimSpace(mb) == pr.Commit, nil
}

// PullRequests lists every recorded pull request, newest first.
func (r *Repo) PullRequests(ctx context.Context) ([]PullRequest, error) {
	ents, err := os.ReadDir(filepath.Join(r.gitDir, "platbot", "pulls"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gitlocal: list pull requests: %w", err)
	}
	var out []PullRequest
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		branch, err := url.PathUnescape(name)
		if err != nil {
			continue
		}
		pr, err := r.FindPullRequest(ctx, branch)
		if err != nil {
			return nil, err
		}
		if pr != nil {
			out = append(out, *pr)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	return out, nil
}

// OpenPullRequest creates the branch with one commit holding all files (and
// without the deleted ones) on top of the base branch, and records the pull
// request. It is idempotent: an
// existing record for the branch is returned as is (created false), and an
// existing branch (left by an attempt that stopped before recording) is
// reused rather than committed again.
func (r *Repo) OpenPullRequest(ctx context.Context, spec PullRequestSpec) (pr *PullRequest, created bool, err error) {
	if len(spec.Files) == 0 && len(spec.Delete) == 0 {
		return nil, false, errors.New("gitlocal: a pull request needs at least one file to write or delete")
	}
	if _, err := r.git(ctx, nil, nil, "check-ref-format", "--branch", spec.Branch); err != nil || spec.Branch == r.opts.Base {
		return nil, false, fmt.Errorf("gitlocal: %q is not a usable branch name", spec.Branch)
	}
	seen := map[string]bool{}
	for _, f := range spec.Files {
		if err := CheckPath(f.Path); err != nil {
			return nil, false, fmt.Errorf("gitlocal: %w", err)
		}
		if seen[f.Path] {
			return nil, false, fmt.Errorf("gitlocal: file %s listed twice", f.Path)
		}
		seen[f.Path] = true
	}
	for _, p := range spec.Delete {
		if err := CheckPath(p); err != nil {
			return nil, false, fmt.Errorf("gitlocal: %w", err)
		}
		if seen[p] {
			return nil, false, fmt.Errorf("gitlocal: file %s listed twice (written or deleted)", p)
		}
		seen[p] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	if existing, err := r.FindPullRequest(ctx, spec.Branch); err != nil || existing != nil {
		if existing != nil {
			if existing.Closed, err = r.closed(ctx, existing); err != nil {
				return nil, false, err
			}
		}
		return existing, false, err
	}
	ref := "refs/heads/" + spec.Branch
	commit := ""
	if out, err := r.git(ctx, nil, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err == nil {
		commit = strings.TrimSpace(out)
		r.log.Info("reusing branch of an earlier attempt", "branch", spec.Branch, "commit", commit)
	} else {
		commit, err = r.commit(ctx, spec)
		if err != nil {
			return nil, false, err
		}
		if _, err := r.git(ctx, nil, nil, "update-ref", ref, commit, zeroOID); err != nil {
			return nil, false, fmt.Errorf("gitlocal: create branch %s: %w", spec.Branch, err)
		}
	}
	paths := make([]string, 0, len(spec.Files))
	for _, f := range spec.Files {
		paths = append(paths, f.Path)
	}
	sort.Strings(paths)
	deleted := append([]string(nil), spec.Delete...)
	sort.Strings(deleted)
	all, err := r.PullRequests(ctx)
	if err != nil {
		return nil, false, err
	}
	num := 1
	if len(all) > 0 {
		num = all[0].Number + 1
	}
	pr = &PullRequest{
		Number: num, Branch: spec.Branch, Base: r.opts.Base, Commit: commit,
		Title: spec.Title, Body: spec.Body, Labels: spec.Labels, Assignees: spec.Assignees,
		Files: paths, Deleted: deleted, Created: time.Now().UTC(),
		URL: "file://" + r.dir + "?branch=" + url.QueryEscape(spec.Branch),
	}
	b, err := json.MarshalIndent(pr, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("gitlocal: encode record: %w", err)
	}
	rec := r.recordFile(spec.Branch)
	if err := os.MkdirAll(filepath.Dir(rec), 0o755); err != nil {
		return nil, false, fmt.Errorf("gitlocal: record: %w", err)
	}
	f, err := os.OpenFile(rec, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		existing, ferr := r.FindPullRequest(ctx, spec.Branch)
		return existing, false, ferr
	}
	if err != nil {
		return nil, false, fmt.Errorf("gitlocal: record: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(rec)
		return nil, false, fmt.Errorf("gitlocal: write record: %w", errors.Join(werr, cerr))
	}
	r.log.Info("opened pull request", "number", num, "branch", spec.Branch, "files", len(paths), "deleted", len(deleted))
	return pr, true, nil
}

// commit writes the files as blobs, builds a tree on top of the base
// branch's tree without the deleted files in a private index, and commits
// it. Nothing is referenced
// yet: a crash leaves only unreachable objects.
func (r *Repo) commit(ctx context.Context, spec PullRequestSpec) (string, error) {
	base, err := r.git(ctx, nil, nil, "rev-parse", "--verify", "refs/heads/"+r.opts.Base+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("gitlocal: base branch %s: %w", r.opts.Base, err)
	}
	base = strings.TrimSpace(base)
	for _, p := range spec.Delete {
		typ, err := r.git(ctx, nil, nil, "cat-file", "-t", base+":"+p)
		switch typ = strings.TrimSpace(typ); {
		case err != nil:
			return "", fmt.Errorf("gitlocal: delete %s: there is no such file on %s in %s: %w", p, r.opts.Base, r.dir, fs.ErrNotExist)
		case typ != "blob":
			return "", fmt.Errorf("gitlocal: delete %s: a %s on %s in %s, not a file", p, typ, r.opts.Base, r.dir)
		}
	}
	tree, err := r.writeTree(ctx, base, spec.Files, spec.Delete...)
	if err != nil {
		return "", err
	}
	msg := spec.CommitMessage
	if msg == "" {
		msg = spec.Title
	}
	commit, err := r.git(ctx, r.authorEnv(spec.AuthorName, spec.AuthorEmail), strings.NewReader(msg+"\n"), "commit-tree", tree, "-p", base)
	if err != nil {
		return "", fmt.Errorf("gitlocal: commit: %w", err)
	}
	return strings.TrimSpace(commit), nil
}

// writeTree stores files as blobs and writes the tree of the commit base
// ("" for none) with them added and the paths in remove removed (git rm
// --cached, in the private index), returning its id.
func (r *Repo) writeTree(ctx context.Context, base string, files []File, remove ...string) (string, error) {
	idx, err := os.CreateTemp("", "platbot-index-*")
	if err != nil {
		return "", fmt.Errorf("gitlocal: temp index: %w", err)
	}
	idx.Close()
	os.Remove(idx.Name()) // git wants to create it itself
	defer os.Remove(idx.Name())
	env := []string{"GIT_INDEX_FILE=" + idx.Name()}
	if base != "" {
		if _, err := r.git(ctx, env, nil, "read-tree", base); err != nil {
			return "", fmt.Errorf("gitlocal: read base tree: %w", err)
		}
	}
	if len(files) > 0 {
		args := []string{"update-index", "--add"}
		for _, f := range files {
			sha, err := r.git(ctx, nil, strings.NewReader(string(f.Content)), "hash-object", "-w", "--stdin")
			if err != nil {
				return "", fmt.Errorf("gitlocal: store %s: %w", f.Path, err)
			}
			args = append(args, "--cacheinfo", f.Mode()+","+strings.TrimSpace(sha)+","+f.Path)
		}
		if _, err := r.git(ctx, env, nil, args...); err != nil {
			return "", fmt.Errorf("gitlocal: stage files: %w", err)
		}
	}
	if len(remove) > 0 {
		// A mode 0 entry removes the path from the index (git-update-index,
		// "USING --INDEX-INFO"); -z keeps any byte of a path as it is.
		var in strings.Builder
		for _, p := range remove {
			in.WriteString("0 " + zeroOID + "\t" + p + "\x00")
		}
		if _, err := r.git(ctx, env, strings.NewReader(in.String()), "update-index", "-z", "--index-info"); err != nil {
			return "", fmt.Errorf("gitlocal: remove files: %w", err)
		}
	}
	tree, err := r.git(ctx, env, nil, "write-tree")
	if err != nil {
		return "", fmt.Errorf("gitlocal: write tree: %w", err)
	}
	return strings.TrimSpace(tree), nil
}

// ReadFile returns the content of the file at p on the base branch
// (git show <base>:<p>). A file that is not there is an error wrapping
// fs.ErrNotExist.
func (r *Repo) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if err := CheckPath(p); err != nil {
		return nil, fmt.Errorf("gitlocal: read %s: %w", p, err)
	}
	out, err := r.git(ctx, nil, nil, "show", r.opts.Base+":"+p)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "exists on disk, but not in") || strings.Contains(msg, "invalid object name") {
			return nil, fmt.Errorf("gitlocal: read %s at %s in %s: %w", p, r.opts.Base, r.dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("gitlocal: read %s at %s in %s: %w", p, r.opts.Base, r.dir, err)
	}
	return []byte(out), nil
}

// ListDir returns the names of the entries of the folder at p on the base
// branch (git ls-tree <base>:<p>), sorted. A folder that is not there is
// an error wrapping fs.ErrNotExist; a file is an error of its own.
func (r *Repo) ListDir(ctx context.Context, p string) ([]string, error) {
	if err := CheckPath(p); err != nil {
		return nil, fmt.Errorf("gitlocal: list %s: %w", p, err)
	}
	out, err := r.git(ctx, nil, nil, "ls-tree", "-z", "--name-only", r.opts.Base+":"+p)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "Not a valid object name") || strings.Contains(msg, "invalid object name") {
			return nil, fmt.Errorf("gitlocal: list %s at %s in %s: %w", p, r.opts.Base, r.dir, fs.ErrNotExist)
		}
		if strings.Contains(msg, "not a tree object") {
			return nil, fmt.Errorf("gitlocal: list %s at %s in %s: a file, not a folder", p, r.opts.Base, r.dir)
		}
		return nil, fmt.Errorf("gitlocal: list %s at %s in %s: %w", p, r.opts.Base, r.dir, err)
	}
	var names []string
	for _, n := range strings.Split(out, "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}
