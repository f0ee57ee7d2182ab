package argocd

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// DefaultNamespace is where Argo CD keeps Applications unless told otherwise.
const DefaultNamespace = "argocd"

// DefaultResync is how often the informers replay every Application to the
// status store even without a change.
const DefaultResync = 10 * time.Minute

// ControlPlane is one Argo CD control plane to watch.
type ControlPlane struct {
	// Context names it (the kube context it was reached through); it is
	// copied into every Status read from it.
	Context string
	// Client reaches its Kubernetes API (dynamic.NewForConfig).
	Client dynamic.Interface
	// Namespace holds the Applications (DefaultNamespace when empty; "*"
	// watches every namespace, for Argo CD's applications-in-any-namespace).
	Namespace string
	// UIURL is the base URL of its Argo CD UI, for Status.URL ("" for none).
	UIURL string
}

// Options adjust a Watcher.
type Options struct {
	// Resync is the informers' resync period (DefaultResync when zero).
	Resync time.Duration
	// OnChange, when set, is called (without locks held) after a status
	// was added, changed or removed.
	OnChange func()
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
}

// Watcher keeps the live status of the Applications of its control planes.
// Create it with NewWatcher, call Run once; its read methods are safe for
// concurrent use and answer from memory.
type Watcher struct {
	planes []ControlPlane
	opts   Options
	log    *slog.Logger

	mu sync.RWMutex
	// apps holds every Application by objectKey.
	apps map[string]Status
	// byService indexes labelled Applications: service → environment →
	// object keys.
	byService map[string]map[string][]string
	// byName indexes unlabelled Applications by name (→ object keys), and
	// names holds those names sorted, for prefix lookups.
	byName map[string][]string
	names  []string

	syncedMu sync.Mutex
	synced   []cache.InformerSynced
	started  bool
}

// NewWatcher returns a watcher over planes; it reads nothing until Run.
func NewWatcher(planes []ControlPlane, opts Options) (*Watcher, error) {
	seen := map[string]bool{}
	for i, p := range planes {
		if p.Context == "" || p.Client == nil {
			return nil, fmt.Errorf("argocd: control plane %d: need a context name and a client", i+1)
		}
		if seen[p.Context] {
			return nil, fmt.Errorf("argocd: control plane %q is listed twice", p.Context)
		}
		seen[p.Context] = true
	}
	if opts.Resync <= 0 {
		opts.Resync = DefaultResync
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{
		planes: append([]ControlPlane(nil), planes...), opts: opts, log: log,
		apps: map[string]Status{}, byService: map[string]map[string][]string{}, byName: map[string][]string{},
	}, nil
}

// Run starts one informer per control plane and returns at once; they run
// until ctx ends. Each lists the Applications, then watches them; a watch
// the API server drops (a restart, a timeout, a network failure) is
// re-established by client-go's reflector with backoff, re-listing when
// the resource version it knew is gone. Calling Run again does nothing.
func (w *Watcher) Run(ctx context.Context) {
	w.syncedMu.Lock()
	defer w.syncedMu.Unlock()
	if w.started {
		return
	}
	w.started = true
	for _, p := range w.planes {
		ns := p.Namespace
		switch ns {
		case "":
			ns = DefaultNamespace
		case "*":
			ns = ""
		}
		factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(p.Client, w.opts.Resync, ns, nil)
		inf := factory.ForResource(ApplicationGVR).Informer()
		plane := p
		if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			if ctx.Err() == nil {
				w.log.Warn("argocd: watch of applications failed; retrying", "context", plane.Context, "err", err)
			}
		}); err != nil {
			w.log.Warn("argocd: cannot set the watch error handler", "context", plane.Context, "err", err)
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.put(plane, obj) },
			UpdateFunc: func(_, obj any) { w.put(plane, obj) },
			DeleteFunc: func(obj any) { w.remove(plane, obj) },
		}); err != nil {
			w.log.Error("argocd: cannot watch applications", "context", plane.Context, "err", err)
			continue
		}
		w.synced = append(w.synced, inf.HasSynced)
		factory.Start(ctx.Done())
	}
}

// HasSynced reports whether Run started and every informer has listed its
// Applications once.
func (w *Watcher) HasSynced() bool {
	w.syncedMu.Lock()
	defer w.syncedMu.Unlock()
	if !w.started {
		return false
	}
	for _, s := range w.synced {
		if !s() {
			return false
		}
	}
	return true
}

