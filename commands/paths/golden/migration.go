package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// ActionMigration adds the next numbered migration to a database that the
// new-db golden path created (examples/templates/new-migration).
const ActionMigration = "platbot:migration"

// Where new-db puts a database's files in the GitOps repository, and how
// its catalog entry says that new-db made it
// (examples/templates/new-db/skeleton/database).
const (
	databasesDir       = "databases"
	migrationsDir      = "migrations"
	goldenPathKey      = "platbot.dev/golden-path"
	sourceTemplateKey  = "backstage.io/source-template"
	newDBPath          = "new-db"
	newDBTemplateRef   = "template:default/new-db"
	maxMigrationName   = 60
	maxMigrationNumber = 9999
)

// migrationFile is a migration's file name: four (or more) digits, "_", a
// snake-case name, ".sql".
var migrationFile = regexp.MustCompile(`^([0-9]{4,})_([a-z0-9_]+)\.sql$`)

func init() { registry = append(registry, newMigrationActions) }

func newMigrationActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionMigration: migration{d: d}}
}

// migration is platbot:migration. Input: database (the database's catalog
// ref, a Resource of spec.type database made by new-db), name (a few words,
// written in snake case in the file name) and sql (the migration's body,
// optional). It reads the database's migrations folder on the GitOps
// repository's base branch, picks the number after the highest one and
// after those other runs in flight hold (migration_numbers.go), and
// adds databases/<db>/migrations/<NNNN>_<name>.sql to the run's files.
// Outputs: path, fileName, number, database (the database's name).
type migration struct{ d actions.Deps }

func (migration) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"database", "name"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// plannedMigration is the file a step adds.
type plannedMigration struct {
	db      string
	number  int
	path    string
	after   string
	content string
}

func (m migration) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := m.prepare(ctx, sc, false)
	if err != nil {
		return actions.Plan{}, err
	}
	sc.Files[p.path] = p.content
	after := "the first migration"
	if p.after != "" {
		after = "after " + p.after
	}
	return actions.Plan{
		Effects: []string{fmt.Sprintf("add %s (migration %04d of %s, %s)", p.path, p.number, p.db, after)},
		Output:  p.output(),
	}, nil
}

func (m migration) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := m.prepare(ctx, sc, true)
	if err != nil {
		return nil, err
	}
	sc.Files[p.path] = p.content
	return p.output(), nil
}

func (p *plannedMigration) output() map[string]any {
	return map[string]any{
		"path": p.path, "fileName": path.Base(p.path), "number": fmt.Sprintf("%04d", p.number), "database": p.db,
	}
}

// prepare checks the step's input against the catalog and the GitOps
// repository and returns the file to add. A problem with a value names the
// template parameter that filled it (see fieldError). The number is the
// next after the base branch's and those other runs in flight hold
// (migration_numbers.go); with hold set (a run, not a dry run) the run
// holds it.
func (m migration) prepare(ctx context.Context, sc *actions.StepContext, hold bool) (*plannedMigration, error) {
	ref := strings.TrimSpace(templating.Text(sc.Input["database"]))
	if ref == "" {
		return nil, fieldError(sc, "database", "no database is given")
	}
	db, err := m.database(sc, ref)
	if err != nil {
		return nil, err
	}
	name, err := SnakeCase(templating.Text(sc.Input["name"]))
	if err != nil {
		return nil, fieldError(sc, "name", err.Error())
	}
	folder := path.Join(databasesDir, db.Metadata.Name, migrationsDir)
	// A retried step keeps the file it added before: the number stays the
	// same even if the base branch moved meanwhile.
	for f := range sc.Files {
		if mm := migrationFile.FindStringSubmatch(path.Base(f)); mm != nil && path.Dir(f) == folder && mm[2] == name {
			n, _ := strconv.Atoi(mm[1])
			return &plannedMigration{db: db.Metadata.Name, number: n, path: f, content: sc.Files[f]}, nil
		}
	}
	if m.d.GitOpsFiles == nil {
		return nil, &actions.StepError{Msg: "platbot cannot read the GitOps repository here, so it cannot number the migration",
			Hint: "Run it from the bot, or render with the GitOps repository configured (gitOpsRepo)"}
	}
	entries, err := m.d.GitOpsFiles.ListDir(ctx, folder)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fieldError(sc, "database", fmt.Sprintf("%s has no migrations folder (%s) on the GitOps repository's base branch: new-db's pull request for it is not merged yet, or the folder was moved", db.Metadata.Name, folder))
	}
	if err != nil {
		return nil, &actions.StepError{Msg: "could not read the migrations of " + db.Metadata.Name + " in the GitOps repository", Hint: "Press Retry", Err: fmt.Errorf("list %s: %w", folder, err)}
	}
	highest, last := 0, ""
	for _, e := range entries {
		mm := migrationFile.FindStringSubmatch(e)
		if mm == nil {
			continue
		}
		n, err := strconv.Atoi(mm[1])
		if err != nil {
			continue
		}
		if mm[2] == name {
			return nil, fieldError(sc, "name", fmt.Sprintf("%s already has a migration named %s (%s): pick another name", db.Metadata.Name, name, e))
		}
		if n > highest {
			highest, last = n, e
		}
	}
	number, top, err := migrationNumber(ctx, m.d.Records, db.Ref(), sc.Run.ID, name, highest, hold, time.Now())
	var held *heldName
	switch {
	case errors.As(err, &held):
		return nil, fieldError(sc, "name", fmt.Sprintf("another run in flight (%s) already adds a migration named %s to %s (%04d_%s.sql, its pull request not merged yet): pick another name",
			held.hold.Run, name, db.Metadata.Name, held.hold.Number, name))
	case err != nil:
		return nil, &actions.StepError{Msg: "could not number the migration of " + db.Metadata.Name, Hint: "Press Retry", Err: err}
	}
	if number > maxMigrationNumber {
		return nil, &actions.StepError{Msg: fmt.Sprintf("%s already has migration %d, the last number four digits allow", db.Metadata.Name, number-1)}
	}
	if top != nil {
		after := last
		if after == "" {
			after = "no migration"
		}
		last = fmt.Sprintf("%s on the base branch and %04d_%s.sql of run %s in flight", after, top.Number, top.Name, top.Run)
	}
	p := &plannedMigration{db: db.Metadata.Name, number: number, after: last}
	p.path = path.Join(folder, fmt.Sprintf("%04d_%s.sql", p.number, name))
	p.content = migrationSQL(p.db, p.number, name, templating.Text(sc.Input["sql"]))
	return p, nil
}

