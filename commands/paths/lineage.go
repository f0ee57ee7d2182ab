package paths

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/store"
)

// Lineage is what produced a service's files: every golden-path run
// records it, in the store (record KindLineage) and in the output itself,
// a file LineageDir/<service>/<template>.yaml committed with the files in
// each repository the run publishes to, plus the annotation
// AnnotationTemplate on the service's catalog entity when the run writes
// its catalog file. So the link survives a database restore: the store is
// refilled from the repositories (see lineageFromRepos).
type Lineage struct {
	// Service is the catalog entity the run created or changed (its name).
	Service  string `json:"service" yaml:"service"`
	Template string `json:"template" yaml:"template"`
	// Name is what the run created when that is not the service itself
	// (a cache's name), "" otherwise.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Version is the approved template version the files were generated
	// from (the template's hash, as /plat template approve records it).
	Version string `json:"version" yaml:"version"`
	// Run is the run that generated them (an upgrade renders both
	// versions as this run, so ${{ run.id }} stays what it was).
	Run   string `json:"run" yaml:"run"`
	Owner string `json:"owner" yaml:"owner"`
	// Inputs are the run's parameters; secret ones never are.
	Inputs  map[string]any  `json:"inputs" yaml:"inputs"`
	Outputs []LineageOutput `json:"outputs" yaml:"outputs"`
	Created time.Time       `json:"created" yaml:"created"`
	// Upgraded is when the last upgrade pull request was opened, Upgrade
	// its address and UpgradeVersion the version it proposes.
	Upgraded       time.Time `json:"upgraded,omitzero" yaml:"upgraded,omitempty"`
	Upgrade        string    `json:"upgrade,omitempty" yaml:"upgrade,omitempty"`
	UpgradeVersion string    `json:"upgrade_version,omitempty" yaml:"upgradeVersion,omitempty"`
}

// LineageOutput is what a run published to one repository.
type LineageOutput struct {
	actions.Destination `yaml:",inline"`
	// File is the lineage file's path in the repository.
	File string `json:"file" yaml:"file"`
	// Files are the generated files, by path in the repository, with the
	// sha256 of their generated content ("sha256:<hex>").
	Files map[string]string `json:"files" yaml:"files"`
	// Renamed maps a generated path to the path the team moved the file
	// to; an upgrade writes the file's new version there. A team records a
	// rename by editing the lineage file.
	Renamed map[string]string `json:"renamed,omitempty" yaml:"renamed,omitempty"`
}

// KindLineage is the record kind of lineage (id: lineageID, key: the service).
const KindLineage = "paths.lineage"

// LineageDir is the folder of lineage files in a repository.
const LineageDir = actions.LineageDir

// AnnotationTemplate names, on a catalog entity a golden path wrote, the
// templates it came from (comma-separated).
const AnnotationTemplate = "platbot.dev/template"

// ID is the lineage's record id: service/template[/name].
func (l *Lineage) ID() string { return lineageID(l.Service, l.Template, l.Name) }

func lineageID(service, tmpl, name string) string {
	id := service + "/" + tmpl
	if name != "" {
		return id + "/" + name
	}
	return id
}

// lineageFile is the lineage file's path in a repository.
func lineageFile(service, tmpl, name string) string {
	f := tmpl
	if name != "" {
		f += "." + name
	}
	return path.Join(LineageDir, service, f+".yaml")
}

// output returns the output to dest, nil when there is none.
func (l *Lineage) output(dest actions.Destination) *LineageOutput {
	for i := range l.Outputs {
		if l.Outputs[i].Destination == dest {
			return &l.Outputs[i]
		}
	}
	return nil
}

// fileHash is the recorded hash of content.
func fileHash(content string) string {
	h := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(h[:])
}