// WaitForSync waits until HasSynced or ctx ends (an error then).
func (w *Watcher) WaitForSync(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !w.HasSynced() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("argocd: waiting for the application informers to sync: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func objectKey(plane, namespace, name string) string {
	return plane + "\x00" + namespace + "\x00" + name
}

func (w *Watcher) put(p ControlPlane, obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	s, err := Parse(u)
	if err != nil {
		// Keep what could be read: a bad timestamp must not hide the
		// Application's health.
		w.log.Warn("argocd: unreadable application status", "context", p.Context, "err", err)
	}
	s.Context = p.Context
	s.URL = AppURL(p.UIURL, s.Namespace, s.Name)
	key := objectKey(p.Context, s.Namespace, s.Name)
	w.mu.Lock()
	old, had := w.apps[key]
	if had {
		w.unindex(key, old)
	}
	w.apps[key] = s
	if s.Labelled {
		envs := w.byService[s.Service]
		if envs == nil {
			envs = map[string][]string{}
			w.byService[s.Service] = envs
		}
		envs[s.Environment] = addKey(envs[s.Environment], key)
	} else {
		if _, ok := w.byName[s.Name]; !ok {
			i := sort.SearchStrings(w.names, s.Name)
			w.names = slices.Insert(w.names, i, s.Name)
		}
		w.byName[s.Name] = addKey(w.byName[s.Name], key)
	}
	w.mu.Unlock()
	if (!had || old != s) && w.opts.OnChange != nil {
		w.opts.OnChange()
	}
}

func (w *Watcher) remove(p ControlPlane, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	key := objectKey(p.Context, u.GetNamespace(), u.GetName())
	w.mu.Lock()
	old, had := w.apps[key]
	if had {
		w.unindex(key, old)
		delete(w.apps, key)
	}
	w.mu.Unlock()
	if had && w.opts.OnChange != nil {
		w.opts.OnChange()
	}
}

// addKey adds key to a sorted list of keys.
func addKey(keys []string, key string) []string {
	i, found := slices.BinarySearch(keys, key)
	if found {
		return keys
	}
	return slices.Insert(slices.Clip(keys), i, key)
}

// dropKey removes key from a list of keys (a new slice: readers may hold
// the old one).
func dropKey(keys []string, key string) []string {
	i := slices.Index(keys, key)
	if i < 0 {
		return keys
	}
	return slices.Delete(slices.Clone(keys), i, i+1)
}

// unindex drops key from byService or byName (w.mu held).
func (w *Watcher) unindex(key string, s Status) {
	if !s.Labelled {
		keys := dropKey(w.byName[s.Name], key)
		if len(keys) > 0 {
			w.byName[s.Name] = keys
			return
		}
		delete(w.byName, s.Name)
		if i, found := slices.BinarySearch(w.names, s.Name); found {
			w.names = slices.Delete(w.names, i, i+1)
		}
		return
	}
	envs := w.byService[s.Service]
	keys := dropKey(envs[s.Environment], key)
	if len(keys) == 0 {
		delete(envs, s.Environment)
	} else {
		envs[s.Environment] = keys
	}
	if len(envs) == 0 {
		delete(w.byService, s.Service)
	}
}

// Status returns the live status of one environment of a service: the
// Application labelled with both, else the unlabelled one named
// <service>-<environment>. When several control planes hold one, the
// first by context, namespace and name is returned.
func (w *Watcher) Status(service, environment string) (Status, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if keys := w.byService[service][environment]; len(keys) > 0 {
		return w.apps[keys[0]], true
	}
	keys := w.byName[service+"-"+environment]
	if len(keys) == 0 {
		return Status{}, false
	}
	s := w.apps[keys[0]]
	s.Service, s.Environment = service, environment
	return s, true
}

// Statuses returns the live status of every environment of a service, one
// per environment, sorted by environment: the labelled Applications, and
// the unlabelled ones named <service>-<environment> for environments no
// label names.
func (w *Watcher) Statuses(service string) []Status {
	w.mu.RLock()
	defer w.mu.RUnlock()
	byEnv := map[string]Status{}
	for env, keys := range w.byService[service] {
		if len(keys) > 0 {
			byEnv[env] = w.apps[keys[0]]
		}
	}
	prefix := service + "-"
	for i := sort.SearchStrings(w.names, prefix); i < len(w.names) && strings.HasPrefix(w.names[i], prefix); i++ {
		name := w.names[i]
		env := name[len(prefix):]
		if _, ok := byEnv[env]; ok || env == "" {
			continue
		}
		s := w.apps[w.byName[name][0]]
		s.Service, s.Environment = service, env
		byEnv[env] = s
	}
	out := make([]Status, 0, len(byEnv))
	for _, s := range byEnv {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Environment < out[j].Environment })
	return out
}

// Services lists the services that labelled Applications name, sorted.
func (w *Watcher) Services() []string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]string, 0, len(w.byService))
	for s := range w.byService {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// LastDeployedAt is the newest LastDeployedAt of the service's
// Applications for environment, or of all its environments when
// environment is ""; ok is false when no such Application is known or none
// has a deploy.
func (w *Watcher) LastDeployedAt(service, environment string) (at time.Time, ok bool) {
	for _, s := range w.Statuses(service) {
		if environment != "" && s.Environment != environment {
			continue
		}
		if s.LastDeployedAt.After(at) {
			at, ok = s.LastDeployedAt, true
		}
	}
	return at, ok
}

// Knows reports whether any Application of the service is watched.
func (w *Watcher) Knows(service string) bool { return len(w.Statuses(service)) > 0 }
