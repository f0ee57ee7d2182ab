package gitops

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// BrowseURL names the GitOps repository's base branch for people: its
// GitHub page on the given host (the configured base, else HEAD), or the
// local repository's absolute folder as a file:// address.
func TestPublisherBrowseURL(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	_, c := fakeGitHub(t)
	for base, want := range map[string]string{"release": "https://ghe.acme.example/acme/gitops/blob/release", "": "https://ghe.acme.example/acme/gitops/blob/HEAD"} {
		p, err := GitHub(c, "acme/gitops", github.PullRequestOptions{Base: base})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.BrowseURL("ghe.acme.example"); got != want {
			t.Errorf("base %q: %s, want %s", base, got, want)
		}
	}
	p, _ := GitHub(c, "acme/gitops", github.PullRequestOptions{})
	if got := p.BrowseURL(""); got != "https://github.com/acme/gitops/blob/HEAD" {
		t.Errorf("no host: %s", got)
	}
	repo, err := gitlocal.Open(context.Background(), filepath.Join(t.TempDir(), "gitops"), gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := Local(repo).BrowseURL("github.com"); got != "file://"+filepath.ToSlash(repo.Dir()) || !filepath.IsAbs(repo.Dir()) {
		t.Errorf("local: %s (folder %s)", got, repo.Dir())
	}
}
