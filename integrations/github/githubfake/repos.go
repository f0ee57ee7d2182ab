package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// handleOther answers the routes of repository creation (accounts,
// organisation and user repositories, contents, topics, collaborators,
// teams) and every route of repositories other than acme/gitops. ok is
// false for what the acme/gitops routes answer. The lock is held.
func (f *Server) handleOther(r *http.Request, p string, body []byte, js func(any) string) (int, string, bool) {
	notFound := js(map[string]any{"message": "Not Found"})
	switch {
	case r.Method == "GET" && p == "/rate_limit":
		core := map[string]any{"limit": 5000, "remaining": 4999, "reset": 1700000000}
		return 200, js(map[string]any{"resources": map[string]any{"core": core}, "rate": core}), true
	case r.Method == "GET" && strings.HasPrefix(p, "/users/"):
		login := strings.TrimPrefix(p, "/users/")
		typ := "User"
		if f.orgs[login] {
			typ = "Organization"
		}
		return 200, js(map[string]any{"login": login, "type": typ}), true
	case r.Method == "POST" && (p == "/user/repos" || strings.HasPrefix(p, "/orgs/") && strings.HasSuffix(p, "/repos")):
		owner := f.login
		if p != "/user/repos" {
			owner = strings.TrimSuffix(strings.TrimPrefix(p, "/orgs/"), "/repos")
		}
		var in struct {
			Name, Description, Visibility string
			Private                       bool
		}
		_ = json.Unmarshal(body, &in)
		slug := owner + "/" + in.Name
		if _, ok := f.repos[slug]; ok || slug == "acme/gitops" {
			return 422, js(map[string]any{"message": "Repository creation failed.", "errors": []any{map[string]any{"message": "name already exists on this account"}}}), true
		}
		rp := &Repo{FullName: slug, Description: in.Description, Private: in.Private, Visibility: in.Visibility, DefaultBranch: "main",
			Collaborators: map[string]string{}, Teams: map[string]string{}, refs: map[string]string{}}
		if rp.Visibility == "" {
			rp.Visibility = map[bool]string{true: "private", false: "public"}[in.Private]
		}
		f.repos[slug] = rp
		return 201, js(repoJSON(rp)), true
	case r.Method == "PUT" && strings.HasPrefix(p, "/orgs/") && strings.Contains(p, "/teams/"):
		// /orgs/{org}/teams/{team}/repos/{owner}/{repo}
		parts := strings.Split(strings.TrimPrefix(p, "/orgs/"), "/")
		if len(parts) != 6 || parts[1] != "teams" || parts[3] != "repos" {
			return 404, notFound, true
		}
		rp, ok := f.repos[parts[4]+"/"+parts[5]]
		if !ok || !f.orgs[parts[0]] {
			return 404, notFound, true
		}
		var in struct{ Permission string }
		_ = json.Unmarshal(body, &in)
		rp.Teams[parts[2]] = in.Permission
		return 204, "", true
	}
	rest, ok := strings.CutPrefix(p, "/repos/")
	if !ok {
		return 0, "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 {
		return 0, "", false
	}
	slug := parts[0] + "/" + parts[1]
	if slug == "acme/gitops" {
		if len(parts) == 3 && strings.HasPrefix(parts[2], "pulls/") && strings.HasSuffix(parts[2], "/requested_reviewers") {
			return f.requestReviewers(f.pullsOf(""), parts[2], body, js), "", true
		}
		return 0, "", false
	}
	rp, ok := f.repos[slug]
	if !ok {
		return 404, notFound, true
	}
	sub := ""
	if len(parts) == 3 {
		sub = parts[2]
	}
	empty := len(rp.refs) == 0
	switch {
	case sub == "" && r.Method == "GET":
		return 200, js(repoJSON(rp)), true
	case sub == "" && r.Method == "PATCH":
		var in struct {
			DefaultBranch string `json:"default_branch"`
		}
		_ = json.Unmarshal(body, &in)
		if in.DefaultBranch != "" {
			if _, ok := rp.refs[in.DefaultBranch]; !ok {
				return 422, js(map[string]any{"message": "Validation Failed"}), true
			}
			rp.DefaultBranch = in.DefaultBranch
		}
		return 200, js(repoJSON(rp)), true
	case strings.HasPrefix(sub, "contents/") && r.Method == "PUT":
		file, _ := url.PathUnescape(strings.TrimPrefix(sub, "contents/"))
		var in struct{ Message, Content, Branch string }
		_ = json.Unmarshal(body, &in)
		data, _ := base64.StdEncoding.DecodeString(in.Content)
		branch := in.Branch
		if branch == "" {
			branch = rp.DefaultBranch
		}
		tree := map[string]string{}
		var parents []string
		if head, ok := rp.refs[branch]; ok {
			for k, v := range f.trees[f.comm[head].tree] {
				tree[k] = v
			}
			parents = []string{head}
		} else if !empty {
			return 404, js(map[string]any{"message": "Branch not found"}), true
		}
		b := ghSHA("blob", string(data))
		f.blobs[b] = data
		tree[file] = b
		t := f.putTree(tree)
		c := ghSHA("commit", in.Message, t, strings.Join(parents, ","), strconv.Itoa(len(f.comm)))
		f.comm[c] = commit{tree: t, parents: parents, message: in.Message}
		rp.refs[branch] = c
		if empty {
			rp.DefaultBranch = branch
		}
		return 201, js(map[string]any{"content": map[string]any{"path": file}, "commit": map[string]any{"sha": c}}), true
	case empty && strings.HasPrefix(sub, "git/"):
		return 409, js(map[string]any{"message": "Git Repository is empty."}), true
	case r.Method == "GET" && strings.HasPrefix(sub, "git/ref/heads/"):
		b, _ := url.PathUnescape(strings.TrimPrefix(sub, "git/ref/heads/"))
		s, ok := rp.refs[b]
		if !ok {
			return 404, notFound, true
		}
		return 200, js(map[string]any{"ref": "refs/heads/" + b, "object": map[string]any{"sha": s, "type": "commit"}}), true
	case r.Method == "PATCH" && strings.HasPrefix(sub, "git/refs/heads/"):
		b, _ := url.PathUnescape(strings.TrimPrefix(sub, "git/refs/heads/"))
		var in struct {
			SHA   string
			Force bool
		}
		_ = json.Unmarshal(body, &in)
		if _, ok := rp.refs[b]; !ok {
			return 422, js(map[string]any{"message": "Reference does not exist"}), true
		}
		rp.refs[b] = in.SHA
		return 200, js(map[string]any{"ref": "refs/heads/" + b, "object": map[string]any{"sha": in.SHA}}), true
	case r.Method == "POST" && sub == "git/refs":
		var in struct{ Ref, SHA string }
		_ = json.Unmarshal(body, &in)
		b := strings.TrimPrefix(in.Ref, "refs/heads/")
		if _, ok := rp.refs[b]; ok {
			return 422, js(map[string]any{"message": "Reference already exists"}), true
		}
		rp.refs[b] = in.SHA
		return 201, js(map[string]any{"ref": in.Ref, "object": map[string]any{"sha": in.SHA}}), true
	case r.Method == "GET" && strings.HasPrefix(sub, "git/commits/"):
		s := strings.TrimPrefix(sub, "git/commits/")
		c, ok := f.comm[s]
		if !ok {
			return 404, notFound, true
		}
		return 200, js(map[string]any{"sha": s, "tree": map[string]any{"sha": c.tree}, "message": c.message}), true
	case r.Method == "POST" && sub == "git/blobs":
		var in struct{ Content, Encoding string }
		_ = json.Unmarshal(body, &in)
		data, _ := base64.StdEncoding.DecodeString(in.Content)
		s := ghSHA("blob", string(data))
		f.blobs[s] = data
		return 201, js(map[string]any{"sha": s}), true
	case r.Method == "POST" && sub == "git/trees":
		code, out := f.createTree(body, js)
		return code, out, true
	case r.Method == "POST" && sub == "git/commits":
		var in struct {
			Message, Tree string
			Parents       []string
		}
		_ = json.Unmarshal(body, &in)
		s := ghSHA("commit", in.Message, in.Tree, strings.Join(in.Parents, ","), strconv.Itoa(len(f.comm)))
		f.comm[s] = commit{tree: in.Tree, parents: in.Parents, message: in.Message}
		return 201, js(map[string]any{"sha": s, "message": in.Message}), true
	case r.Method == "PUT" && sub == "topics":
		var in struct{ Names []string }
		_ = json.Unmarshal(body, &in)
		rp.Topics = in.Names
		return 200, js(map[string]any{"names": in.Names}), true
	case r.Method == "PUT" && strings.HasPrefix(sub, "collaborators/"):
		var in struct{ Permission string }
		_ = json.Unmarshal(body, &in)
		rp.Collaborators[strings.TrimPrefix(sub, "collaborators/")] = in.Permission
		return 201, js(map[string]any{"id": 1}), true
	case r.Method == "GET" && sub == "pulls":
		head := r.URL.Query().Get("head")
		out := []any{}
		for _, pr := range slices.Backward(f.pullsOf(slug)) { // newest first, as GitHub lists them
			if (head == "" || head == parts[0]+":"+pr.Head) && pr.listed(r.URL.Query().Get("state")) {
				out = append(out, f.repoPullJSON(rp, pr))
			}
		}
		return 200, js(out), true
	case r.Method == "POST" && sub == "pulls":
		var in struct {
			Title, Head, Base, Body string
			Draft                   bool
		}
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf(slug) {
			if pr.Head == in.Head && !pr.Closed {
				return 422, js(map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"message": "A pull request already exists for " + parts[0] + ":" + in.Head + "."}}}), true
			}
		}
		pr := &Pull{Number: len(f.pullsOf(slug)) + 1, Head: in.Head, Base: in.Base, Title: in.Title, Body: in.Body, Draft: in.Draft, Repo: slug}
		f.pulls = append(f.pulls, pr)
		return 201, js(f.repoPullJSON(rp, pr)), true
	case r.Method == "POST" && strings.HasPrefix(sub, "issues/") && strings.HasSuffix(sub, "/labels"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(sub, "issues/"), "/labels"))
		var in []string
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf(slug) {
			if pr.Number == n {
				pr.Labels = appendNew(pr.Labels, in...)
			}
		}
		return 200, "[]", true
	case r.Method == "POST" && strings.HasPrefix(sub, "issues/") && strings.HasSuffix(sub, "/assignees"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(sub, "issues/"), "/assignees"))
		var in struct{ Assignees []string }
		_ = json.Unmarshal(body, &in)
		for _, pr := range f.pullsOf(slug) {
			if pr.Number == n {
				pr.Assignees = appendNew(pr.Assignees, in.Assignees...)
			}
		}
		return 201, js(map[string]any{"number": n}), true
	case r.Method == "POST" && strings.HasPrefix(sub, "pulls/") && strings.HasSuffix(sub, "/requested_reviewers"):
		return f.requestReviewers(f.pullsOf(slug), sub, body, js), "", true
	}
	return 404, js(map[string]any{"message": "no fake route for " + r.Method + " " + p}), true
}

