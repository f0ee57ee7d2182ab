package githubfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
)

// refsOf returns the branches of a repository ("acme/gitops" or one in
// repos), nil when there is none; the lock is held.
func (f *Server) refsOf(slug string) map[string]string {
	if slug == "acme/gitops" {
		return f.refs
	}
	if rp, ok := f.repos[slug]; ok {
		return rp.refs
	}
	return nil
}

// handleContents answers reads of the contents API (GET
// /repos/{owner}/{repo}/contents/{path}?ref=) of any repository: a file's
// content, base64-encoded, or a folder's entries. The lock is held.
func (f *Server) handleContents(r *http.Request, p string, js func(any) string) (int, string, bool) {
	rest, ok := strings.CutPrefix(p, "/repos/")
	if !ok || r.Method != "GET" {
		return 0, "", false
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 3 || parts[2] != "contents" {
		return 0, "", false
	}
	slug := parts[0] + "/" + parts[1]
	name := ""
	if len(parts) == 4 {
		name, _ = url.PathUnescape(parts[3])
	}
	name = strings.Trim(name, "/")
	refs := f.refsOf(slug)
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = "main"
		if rp, ok := f.repos[slug]; ok && rp.DefaultBranch != "" {
			ref = rp.DefaultBranch
		}
	}
	head, ok := refs[ref]
	notFound := js(map[string]any{"message": "Not Found"})
	if !ok {
		return 404, notFound, true
	}
	tree := f.trees[f.comm[head].tree]
	if b, ok := tree[name]; ok {
		data := f.blobs[b]
		return 200, js(map[string]any{"type": "file", "encoding": "base64", "name": path.Base(name), "path": name,
			"size": len(data), "sha": b, "content": base64.StdEncoding.EncodeToString(data)}), true
	}
	prefix := name + "/"
	if name == "" {
		prefix = ""
	}
	seen := map[string]string{}
	for p := range tree {
		sub, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if first, _, isDir := strings.Cut(sub, "/"); isDir {
			seen[first] = "dir"
		} else {
			seen[sub] = "file"
		}
	}
	if len(seen) == 0 {
		return 404, notFound, true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"type": seen[n], "name": n, "path": prefix + n}
	}
	return 200, js(out), true
}

// Merge fast-forwards main of a repository (acme/gitops, or one made by
// AddRepo or through the API) to branch, as merging its pull request does.
func (f *Server) Merge(slug, branch string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	refs := f.refsOf(slug)
	head, ok := refs[branch]
	if !ok {
		return fmt.Errorf("githubfake: %s has no branch %s", slug, branch)
	}
	refs["main"] = head
	for _, pr := range f.pullsOf(pullsKey(slug)) {
		if pr.Head == branch && !pr.Closed {
			pr.Closed, pr.Merged = true, true
		}
	}
	return nil
}

// Close closes pull request number of a repository (acme/gitops, or one
// made by AddRepo or through the API) without merging it, as someone
// declining it on GitHub does; its branch stays.
func (f *Server) Close(slug string, number int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pr := range f.pullsOf(pullsKey(slug)) {
		if pr.Number == number {
			pr.Closed = true
			return nil
		}
	}
	return fmt.Errorf("githubfake: %s has no pull request #%d", slug, number)
}

// pullsKey is the Pull.Repo of a repository's pull requests.
func pullsKey(slug string) string {
	if slug == "acme/gitops" {
		return ""
	}
	return slug
}

// Commit commits changes on main of a repository, as someone pushing:
// each path gets its new content, or is deleted when it is nil.
func (f *Server) Commit(slug, message string, changes map[string]*string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	refs := f.refsOf(slug)
	head, ok := refs["main"]
	if !ok {
		return fmt.Errorf("githubfake: %s has no main branch", slug)
	}
	tree := map[string]string{}
	for k, v := range f.trees[f.comm[head].tree] {
		tree[k] = v
	}
	for p, c := range changes {
		if c == nil {
			delete(tree, p)
			continue
		}
		b := ghSHA("blob", *c)
		f.blobs[b] = []byte(*c)
		tree[p] = b
	}
	t := f.putTree(tree)
	c := ghSHA("commit", message, t, head, strconv.Itoa(len(f.comm)))
	f.comm[c] = commit{tree: t, parents: []string{head}, message: message}
	refs["main"] = c
	return nil
}
