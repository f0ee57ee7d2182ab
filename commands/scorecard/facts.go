package scorecard

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
)

// Source names a group of facts and the provider that gathers it. In a rule
// each source is a variable: entity, owner, github, oncall, deploys, vulns
// (and now, the evaluation time).
type Source string

// Sources.
const (
	SourceCatalog Source = "catalog" // the entity and owner variables
	SourceGitHub  Source = "github"
	SourceOnCall  Source = "oncall"
	SourceDeploys Source = "deploys"
	SourceVulns   Source = "vulns"
)

// gatheredSources are the sources that come from outside systems and can
// therefore be unknown.
var gatheredSources = []Source{SourceGitHub, SourceOnCall, SourceDeploys, SourceVulns}

func (s Source) bit() uint8 {
	switch s {
	case SourceGitHub:
		return 1
	case SourceOnCall:
		return 2
	case SourceDeploys:
		return 4
	case SourceVulns:
		return 8
	}
	return 0
}

// EntityFacts is the rule variable `entity`: the catalog entity being scored.
type EntityFacts struct {
	Ref         string            `cel:"ref"`
	Kind        string            `cel:"kind"`
	Namespace   string            `cel:"namespace"`
	Name        string            `cel:"name"`
	Title       string            `cel:"title"`
	Type        string            `cel:"type"`
	Lifecycle   string            `cel:"lifecycle"`
	Owner       string            `cel:"owner"`
	System      string            `cel:"system"`
	Tags        []string          `cel:"tags"`
	Labels      map[string]string `cel:"labels"`
	Annotations map[string]string `cel:"annotations"`
}

// OwnerFacts is the rule variable `owner`: the entity's owning group.
type OwnerFacts struct {
	Ref         string            `cel:"ref"`
	Name        string            `cel:"name"`
	Found       bool              `cel:"found"` // the owner exists in the catalog
	Annotations map[string]string `cel:"annotations"`
}

// RepoFacts is the rule variable `github`: the entity's repository (the
// github.com/project-slug annotation), read through the contents API.
type RepoFacts struct {
	Slug          string    `cel:"slug" yaml:"slug"`
	DefaultBranch string    `cel:"default_branch" yaml:"defaultBranch"`
	Readme        string    `cel:"readme" yaml:"readme"`
	HasReadme     bool      `cel:"has_readme" yaml:"hasReadme"`
	Codeowners    bool      `cel:"codeowners" yaml:"codeowners"`
	Workflows     []string  `cel:"workflows" yaml:"workflows"`
	LastCommit    time.Time `cel:"last_commit" yaml:"-"`
}

// OnCallFacts is the rule variable `oncall`.
type OnCallFacts struct {
	// ServiceID is the pagerduty.com/service-id annotation of the entity, or
	// else of its owner ("" when neither has one).
	ServiceID string `cel:"service_id" yaml:"serviceId"`
	// DeclaredOn is "service" or "owner": where the annotation was found.
	DeclaredOn string `cel:"declared_on" yaml:"declaredOn"`
	// Confirmed is set when PagerDuty knows the service and it is not disabled.
	Confirmed bool   `cel:"confirmed" yaml:"confirmed"`
	Name      string `cel:"name" yaml:"name"`
	Status    string `cel:"status" yaml:"status"`
}

// DeployFacts is the rule variable `deploys`.
type DeployFacts struct {
	// Last is the newest successful deployment (the zero time, year 1, when
	// none is known: compare it, do not subtract it).
	Last time.Time `cel:"last" yaml:"-"`
	// Source is "github", "argocd" or "" (none found).
	Source string `cel:"source" yaml:"source"`
}

// VulnFacts is the rule variable `vulns`: the Trivy Operator's reports for
// the entity's namespace.
type VulnFacts struct {
	Critical int `cel:"critical" yaml:"critical"`
	High     int `cel:"high" yaml:"high"`
	Medium   int `cel:"medium" yaml:"medium"`
	Low      int `cel:"low" yaml:"low"`
	Reports  int `cel:"reports" yaml:"reports"`
}

// Facts is the typed document a check's rule reads.
type Facts struct {
	Entity  EntityFacts
	Owner   OwnerFacts
	GitHub  RepoFacts
	OnCall  OnCallFacts
	Deploys DeployFacts
	Vulns   VulnFacts
	// Unknown maps each source that could not be read to the reason. A check
	// whose rule reads an unknown source is "unknown", never failed.
	Unknown map[Source]string
}

