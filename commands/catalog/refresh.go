package catalog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// RefreshReport says what a refresh did.
type RefreshReport struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Files is how many files were read, Failed how many could not be.
	Files  int `json:"files"`
	Failed int `json:"failed"`
	// Entities is the number of live entities now served.
	Entities int `json:"entities"`
	// Added are refs that were not in the catalog before.
	Added []string `json:"added,omitempty"`
	// Orphaned are refs that vanished from their location in this refresh.
	Orphaned []string `json:"orphaned,omitempty"`
	// Kept are refs whose last good version is served because their file or
	// document could not be read or validated.
	Kept []string `json:"kept,omitempty"`
	// Errors and Warnings count the problems found.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// IdentityChanges is how many audit events recorded changes of
	// identity and authority (see WithAuditor).
	IdentityChanges int `json:"identity_changes,omitempty"`
	// SaveError is set when the new state could not be persisted.
	SaveError string `json:"save_error,omitempty"`
}

// String summarises the report in one line.
func (r RefreshReport) String() string {
	s := fmt.Sprintf("%d entities from %d files in %s: %d added, %d orphaned, %d errors, %d warnings",
		r.Entities, r.Files, r.Duration.Round(time.Millisecond), len(r.Added), len(r.Orphaned), r.Errors, r.Warnings)
	if r.Failed > 0 {
		s += fmt.Sprintf(", %d files unreadable", r.Failed)
	}
	if len(r.Kept) > 0 {
		s += fmt.Sprintf(", %d kept at their last good version", len(r.Kept))
	}
	if r.IdentityChanges > 0 {
		s += fmt.Sprintf(", %d changes of identity or authority audited", r.IdentityChanges)
	}
	if r.SaveError != "" {
		s += "; not persisted: " + r.SaveError
	}
	return s
}

// loaded is an entity read in this refresh, with the lines of its fields
// (nil for an entity carried over from the last good state).
type loaded struct {
	e     *Entity
	lines *docLines
}

// loader reads every location once for one refresh.
type loader struct {
	ctx      context.Context
	gh       GitHubContents
	host     string // Config.GitHubHost
	prev     *snapshot
	visited  map[string]bool
	out      []loaded
	problems []Problem
	kept     []string
	files    int
	failed   int
	// teams are the targets of Location entities, read after every
	// configured location so that a team file never shadows an entity of
	// an organisation or configured source.
	teams []teamVisit
	// failedLocs are the locations a read failed in, with the first error
	// (see LocationStatus).
	failedLocs map[string]string
}

// teamKinds are the kinds a team source may add.
var teamKinds = []string{KindComponent, KindAPI, KindResource, KindSystem, KindTemplate}

// source is the trust a file is read with: that of the configured
// location it was reached from, narrowed to a team when it was reached
// through a Location entity (or the location has an owner).
type source struct {
	loc     string          // the configured location's name ("file:…", "url:…")
	org     bool            // an organisation source: may add Users and Groups
	team    string          // a team source: the owner ref every entity must have
	via     string          // how a team source was reached, for problems
	allowed map[string]bool // the location's rules; nil allows every kind
	root    root            // where its Location entities' targets must stay
}

// teamVisit is a Location entity's target waiting to be read.
type teamVisit struct {
	src        *source
	p          place
	parentFile string
	parentLine int
	location   string // the Location entity's ref
	unowned    bool   // the Location has no spec.owner
}

// refuse says why the source may not add e ("" when it may) and whether
// the problem is at spec.owner (else at kind).
func (s *source) refuse(e *Entity) (atOwner bool, msg string) {
	if s.allowed != nil && !s.allowed[e.Kind] {
		return false, fmt.Sprintf("location %s may not contribute a %s (its rules allow %s)", s.loc, e.Kind, kindList(s.allowed))
	}
	if s.team != "" {
		if !slices.Contains(teamKinds, e.Kind) {
			return false, fmt.Sprintf("a team file of %s (%s) may add only %s entities; this %s is not loaded", s.team, s.via, strings.Join(teamKinds, ", "), e.Kind)
		}
		if o := e.Owner(); o != s.team {
			if o == "" {
				o = "none"
			}
			return true, fmt.Sprintf("spec.owner is %s, but a team file of %s (%s) may add only entities owned by %s; not loaded", o, s.team, s.via, s.team)
		}
		return false, ""
	}
	if !s.org && (e.Kind == KindUser || e.Kind == KindGroup) {
		return false, fmt.Sprintf("a %s may come only from an organisation source (catalog.organization); location %s is not one, so it is not loaded", e.Kind, s.loc)
	}
	return false, ""
}