// subject is the service a run of t with params is about, and what tells
// the run apart from the template's other runs for that service (see
// Lineage.Name):
//
//   - a run creating a catalog entity (an EntityNamePicker: new-service,
//     new-db) is about that entity, and is its template's only run for it;
//   - otherwise the run is about the entity its first EntityPicker over
//     Components, Resources or APIs names (new-cron-job's service,
//     new-migration's database) and is told apart by runName;
//   - a template with neither is about its name parameter, if any.
//
// "" when the run is about no service (no lineage is recorded).
func subject(t *template.Template, params map[string]any) (service, name string) {
	text := func(p string) string { return strings.TrimSpace(templating.Text(params[p])) }
	if np := t.Pages.EntityNameProperty(); np != nil {
		return text(np.Name), ""
	}
	for _, prop := range t.Pages.Properties() {
		if prop.UIField != "EntityPicker" || !slices.ContainsFunc(teamKinds, func(k string) bool { return strings.EqualFold(prop.EntityKind(), k) }) {
			continue
		}
		if ref := text(prop.Name); ref != "" {
			_, _, svc := catalog.ParseRef(ref, prop.EntityKind(), catalog.DefaultNamespace)
			return svc, runName(t, params, prop.Name)
		}
	}
	if np := t.Pages.NameProperty(); np != nil {
		return text(np.Name), ""
	}
	return "", ""
}

// runName tells a run of a template that adds to a service apart from the
// template's other runs for the same service (two cron jobs, two
// endpoints): its name parameter, else its first two required text
// parameters besides pickers (new-api-endpoint: method and path), as a
// slug; a long one is cut and ends with a hash of the whole. Runs with the
// same values share their lineage, the later one superseding the earlier.
func runName(t *template.Template, params map[string]any, service string) string {
	var parts []string
	if np := t.Pages.NameProperty(); np != nil {
		parts = append(parts, templating.Text(params[np.Name]))
	} else {
		for _, prop := range t.Pages.Properties() {
			if len(parts) == 2 {
				break
			}
			if prop.Name == service || !prop.Required || prop.Type != "string" || prop.Secret() ||
				prop.UIField == "OwnerPicker" || prop.UIField == "EntityPicker" || prop.UIField == "MultiEntityPicker" {
				continue
			}
			if v := templating.Text(params[prop.Name]); strings.TrimSpace(v) != "" {
				parts = append(parts, v)
			}
		}
	}
	whole := strings.Join(parts, "-")
	slug := strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, whole), "-")
	for strings.Contains(slug, "--") {
		slug = strings.ReplaceAll(slug, "--", "-")
	}
	if len(slug) > 48 {
		h := sha256.Sum256([]byte(whole))
		slug = strings.TrimRight(slug[:39], "-") + "-" + hex.EncodeToString(h[:4])
	}
	return slug
}

// newLineage is the lineage of run r of t (nil when it is about no service).
func newLineage(t *template.Template, r *Run) *Lineage {
	svc, name := subject(t, r.Params)
	if svc == "" {
		return nil
	}
	inputs := make(map[string]any, len(r.Params))
	secret := t.Pages.SecretNames()
	for k, v := range r.Params {
		if !slices.Contains(secret, k) {
			inputs[k] = v
		}
	}
	return &Lineage{Service: svc, Template: t.Name, Name: name, Version: t.Hash, Run: r.ID, Owner: r.Owner, Inputs: inputs, Created: r.Created.UTC()}
}

// addLineage, before a publishing step (actions.Publishes) runs or is
// planned, adds to what it publishes the lineage file of the run and the
// AnnotationTemplate annotation on the service's catalog entity, and
// records the output in r.Lineage. A run about no service is left alone.
func (p *Paths) addLineage(r *Run, t *template.Template, action string, sc *actions.StepContext) error {
	if r.noLineage {
		return nil
	}
	l := r.Lineage
	if l == nil {
		if l = newLineage(t, r); l == nil {
			return nil
		}
	}
	dest, files, exec, place, err := actions.Published(action, sc, p.githubHost)
	if err != nil {
		return err
	}
	file := lineageFile(l.Service, l.Template, l.Name)
	at := place(file)
	if at == "" {
		// The step publishes under a targetPath: the file goes there.
		at = place(path.Join(p.targetOf(sc), file))
		file = path.Join(p.targetOf(sc), file)
	}
	for n, c := range files {
		if strings.HasPrefix(n, LineageDir+"/") && n != file {
			return &actions.StepError{Msg: fmt.Sprintf("the template writes %s: %s/ holds platbot's records of which golden path generated what, and templates may not write there", n, LineageDir),
				Hint: "Tell the template's owners (" + t.Owner + ")."}
		}
		if n == file {
			continue
		}
		if annotated, ok := annotateEntity(n, c, l.Service, l.Template); ok {
			files[n] = annotated
			sc.Files[place(n)] = annotated
		}
	}
	out := LineageOutput{Destination: dest, File: file, Files: map[string]string{}}
	for n, c := range files {
		if n != file {
			out.Files[n] = fileHash(c)
		}
	}
	if cur := l.output(dest); cur != nil {
		*cur = out
	} else {
		l.Outputs = append(l.Outputs, out)
	}
	one := *l
	one.Outputs = []LineageOutput{out}
	content, err := one.yaml()
	if err != nil {
		return err
	}
	sc.Files[at] = content
	r.Lineage = l
	if r.published != nil {
		files[file] = content
		r.published[dest], r.publishedExec[dest] = files, exec
	}
	return nil
}

