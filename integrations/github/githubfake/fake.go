// Package githubfake is a loopback fake of the GitHub REST API shapes
// platbot's pull-request publisher uses (repository, git data: blobs, trees,
// commits, refs; pulls; issue labels and assignees). It keeps a small object
// store, records every request with its body, and lets a test fail or
// intercept requests. Point go-github (GITHUB_API_URL) at URL().
package githubfake

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server is a loopback fake of the GitHub REST API shapes golden paths use
// (repository, git data, pulls, issue labels and assignees). It keeps a
// small object store, records every request with its body, and lets a test
// fail or intercept requests.
type Server struct {
	srv *httptest.Server
	mu  sync.Mutex
	// refs are the branches of acme/gitops; other repositories keep theirs
	// in repos.
	refs  map[string]string
	repos map[string]*Repo
	orgs  map[string]bool
	// login is the authenticated user (user repositories are created for it).
	login string
	comm  map[string]commit
	trees map[string]map[string]string
	blobs map[string][]byte
	pulls []*Pull
	reqs  []Request
	// fail may answer a request instead of the fake (code 0: no).
	fail func(method, path string) (code int, body string)
	// after is called once a request was handled, before it is answered,
	// with no lock held (a test cancels a run there to simulate a crash).
	after func(method, path string)
}

type Request struct{ Method, Path, Body string }

type commit struct {
	tree    string
	parents []string
	message string
}

type Pull struct {
	Number                   int
	Head, Base, Title, Body  string
	Labels, Assignees        []string
	Draft                    bool
	Reviewers, TeamReviewers []string
	// Repo is "owner/name" of a pull request outside acme/gitops.
	Repo string
	// Closed is set by Close and Merge; Merged by Merge.
	Closed, Merged bool
}

// state is the pull request's "state" in the API.
func (pr *Pull) state() string {
	if pr.Closed {
		return "closed"
	}
	return "open"
}

// listed reports whether a pull request list asked for state ("open" when
// empty, "closed" or "all") has pr.
func (pr *Pull) listed(state string) bool {
	return state == "all" || pr.state() == state || (state == "" && !pr.Closed)
}

// mergedAt is the pull request's "merged_at" in the API (nil: not merged).
func (pr *Pull) mergedAt() any {
	if pr.Merged {
		return "2026-01-01T00:00:00Z"
	}
	return nil
}

// Repo is a repository other than acme/gitops, created through the API or
// added by a test.
type Repo struct {
	FullName, Description, Visibility, DefaultBranch string
	Private                                          bool
	Topics                                           []string
	// Collaborators and Teams map a login or team slug to its permission.
	Collaborators, Teams map[string]string
	refs                 map[string]string
}

