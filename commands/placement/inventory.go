package placement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement/place"
)

// deployedApp is what the GitOps repository's base branch has for one
// environment: its Application — a file of its own, or an element of the
// service's ApplicationSet — and where it sends it.
type deployedApp struct {
	// Cluster is the configured cluster of the destination, or the raw
	// destination when it names none (Known false).
	Cluster string
	Known   bool
	Path    string
	// Set says the environment is an element of the ApplicationSet at
	// Path, not an Application file.
	Set bool
	// Placement is the Application's placement annotation ("" = none);
	// Pinned says a move chose the cluster by hand (--to).
	Placement string
	Pinned    bool
	// Base identifies what the base branch has (baseHash): the
	// Application file, or the ApplicationSet's element.
	Base []byte
}

// where names the file, and the element: "Application `apps/…/dev.yaml`"
// or "ApplicationSet `apps/…/applicationset.yaml`, element dev".
func (a *deployedApp) where(env string) string {
	if a.Set {
		return fmt.Sprintf("ApplicationSet `%s`, element %s", a.Path, env)
	}
	return fmt.Sprintf("Application `%s`", a.Path)
}

// pinnedPrefix starts the placement annotation of an Application moved by
// hand (/plat move --to): the rules no longer decide where it runs.
const pinnedPrefix = "pinned"

// application reads what the GitOps repository's base branch has for a
// service's environment: its Application file, or its element of the
// service's ApplicationSet (the configured output's first when both
// exist); nil when neither (or no reader). data is the file as read, for
// moves that rewrite it.
func (p *Placement) application(ctx context.Context, e *catalog.Entity, env string) (app *deployedApp, data []byte, err error) {
	return p.applicationFrom(ctx, e, env, p.readFile)
}

// fileFunc reads a file of the GitOps repository's base branch (nil when
// there is none): Placement.readFile, or a memo of it.
type fileFunc func(ctx context.Context, path string) ([]byte, error)

// applicationFrom is application reading files with read.
func (p *Placement) applicationFrom(ctx context.Context, e *catalog.Entity, env string, read fileFunc) (app *deployedApp, data []byte, err error) {
	lookups := []func(context.Context, *catalog.Entity, string, fileFunc) (*deployedApp, []byte, error){p.applicationFile, p.applicationSetElement}
	if p.cfg.ArgoCD.Output == OutputApplicationSet {
		slices.Reverse(lookups)
	}
	for _, l := range lookups {
		if app, data, err = l(ctx, e, env, read); err != nil || app != nil {
			return app, data, err
		}
	}
	return nil, nil, nil
}

// memoFiles reads each file once: the ApplicationSet of a service is
// read for each of its environments.
func (p *Placement) memoFiles() fileFunc {
	type read struct {
		data []byte
		err  error
	}
	memo := map[string]read{}
	return func(ctx context.Context, path string) ([]byte, error) {
		if r, ok := memo[path]; ok {
			return r.data, r.err
		}
		data, err := p.readFile(ctx, path)
		memo[path] = read{data, err}
		return data, err
	}
}