// targetOf is a step's targetPath, cleaned.
func (p *Paths) targetOf(sc *actions.StepContext) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(templating.Text(sc.Input["targetPath"])), "./"), "/")
}

// yaml is the lineage file's content.
func (l *Lineage) yaml() (string, error) {
	var b bytes.Buffer
	b.WriteString("# Written by platbot: the golden path these files were generated from,\n# read by /plat upgrade and /plat template drift. Record a file you\n# renamed under renamed: (generated path: new path).\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		return "", fmt.Errorf("encode lineage: %w", err)
	}
	return b.String(), nil
}

// parseLineage reads a lineage file.
func parseLineage(name string, raw []byte) (*Lineage, error) {
	var l Lineage
	if err := yaml.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if l.Service == "" || l.Template == "" || l.Version == "" || len(l.Outputs) == 0 {
		return nil, fmt.Errorf("%s: not a lineage file (service, template, version and outputs are required)", name)
	}
	if l.Inputs == nil {
		l.Inputs = map[string]any{}
	}
	return &l, nil
}

// annotateEntity adds tmpl to the AnnotationTemplate annotation of the
// catalog entity named service in a catalog file (catalog-info.yaml),
// keeping the rest of the file; ok is false when the file is no such file
// or already says so.
func annotateEntity(name, content, service, tmpl string) (string, bool) {
	if base := path.Base(name); base != "catalog-info.yaml" && base != "catalog-info.yml" {
		return "", false
	}
	dec := yaml.NewDecoder(strings.NewReader(content))
	var docs []*yaml.Node
	changed := false
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", false
		}
		docs = append(docs, &doc)
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		meta := mapValue(doc.Content[0], "metadata")
		if meta == nil || meta.Kind != yaml.MappingNode {
			continue
		}
		if n := mapValue(meta, "name"); n == nil || n.Value != service {
			continue
		}
		ann := mapValue(meta, "annotations")
		if ann == nil {
			ann = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			meta.Content = append(meta.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "annotations"}, ann)
		}
		if ann.Kind != yaml.MappingNode {
			continue
		}
		v := mapValue(ann, AnnotationTemplate)
		if v == nil {
			ann.Content = append(ann.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: AnnotationTemplate},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: tmpl})
			changed = true
			continue
		}
		names := splitList(v.Value)
		if !slices.Contains(names, tmpl) {
			v.Value = strings.Join(append(names, tmpl), ",")
			changed = true
		}
	}
	if !changed {
		return "", false
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return "", false
		}
	}
	if err := enc.Close(); err != nil {
		return "", false
	}
	return b.String(), true
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// lineages are the stored lineage records.
func (p *Paths) lineages() store.Typed[Lineage] {
	return store.RecordsOf[Lineage](p.store, KindLineage)
}

// saveLineage stores a finished run's lineage, replacing the service's
// earlier lineage from the same template (a newer run supersedes it).
func (p *Paths) saveLineage(ctx context.Context, l *Lineage) error {
	_, err := p.lineages().Modify(ctx, l.ID(), func(it *store.Item[Lineage], _ bool) error {
		it.Key, it.State, it.Owner = l.Service, "recorded", l.Owner
		it.Value = *l
		return nil
	})
	if err != nil {
		return fmt.Errorf("store lineage of %s: %w", l.ID(), err)
	}
	return p.saveHead(ctx, l)
}

