package paths

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/store"
)

// TemplateSource finds the templates on offer.
type TemplateSource interface {
	// Templates returns every template found, and a problem for each one
	// that is there but cannot be loaded.
	Templates(ctx context.Context) ([]*template.Template, []LoadProblem)
}

// LoadProblem is a template that could not be loaded.
type LoadProblem struct {
	Name   string
	Source string
	Err    error
}

// TemplateFiles is implemented by a catalog that can hand out the files of
// a Template entity it read from a remote location. Without it, only
// templates read from local files are available.
type TemplateFiles interface {
	TemplateFS(e *catalog.Entity) (fsys fs.FS, manifest string, err error)
}

// defaultSource reads <dir>/*/template.yaml and the catalog's Template
// entities (any location: teams ship their own paths).
type defaultSource struct {
	dir     string
	catalog Catalog
	github  GitHubFiles

	// GitHub templates are read at most every githubCacheTTL.
	mu    sync.Mutex
	cache map[string]cachedTemplate
}

// githubCacheTTL is how long a template read from GitHub is reused.
const githubCacheTTL = 5 * time.Minute

type cachedTemplate struct {
	t   *template.Template
	err error
	at  time.Time
}

// githubTemplate reads (or reuses) a template from GitHub.
func (s *defaultSource) githubTemplate(ctx context.Context, gf template.GitHubFile, url, name string) (*template.Template, error) {
	s.mu.Lock()
	c, ok := s.cache[url]
	s.mu.Unlock()
	if ok && time.Since(c.at) < githubCacheTTL {
		return c.t, c.err
	}
	t, err := template.LoadGitHub(ctx, s.github, gf, name)
	s.mu.Lock()
	if s.cache == nil {
		s.cache = map[string]cachedTemplate{}
	}
	s.cache[url] = cachedTemplate{t: t, err: err, at: time.Now()}
	s.mu.Unlock()
	return t, err
}

func (s *defaultSource) Templates(ctx context.Context) ([]*template.Template, []LoadProblem) {
	var out []*template.Template
	var probs []LoadProblem
	seen := map[string]string{}
	add := func(t *template.Template, src string) {
		if prev, dup := seen[t.Name]; dup {
			if prev != src {
				probs = append(probs, LoadProblem{Name: t.Name, Source: src, Err: fmt.Errorf("a template named %s is already defined in %s", t.Name, prev)})
			}
			return
		}
		seen[t.Name] = src
		t.Source = src
		out = append(out, t)
	}
	for _, e := range s.catalog.List(catalog.KindTemplate) {
		var fsys fs.FS
		var manifest string
		var err error
		src := e.Source.String()
		if gf, ok := template.ParseGitHubURL(e.Source.File); ok && s.github != nil {
			t, err := s.githubTemplate(ctx, gf, e.Source.File, e.Metadata.Name)
			if err != nil {
				probs = append(probs, LoadProblem{Name: e.Metadata.Name, Source: e.Source.File, Err: err})
				continue
			}
			add(t, e.Source.File)
			continue
		}
		if tf, ok := s.catalog.(TemplateFiles); ok {
			fsys, manifest, err = tf.TemplateFS(e)
		} else if _, ok := template.ParseGitHubURL(e.Source.File); ok {
			err = errors.New("it comes from GitHub, and platbot has no GitHub access configured (GITHUB_TOKEN)")
		} else if e.Source.File != "" {
			abs, aerr := filepath.Abs(e.Source.File)
			if aerr != nil {
				err = aerr
			} else {
				fsys, manifest = os.DirFS(filepath.Dir(abs)), filepath.Base(abs)
			}
		} else {
			err = errors.New("the catalog does not say which file it came from")
		}
		if err == nil {
			var t *template.Template
			if t, err = template.Load(fsys, manifest, e.Metadata.Name); err == nil {
				if abs, aerr := filepath.Abs(e.Source.File); aerr == nil {
					src = abs
				}
				add(t, src)
				continue
			}
		}
		probs = append(probs, LoadProblem{Name: e.Metadata.Name, Source: src, Err: err})
	}
	if s.dir != "" {
		ents, err := os.ReadDir(s.dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			probs = append(probs, LoadProblem{Source: s.dir, Err: err})
		}
		for _, d := range ents {
			if !d.IsDir() {
				continue
			}
			manifest := filepath.Join(s.dir, d.Name(), "template.yaml")
			if _, err := os.Stat(manifest); err != nil {
				continue
			}
			abs, _ := filepath.Abs(manifest)
			t, err := template.Load(os.DirFS(filepath.Join(s.dir, d.Name())), "template.yaml", "")
			if err != nil {
				probs = append(probs, LoadProblem{Name: d.Name(), Source: abs, Err: err})
				continue
			}
			add(t, abs)
		}
	}
	return out, probs
}

