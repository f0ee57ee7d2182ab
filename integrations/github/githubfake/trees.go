package githubfake

import (
	"encoding/json"
	"net/http"
)

// Tree error messages GitHub answers a create-a-tree request with (422).
const (
	// MsgShaOrContent: an entry gave both sha and content, or neither
	// (a deletion must send "sha": null, not leave sha out).
	MsgShaOrContent = "Must supply either tree.sha or tree.content. Request will be rejected if both are present."
	// MsgBadObjectState: a deletion ("sha": null) named a path that is not
	// a file of the base tree (nothing there, or a folder).
	MsgBadObjectState = "GitRPC::BadObjectState"
)

// ApplyTree applies the body of a create-a-tree request (POST
// /repos/{owner}/{repo}/git/trees) to base, the files of its base_tree
// (path → blob sha), as GitHub does: an entry's sha names the blob at its
// path, its content is stored as a new blob (storeBlob returns its sha),
// and "sha": null deletes the file at its path. It returns the new tree's
// files, or GitHub's status and message for a request GitHub refuses:
// both or neither of sha and content (422), or a deletion of a path that
// is not a file of the base tree (422, "Returns an error if you try to
// delete a file that does not exist"). base is not changed.
func ApplyTree(base map[string]string, entries []TreeEntry, storeBlob func([]byte) string) (map[string]string, int, string) {
	files := make(map[string]string, len(base))
	for k, v := range base {
		files[k] = v
	}
	for _, e := range entries {
		hasSHA := len(e.SHA) > 0
		isNull := string(e.SHA) == "null"
		switch {
		case hasSHA == (e.Content != nil):
			return nil, http.StatusUnprocessableEntity, MsgShaOrContent
		case e.Content != nil:
			files[e.Path] = storeBlob([]byte(*e.Content))
		case isNull:
			if _, ok := files[e.Path]; !ok {
				return nil, http.StatusUnprocessableEntity, MsgBadObjectState
			}
			delete(files, e.Path)
		default:
			var sha string
			if err := json.Unmarshal(e.SHA, &sha); err != nil {
				return nil, http.StatusBadRequest, "Problems parsing JSON"
			}
			files[e.Path] = sha
		}
	}
	return files, 0, ""
}

// TreeEntry is one entry of a create-a-tree request. SHA keeps the raw
// JSON value, so that "sha": null (delete) differs from no sha at all.
type TreeEntry struct {
	Path    string          `json:"path"`
	Mode    string          `json:"mode"`
	Type    string          `json:"type"`
	SHA     json.RawMessage `json:"sha"`
	Content *string         `json:"content"`
}

// TreeRequest is the body of a create-a-tree request.
type TreeRequest struct {
	BaseTree string      `json:"base_tree"`
	Tree     []TreeEntry `json:"tree"`
}

// createTree answers a create-a-tree request (see ApplyTree); f.mu is held.
func (f *Server) createTree(body []byte, js func(any) string) (int, string) {
	var in TreeRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return http.StatusBadRequest, js(map[string]any{"message": "Problems parsing JSON"})
	}
	files, code, msg := ApplyTree(f.trees[in.BaseTree], in.Tree, func(b []byte) string {
		s := ghSHA("blob", string(b))
		f.blobs[s] = b
		return s
	})
	if code != 0 {
		return code, js(map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/git/trees#create-a-tree"})
	}
	return http.StatusCreated, js(map[string]any{"sha": f.putTree(files)})
}
