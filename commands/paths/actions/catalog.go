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
)

// catalog:register

// catalogRegister checks the rendered entity file the pull request adds to
// the catalog.
type catalogRegister struct{ d Deps }

func (catalogRegister) Check(_ *template.Template, s template.StepSpec) []string {
	if _, ok := s.Input["catalogInfoPath"]; !ok {
		return []string{"input.catalogInfoPath is missing (the rendered catalog-info.yaml to add to the pull request)"}
	}
	return nil
}

// entityFile parses and checks the entity file the step registers.
func (a catalogRegister) entityFile(sc *StepContext) (*catalog.Entity, string, error) {
	p := strings.TrimPrefix(sc.str("catalogInfoPath"), "/")
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
		if x.Ref() == e.Ref() {
			return nil, p, &StepError{Msg: fmt.Sprintf("%s already exists in the catalog (%s)", e.Ref(), x.Source), Hint: "Pick another name and start a new run."}
		}
	}
	return &e, p, nil
}

func (a catalogRegister) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	e, p, err := a.entityFile(sc)
	if err != nil {
		return Plan{}, err
	}
	return Plan{
		Effects: []string{fmt.Sprintf("register %s in the catalog (%s, in the same pull request)", e.Ref(), p)},
		Output:  map[string]any{"entityRef": e.Ref(), "catalogInfoPath": p},
	}, nil
}

func (a catalogRegister) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	pl, err := a.Plan(ctx, sc)
	if err != nil {
		return nil, err
	}
	return pl.Output, nil
}