// serviceLineage is the lineage of a service: its records in the store,
// else (a restored database) what its repositories' lineage files say,
// stored again. Lineage of a template that no longer exists is kept.
func (p *Paths) serviceLineage(ctx context.Context, service string) ([]*Lineage, error) {
	items, err := p.lineages().List(ctx, store.Query{Key: service})
	if err != nil {
		return nil, fmt.Errorf("read lineage of %s: %w", service, err)
	}
	var out []*Lineage
	for i := range items {
		l := items[i].Value
		out = append(out, &l)
	}
	if len(out) > 0 {
		sortLineage(out)
		return out, nil
	}
	out, err = p.lineageFromRepos(ctx, service)
	if err != nil {
		return nil, err
	}
	for _, l := range out {
		if err := p.saveLineage(ctx, l); err != nil {
			return nil, err
		}
		p.log.Info("lineage read back from the repository", "service", service, "template", l.Template, "version", template.ShortHash(l.Version))
	}
	return out, nil
}

func sortLineage(ls []*Lineage) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].ID() < ls[j].ID() })
}

// lineageFromRepos reads a service's lineage files: in the GitOps
// repository (LineageDir/<service>/), and in the service's own repository
// (the github.com/project-slug annotation of its catalog entity; see
// serviceLineageFiles). The outputs of one run found in several
// repositories are joined.
func (p *Paths) lineageFromRepos(ctx context.Context, service string) ([]*Lineage, error) {
	byID := map[string]*Lineage{}
	var order []string
	add := func(where string, raw []byte) error {
		l, err := parseLineage(where, raw)
		if err != nil {
			return err
		}
		if l.Service != service {
			return nil
		}
		if cur, ok := byID[l.ID()]; ok {
			for _, o := range l.Outputs {
				if cur.output(o.Destination) == nil {
					cur.Outputs = append(cur.Outputs, o)
				}
			}
			return nil
		}
		byID[l.ID()] = l
		order = append(order, l.ID())
		return nil
	}
	if p.gitopsFiles != nil {
		dir := path.Join(LineageDir, service)
		names, err := p.gitopsFiles.ListDir(ctx, dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s in the GitOps repository: %w", dir, err)
		}
		for _, n := range names {
			if !skeleton.IsYAML(n) {
				continue
			}
			f := path.Join(dir, path.Base(n))
			raw, err := p.gitopsFiles.ReadFile(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("read %s in the GitOps repository: %w", f, err)
			}
			if err := add(f+" in the GitOps repository", raw); err != nil {
				return nil, err
			}
		}
	}
	if e := p.serviceEntity(service); e != nil && p.repoFiles != nil {
		owner, repo, ok := strings.Cut(e.Annotation(catalog.AnnotationGitHubSlug), "/")
		if ok {
			files, err := p.serviceLineageFiles(ctx, e, owner, repo)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				raw, err := p.repoFiles(ctx, owner, repo, f)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("read %s in %s/%s: %w", f, owner, repo, err)
				}
				if err := add(f+" in "+owner+"/"+repo, raw); err != nil {
					return nil, err
				}
			}
		}
	}
	out := make([]*Lineage, 0, len(order))
	for _, id := range order {
		out = append(out, byID[id])
	}
	sortLineage(out)
	return out, nil
}

// serviceLineageFiles are the lineage files to read in a service's own
// repository owner/repo: every YAML file of its folder under LineageDir
// when the repository can be listed (so named runs' files are found too),
// else one per template its entity's AnnotationTemplate names.
func (p *Paths) serviceLineageFiles(ctx context.Context, e *catalog.Entity, owner, repo string) ([]string, error) {
	service := e.Metadata.Name
	if p.repoDirs == nil {
		var files []string
		for _, tmpl := range splitList(e.Annotation(AnnotationTemplate)) {
			files = append(files, lineageFile(service, tmpl, ""))
		}
		return files, nil
	}
	dir := path.Join(LineageDir, service)
	names, err := p.repoDirs(ctx, owner, repo, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s in %s/%s: %w", dir, owner, repo, err)
	}
	var files []string
	for _, n := range names {
		if skeleton.IsYAML(n) {
			files = append(files, path.Join(dir, path.Base(n)))
		}
	}
	return files, nil
}

// serviceEntity is the catalog Component (else Resource) called name.
func (p *Paths) serviceEntity(name string) *catalog.Entity {
	for _, k := range []string{catalog.KindComponent, catalog.KindResource} {
		for _, e := range p.catalog.List(k) {
			if e.Metadata.Name == name {
				return e
			}
		}
	}
	return nil
}

