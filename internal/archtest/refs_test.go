package archtest

import (
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Code comments and docs cite only documents inside the repository: a
// reader of a clone must be able to open every file they name. The scan
// below finds, in the comments of every .go file and in every .md file:
//
//   - a document name (a name ending in .md, bare or under one of the
//     repository's top folders) that names no file of the repository;
//   - a relative path starting with .. that climbs out of the repository
//     or names nothing in it (in Markdown, outside code spans, which hold
//     example values);
//   - a Markdown link to a file that does not exist.
//
// Web addresses are left alone. testdata folders hold fixtures (copies of
// outside projects' files among them) and are not read.

// badRef is one reference to something outside the repository.
type badRef struct {
	file string // slash-separated, relative to the repository root
	line int
	ref  string
	why  string
}

func (b badRef) String() string { return fmt.Sprintf("%s:%d: %q %s", b.file, b.line, b.ref, b.why) }

var (
	// urlRE matches web addresses, which may name any document.
	urlRE = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s)>\]]+`)
	// docRE matches a Markdown document name, with or without a folder.
	docRE = regexp.MustCompile(`(?:^|[^\w/.-])((?:\.\.?/)*\w[\w./-]*\.md)\b`)
	// upRE matches a relative path starting with "..".
	upRE = regexp.MustCompile(`(?:^|[^\w/.-])((?:\.\./)+[\w.-][\w./-]*|\.\.(?:$|[\s,;:)]))`)
	// codeRE matches a Markdown code span.
	codeRE = regexp.MustCompile("`[^`]*`")
	// linkRE matches the target of a Markdown link.
	linkRE = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)`)
)

// repo indexes a repository's files and folders.
type repo struct {
	paths map[string]bool // every file and folder, slash-separated
	bases map[string]bool // every file's base name
	files []string        // the paths of every file, sorted
}

// indexRepo lists the repository's files: the ones git tracks or would
// track (git-ignored local state such as .platbot/ is left out), or, where
// root is not a git work tree, every file outside hidden folders.
func indexRepo(root string) (*repo, error) {
	files, err := gitFiles(root)
	if err != nil {
		files, err = walkFiles(root)
		if err != nil {
			return nil, err
		}
	}
	r := &repo{paths: map[string]bool{".": true}, bases: map[string]bool{}}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); err != nil {
			continue // deleted in the work tree
		}
		r.files = append(r.files, f)
		r.bases[path.Base(f)] = true
		for p := f; p != "."; p = path.Dir(p) {
			r.paths[p] = true
		}
	}
	slices.Sort(r.files)
	return r, nil
}

// gitFiles lists tracked and untracked, not ignored, files under root.
func gitFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("git ls-files: no files under %s", root)
	}
	return files, nil
}

// walkFiles lists the files under root outside hidden folders.
func walkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// inside resolves a reference made from folder dir and reports whether it
// stays inside the repository and names something there.
func (r *repo) inside(dir, ref string) (escapes, exists bool) {
	p := path.Clean(path.Join(dir, ref))
	if p == ".." || strings.HasPrefix(p, "../") {
		return true, false
	}
	return false, r.paths[p]
}

// docExists reports whether a document name made from folder dir names a
// file of the repository: relative to dir or to the root, or (for a name
// like README.md or skeleton/README.md that a comment uses loosely) as the
// end of some file's path.
func (r *repo) docExists(dir, ref string) bool {
	if _, ok := r.inside(dir, ref); ok {
		return true
	}
	if strings.HasPrefix(ref, ".") {
		return false
	}
	if r.paths[path.Clean(ref)] {
		return true
	}
	top, _, nested := strings.Cut(ref, "/")
	if !nested {
		return r.bases[ref]
	}
	// A path under one of the repository's top folders is a citation and
	// must name a file (done above); any other folder is an example value
	// (a template's "skeleton/README.md").
	return !r.paths[top]
}

// checkText checks one line of a comment or document found in file.
func (r *repo) checkText(file string, line int, text string, markdown bool) []badRef {
	var out []badRef
	seen := map[string]bool{}
	add := func(ref, why string) {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, badRef{file, line, ref, why})
		}
	}
	dir := path.Dir(file)
	if markdown {
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || urlRE.MatchString(m[1]) || strings.HasPrefix(target, "mailto:") {
				continue
			}
			switch escapes, exists := r.inside(dir, target); {
			case escapes:
				add(m[1], "links outside the repository")
			case !exists:
				add(m[1], "links to a file that is not in the repository")
			}
		}
	}
	text = urlRE.ReplaceAllString(text, " ")
	prose := text
	if markdown {
		prose = codeRE.ReplaceAllString(text, " ")
	}
	for _, m := range upRE.FindAllStringSubmatch(prose, -1) {
		ref := strings.TrimRight(m[1], " \t,;:)")
		switch escapes, exists := r.inside(dir, ref); {
		case escapes:
			add(ref, "points outside the repository")
		case !exists:
			add(ref, "names a path that is not in the repository")
		}
	}
	for _, m := range docRE.FindAllStringSubmatch(text, -1) {
		ref := m[1]
		if escapes, _ := r.inside(dir, ref); escapes {
			continue // reported above
		}
		if !r.docExists(dir, ref) {
			add(ref, "names a document that is not in the repository")
		}
	}
	return out
}

// checkGo checks the comments of a Go source file. It scans rather than
// parses, so a file with a syntax error is still checked.
func (r *repo) checkGo(file string, src []byte) []badRef {
	var out []badRef
	fset := token.NewFileSet()
	tf := fset.AddFile(file, -1, len(src))
	var s scanner.Scanner
	s.Init(tf, src, func(token.Position, string) {}, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			continue
		}
		first := fset.Position(pos).Line
		for i, l := range strings.Split(lit, "\n") {
			out = append(out, r.checkText(file, first+i, l, false)...)
		}
	}
	return out
}

// scanRefs checks every .go file's comments and every .md file under root.
func scanRefs(root string) ([]badRef, error) {
	r, err := indexRepo(root)
	if err != nil {
		return nil, err
	}
	var out []badRef
	for _, f := range r.files {
		if slices.Contains(strings.Split(path.Dir(f), "/"), "testdata") {
			continue
		}
		isGo, isMD := strings.HasSuffix(f, ".go"), strings.HasSuffix(f, ".md")
		if !isGo && !isMD {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		if isGo {
			out = append(out, r.checkGo(f, src)...)
			continue
		}
		for i, l := range strings.Split(string(src), "\n") {
			out = append(out, r.checkText(f, i+1, l, true)...)
		}
	}
	return out, nil
}

// TestNoOutsideReferences fails naming file:line for every comment or doc
// that cites a document outside the repository.
func TestNoOutsideReferences(t *testing.T) {
	bad, err := scanRefs(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: cite a file inside the repository, or drop the citation", b)
	}
}

// TestScanRefsCatches runs the scan over a small tree with one of each
// kind of outside reference, and with references that are fine.
func TestScanRefsCatches(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"a/a.go": `package a