// version is a stored template version (record KindVersion, id name@hash):
// the exact files an admin approved and runs use.
type version struct {
	Name     string            `json:"name"`
	Hash     string            `json:"hash"`
	Manifest string            `json:"manifest"`
	Files    map[string][]byte `json:"files"`
	// Executable names the executable files.
	Executable []string `json:"executable,omitempty"`
	Source     string   `json:"source,omitempty"`
}

// entry is one template's state.
type entry struct {
	Name string
	// Current is the template as found now (nil when it cannot be loaded).
	Current *template.Template
	// Problems stop Current from being approved.
	Problems []string
	Source   string
	Approval *templateApproval
	// Approved is the approved version, which is what runs.
	Approved *template.Template
	// Demo says Approved is a shipped example template that counts as
	// approved because platbot runs in demo mode (no admin approved it).
	Demo bool
}

// status says where a template stands.
func (e *entry) status() string {
	switch {
	case e.Approved == nil && len(e.Problems) > 0:
		return "broken"
	case e.Approved == nil:
		return "unapproved"
	case e.Current == nil || e.Current.Hash != e.Approved.Hash:
		return "changed"
	}
	return "approved"
}

type templateState struct {
	entries  map[string]*entry
	names    []string
	commands []*bot.Command
}

// Reload finds the templates again and rebuilds the commands of the
// approved ones. Commands run the approved version of a template: a change
// to the files does not run before an admin approves it.
//
// Reloads may overlap (a background refresh, an approval's own reload, a
// catalog change): the state of the one that started last wins, so a
// refresh that read the approvals before an approval was stored never
// replaces the state of the reload that followed it.
func (p *Paths) Reload(ctx context.Context) error {
	p.mu.Lock()
	p.reloads++
	seq := p.reloads
	p.mu.Unlock()
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindApproval})
	if err != nil {
		return fmt.Errorf("paths: list approvals: %w", err)
	}
	found, probs := p.source.Templates(ctx)
	approvals := map[string]*templateApproval{}
	for _, rec := range recs {
		var a templateApproval
		if err := json.Unmarshal(rec.Data, &a); err != nil {
			p.log.Error("bad approval record", "template", rec.ID, "err", err)
			continue
		}
		approvals[a.Name] = &a
	}
	p.mu.RLock()
	old := p.state
	p.mu.RUnlock()

	st := &templateState{entries: map[string]*entry{}}
	reserved := map[string]bool{}
	for _, c := range p.commands() {
		reserved[strings.Fields(c.Name)[0]] = true
	}
	for _, name := range []string{"help", "catalog", "secret", "access", "scorecard", "cost", "policy", "audit"} {
		reserved[name] = true
	}
	for _, t := range found {
		e := &entry{Name: t.Name, Current: t, Source: t.Source}
		e.Problems = template.Check(t, p.actions)
		if reserved[t.Name] {
			e.Problems = append(e.Problems, fmt.Sprintf("the name %s is taken by a platbot command; rename the template", t.Name))
		}
		st.entries[t.Name] = e
	}
	for _, pr := range probs {
		if pr.Name == "" {
			p.log.Warn("template location", "source", pr.Source, "err", pr.Err)
			continue
		}
		if _, ok := st.entries[pr.Name]; ok {
			p.log.Warn("template defined twice", "template", pr.Name, "source", pr.Source, "err", pr.Err)
			continue
		}
		st.entries[pr.Name] = &entry{Name: pr.Name, Source: pr.Source, Problems: []string{pr.Err.Error()}}
	}
	for name, e := range st.entries {
		a := approvals[name]
		if a == nil {
			continue
		}
		e.Approval = a
		if e.Current != nil && e.Current.Hash == a.Hash {
			e.Approved = e.Current
		} else if oe := old.entries[name]; oe != nil && oe.Approved != nil && oe.Approved.Hash == a.Hash {
			e.Approved = oe.Approved
		} else {
			t, err := p.loadVersion(ctx, name, a.Hash)
			if err != nil {
				p.log.Error("load approved template version", "template", name, "version", template.ShortHash(a.Hash), "err", err)
				continue
			}
			e.Approved = t
		}
		if reserved[name] {
			e.Approved = nil
		}
	}
	for _, e := range st.entries {
		if e.Approval == nil && e.Current != nil && len(e.Problems) == 0 && p.demoApproved(e.Source) {
			e.Approved, e.Demo = e.Current, true
		}
	}
	for name, e := range st.entries {
		st.names = append(st.names, name)
		switch {
		case e.Approved != nil:
			cmd := p.templateCommand(e.Approved)
			if e.Demo {
				cmd.Summary += " (example template: counts as approved in demo mode)"
			}
			st.commands = append(st.commands, cmd, p.previewCommand(e.Approved))
		case !reserved[name]:
			st.commands = append(st.commands, p.pendingCommand(name))
		}
	}
	sort.Strings(st.names)
	p.mu.Lock()
	if seq > p.installed {
		p.state, p.loadedAt, p.installed = st, p.now(), seq
	}
	p.mu.Unlock()
	return nil
}

