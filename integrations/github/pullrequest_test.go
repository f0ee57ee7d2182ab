package github

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/github/githubfake"
)

// prFake speaks the REST shapes PullRequests uses (repos, git data, pulls,
// issue labels and assignees) on loopback, and records every request.
type prFake struct {
	srv   *httptest.Server
	mu    sync.Mutex
	refs  map[string]string
	comm  map[string]fakeCommit
	trees map[string]map[string]string
	blobs map[string][]byte
	pulls []*fakePull
	reqs  []string
	// fail, when set, may answer a request instead of the fake.
	fail func(method, path string) (code int, header http.Header, body string)
}

type fakeCommit struct {
	tree    string
	parents []string
	message string
}

type fakePull struct {
	Number                  int
	Head, Base, Title, Body string
	Labels, Assignees       []string
}

func newPRFake(t *testing.T) *prFake {
	f := &prFake{
		refs: map[string]string{}, comm: map[string]fakeCommit{},
		trees: map[string]map[string]string{"t0": {"README.md": "b0"}}, blobs: map[string][]byte{"b0": []byte("hello\n")},
	}
	f.comm["c0"] = fakeCommit{tree: "t0", message: "init"}
	f.refs["main"] = "c0"
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func sha(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func (f *prFake) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func (f *prFake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r.Method+" "+p)
	if f.fail != nil {
		if code, hdr, msg := f.fail(r.Method, p); code != 0 {
			for k, v := range hdr {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, msg)
			return
		}
	}
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	const repo = "/repos/acme/gitops"
	switch {
	case r.Method == "GET" && p == repo:
		reply(200, map[string]any{"full_name": "acme/gitops", "default_branch": "main"})
	case r.Method == "GET" && strings.HasPrefix(p, repo+"/git/ref/heads/"):
		b, _ := url.PathUnescape(strings.TrimPrefix(p, repo+"/git/ref/heads/"))
		s, ok := f.refs[b]
		if !ok {
			reply(404, map[string]any{"message": "Not Found"})
			return
		}
		reply(200, map[string]any{"ref": "refs/heads/" + b, "object": map[string]any{"sha": s, "type": "commit"}})
	case r.Method == "POST" && p == repo+"/git/refs":
		var in struct{ Ref, SHA string }
		_ = json.Unmarshal(body, &in)
		b := strings.TrimPrefix(in.Ref, "refs/heads/")
		if _, ok := f.refs[b]; ok {
			reply(422, map[string]any{"message": "Reference already exists"})
			return
		}
		f.refs[b] = in.SHA
		reply(201, map[string]any{"ref": in.Ref, "object": map[string]any{"sha": in.SHA}})
	case r.Method == "GET" && strings.HasPrefix(p, repo+"/git/commits/"):
		s := strings.TrimPrefix(p, repo+"/git/commits/")
		c, ok := f.comm[s]
		if !ok {
			reply(404, map[string]any{"message": "Not Found"})
			return
		}
		reply(200, map[string]any{"sha": s, "tree": map[string]any{"sha": c.tree}, "message": c.message})
	case r.Method == "POST" && p == repo+"/git/blobs":
		var in struct{ Content, Encoding string }
		_ = json.Unmarshal(body, &in)
		data, _ := base64.StdEncoding.DecodeString(in.Content)
		s := sha("blob", string(data))
		f.blobs[s] = data
		reply(201, map[string]any{"sha": s})
	case r.Method == "POST" && p == repo+"/git/trees":
		var in githubfake.TreeRequest
		_ = json.Unmarshal(body, &in)
		files, code, msg := githubfake.ApplyTree(f.trees[in.BaseTree], in.Tree, func(b []byte) string {
			s := sha("blob", string(b))
			f.blobs[s] = b
			return s
		})
		if code != 0 {
			reply(code, map[string]any{"message": msg})
			return
		}
		var parts []string
		for k, v := range files {
			parts = append(parts, k+"="+v)
		}
		sort.Strings(parts)
		s := sha(append([]string{"tree"}, parts...)...)
		f.trees[s] = files
		reply(201, map[string]any{"sha": s})
	case r.Method == "POST" && p == repo+"/git/commits":
		var in struct {
			Message, Tree string
			Parents       []string
		}
		_ = json.Unmarshal(body, &in)
		s := sha("commit", in.Message, in.Tree, strings.Join(in.Parents, ","), strconv.Itoa(len(f.comm)))
		f.comm[s] = fakeCommit{tree: in.Tree, parents: in.Parents, message: in.Message}
		reply(201, map[string]any{"sha": s})
	case r.Method == "GET" && p == repo+"/pulls":
		head := r.URL.Query().Get("head")
		var out []any
		for _, pr := range f.pulls {
			if head == "" || head == "acme:"+pr.Head {
				out = append(out, f.pullJSON(pr))
			}
		}
		reply(200, out)
	case r.Method == "POST" && p == repo+"/pulls":
		var in struct{ Title, Head, Base, Body string }
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pulls {
			if pr.Head == in.Head {
				reply(422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"message": "A pull request already exists for acme:" + in.Head + "."}}})
				return
			}
		}
		pr := &fakePull{Number: len(f.pulls) + 1, Head: in.Head, Base: in.Base, Title: in.Title, Body: in.Body}
		f.pulls = append(f.pulls, pr)
		reply(201, f.pullJSON(pr))
	case r.Method == "POST" && strings.HasSuffix(p, "/labels"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, repo+"/issues/"), "/labels"))
		var in []string
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pulls {
			if pr.Number == n {
				pr.Labels = union(pr.Labels, in)
			}
		}
		reply(200, []any{})
	case r.Method == "POST" && strings.HasSuffix(p, "/assignees"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, repo+"/issues/"), "/assignees"))
		var in struct{ Assignees []string }
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pulls {
			if pr.Number == n {
				pr.Assignees = union(pr.Assignees, in.Assignees)
			}
		}
		reply(201, map[string]any{"number": n})
	default:
		reply(404, map[string]any{"message": "no fake route for " + r.Method + " " + p})
	}
}

