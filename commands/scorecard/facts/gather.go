package facts

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// Subject is what a provider gathers facts about.
type Subject struct {
	Entity *catalog.Entity
	// Owner is the owning group (nil when it is not in the catalog).
	Owner *catalog.Entity
}

// Providers gather the facts of one source each. A nil provider leaves its
// source unknown ("not configured"). Implementations: the adapters in this
// package over integrations/github, integrations/pagerduty and
// integrations/kube, and ExampleFacts.
type Providers struct {
	Repo    RepoProvider
	OnCall  OnCallProvider
	Deploys DeployProvider
	Vulns   VulnProvider
}

// RepoProvider gathers the `github` facts.
type RepoProvider interface {
	RepoFacts(ctx context.Context, s Subject) (grade.RepoFacts, error)
}

// OnCallProvider gathers the `oncall` facts.
type OnCallProvider interface {
	OnCallFacts(ctx context.Context, s Subject) (grade.OnCallFacts, error)
}

// DeployProvider gathers the `deploys` facts.
type DeployProvider interface {
	DeployFacts(ctx context.Context, s Subject) (grade.DeployFacts, error)
}

// VulnProvider gathers the `vulns` facts.
type VulnProvider interface {
	VulnFacts(ctx context.Context, s Subject) (grade.VulnFacts, error)
}

// ErrUnknown may be wrapped by a provider to say it cannot know (rather than
// that its source failed), e.g. "no kubernetes namespace annotation".
var ErrUnknown = errors.New("unknown")

// CatalogFacts builds the catalog facts of a subject: the rule variables
// entity and owner.
func CatalogFacts(s Subject) (grade.EntityFacts, grade.OwnerFacts) {
	e := s.Entity
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = catalog.DefaultNamespace
	}
	ef := grade.EntityFacts{
		Ref: e.Ref(), Kind: e.Kind, Namespace: ns, Name: e.Metadata.Name, Title: e.DisplayName(),
		Type: e.Type(), Lifecycle: e.Lifecycle(), Owner: e.Owner(), System: e.SpecString("system"),
		Tags: e.Metadata.Tags, Labels: e.Metadata.Labels, Annotations: e.Metadata.Annotations,
	}
	if ef.Tags == nil {
		ef.Tags = []string{}
	}
	if ef.Labels == nil {
		ef.Labels = map[string]string{}
	}
	if ef.Annotations == nil {
		ef.Annotations = map[string]string{}
	}
	of := grade.OwnerFacts{Ref: ef.Owner, Annotations: map[string]string{}}
	if s.Owner != nil {
		of.Found = true
		of.Name = s.Owner.Metadata.Name
		if s.Owner.Metadata.Annotations != nil {
			of.Annotations = s.Owner.Metadata.Annotations
		}
	} else if ef.Owner != "" {
		_, _, of.Name = catalog.ParseRef(ef.Owner, catalog.KindGroup, catalog.DefaultNamespace)
	}
	return ef, of
}

// Gatherer runs the providers of each source with a timeout, caches their
// answers for a TTL, and turns failures into unknown facts.
type Gatherer struct {
	p       Providers
	timeout time.Duration
	ttl     time.Duration
	errTTL  time.Duration
	now     func() time.Time
	log     *slog.Logger

	mu    sync.Mutex
	cache map[string]cacheEntry
	// sweepAt is when the cache is next swept of expired entries.
	sweepAt time.Time
	// maxEntries caps the cache (maxCacheEntries).
	maxEntries int
	sf         singleflight.Group
}

// maxCacheEntries caps the fact cache; past it, inserting drops the
// entries that expire soonest (expired ones are swept on insert anyway).
const maxCacheEntries = 50000

type cacheEntry struct {
	val     any
	err     error
	expires time.Time
}

// NewGatherer returns a gatherer over the providers: each call is bounded
// by timeout, answers are cached for ttl (failures for at most a minute).
func NewGatherer(p Providers, timeout, ttl time.Duration, now func() time.Time, log *slog.Logger) *Gatherer {
	return &Gatherer{
		p: p, timeout: timeout, ttl: ttl, errTTL: min(ttl, time.Minute),
		now: now, log: log, cache: map[string]cacheEntry{}, maxEntries: maxCacheEntries,
	}
}

