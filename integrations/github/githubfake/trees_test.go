package githubfake

import (
	"encoding/json"
	"fmt"
	"testing"
)

// ApplyTree follows GitHub's create-a-tree rules: sha names a blob,
// content becomes one, "sha": null deletes a file; both or neither of sha
// and content, or deleting what is not a file, is a 422.
func TestApplyTree(t *testing.T) {
	base := map[string]string{"a.yaml": "b1", "dir/b.yaml": "b2"}
	store := func(b []byte) string { return "new:" + string(b) }
	apply := func(body string) (map[string]string, int, string) {
		t.Helper()
		var in TreeRequest
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatal(err)
		}
		return ApplyTree(base, in.Tree, store)
	}
	files, code, _ := apply(`{"tree":[{"path":"a.yaml","mode":"100644","type":"blob","sha":null},{"path":"c.yaml","sha":"b3"},{"path":"dir/d.yaml","content":"hi"}]}`)
	if code != 0 || fmt.Sprint(files) != "map[c.yaml:b3 dir/b.yaml:b2 dir/d.yaml:new:hi]" {
		t.Errorf("applied: %d %v", code, files)
	}
	if len(base) != 2 || base["a.yaml"] != "b1" {
		t.Errorf("base changed: %v", base)
	}
	for body, want := range map[string]string{
		`{"tree":[{"path":"a.yaml","mode":"100644","type":"blob"}]}`:               MsgShaOrContent,
		`{"tree":[{"path":"a.yaml","sha":"b1","content":"x"}]}`:                    MsgShaOrContent,
		`{"tree":[{"path":"gone.yaml","mode":"100644","type":"blob","sha":null}]}`: MsgBadObjectState,
		`{"tree":[{"path":"dir","mode":"040000","type":"tree","sha":null}]}`:       MsgBadObjectState,
	} {
		if _, code, msg := apply(body); code != 422 || msg != want {
			t.Errorf("%s: %d %q, want 422 %q", body, code, msg, want)
		}
	}
}