// configured is a configured location with the trust it is read with.
type configured struct {
	lc  LocationConfig
	src *source
}

// sources returns the configured locations with their trust, organisation
// sources first.
func (c *Catalog) sources() []configured {
	var out []configured
	add := func(lc LocationConfig, org bool) {
		rules := lc.Rules
		if len(rules) == 0 {
			rules = c.cfg.Rules
		}
		src := &source{loc: lc.locationName(c.cfg.GitHubHost), org: org && lc.Owner == "", team: lc.Owner, allowed: allowedKinds(rules)}
		if lc.Owner != "" {
			src.via = "location " + src.loc + " has owner " + lc.Owner
		}
		out = append(out, configured{lc, src})
	}
	for _, lc := range c.cfg.Organization {
		add(lc, true)
	}
	for _, lc := range c.cfg.Locations {
		// Without organisation sources configured, the locations are
		// (the single-list setup of the example catalog).
		add(lc, len(c.cfg.Organization) == 0)
	}
	// Locations registered at run time always have an owner: team sources.
	for _, lc := range c.registered {
		add(lc, false)
	}
	return out
}

func (l *loader) problem(sev, loc, file string, line int, entity, format string, args ...any) {
	l.problems = append(l.problems, Problem{Severity: sev, Location: loc, File: file, Line: line, Entity: entity, Message: fmt.Sprintf(format, args...)})
}

// Refresh reads every location again and swaps in the new state. Files or
// documents that cannot be read or validated keep their last good entities;
// entities that vanished from their location are kept as orphans. When no
// file at all could be read, the last good state stays whole and the error
// is returned. Refreshes run one at a time.
func (c *Catalog) Refresh(ctx context.Context) (RefreshReport, error) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	rep, err := c.refresh(ctx)
	c.noteRefresh(err)
	return rep, err
}

// noteRefresh keeps the outcome of a refresh for LastRefreshError: a
// failure is kept until a refresh succeeds. A refresh cancelled because
// platbot is stopping is no failure of the locations and is not kept.
func (c *Catalog) noteRefresh(err error) {
	if err != nil && errors.Is(err, context.Canceled) {
		return
	}
	c.lastErrMu.Lock()
	defer c.lastErrMu.Unlock()
	if err == nil {
		c.lastErr, c.lastErrAt = nil, time.Time{}
		return
	}
	c.lastErr, c.lastErrAt = err, c.now()
}

// LastRefreshError returns when the last refresh failed and why, while no
// refresh has succeeded since; (zero time, nil) otherwise. The catalog
// keeps serving its last good state after a failure (see Refreshed and
// Restored for how old it is).
func (c *Catalog) LastRefreshError() (time.Time, error) {
	c.lastErrMu.Lock()
	defer c.lastErrMu.Unlock()
	return c.lastErrAt, c.lastErr
}

// Restored reports whether the served state came from a saved snapshot
// (see WithSnapshots) and no refresh has succeeded since; Resume then
// refreshes it.
func (c *Catalog) Restored() bool { return c.restored.Load() }

