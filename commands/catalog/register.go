package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// RegisterLocation adds target, the URL of a catalog file, as a location
// at run time (what a golden path's catalog:register step asks for, as
// Backstage's addLocation): a https://{githubHost}/{owner}/{repo}/blob/{ref}/{path}
// URL, or a file:// URL of a local file. It is always a team source of
// owner (a group): it may only add Component, API, Resource, System and
// Template entities owned by owner. Its entities are read from the next
// refresh on. Registered locations are kept with the saved snapshot (see
// WithSnapshots), so they outlive a restart when the snapshots are
// persisted. A target already configured or registered for the same owner
// is kept as it is (created false); registered for another owner, it is
// an error.
func (c *Catalog) RegisterLocation(ctx context.Context, target, owner string) (created bool, err error) {
	target = strings.TrimSpace(target)
	if strings.TrimSpace(owner) == "" {
		return false, fmt.Errorf("register location %s: an owning group is required", target)
	}
	l := LocationConfig{Target: target, Owner: owner}
	if p, ok := strings.CutPrefix(target, "file://"); ok {
		l = LocationConfig{Type: LocationFile, Target: p, Owner: owner}
	}
	if err := l.validate("location "+target, c.cfg.GitHubHost); err != nil {
		return false, fmt.Errorf("register location: %w", err)
	}
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	for _, x := range slices.Concat(c.cfg.Organization, c.cfg.Locations, c.registered) {
		if !l.sameAs(x) {
			continue
		}
		if x.Owner != l.Owner {
			who := x.Owner
			if who == "" {
				who = "the organisation"
			}
			return false, fmt.Errorf("register location %s: it is already a location of %s, not of %s", target, who, l.Owner)
		}
		return false, nil
	}
	c.registered = append(c.registered, l)
	if err := c.save(ctx, c.snap.Load()); err != nil {
		c.registered = c.registered[:len(c.registered)-1]
		return false, fmt.Errorf("register location %s: %w", target, err)
	}
	c.log.Info("catalog: location registered", "target", target, "owner", l.Owner)
	return true, nil
}

// Registered returns the locations added with RegisterLocation.
func (c *Catalog) Registered() []LocationConfig {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	return slices.Clone(c.registered)
}