// New starts a fake with a repository whose main branch holds README.md;
// it stops when the test ends.
func New(t testing.TB) *Server {
	f := &Server{
		refs: map[string]string{"main": "c0"}, comm: map[string]commit{"c0": {tree: "t0", message: "init"}},
		trees: map[string]map[string]string{"t0": {"README.md": "b0"}}, blobs: map[string][]byte{"b0": []byte("gitops\n")},
		repos: map[string]*Repo{}, orgs: map[string]bool{"acme": true}, login: "platbot-bot",
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// SetFail lets fn answer requests instead of the fake (code 0: let the fake answer).
func (f *Server) SetFail(fn func(method, path string) (int, string)) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// SetAfter calls fn after each request is handled, before it is answered.
func (f *Server) SetAfter(fn func(method, path string)) {
	f.mu.Lock()
	f.after = fn
	f.mu.Unlock()
}

// Requests returns every request so far.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

// Count counts requests with this method and path.
func (f *Server) Count(method, path string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// PullRequests returns the pull requests opened in acme/gitops.
func (f *Server) PullRequests() []Pull { return f.PullRequestsIn("") }

// PullRequestsIn returns the pull requests opened in a repository ("" or
// "acme/gitops" for the GitOps one).
func (f *Server) PullRequestsIn(slug string) []Pull {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Pull
	for _, p := range f.pullsOf(pullsKey(slug)) {
		out = append(out, *p)
	}
	return out
}

// branchFiles returns path → content of the tree a branch points at.
// BranchFiles returns the files on a branch by path.
func (f *Server) BranchFiles(branch string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for p, b := range f.trees[f.comm[f.refs[branch]].tree] {
		out[p] = string(f.blobs[b])
	}
	return out
}

// commitsAhead counts the commits on branch that main does not have.
// CommitsAhead counts the commits a branch has beyond main.
func (f *Server) CommitsAhead(branch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for c := f.refs[branch]; c != "" && c != f.refs["main"]; n++ {
		ps := f.comm[c].parents
		if len(ps) == 0 {
			break
		}
		c = ps[0]
	}
	return n
}

func ghSHA(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
	code, out := f.handle(r, p, body)
	f.mu.Lock()
	after := f.after
	f.mu.Unlock()
	if after != nil {
		after(r.Method, p)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprint(w, out)
}

func (f *Server) handle(r *http.Request, p string, body []byte) (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, Request{Method: r.Method, Path: p, Body: string(body)})
	if f.fail != nil {
		if code, msg := f.fail(r.Method, p); code != 0 {
			return code, msg
		}
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	const repo = "/repos/acme/gitops"
	if code, out, ok := f.handleContents(r, p, js); ok {
		return code, out
	}
	if code, out, ok := f.handleOther(r, p, body, js); ok {
		return code, out
	}
	switch {
	case r.Method == "GET" && p == repo:
		return 200, js(map[string]any{"full_name": "acme/gitops", "default_branch": "main"})
	case r.Method == "GET" && strings.HasPrefix(p, repo+"/git/ref/heads/"):
		b, _ := url.PathUnescape(strings.TrimPrefix(p, repo+"/git/ref/heads/"))
		s, ok := f.refs[b]
		if !ok {
			return 404, js(map[string]any{"message": "Not Found"})
		}
		return 200, js(map[string]any{"ref": "refs/heads/" + b, "object": map[string]any{"sha": s, "type": "commit"}})
	case r.Method == "POST" && p == repo+"/git/refs":
		var in struct{ Ref, SHA string }
		_ = json.Unmarshal(body, &in)
		b := strings.TrimPrefix(in.Ref, "refs/heads/")
		if _, ok := f.refs[b]; ok {
			return 422, js(map[string]any{"message": "Reference already exists"})
		}
		f.refs[b] = in.SHA
		return 201, js(map[string]any{"ref": in.Ref, "object": map[string]any{"sha": in.SHA}})
	case r.Method == "GET" && strings.HasPrefix(p, repo+"/git/commits/"):
		s := strings.TrimPrefix(p, repo+"/git/commits/")
		c, ok := f.comm[s]
		if !ok {
			return 404, js(map[string]any{"message": "Not Found"})
		}
		return 200, js(map[string]any{"sha": s, "tree": map[string]any{"sha": c.tree}, "message": c.message})
	case r.Method == "POST" && p == repo+"/git/blobs":
		var in struct{ Content, Encoding string }
		_ = json.Unmarshal(body, &in)
		data, _ := base64.StdEncoding.DecodeString(in.Content)
		s := ghSHA("blob", string(data))
		f.blobs[s] = data
		return 201, js(map[string]any{"sha": s})
	case r.Method == "POST" && p == repo+"/git/trees":
		return f.createTree(body, js)
	case r.Method == "POST" && p == repo+"/git/commits":
		var in struct {
			Message, Tree string
			Parents       []string
		}
		_ = json.Unmarshal(body, &in)
		s := ghSHA("commit", in.Message, in.Tree, strings.Join(in.Parents, ","), strconv.Itoa(len(f.comm)))
		f.comm[s] = commit{tree: in.Tree, parents: in.Parents, message: in.Message}
		return 201, js(map[string]any{"sha": s})
	case r.Method == "GET" && p == repo+"/pulls":
		head := r.URL.Query().Get("head")
		out := []any{}
		for _, pr := range slices.Backward(f.pullsOf("")) { // newest first, as GitHub lists them
			if (head == "" || head == "acme:"+pr.Head) && pr.listed(r.URL.Query().Get("state")) {
				out = append(out, f.pullJSON(pr))
			}
		}
		return 200, js(out)
	case r.Method == "POST" && p == repo+"/pulls":
		var in struct{ Title, Head, Base, Body string }
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf("") {
			if pr.Head == in.Head && !pr.Closed {
				return 422, js(map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"message": "A pull request already exists for acme:" + in.Head + "."}}})
			}
		}
		pr := &Pull{Number: len(f.pullsOf("")) + 1, Head: in.Head, Base: in.Base, Title: in.Title, Body: in.Body}
		f.pulls = append(f.pulls, pr)
		return 201, js(f.pullJSON(pr))
	case r.Method == "POST" && strings.HasSuffix(p, "/labels"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, repo+"/issues/"), "/labels"))
		var in []string
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf("") {
			if pr.Number == n {
				pr.Labels = appendNew(pr.Labels, in...)
			}
		}
		return 200, "[]"
	case r.Method == "POST" && strings.HasSuffix(p, "/assignees"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, repo+"/issues/"), "/assignees"))
		var in struct{ Assignees []string }
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf("") {
			if pr.Number == n {
				pr.Assignees = appendNew(pr.Assignees, in.Assignees...)
			}
		}
		return 201, js(map[string]any{"number": n})
	}
	return 404, js(map[string]any{"message": "no fake route for " + r.Method + " " + p})
}