// refresh is Refresh with refreshMu held.
func (c *Catalog) refresh(ctx context.Context) (RefreshReport, error) {
	start := time.Now()
	rep := RefreshReport{Started: c.now()}
	prev := c.snap.Load()
	l := &loader{ctx: ctx, gh: c.gh, host: c.cfg.GitHubHost, prev: prev, visited: map[string]bool{}}

	for _, s := range c.sources() {
		start, err := s.lc.rootPlace(c.cfg.GitHubHost)
		if err != nil {
			l.files++
			l.failed++
			l.problem(SeverityError, s.src.loc, "", 0, "", "location: %v", err)
			l.fail(s.src.loc, err.Error())
			continue
		}
		s.src.root = rootOf(start)
		l.visit(s.src, start, "", 0)
	}
	// Location entities' targets, after every configured location. Team
	// files add no Location entities, so this adds no further visits.
	for i := 0; i < len(l.teams) && ctx.Err() == nil; i++ {
		l.visitTeam(l.teams[i])
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("catalog refresh: %w", err)
	}
	// Every return below records how each location went.
	var whole error
	defer func() { c.noteLocations(l.failedLocs, whole) }()
	rep.Files, rep.Failed = l.files, l.failed
	if rep.Files == rep.Failed && rep.Failed > 0 {
		err := fmt.Errorf("catalog refresh: none of %d files could be read; serving the last good state (%d entities)", rep.Failed, len(prev.live))
		for _, p := range l.problems {
			if p.Severity == SeverityError {
				err = fmt.Errorf("%w; first problem: %s", err, p)
				break
			}
		}
		rep.Duration = time.Since(start)
		c.log.Error("catalog: refresh failed", "err", err)
		whole = err
		return rep, err
	}

	next := l.finish(c.now())
	audited, err := c.auditIdentity(ctx, prev, next)
	if err != nil {
		// Unrecorded changes of identity are not served.
		rep.Duration = time.Since(start)
		err = fmt.Errorf("catalog refresh: %w; serving the last good state", err)
		c.log.Error("catalog: refresh failed", "err", err)
		whole = err
		return rep, err
	}
	rep.IdentityChanges = audited
	c.snap.Store(next)
	c.restored.Store(false)
	c.clearReported()

	for _, e := range next.live {
		if _, ok := prev.all[e.Ref()]; !ok {
			rep.Added = append(rep.Added, e.Ref())
		}
	}
	for _, e := range next.orphans {
		if p, ok := prev.all[e.Ref()]; ok && !p.Orphan {
			rep.Orphaned = append(rep.Orphaned, e.Ref())
		}
	}
	rep.Kept = l.kept
	rep.Entities = len(next.live)
	for _, p := range next.problems {
		if p.Severity == SeverityError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	if err := c.save(ctx, next); err != nil {
		rep.SaveError = err.Error()
		c.log.Error("catalog: cannot persist the refreshed state", "err", err)
	}
	rep.Duration = time.Since(start)
	c.log.Info("catalog: refreshed", "entities", rep.Entities, "files", rep.Files, "failed", rep.Failed,
		"added", len(rep.Added), "orphaned", len(rep.Orphaned), "errors", rep.Errors, "warnings", rep.Warnings, "took", rep.Duration)
	return rep, nil
}

// visit reads a place: a file, or a local folder or glob of files.
// parentFile and parentLine say which Location entity led here.
func (l *loader) visit(src *source, p place, parentFile string, parentLine int) {
	files, err := p.expand()
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(p.path, "*?[") {
		// Unreadable but maybe there: merge keeps its last good entities.
		files, err = []place{p}, nil
	}
	if err != nil {
		l.files++
		l.failed++
		l.problem(SeverityError, src.loc, parentFile, parentLine, "", "%v", err)
		if parentFile == "" || !errors.Is(err, fs.ErrNotExist) {
			// A configured location's own root, or an unreadable target.
			l.fail(src.loc, err.Error())
		}
		return
	}
	var pending []place
	for _, f := range files {
		key := f.String()
		if l.visited[key] {
			continue
		}
		if parentFile != "" {
			// A Location entity's target: symlinks may not lead out of
			// the root.
			if err := src.root.contains(f); err != nil {
				l.problem(SeverityError, src.loc, parentFile, parentLine, "", "%v", err)
				continue
			}
		}
		l.visited[key] = true
		pending = append(pending, f)
	}
	for _, pf := range l.parseAll(pending) {
		if l.ctx.Err() != nil {
			return
		}
		l.merge(src, pf, parentFile, parentLine)
	}
}

// visitTeam reads a Location entity's target. The target of a Location
// without spec.owner is read by nobody: it is reported unless every file
// it names was read already through another location.
func (l *loader) visitTeam(t teamVisit) {
	if t.unowned {
		files, err := t.p.expand()
		unread := err != nil
		for _, f := range files {
			unread = unread || !l.visited[f.String()]
		}
		if unread {
			l.problem(SeverityError, t.src.loc, t.parentFile, t.parentLine, t.location,
				"Location has no spec.owner, so its target %s is not read: set spec.owner to the group that owns the files it names", t.p)
		}
		return
	}
	l.visit(t.src, t.p, t.parentFile, t.parentLine)
}

// merge adds a parsed file's entities in order, reporting its problems,
// keeping last good versions where the file or a document is broken, and
// following its Location entities.
func (l *loader) merge(src *source, pf parsedFile, parentFile string, parentLine int) {
	p, file, loc := pf.place, pf.file, src.loc
	l.files++
	if pf.err != nil {
		l.failed++
		if parentFile == "" || !errors.Is(pf.err, fs.ErrNotExist) {
			// A Location entity's target that is gone orphans its
			// entities; anything else is a failure of the location.
			l.fail(loc, pf.err.Error())
		}
		if errors.Is(pf.err, fs.ErrNotExist) {
			if parentFile != "" {
				l.problem(SeverityError, loc, parentFile, parentLine, "", "target %s not found; its entities are orphaned", file)
			} else {
				l.problem(SeverityError, loc, file, 0, "", "file not found; its entities are orphaned")
			}
			return
		}
		kept := l.prev.byFile[file]
		l.problem(SeverityError, loc, file, 0, "", "%v; keeping its %d entities from the last good read", pf.err, len(kept))
		for _, e := range kept {
			l.keep(src, p, e)
		}
		return
	}

	seen := make(map[string]bool, len(pf.docs))
	broken := false
	// The file's location ref, worked out once: place.String asks the
	// operating system for the working folder.
	managedBy := ""
	for _, doc := range pf.docs {
		if doc.syntax != nil {
			broken = true
			l.problem(SeverityError, loc, file, doc.line, "", "invalid YAML: %v", doc.syntax)
			continue
		}
		e, errs := doc.e, doc.errs
		ref := ""
		if e != nil && e.Metadata.Name != "" && e.Kind != "" {
			ref = e.Ref()
		}
		if e != nil && len(errs) == 0 {
			if atOwner, msg := src.refuse(e); msg != "" {
				// Not kept at a last good version: it does not belong here.
				line := doc.kind
				if atOwner && doc.lines != nil && doc.lines.owner > 0 {
					line = doc.lines.owner
				}
				l.problem(SeverityError, loc, file, line, ref, "%s", msg)
				continue
			}
		}
		if len(errs) > 0 {
			for _, le := range errs {
				line := le.line
				if line == 0 {
					line = doc.line
				}
				l.problem(SeverityError, loc, file, line, ref, "%s", le.msg)
			}
			if ref != "" {
				seen[ref] = true
				if old := l.prevFrom(ref, file); old != nil {
					l.problem(SeverityWarning, loc, file, doc.line, ref, "invalid; serving its last good version")
					l.keep(src, p, old)
				}
			}
			continue
		}
		seen[ref] = true
		e.Source = Source{Location: loc, File: file, Line: doc.line}
		if e.Metadata.Annotations == nil {
			e.Metadata.Annotations = map[string]string{}
		}
		e.Metadata.Annotations[AnnotationOrigin] = loc
		if managedBy == "" {
			managedBy = p.locationRef()
		}
		e.Metadata.Annotations[AnnotationManagedBy] = managedBy
		e.Metadata.Annotations[AnnotationSourceFile] = e.Source.String()
		l.out = append(l.out, loaded{e: e, lines: doc.lines})
		if e.Kind == KindLocation {
			l.follow(src, p, e, doc.lines)
		}
	}
	if broken {
		// A document that is not even YAML names no entity: keep every
		// entity of this file the readable documents did not account for.
		for _, e := range l.prev.byFile[file] {
			if !seen[e.Ref()] {
				l.keep(src, p, e)
			}
		}
	}
}

// prevFrom returns the last good entity with ref if it came from file.
func (l *loader) prevFrom(ref, file string) *Entity {
	if e := l.prev.all[ref]; e != nil && !e.Orphan && e.Source.File == file {
		return e
	}
	return nil
}

// keep serves an entity's last good version in this refresh, when the
// source may still add it.
func (l *loader) keep(src *source, p place, old *Entity) {
	if _, msg := src.refuse(old); msg != "" {
		l.problem(SeverityError, src.loc, old.Source.File, old.Source.Line, old.Ref(), "%s", msg)
		return
	}
	cp := *old
	l.out = append(l.out, loaded{e: &cp})
	l.kept = append(l.kept, cp.Ref())
	if cp.Kind == KindLocation {
		l.follow(src, p, &cp, nil)
	}
}

// follow queues the targets of a Location entity found in file p, as team
// sources of the Location's spec.owner confined to the root of src.
func (l *loader) follow(src *source, p place, e *Entity, lines *docLines) {
	var targets []string
	if t := e.SpecString("target"); t != "" {
		targets = append(targets, t)
	}
	targets = append(targets, e.SpecStrings("targets")...)
	owner := e.Owner()
	team := &source{loc: src.loc, team: owner, via: "brought in by Location " + e.Ref() + " at " + e.Source.String(), allowed: src.allowed, root: src.root}
	for i, t := range targets {
		line := e.Source.Line
		if lines != nil && i < len(lines.targets) {
			line = lines.targets[i]
		}
		np, err := p.resolve(t, e.SpecString("type"), l.host, src.root)
		if err != nil {
			l.problem(SeverityError, src.loc, p.String(), line, e.Ref(), "%v; not read", err)
			continue
		}
		l.teams = append(l.teams, teamVisit{src: team, p: np, parentFile: p.String(), parentLine: line, location: e.Ref(), unowned: owner == ""})
	}
}

// finish de-duplicates, checks references, marks orphans and indexes.
func (l *loader) finish(now time.Time) *snapshot {
	byRef := make(map[string]loaded, len(l.out))
	entities := make([]*Entity, 0, len(l.out)+len(l.prev.orphans))
	var kept []loaded
	for _, ld := range l.out {
		ref := ld.e.Ref()
		if first, dup := byRef[ref]; dup {
			l.problem(SeverityError, ld.e.Source.Location, ld.e.Source.File, ld.e.Source.Line, ref,
				"%s is already defined at %s; this definition is ignored", ref, first.e.Source)
			continue
		}
		ld.e.Orphan = false
		byRef[ref] = ld
		kept = append(kept, ld)
		entities = append(entities, ld.e)
	}

	// References must resolve to an entity of a fitting kind.
	for _, ld := range kept {
		e := ld.e
		for _, rf := range refFields[e.Kind] {
			refs := specRefs(e, rf)
			for i, to := range refs {
				target, ok := byRef[to]
				msg := ""
				switch {
				case !ok:
					msg = fmt.Sprintf("spec.%s %q does not resolve: no entity %s in the catalog", rf.field, rawRef(e, rf, i), to)
				case len(rf.targets) > 0 && !slices.Contains(rf.targets, target.e.Kind):
					msg = fmt.Sprintf("spec.%s %q is a %s, want %s", rf.field, rawRef(e, rf, i), target.e.Kind, strings.Join(rf.targets, " or "))
				default:
					continue
				}
				line := e.Source.Line
				if rl := ld.lines.ref(rf.field, i); rl > 0 {
					line = rl
				}
				l.problem(SeverityWarning, e.Source.Location, e.Source.File, line, e.Ref(), "%s", msg)
			}
		}
		if e.Kind == KindUser {
			if mgr := e.Annotation(AnnotationManager); mgr != "" {
				l.checkManager(ld, mgr, byRef)
			}
		}
		if e.Kind == KindGroup {
			if mgr := e.Annotation(AnnotationManager); mgr != "" {
				l.checkManager(ld, mgr, byRef)
			}
		}
	}
	l.checkSlackIDs(kept)

	// Entities that vanished are kept as orphans.
	for _, old := range append(append([]*Entity(nil), l.prev.live...), l.prev.orphans...) {
		ref := old.Ref()
		if _, ok := byRef[ref]; ok {
			continue
		}
		cp := *old
		cp.Orphan = true
		entities = append(entities, &cp)
		l.problem(SeverityWarning, cp.Source.Location, cp.Source.File, cp.Source.Line, ref,
			"orphaned: no longer found in its location; an admin can remove it with /plat catalog remove %s", ref)
	}
	sortProblems(l.problems)
	return buildSnapshot(entities, l.problems, now)
}

func (l *loader) checkManager(ld loaded, mgr string, byRef map[string]loaded) {
	e := ld.e
	ref := NormalizeRef(mgr, KindUser, namespaceOf(e))
	if t, ok := byRef[ref]; ok && t.e.Kind == KindUser {
		return
	}
	line := e.Source.Line
	if ld.lines != nil && ld.lines.manager > 0 {
		line = ld.lines.manager
	}
	l.problem(SeverityWarning, e.Source.Location, e.Source.File, line, e.Ref(), "annotation %s %q does not name a User in the catalog", AnnotationManager, mgr)
}

func (l *loader) checkSlackIDs(lds []loaded) {
	owners := map[string]string{}
	for _, ld := range lds {
		e := ld.e
		if e.Kind != KindUser {
			continue
		}
		id := e.Annotation(AnnotationSlackUserID)
		if id == "" {
			continue
		}
		if first, dup := owners[id]; dup {
			l.problem(SeverityWarning, e.Source.Location, e.Source.File, e.Source.Line, e.Ref(),
				"%s %q is also used by %s; neither is matched to that Slack user", AnnotationSlackUserID, id, first)
			continue
		}
		owners[id] = e.Ref()
	}
}

func rawRef(e *Entity, rf refField, i int) string {
	if rf.list {
		if v := e.SpecStrings(rf.field); i < len(v) {
			return v[i]
		}
	}
	return e.SpecString(rf.field)
}

func kindList(allowed map[string]bool) string {
	var ks []string
	for _, k := range Kinds {
		if allowed[k] {
			ks = append(ks, k)
		}
	}
	return strings.Join(ks, ", ")
}

// locationRef is the Backstage location ref of a file ("file:<path>" or
// "url:<github url>").
func (p place) locationRef() string {
	if p.kind == LocationGitHub {
		return "url:" + p.String()
	}
	return "file:" + p.String()
}
