package gitops

import (
	"net/url"
	"strings"
)

// BrowseURL is where people read the GitOps repository's base branch; a
// file's address is it followed by "/" and the file's path: on GitHub
// https://<host>/<owner>/<name>/blob/<base> (host is the GitHub web host,
// github.com when empty; HEAD when no base is configured: the default
// branch), and file://<absolute folder> for a local repository (its
// base branch's files at their paths once checked out).
func (p *Publisher) BrowseURL(host string) string {
	if p.local != nil {
		return (&url.URL{Scheme: "file", Path: p.local.Dir()}).String()
	}
	if host == "" {
		host = "github.com"
	}
	ref := p.ref
	if ref == "" {
		ref = "HEAD"
	}
	return "https://" + strings.TrimSuffix(host, "/") + "/" + p.owner + "/" + p.repo + "/blob/" + ref
}