// applicationFile reads the environment's Application file.
func (p *Placement) applicationFile(ctx context.Context, e *catalog.Entity, env string, read fileFunc) (*deployedApp, []byte, error) {
	path := p.appPath(e, env)
	data, err := read(ctx, path)
	if err != nil || data == nil {
		return nil, nil, err
	}
	dest, err := destinationOf(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var meta struct {
		Metadata struct {
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
	}
	_ = yaml.Unmarshal(data, &meta) // destinationOf parsed it already
	ann := meta.Metadata.Annotations[AnnotationPlacement]
	name, known := p.clusterOf(dest)
	return &deployedApp{Cluster: name, Known: known, Path: path, Placement: ann, Pinned: strings.HasPrefix(ann, pinnedPrefix), Base: data}, data, nil
}

// applicationSetElement reads the environment's element of the service's
// ApplicationSet: nil when there is no ApplicationSet or no such element.
func (p *Placement) applicationSetElement(ctx context.Context, e *catalog.Entity, env string, read fileFunc) (*deployedApp, []byte, error) {
	path := p.appSetPath(e)
	data, err := read(ctx, path)
	if err != nil || data == nil {
		return nil, nil, err
	}
	var kind struct {
		Kind string `json:"kind"`
	}
	if sigsyaml.Unmarshal(data, &kind) == nil && kind.Kind == ApplicationKind {
		return nil, nil, nil // the Application file of an environment named like the ApplicationSet's file
	}
	set, err := readApplicationSet(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	el, ok := set.element(env)
	if !ok {
		return nil, nil, nil
	}
	name, known := p.clusterOf(Destination{Server: el.Server, Name: el.DestinationName})
	return &deployedApp{Cluster: name, Known: known, Path: path, Set: true, Placement: el.Placement,
		Pinned: strings.HasPrefix(el.Placement, pinnedPrefix), Base: el.identity()}, data, nil
}

// baseHash identifies the content of an Application file on the base
// branch ("none" when there is no file): a move records it, and a later
// different content means its pull request merged or was overtaken.
func baseHash(data []byte) string {
	if data == nil {
		return "none"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// placed is one environment of a catalog service on a cluster.
type placed struct {
	Service, Env string
	// Cluster is where its Application sends it (FromApp), else where the
	// rules place it.
	Cluster string
	FromApp bool
}

// inventory is every environment of every catalog service with an intent,
// each on the cluster its Application names, or the rules' choice when it
// has no Application yet.
type inventory struct {
	placed   []placed
	unplaced []string // environments no rule places (and no Application)
	invalid  []string // invalid intents
	unread   []string // Applications that can't be read
	services int
}

// inventory builds the inventory from the catalog and the GitOps
// repository. The rules' choices for environments without an Application
// are measured by the Applications' load (inventory.load), as where and
// move measure them.
func (p *Placement) inventory(ctx context.Context) *inventory {
	inv := &inventory{}
	read := p.memoFiles()
	type plan struct {
		e   *catalog.Entity
		env Environment
	}
	var plans []plan
	for _, e := range p.cat.List(catalog.KindComponent) {
		in, ok, err := IntentOf(e)
		if err != nil {
			inv.invalid = append(inv.invalid, bot.UserText(err.Error()).Mrkdwn())
			continue
		}
		if !ok {
			continue
		}
		inv.services++
		for _, env := range in.Environments {
			app, _, err := p.applicationFrom(ctx, e, env.Name, read)
			if err != nil {
				p.log.Warn("read Application", "service", e.Metadata.Name, "env", env.Name, "err", err)
				inv.unread = append(inv.unread, e.Metadata.Name+"/"+env.Name)
				continue
			}
			if app != nil {
				inv.placed = append(inv.placed, placed{Service: e.Metadata.Name, Env: env.Name, Cluster: app.Cluster, FromApp: true})
				continue
			}
			plans = append(plans, plan{e, env})
		}
	}
	var load place.Load // nil (capacities ignored) unless a cluster has one
	for _, c := range p.placer.Clusters() {
		if c.Capacity > 0 {
			load = inv.load("", "", nil)
			break
		}
	}
	for _, pl := range plans {
		d, err := p.placer.PlaceWith(target(pl.e, pl.env), load)
		if err != nil {
			inv.unplaced = append(inv.unplaced, bot.UserText(err.Error()).Mrkdwn())
			continue
		}
		inv.placed = append(inv.placed, placed{Service: pl.e.Metadata.Name, Env: pl.env.Name, Cluster: d.Cluster.Name})
	}
	return inv
}

// load is the one load model of capacities (where, move, clusters and
// new environments): on each cluster, the Applications the GitOps
// repository has (an environment the rules only plan counts nowhere: it
// runs nowhere yet), but one environment's own, plus adding: the clusters
// the current request places its other environments on.
func (inv *inventory) load(service, env string, adding []string) place.Load {
	n := map[string]int{}
	for _, pl := range inv.placed {
		if pl.FromApp && (pl.Service != service || pl.Env != env) {
			n[pl.Cluster]++
		}
	}
	for _, c := range adding {
		n[c]++
	}
	return func(cluster string) int { return n[cluster] }
}

// loadFor is the load a placement of one environment is measured by (see
// inventory.load): nil (capacities ignored) when no cluster has a
// capacity, so the GitOps repository is only read in full when it matters.
func (p *Placement) loadFor(ctx context.Context, service, env string, adding ...string) place.Load {
	for _, c := range p.placer.Clusters() {
		if c.Capacity > 0 {
			return p.inventory(ctx).load(service, env, adding)
		}
	}
	return nil
}