// requestReviewers records a review request; the answer carries no body
// worth reading.
func (f *Server) requestReviewers(pulls []*Pull, sub string, body []byte, js func(any) string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(sub, "pulls/"), "/requested_reviewers"))
	var in struct {
		Reviewers     []string
		TeamReviewers []string `json:"team_reviewers"`
	}
	_ = json.Unmarshal(body, &in)
	for _, pr := range pulls {
		if pr.Number == n {
			pr.Reviewers = appendNew(pr.Reviewers, in.Reviewers...)
			pr.TeamReviewers = appendNew(pr.TeamReviewers, in.TeamReviewers...)
			return 201
		}
	}
	return 404
}

// pullsOf are the pull requests of a repository ("" for acme/gitops).
func (f *Server) pullsOf(slug string) []*Pull {
	var out []*Pull
	for _, pr := range f.pulls {
		if pr.Repo == slug {
			out = append(out, pr)
		}
	}
	return out
}

func (f *Server) putTree(files map[string]string) string {
	var parts []string
	for k, v := range files {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	s := ghSHA(append([]string{"tree"}, parts...)...)
	f.trees[s] = files
	return s
}

func repoJSON(rp *Repo) map[string]any {
	size := 0
	if len(rp.refs) > 0 {
		size = 1
	}
	return map[string]any{
		"full_name": rp.FullName, "name": rp.FullName[strings.Index(rp.FullName, "/")+1:], "description": rp.Description,
		"default_branch": rp.DefaultBranch, "private": rp.Private, "visibility": rp.Visibility, "size": size,
		"clone_url": "https://github.example/" + rp.FullName + ".git", "html_url": "https://github.example/" + rp.FullName,
	}
}

func (f *Server) repoPullJSON(rp *Repo, pr *Pull) map[string]any {
	return map[string]any{
		"number": pr.Number, "state": pr.state(), "merged_at": pr.mergedAt(), "title": pr.Title, "body": pr.Body, "draft": pr.Draft,
		"html_url": fmt.Sprintf("https://github.example/%s/pull/%d", rp.FullName, pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": rp.refs[pr.Head]},
		"base":     map[string]any{"ref": pr.Base},
	}
}