func appendNew(l []string, xs ...string) []string {
	for _, x := range xs {
		if !slices.Contains(l, x) {
			l = append(l, x)
		}
	}
	return l
}

func (f *Server) pullJSON(pr *Pull) map[string]any {
	return map[string]any{
		"number": pr.Number, "state": pr.state(), "merged_at": pr.mergedAt(), "title": pr.Title, "body": pr.Body,
		"html_url": fmt.Sprintf("https://github.example/acme/gitops/pull/%d", pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": f.refs[pr.Head]},
		"base":     map[string]any{"ref": pr.Base},
	}
}

// AddRepo adds an existing repository with one commit holding files on
// its default branch (main), as someone else made it.
func (f *Server) AddRepo(slug string, files map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tree := map[string]string{}
	for p, c := range files {
		b := ghSHA("blob", c)
		f.blobs[b] = []byte(c)
		tree[p] = b
	}
	t := ghSHA("tree", slug)
	f.trees[t] = tree
	c := ghSHA("commit", slug)
	f.comm[c] = commit{tree: t, message: "someone else's work"}
	f.repos[slug] = &Repo{FullName: slug, DefaultBranch: "main", Private: true, Visibility: "private", refs: map[string]string{"main": c},
		Collaborators: map[string]string{}, Teams: map[string]string{}}
}

// SetOrg makes an owner an organisation (acme is one; others are users).
func (f *Server) SetOrg(owner string) {
	f.mu.Lock()
	f.orgs[owner] = true
	f.mu.Unlock()
}

// Repository returns a copy of a repository other than acme/gitops.
func (f *Server) Repository(slug string) (Repo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.repos[slug]
	if !ok {
		return Repo{}, false
	}
	return *r, true
}

// RepoFiles returns the files on a branch of a repository other than
// acme/gitops, and the message of the commit it points at.
func (f *Server) RepoFiles(slug, branch string) (map[string]string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.repos[slug]
	if !ok {
		return nil, ""
	}
	c := f.comm[r.refs[branch]]
	out := map[string]string{}
	for p, b := range f.trees[c.tree] {
		out[p] = string(f.blobs[b])
	}
	return out, c.message
}

// RepoCommits counts the commits reachable from a branch of a repository
// other than acme/gitops.
func (f *Server) RepoCommits(slug, branch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.repos[slug]
	if !ok {
		return 0
	}
	n := 0
	for c := r.refs[branch]; c != ""; n++ {
		ps := f.comm[c].parents
		if len(ps) == 0 {
			return n + 1
		}
		c = ps[0]
	}
	return n
}

// URL is the API base to point go-github at (GITHUB_API_URL).
func (f *Server) URL() string { return f.srv.URL + "/" }