// database is the catalog entry ref names, when it is a database that
// new-db created and (when the requester is known) one of their teams
// owns.
func (m migration) database(sc *actions.StepContext, ref string) (*catalog.Entity, error) {
	ref = catalog.NormalizeRef(ref, catalog.KindResource, catalog.DefaultNamespace)
	if m.d.Catalog == nil {
		return nil, &actions.StepError{Msg: "platbot has no catalog to find " + ref + " in"}
	}
	var db *catalog.Entity
	for _, e := range m.d.Catalog.List(catalog.KindResource) {
		if e.Ref() == ref {
			db = e
		}
	}
	switch {
	case db == nil:
		return nil, fieldError(sc, "database", ref+" is not in the catalog")
	case !strings.EqualFold(db.Type(), "database"):
		return nil, fieldError(sc, "database", fmt.Sprintf("%s is a Resource of type %q, not a database", ref, db.Type()))
	case db.Annotation(goldenPathKey) != newDBPath && !strings.EqualFold(db.Annotation(sourceTemplateKey), newDBTemplateRef):
		return nil, fieldError(sc, "database", fmt.Sprintf("%s was not created by new-db (its catalog entry has no %s: %s annotation), so it has no migrations folder in the GitOps repository", ref, goldenPathKey, newDBPath))
	}
	if err := ownedByRequester(m.d, sc, "database", db, "add the migration"); err != nil {
		return nil, err
	}
	return db, nil
}

// ownedByRequester refuses (on the input key) an entity that none of the
// requester's teams (their User's spec.memberOf) owns; what says what a
// member of the owning team would do. Without a known requester (a
// render) nothing is refused.
func ownedByRequester(d actions.Deps, sc *actions.StepContext, key string, e *catalog.Entity, what string) error {
	requester := sc.Run.RequesterRef
	if requester == "" {
		return nil
	}
	var teams []string
	for _, u := range d.Catalog.List(catalog.KindUser) {
		if u.Ref() != requester {
			continue
		}
		for _, g := range u.SpecStrings("memberOf") {
			g = catalog.NormalizeRef(g, catalog.KindGroup, u.Metadata.Namespace)
			if g == e.Owner() {
				return nil
			}
			teams = append(teams, g)
		}
	}
	mine := "you are in no team"
	if len(teams) > 0 {
		mine = "not one of your teams (" + strings.Join(teams, ", ") + ")"
	}
	return fieldError(sc, key, fmt.Sprintf("%s is owned by %s, %s: ask a member of that team to %s", e.Ref(), e.Owner(), mine, what))
}

// SnakeCase writes a migration's name as it appears in its file name:
// words (and camelCase humps) joined with "_" in lower case, like
// add_orders_index for "Add orders index". A name without a letter or
// digit, or longer than 60, is an error.
func SnakeCase(words string) (string, error) {
	var b strings.Builder
	sep := false
	var prev rune
	for _, r := range strings.TrimSpace(words) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				sep = true
			}
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(unicode.ToLower(r))
		case r == ' ' || r == '_' || r == '-' || r == '.':
			sep = true
		default:
			return "", &actions.StepError{Msg: fmt.Sprintf("the migration name %q has %q: use letters, digits, spaces, '-' or '_'", words, r)}
		}
		prev = r
	}
	s := b.String()
	switch {
	case s == "":
		return "", &actions.StepError{Msg: "the migration name has no letter or digit: say in a few words what it changes, like \"add orders index\""}
	case len(s) > maxMigrationName:
		return "", &actions.StepError{Msg: fmt.Sprintf("the migration name %s is %d characters long; keep it to %d", s, len(s), maxMigrationName)}
	}
	return s, nil
}

// migrationSQL is the migration file: new-db's header (its 0001_init.sql)
// and the body, or a line saying where the change goes.
func migrationSQL(db string, number int, name, body string) string {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		body = "-- Write the change here: plain SQL that runs inside a transaction."
	}
	return fmt.Sprintf(`-- Migration %04d of the %s database: %s.
--
-- Migrations run once each, in file-name order, inside a transaction.
-- Never edit a migration that has run anywhere: add a new one (see README.md).

%s
`, number, db, strings.ReplaceAll(name, "_", " "), body)
}