// laterVersion reports whether version is one l may move to: the version
// of its pending upgrade, or an approved version after l's. (A repository
// whose lineage file an upgrade left alone, because nothing changed there,
// still names the older version.)
func (p *Paths) laterVersion(l *Lineage, version string) bool {
	if version == l.UpgradeVersion {
		return true
	}
	approved := p.approvedVersions(l.Template)
	return slices.Index(approved, version) > slices.Index(approved, l.Version)
}

// refreshLineage brings a stored lineage up to what its repository says
// now: once an upgrade's pull request is merged, the lineage file it
// committed records the new version, inputs and files, and they replace
// the stored ones (stored again, with the upgrade no longer pending). A
// lineage file that is missing or unreadable leaves l as it is.
func (p *Paths) refreshLineage(ctx context.Context, l *Lineage) *Lineage {
	for _, o := range l.Outputs {
		read, err := p.reader(o.Destination)
		if err != nil {
			continue
		}
		raw, err := read(ctx, o.File)
		if err != nil || raw == nil {
			if err != nil {
				p.log.Warn("read the lineage file", "lineage", l.ID(), "file", o.File, "err", err)
			}
			continue
		}
		repo, err := parseLineage(o.File, []byte(*raw))
		if err != nil || repo.ID() != l.ID() || repo.Version == l.Version || !p.laterVersion(l, repo.Version) {
			continue
		}
		next := *l
		next.Version, next.Inputs, next.Run, next.Created = repo.Version, repo.Inputs, repo.Run, repo.Created
		next.Outputs = append([]LineageOutput(nil), l.Outputs...)
		for _, ro := range repo.Outputs {
			if cur := next.output(ro.Destination); cur != nil {
				*cur = ro
			}
		}
		if next.UpgradeVersion == repo.Version {
			next.Upgrade, next.UpgradeVersion = "", ""
		}
		if err := p.saveLineage(ctx, &next); err != nil {
			p.log.Warn("store the lineage read from the repository", "lineage", l.ID(), "err", err)
			return l
		}
		p.log.Info("lineage follows the repository", "lineage", l.ID(), "version", template.ShortHash(repo.Version))
		return &next
	}
	return l
}

// JobLineageRestore reads every service's lineage back from the
// repositories into a store that has none (a restored or new database).
const JobLineageRestore = "paths.lineage.restore"

// enqueueLineageRestore enqueues JobLineageRestore when the store holds no
// lineage at all and the GitOps repository can be read.
func (p *Paths) enqueueLineageRestore(ctx context.Context) error {
	if p.gitopsFiles == nil {
		return nil
	}
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindLineageHead, Limit: 1})
	if err != nil || len(recs) > 0 {
		return err
	}
	_, err = p.router.Enqueue(ctx, bot.JobSpec{Kind: JobLineageRestore, DedupeKey: JobLineageRestore, MaxAttempts: 3})
	return err
}

// restoreLineageJob reads back the lineage of every service that has a
// folder in the GitOps repository's LineageDir or whose catalog entity
// names the templates it came from (AnnotationTemplate), one service at a
// time; a service whose lineage cannot be read is logged and skipped.
func (p *Paths) restoreLineageJob(ctx context.Context, _ json.RawMessage) error {
	services := map[string]bool{}
	names, err := p.gitopsFiles.ListDir(ctx, LineageDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list %s in the GitOps repository: %w", LineageDir, err)
	}
	for _, n := range names {
		services[path.Base(n)] = true
	}
	for _, k := range []string{catalog.KindComponent, catalog.KindResource, catalog.KindAPI} {
		for _, e := range p.catalog.List(k) {
			if e.Annotation(AnnotationTemplate) != "" {
				services[e.Metadata.Name] = true
			}
		}
	}
	sorted := make([]string, 0, len(services))
	for s := range services {
		sorted = append(sorted, s)
	}
	sort.Strings(sorted)
	restored := 0
	for _, s := range sorted {
		ls, err := p.serviceLineage(ctx, s)
		if err != nil {
			p.log.Warn("read lineage back", "service", s, "err", err)
			continue
		}
		restored += len(ls)
	}
	p.log.Info("lineage read back from the repositories", "services", len(sorted), "lineages", restored)
	return nil
}