func union(a, b []string) []string {
	for _, x := range b {
		found := false
		for _, y := range a {
			found = found || x == y
		}
		if !found {
			a = append(a, x)
		}
	}
	return a
}

func (f *prFake) pullJSON(pr *fakePull) map[string]any {
	return map[string]any{
		"number": pr.Number, "state": "open", "title": pr.Title, "body": pr.Body,
		"html_url": fmt.Sprintf("https://github.example/acme/gitops/pull/%d", pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": f.refs[pr.Head]},
		"base":     map[string]any{"ref": pr.Base},
	}
}

// files returns path → content of a commit's tree.
func (f *prFake) files(commit string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for p, b := range f.trees[f.comm[commit].tree] {
		out[p] = string(f.blobs[b])
	}
	return out
}

func newPRs(t *testing.T, f *prFake) *PullRequests {
	t.Helper()
	c, err := New(f.srv.URL, "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.retry.minDelay, c.retry.maxDelay = time.Millisecond, 5*time.Millisecond
	p, err := c.PullRequests("acme/gitops", PullRequestOptions{MinDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testSpec() PullRequestSpec {
	return PullRequestSpec{
		Branch: "plat/r1-new-db", Title: "new-db: orders-db", Body: "Creates a database.",
		Files: []NewFile{
			{Path: "databases/orders-db/dev/claim.yaml", Content: []byte("kind: PostgresInstance\n")},
			{Path: "databases/orders-db/catalog-info.yaml", Content: []byte("kind: Resource\n")},
		},
		Labels: []string{"golden-path", "new-db"}, Assignees: []string{"jane"},
	}
}

func TestOpenCreatesOneCommitAndPR(t *testing.T) {
	f := newPRFake(t)
	p := newPRs(t, f)
	pr, err := p.Open(context.Background(), testSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Created || pr.Number != 1 || pr.Base != "main" || pr.URL != "https://github.example/acme/gitops/pull/1" {
		t.Fatalf("pr %+v", pr)
	}
	if n := f.count("POST /repos/acme/gitops/git/commits"); n != 1 {
		t.Fatalf("commits created: %d", n)
	}
	if n := f.count("POST /repos/acme/gitops/git/blobs"); n != 2 {
		t.Fatalf("blobs created: %d", n)
	}
	head := f.refs["plat/r1-new-db"]
	c := f.comm[head]
	if len(c.parents) != 1 || c.parents[0] != "c0" {
		t.Fatalf("commit parents %v", c.parents)
	}
	files := f.files(head)
	if files["databases/orders-db/dev/claim.yaml"] != "kind: PostgresInstance\n" || files["README.md"] != "hello\n" || len(files) != 3 {
		t.Fatalf("tree %v", files)
	}
	got := f.pulls[0]
	if got.Body != "Creates a database." || strings.Join(got.Labels, ",") != "golden-path,new-db" || strings.Join(got.Assignees, ",") != "jane" {
		t.Fatalf("pull %+v", got)
	}

	// Again: found, nothing new created.
	again, err := p.Open(context.Background(), testSpec())
	if err != nil || again.Created || again.Number != 1 {
		t.Fatalf("again %+v %v", again, err)
	}
	if n := f.count("POST /repos/acme/gitops/pulls"); n != 1 {
		t.Fatalf("pull requests created: %d", n)
	}
	if n := f.count("POST /repos/acme/gitops/git/commits"); n != 1 {
		t.Fatalf("commits created: %d", n)
	}
}

func TestOpenReusesBranchOfEarlierAttempt(t *testing.T) {
	f := newPRFake(t)
	// The earlier attempt created the branch, then died before the PR.
	f.fail = func(method, path string) (int, http.Header, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 502, nil, `{"message":"Bad Gateway"}`
		}
		return 0, nil, ""
	}
	p := newPRs(t, f)
	_, err := p.Open(context.Background(), testSpec())
	if err == nil || !strings.Contains(err.Error(), "GitHub answered 502") || !strings.Contains(err.Error(), "try again in a few minutes") {
		t.Fatalf("want a clear 502 error, got %v", err)
	}
	if n := f.count("POST /repos/acme/gitops/pulls"); n != 4 {
		t.Fatalf("attempts on the PR: %d, want 4", n)
	}
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	pr, err := p.Open(context.Background(), testSpec())
	if err != nil || !pr.Created {
		t.Fatalf("%+v %v", pr, err)
	}
	if n := f.count("POST /repos/acme/gitops/git/commits"); n != 1 {
		t.Fatalf("commits created: %d (the branch should be reused)", n)
	}
	if n := f.count("POST /repos/acme/gitops/git/refs"); n != 1 {
		t.Fatalf("refs created: %d", n)
	}
}

func TestOpenBacksOffOn429AndSecondaryLimit(t *testing.T) {
	f := newPRFake(t)
	var n429, nAbuse int
	f.fail = func(method, path string) (int, http.Header, string) {
		switch {
		case method == "POST" && path == "/repos/acme/gitops/git/trees" && n429 < 2:
			n429++
			return 429, http.Header{"Retry-After": {"0"}}, `{"message":"Too Many Requests"}`
		case method == "POST" && path == "/repos/acme/gitops/pulls" && nAbuse < 1:
			nAbuse++
			return 403, http.Header{"Retry-After": {"0"}}, `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
		}
		return 0, nil, ""
	}
	p := newPRs(t, f)
	pr, err := p.Open(context.Background(), testSpec())
	if err != nil || !pr.Created {
		t.Fatalf("%+v %v", pr, err)
	}
	if n429 != 2 || nAbuse != 1 {
		t.Fatalf("429s %d, secondary %d", n429, nAbuse)
	}
	if n := len(f.pulls); n != 1 {
		t.Fatalf("pulls %d", n)
	}
}

func TestOpenPersistent429FailsClearly(t *testing.T) {
	f := newPRFake(t)
	f.fail = func(method, path string) (int, http.Header, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 429, nil, `{"message":"Too Many Requests"}`
		}
		return 0, nil, ""
	}
	p := newPRs(t, f)
	_, err := p.Open(context.Background(), testSpec())
	if err == nil || !strings.Contains(err.Error(), "429 Too Many Requests") {
		t.Fatalf("got %v", err)
	}
	// A far-away Retry-After fails at once and says when.
	f.mu.Lock()
	f.fail = func(method, path string) (int, http.Header, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 429, http.Header{"Retry-After": {"3600"}}, `{"message":"Too Many Requests"}`
		}
		return 0, nil, ""
	}
	before := len(f.reqs)
	f.mu.Unlock()
	_, err = p.Open(context.Background(), testSpec())
	if err == nil || !strings.Contains(err.Error(), "try again after") {
		t.Fatalf("got %v", err)
	}
	if n := f.count("POST /repos/acme/gitops/pulls"); n-4 != 1 {
		t.Fatalf("should not wait an hour: %d PR attempts after %d requests", n-4, before)
	}
}

func TestOpenSkipsUnknownAssignee(t *testing.T) {
	f := newPRFake(t)
	f.fail = func(method, path string) (int, http.Header, string) {
		if strings.HasSuffix(path, "/assignees") {
			return 422, nil, `{"message":"Validation Failed"}`
		}
		return 0, nil, ""
	}
	pr, err := newPRs(t, f).Open(context.Background(), testSpec())
	if err != nil || pr.AssigneeError == "" {
		t.Fatalf("%+v %v", pr, err)
	}
}

func TestOpenRejectsBadSpecs(t *testing.T) {
	f := newPRFake(t)
	p := newPRs(t, f)
	for _, mut := range []func(*PullRequestSpec){
		func(s *PullRequestSpec) { s.Files[0].Path = "../../etc/passwd" },
		func(s *PullRequestSpec) { s.Files[0].Path = "/abs" },
		func(s *PullRequestSpec) { s.Files[0].Path = "a/./b" },
		func(s *PullRequestSpec) { s.Branch = "bad branch" },
		func(s *PullRequestSpec) { s.Files = nil },
	} {
		s := testSpec()
		mut(&s)
		if _, err := p.Open(context.Background(), s); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
	if len(f.reqs) != 0 {
		t.Fatalf("requests sent for invalid specs: %v", f.reqs)
	}
	if _, err := (&Client{}).PullRequests("nope", PullRequestOptions{}); err == nil {
		t.Fatal("bad slug accepted")
	}
}

// A pull request deletes files with "sha": null tree entries (go-github's
// TreeEntry without SHA and content): the branch's one commit writes one
// file and removes another, everything else stays; a retry reuses the
// branch and pull request; deleting a path that is not a file of the base
// branch is refused by GitHub and says which path, leaving no branch.
func TestOpenDeletesFiles(t *testing.T) {
	c, f := newRepoClient(t)
	f.AddRepo("acme/catalog", map[string]string{
		"teams/payments.yaml": "kind: Component\n", "teams/old.yaml": "kind: Component\n", "README.md": "catalog\n",
	})
	p, err := c.PullRequests("acme/catalog", PullRequestOptions{MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	spec := PullRequestSpec{
		Branch: "platbot/hygiene/hd-del-1", Title: "Remove old", CommitMessage: "Remove old",
		Files:  []NewFile{{Path: "teams/payments.yaml", Content: []byte("kind: Component # edited\n")}},
		Delete: []string{"teams/old.yaml"},
	}
	ctx := context.Background()
	pr, err := p.Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	files, msg := f.RepoFiles("acme/catalog", spec.Branch)
	want := map[string]string{"teams/payments.yaml": "kind: Component # edited\n", "README.md": "catalog\n"}
	if fmt.Sprint(files) != fmt.Sprint(want) || msg != "Remove old" {
		t.Fatalf("branch files %q (%q), want %q", files, msg, want)
	}
	if main, _ := f.RepoFiles("acme/catalog", "main"); main["teams/old.yaml"] == "" {
		t.Errorf("main changed: %q", main)
	}
	if n := f.RepoCommits("acme/catalog", spec.Branch); n != 2 {
		t.Errorf("%d commits on the branch, want the base and one", n)
	}
	var body string
	for _, r := range f.Requests() {
		if r.Method == "POST" && r.Path == "/repos/acme/catalog/git/trees" {
			body = r.Body
		}
	}
	if !strings.Contains(body, `{"sha":null,"path":"teams/old.yaml","mode":"100644","type":"blob"}`) {
		t.Errorf("the tree request does not delete with sha null: %s", body)
	}
	again, err := p.Open(ctx, spec)
	if err != nil || again.Created || again.Number != pr.Number {
		t.Fatalf("a retry: %+v, %v", again, err)
	}
	if n := f.Count("POST", "/repos/acme/catalog/git/commits"); n != 1 {
		t.Errorf("%d commits created, want 1", n)
	}

	// Deleting alone is a change too.
	only := PullRequestSpec{Branch: "platbot/hygiene/hd-del-2", Title: "Remove README", Delete: []string{"README.md"}}
	if _, err := p.Open(ctx, only); err != nil {
		t.Fatal(err)
	}
	if files, _ := f.RepoFiles("acme/catalog", only.Branch); len(files) != 2 || files["README.md"] != "" {
		t.Errorf("branch files %q", files)
	}

	// A path that is not a file of the base branch: nothing, or a folder.
	for i, gone := range []string{"teams/nope.yaml", "teams"} {
		bad := PullRequestSpec{Branch: fmt.Sprintf("platbot/hygiene/hd-del-bad-%d", i), Title: "Remove", Delete: []string{gone}}
		_, err = p.Open(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), "GitHub refuses to delete a path that is not a file on main: check "+gone) || !strings.Contains(err.Error(), "422") {
			t.Errorf("deleting %s: %v", gone, err)
		}
		if f.RepoCommits("acme/catalog", bad.Branch) != 0 || len(f.PullRequestsIn("acme/catalog")) != 2 {
			t.Errorf("deleting %s left a branch or pull request behind", gone)
		}
	}
}

// A path both written and deleted, or a deleted path leaving the
// repository, is refused before anything is sent.
func TestOpenRejectsBadDeletes(t *testing.T) {
	f := newPRFake(t)
	p := newPRs(t, f)
	for _, mut := range []func(*PullRequestSpec){
		func(s *PullRequestSpec) { s.Delete = []string{s.Files[0].Path} },
		func(s *PullRequestSpec) { s.Delete = []string{"../outside"} },
		func(s *PullRequestSpec) { s.Delete = []string{"a", "a"} },
	} {
		s := testSpec()
		mut(&s)
		if _, err := p.Open(context.Background(), s); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
	if len(f.reqs) != 0 {
		t.Fatalf("requests sent for invalid specs: %v", f.reqs)
	}
}