// SetUnknown marks a source as unknown.
func (f *Facts) SetUnknown(s Source, reason string) {
	if f.Unknown == nil {
		f.Unknown = map[Source]string{}
	}
	f.Unknown[s] = reason
}

func (f *Facts) unknownMask() uint8 {
	var m uint8
	for s := range f.Unknown {
		m |= s.bit()
	}
	return m
}

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
	RepoFacts(ctx context.Context, s Subject) (RepoFacts, error)
}

// OnCallProvider gathers the `oncall` facts.
type OnCallProvider interface {
	OnCallFacts(ctx context.Context, s Subject) (OnCallFacts, error)
}

// DeployProvider gathers the `deploys` facts.
type DeployProvider interface {
	DeployFacts(ctx context.Context, s Subject) (DeployFacts, error)
}

// VulnProvider gathers the `vulns` facts.
type VulnProvider interface {
	VulnFacts(ctx context.Context, s Subject) (VulnFacts, error)
}

// ErrUnknown may be wrapped by a provider to say it cannot know (rather than
// that its source failed), e.g. "no kubernetes namespace annotation".
var ErrUnknown = errors.New("unknown")

// entityFacts builds the catalog facts of a subject.
func entityFacts(s Subject) (EntityFacts, OwnerFacts) {
	e := s.Entity
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = catalog.DefaultNamespace
	}
	ef := EntityFacts{
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
	of := OwnerFacts{Ref: ef.Owner, Annotations: map[string]string{}}
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

// gatherer runs the providers of each source with a timeout, caches their
// answers for a TTL, and turns failures into unknown facts.
type gatherer struct {
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

func newGatherer(p Providers, cfg FactsConfig, now func() time.Time, log *slog.Logger) *gatherer {
	return &gatherer{
		p: p, timeout: cfg.Timeout, ttl: cfg.TTL, errTTL: min(cfg.TTL, time.Minute),
		now: now, log: log, cache: map[string]cacheEntry{}, maxEntries: maxCacheEntries,
	}
}

// Gather collects the facts of one subject. It never fails: a source whose
// provider fails, times out or is missing is marked unknown.
func (g *gatherer) Gather(ctx context.Context, s Subject) *Facts {
	f := &Facts{}
	f.Entity, f.Owner = entityFacts(s)
	ref := f.Entity.Ref
	// The cache key covers what providers read, so a pull request's version
	// of an entity (the gate) does not get the catalog version's answers.
	key := ref + "|" + fingerprint(s)
	p := g.p
	gatherInto(ctx, g, f, SourceGitHub, key, p.Repo != nil, func(ctx context.Context) (RepoFacts, error) { return p.Repo.RepoFacts(ctx, s) }, &f.GitHub)
	gatherInto(ctx, g, f, SourceOnCall, key, p.OnCall != nil, func(ctx context.Context) (OnCallFacts, error) { return p.OnCall.OnCallFacts(ctx, s) }, &f.OnCall)
	gatherInto(ctx, g, f, SourceDeploys, key, p.Deploys != nil, func(ctx context.Context) (DeployFacts, error) { return p.Deploys.DeployFacts(ctx, s) }, &f.Deploys)
	gatherInto(ctx, g, f, SourceVulns, key, p.Vulns != nil, func(ctx context.Context) (VulnFacts, error) { return p.Vulns.VulnFacts(ctx, s) }, &f.Vulns)
	if f.GitHub.Workflows == nil {
		f.GitHub.Workflows = []string{}
	}
	return f
}

// gatherInto fills dst from one source's provider (through the cache), or
// marks the source unknown when the provider is missing or fails.
func gatherInto[T any](ctx context.Context, g *gatherer, f *Facts, src Source, key string, configured bool, fn func(context.Context) (T, error), dst *T) {
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

func (g *gatherer) note(f *Facts, src Source, ref string, err error) {
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
func (g *gatherer) cached(ctx context.Context, src Source, ref string, fn func(context.Context) (any, error)) (any, error) {
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
func (g *gatherer) store(key string, e cacheEntry) {
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

// unknownReasons renders the unknown sources a rule reads, sorted.
func unknownReasons(f *Facts, mask uint8) string {
	var parts []string
	for _, s := range gatheredSources {
		if mask&s.bit() != 0 {
			if r, ok := f.Unknown[s]; ok {
				parts = append(parts, string(s)+": "+r)
			}
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