// demoApproved reports whether a template loaded from source counts as
// approved in demo mode: its files are under DemoApproveDir.
func (p *Paths) demoApproved(source string) bool {
	if p.cfg.DemoApproveDir == "" || source == "" {
		return false
	}
	dir, err := filepath.Abs(p.cfg.DemoApproveDir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(dir, source)
	return err == nil && rel != "." && !filepath.IsAbs(rel) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// DemoNote is what a demo-approved template says about itself.
const DemoNote = "🧪 Demo mode: this shipped example template counts as approved; no admin approved it. Outside demo mode an admin approves it first (`/plat template approve <name>`)."

// templateCommands is the router's dynamic command source: the approved
// templates, and a hidden placeholder for each known template that is not
// approved (see pendingCommand). It is called on every lookup, so it
// returns the cached list and refreshes it in the background when it is
// older than RefreshInterval.
func (p *Paths) templateCommands() []*bot.Command {
	p.mu.Lock()
	st := p.state
	stale := !p.loading && p.now().Sub(p.loadedAt) > p.cfg.RefreshInterval
	if stale {
		p.loading = true
	}
	p.mu.Unlock()
	if stale {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := p.Reload(ctx); err != nil {
				p.log.Error("reload templates", "err", err)
			}
			p.mu.Lock()
			p.loading = false
			p.mu.Unlock()
		}()
	}
	return st.commands
}

// entry returns a template's state (nil when unknown).
func (p *Paths) entry(name string) *entry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.state.entries[name]
}

// approvedTemplate returns the approved version of a template.
func (p *Paths) approvedTemplate(name string) *template.Template {
	if e := p.entry(name); e != nil {
		return e.Approved
	}
	return nil
}

// runTemplate returns the template version a run started with, and
// restores the types of the run's parameters (JSON turns integers into
// floats).
func (p *Paths) runTemplate(ctx context.Context, r *Run) (*template.Template, error) {
	if e := p.entry(r.Template); e != nil {
		for _, t := range []*template.Template{e.Approved, e.Current} {
			if t != nil && t.Hash == r.TemplateHash {
				t.Pages.Retype(r.Params)
				return t, nil
			}
		}
	}
	t, err := p.loadVersion(ctx, r.Template, r.TemplateHash)
	if err != nil {
		return nil, err
	}
	t.Pages.Retype(r.Params)
	return t, nil
}

func (p *Paths) loadVersion(ctx context.Context, name, hash string) (*template.Template, error) {
	it, err := p.versions().Get(ctx, name+"@"+hash)
	if err != nil {
		return nil, fmt.Errorf("template %s version %s: %w", name, template.ShortHash(hash), err)
	}
	v := it.Value
	t, err := template.FromFiles(v.Files, v.Executable, v.Manifest, name)
	if err != nil {
		return nil, err
	}
	if t.Hash != hash {
		return nil, fmt.Errorf("template %s version %s: stored files do not match their hash", name, template.ShortHash(hash))
	}
	t.Source = v.Source
	return t, nil
}
