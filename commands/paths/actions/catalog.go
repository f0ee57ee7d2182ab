package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// CatalogLocations adds catalog locations at run time (catalog:register
// with a URL). commands/catalog implements it.
type CatalogLocations interface {
	// RegisterLocation adds target, the URL of a catalog file, as a
	// location of owner (a group ref): a team source, whose file may only
	// add entities owned by owner, read from the next refresh on. A target
	// already registered is kept as it is (created false).
	RegisterLocation(ctx context.Context, target, owner string) (created bool, err error)
}

// catalog:register

// catalogRegister registers a catalog file: the rendered file the same
// run's pull request adds (catalogInfoPath alone, checked now), or a URL
// (catalogInfoUrl, or repoContentsUrl + catalogInfoPath, default
// /catalog-info.yaml, as Backstage's catalog:register) added as a catalog
// location of the run's owner.
type catalogRegister struct{ d Deps }

func (catalogRegister) Check(_ *template.Template, s template.StepSpec) []string {
	_, url := s.Input["catalogInfoUrl"]
	_, contents := s.Input["repoContentsUrl"]
	_, path := s.Input["catalogInfoPath"]
	switch {
	case url && contents:
		return []string{"input.catalogInfoUrl and input.repoContentsUrl cannot both be set"}
	case !url && !contents && !path:
		return []string{"input.catalogInfoPath is missing (the rendered catalog-info.yaml to add to the pull request), or give catalogInfoUrl or repoContentsUrl"}
	}
	return nil
}

// locationURL is the URL the step registers ("" for a file of the run).
func (sc *StepContext) locationURL() string {
	if u := sc.str("catalogInfoUrl"); u != "" {
		return u
	}
	base := sc.str("repoContentsUrl")
	if base == "" {
		return ""
	}
	p := sc.str("catalogInfoPath")
	if p == "" {
		p = "/catalog-info.yaml"
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(strings.TrimPrefix(p, "./"), "/")
}

// entityFile parses and checks the entity file the step registers. An
// entity of the same name already in the catalog is refused, unless it
// was read from location (the URL this step registers, read by a refresh
// after an earlier attempt of the step).
func (a catalogRegister) entityFile(sc *StepContext, location string) (*catalog.Entity, string, error) {
	p := strings.TrimPrefix(strings.TrimPrefix(sc.str("catalogInfoPath"), "./"), "/")
	if p == "" {
		p = "catalog-info.yaml"
	}
	content, ok := sc.Files[p]
	if !ok {
		return nil, p, &StepError{Msg: fmt.Sprintf("no rendered file %s to register", p), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	var e catalog.Entity
	dec := yaml.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&e); err != nil && !errors.Is(err, io.EOF) {
		return nil, p, &StepError{Msg: fmt.Sprintf("%s is not a catalog entity: %v", p, err)}
	}
	switch {
	case !strings.HasPrefix(e.APIVersion, "backstage.io/"):
		return nil, p, &StepError{Msg: fmt.Sprintf("%s: apiVersion %q is not backstage.io/…", p, e.APIVersion)}
	case e.Kind == "" || e.Metadata.Name == "":
		return nil, p, &StepError{Msg: fmt.Sprintf("%s: kind and metadata.name are required", p)}
	case e.SpecString("owner") == "" && e.Kind != catalog.KindGroup && e.Kind != catalog.KindUser && e.Kind != catalog.KindLocation:
		return nil, p, &StepError{Msg: fmt.Sprintf("%s: spec.owner is required", p)}
	}
	for _, x := range a.d.Catalog.List(e.Kind) {
		if x.Ref() == e.Ref() && !fromLocation(x, location) {
			return nil, p, &StepError{Msg: fmt.Sprintf("%s already exists in the catalog (%s)", e.Ref(), x.Source), Hint: "Pick another name and start a new run."}
		}
	}
	return &e, p, nil
}

func (a catalogRegister) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	if u := sc.locationURL(); u != "" {
		return a.planURL(sc, u)
	}
	e, p, err := a.entityFile(sc, "")
	if err != nil {
		return Plan{}, err
	}
	return Plan{
		Effects: []string{fmt.Sprintf("register %s in the catalog (%s, in the same pull request)", e.Ref(), p)},
		Output:  map[string]any{"entityRef": e.Ref(), "catalogInfoPath": p},
	}, nil
}

func (a catalogRegister) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	u := sc.locationURL()
	pl, err := a.Plan(ctx, sc)
	if err != nil || u == "" {
		return pl.Output, err
	}
	if a.d.Locations == nil {
		return nil, &StepError{Msg: "this platbot cannot register catalog locations by URL (no catalog was given to golden paths for it)", Hint: "Tell the platform team."}
	}
	created, err := a.d.Locations.RegisterLocation(ctx, u, sc.Run.Owner)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if !templating.IsTruthy(sc.Input["optional"]) {
			return nil, &StepError{Msg: fmt.Sprintf("could not register %s in the catalog: %v", u, err), Hint: "Press Retry to try again; a location already registered is kept.", Err: err}
		}
		pl.Output["note"] = "not registered (optional): " + err.Error()
		return pl.Output, nil
	}
	pl.Output["created"] = created
	return pl.Output, nil
}

// planURL checks a location URL: the entity is checked now when the same
// run holds the file, and entityRef is then known.
func (a catalogRegister) planURL(sc *StepContext, u string) (Plan, error) {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "file://") {
		return Plan{}, &StepError{Msg: fmt.Sprintf("catalog URL %q must be an https:// or file:// URL", u)}
	}
	out := map[string]any{"catalogInfoUrl": u}
	eff := fmt.Sprintf("register %s in the catalog as a location of %s (its entities appear at the next catalog refresh)", u, sc.Run.Owner)
	if _, ok := sc.Files[strings.TrimLeft(strings.TrimPrefix(sc.str("catalogInfoPath"), "./"), "/")]; ok || (sc.str("catalogInfoPath") == "" && sc.Files["catalog-info.yaml"] != "") {
		e, _, err := a.entityFile(sc, u)
		if err != nil {
			return Plan{}, err
		}
		out["entityRef"] = e.Ref()
		eff = fmt.Sprintf("register %s (%s) in the catalog as a location of %s (it appears at the next catalog refresh)", e.Ref(), u, sc.Run.Owner)
	}
	return Plan{Effects: []string{eff}, Output: out}, nil
}

// fromLocation reports whether e was read from the catalog location URL u.
func fromLocation(e *catalog.Entity, u string) bool {
	if u == "" {
		return false
	}
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return e.Source.Location == "file:"+p
	}
	return e.Source.Location == "url:"+u
}
