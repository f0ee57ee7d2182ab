// Package gitops embeds the example GitOps state: the Deployment and
// Service of each example catalog service with a deployment intent, in
// each of its environments, in the layout new-service writes
// (teams/<team>/<service>/<environment>/), and each example database
// new-db made (databases/<db>/: its claims, catalog entry and migrations),
// and the Helm charts of checkout-service and payments-service
// (services/<service>/chart/, where new-environment points Argo CD).
// In demo mode platbot makes them the first commit of a local GitOps
// repository it creates, so the golden paths that start from a service's
// manifests (new-cache, add-region) or a database's migrations
// (new-migration) or chart (new-environment) run on the embedded defaults.
package gitops

import (
	"embed"
	"fmt"
	"io/fs"
)

// Dir is the folder's name in messages.
const Dir = "examples/gitops"

//go:embed teams databases services
var files embed.FS

// Files returns every example file, slash path → content, the paths
// relative to the GitOps repository's root.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", Dir, p, err)
		}
		out[p] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
