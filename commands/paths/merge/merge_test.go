package merge

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cases are merges whose result git merge-file --diff3 agrees with (see
// TestMergeAgreesWithGit).
var cases = []struct {
	name            string
	base, ours, new string
	want            string
	conflicts       int
}{
	{name: "only ours changed", base: "a\nb\nc\n", ours: "a\nB\nc\n", new: "a\nb\nc\n", want: "a\nB\nc\n"},
	{name: "only new changed", base: "a\nb\nc\n", ours: "a\nb\nc\n", new: "a\nb\nC\n", want: "a\nb\nC\n"},
	{name: "both changed different lines", base: "a\nb\nc\nd\ne\n", ours: "A\nb\nc\nd\ne\n", new: "a\nb\nc\nd\nE\n", want: "A\nb\nc\nd\nE\n"},
	{name: "both changed alike", base: "a\nb\nc\n", ours: "a\nX\nc\n", new: "a\nX\nc\n", want: "a\nX\nc\n"},
	{name: "new inserts, ours deletes elsewhere", base: "a\nb\nc\nd\ne\n", ours: "a\nc\nd\ne\n", new: "a\nb\nc\nd\nnew\ne\n", want: "a\nc\nd\nnew\ne\n"},
	{name: "conflict", base: "a\nb\nc\n", ours: "a\nours\nc\n", new: "a\nnew\nc\n",
		want: "a\n<<<<<<< ours\nours\n||||||| base\nb\n=======\nnew\n>>>>>>> new\nc\n", conflicts: 1},
	{name: "conflict at the end without newline", base: "a\nb", ours: "a\nx", new: "a\ny",
		want: "a\n<<<<<<< ours\nx\n||||||| base\nb\n=======\ny\n>>>>>>> new\n", conflicts: 1},
	{name: "two conflicts", base: "1\n2\n3\n4\n5\n", ours: "1\nA\n3\n4\nC\n", new: "1\nB\n3\n4\nD\n",
		want: "1\n<<<<<<< ours\nA\n||||||| base\n2\n=======\nB\n>>>>>>> new\n3\n4\n<<<<<<< ours\nC\n||||||| base\n5\n=======\nD\n>>>>>>> new\n", conflicts: 2},
	{name: "both append different", base: "a\n", ours: "a\nx\n", new: "a\ny\n",
		want: "a\n<<<<<<< ours\nx\n||||||| base\n=======\ny\n>>>>>>> new\n", conflicts: 1},
	{name: "ours deletes a line new changes", base: "a\nb\nc\n", ours: "a\nc\n", new: "a\nB\nc\n",
		want: "a\n<<<<<<< ours\n||||||| base\nb\n=======\nB\n>>>>>>> new\nc\n", conflicts: 1},
	{name: "empty base, same additions", base: "", ours: "x\n", new: "x\n", want: "x\n"},
	{name: "yaml image bump and replica edit", base: "kind: Deployment\nspec:\n  replicas: 2\n  port: 8080\n  image: app:1\n",
		ours: "kind: Deployment\nspec:\n  replicas: 5\n  port: 8080\n  image: app:1\n", new: "kind: Deployment\nspec:\n  replicas: 2\n  port: 8080\n  image: app:2\n",
		want: "kind: Deployment\nspec:\n  replicas: 5\n  port: 8080\n  image: app:2\n"},
	// Changes on adjacent lines conflict, as in git.
	{name: "adjacent changes conflict", base: "a\nb\nc\nd\n", ours: "a\nB\nc\nd\n", new: "a\nb\nC\nd\n",
		want: "a\n<<<<<<< ours\nB\nc\n||||||| base\nb\nc\n=======\nb\nC\n>>>>>>> new\nd\n", conflicts: 1},
}

func TestMerge(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Merge(c.base, c.ours, c.new)
			if got.Text != c.want || got.Conflicts != c.conflicts {
				t.Fatalf("Merge =\n%s(%d conflicts), want\n%s(%d conflicts)", got.Text, got.Conflicts, c.want, c.conflicts)
			}
		})
	}
}

// TestMergeAgreesWithGit merges every case with git merge-file --diff3 too
// (when git is installed) and wants the same text.
func TestMergeAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, s string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			o, b, n := write("ours", c.ours), write("base", c.base), write("new", c.new)
			out, err := exec.Command("git", "merge-file", "-p", "--diff3", "-L", "ours", "-L", "base", "-L", "new", o, b, n).Output()
			if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != c.conflicts) {
				t.Fatalf("git merge-file: %v", err)
			}
			if string(out) != c.want {
				t.Fatalf("git merge-file gives\n%s, the case wants\n%s", out, c.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	if got := Lines("a\nb"); len(got) != 2 || got[0] != "a\n" || got[1] != "b" {
		t.Fatalf("Lines = %q", got)
	}
	if got := Lines(""); len(got) != 0 {
		t.Fatalf("Lines(\"\") = %q", got)
	}
}