// Gather collects the facts of one subject. It never fails: a source whose
// provider fails, times out or is missing is marked unknown.
func (g *Gatherer) Gather(ctx context.Context, s Subject) *grade.Facts {
	f := &grade.Facts{}
	f.Entity, f.Owner = CatalogFacts(s)
	ref := f.Entity.Ref
	// The cache key covers what providers read, so a pull request's version
	// of an entity (the gate) does not get the catalog version's answers.
	key := ref + "|" + fingerprint(s)
	p := g.p
	gatherInto(ctx, g, f, grade.SourceGitHub, key, p.Repo != nil, func(ctx context.Context) (grade.RepoFacts, error) { return p.Repo.RepoFacts(ctx, s) }, &f.GitHub)
	gatherInto(ctx, g, f, grade.SourceOnCall, key, p.OnCall != nil, func(ctx context.Context) (grade.OnCallFacts, error) { return p.OnCall.OnCallFacts(ctx, s) }, &f.OnCall)
	gatherInto(ctx, g, f, grade.SourceDeploys, key, p.Deploys != nil, func(ctx context.Context) (grade.DeployFacts, error) { return p.Deploys.DeployFacts(ctx, s) }, &f.Deploys)
	gatherInto(ctx, g, f, grade.SourceVulns, key, p.Vulns != nil, func(ctx context.Context) (grade.VulnFacts, error) { return p.Vulns.VulnFacts(ctx, s) }, &f.Vulns)
	if f.GitHub.Workflows == nil {
		f.GitHub.Workflows = []string{}
	}
	return f
}

// gatherInto fills dst from one source's provider (through the cache), or
// marks the source unknown when the provider is missing or fails.
func gatherInto[T any](ctx context.Context, g *Gatherer, f *grade.Facts, src grade.Source, key string, configured bool, fn func(context.Context) (T, error), dst *T) {
	if !configured {
		f.SetUnknown(src, "no "+string(src)+" provider is configured")
		return
	}
	v, err := g.cached(ctx, src, key, func(ctx context.Context) (any, error) { return fn(ctx) })
	if err == nil {
		*dst = v.(T)
	}
	g.note(f, src, f.Entity.Ref, err)
}

func (g *Gatherer) note(f *grade.Facts, src grade.Source, ref string, err error) {
	if err == nil {
		return
	}
	reason := err.Error()
	if errors.Is(err, ErrUnknown) {
		reason = strings.TrimSuffix(reason, ": "+ErrUnknown.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		reason = fmt.Sprintf("%s did not answer within %v", src, g.timeout)
	}
	f.SetUnknown(src, reason)
	if !errors.Is(err, ErrUnknown) {
		g.log.Warn("scorecard facts unknown", "source", string(src), "entity", ref, "err", err)
	}
}

// cached answers from the cache or runs fn with the provider timeout, once
// for concurrent callers of the same key.
func (g *Gatherer) cached(ctx context.Context, src grade.Source, ref string, fn func(context.Context) (any, error)) (any, error) {
	key := string(src) + "|" + ref
	now := g.now()
	g.mu.Lock()
	if e, ok := g.cache[key]; ok && now.Before(e.expires) {
		g.mu.Unlock()
		return e.val, e.err
	}
	g.mu.Unlock()
	v, err, _ := g.sf.Do(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		v, err := fn(cctx)
		if err == nil && cctx.Err() != nil {
			err = cctx.Err()
		}
		if ctx.Err() != nil {
			// The caller gave up: do not cache its cancellation for others.
			return v, err
		}
		ttl := g.ttl
		if err != nil {
			ttl = g.errTTL
		}
		g.store(key, cacheEntry{val: v, err: err, expires: g.now().Add(ttl)})
		return v, err
	})
	return v, err
}

// store inserts an entry. Expired entries are dropped on insert (at most
// once per error TTL, so inserting stays cheap), and the cache never grows
// past maxEntries: services renamed or removed, and the gate's pull
// request versions of entities, would otherwise stay cached forever.
func (g *Gatherer) store(key string, e cacheEntry) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !now.Before(g.sweepAt) || len(g.cache) >= g.maxEntries {
		for k, old := range g.cache {
			if !now.Before(old.expires) {
				delete(g.cache, k)
			}
		}
		g.sweepAt = now.Add(max(g.errTTL, time.Second))
	}
	if _, ok := g.cache[key]; !ok && len(g.cache) >= g.maxEntries {
		// Still full of live entries: drop the tenth that expires soonest.
		type kv struct {
			k string
			t time.Time
		}
		all := make([]kv, 0, len(g.cache))
		for k, old := range g.cache {
			all = append(all, kv{k, old.expires})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
		for _, x := range all[:max(1, len(all)/10)] {
			delete(g.cache, x.k)
		}
	}
	g.cache[key] = e
}

// fingerprint hashes the parts of a subject providers read: the entity's
// and owner's annotations and the owner ref.
func fingerprint(s Subject) string {
	h := fnv.New64a()
	write := func(m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h.Write([]byte(k))
			h.Write([]byte{0})
			h.Write([]byte(m[k]))
			h.Write([]byte{0})
		}
	}
	h.Write([]byte(s.Entity.Metadata.Name + "\x00" + s.Entity.Owner() + "\x00"))
	write(s.Entity.Metadata.Annotations)
	if s.Owner != nil {
		write(s.Owner.Metadata.Annotations)
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