// Config follows DESIGN.md and docs/x.md.
var s = "DESIGN.md in a string is data, not a citation"

/* Naming as in ../shared/conventions, see
   https://example.com/STYLE.md and README.md. */
func f() {} // skeleton/README.md is written by the template

// Moved to docs/gone.md.
`,
		"a/a_test.go": "package a\n\n// As STYLE.md says.\n",
		"docs/x.md": "# X\n\n[code](../a/a.go), [top](../README.md#run), [here](#x), [web](https://example.com/y.md)\n" +
			"[gone](missing.md) and [out](../../elsewhere.md)\n\nSee STYLE.md, not [README](<../README.md>).\n" +
			"Paths that leave the root (`../../x.yaml`) are refused; ../notes is not here.\n",
		"README.md":                  "[x](docs/x.md)\n",
		"t/skeleton/README.md":       "skeleton\n",
		"a/testdata/fixture/NOTE.go": "package fixture\n\n// See DESIGN.md.\n",
		"a/testdata/fixture/n.md":    "[up](../../../../x.md)\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad, err := scanRefs(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bad {
		got = append(got, fmt.Sprintf("%s:%d %s", b.file, b.line, b.ref))
	}
	want := []string{
		"a/a.go:3 DESIGN.md",
		"a/a.go:6 ../shared/conventions",
		"a/a.go:10 docs/gone.md",
		"a/a_test.go:3 STYLE.md",
		"docs/x.md:4 missing.md",
		"docs/x.md:4 ../../elsewhere.md",
		"docs/x.md:6 STYLE.md",
		"docs/x.md:7 ../notes",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(bad) > 0 {
		if s := bad[0].String(); !strings.HasPrefix(s, "a/a.go:3: ") {
			t.Errorf("report %q does not start with file:line", s)
		}
	}
}

// TestScanRefsSkipsIgnored checks that git-ignored local state (like a
// shell's .platbot/ folder, whose rendered pull requests hold Markdown of
// their own) is not read, while an untracked file that is not ignored is.
// The ignored folder is not hidden, so only the git listing leaves it out.
func TestScanRefsSkipsIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	files := map[string]string{
		".gitignore":            "/state/\n",
		"state/gitops/notes.md": "See DESIGN.md.\n",
		"new.md":                "See STYLE.md.\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "init", "-q", root).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	bad, err := scanRefs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || bad[0].file != "new.md" || bad[0].ref != "STYLE.md" {
		t.Errorf("found %v, want only new.md's STYLE.md", bad)
	}
}
