package policy

import (
	"context"
	"fmt"
	"slices"

	"cel.dev/cel-go/cel"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// costLimit bounds the work one rule may do per evaluation.
const costLimit = 100_000

// newEnv declares what rules see: user, action and resource.
func newEnv() (*cel.Env, error) {
	env, err := cel.NewEnv(
		cel.Variable("user", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("action", cel.StringType),
		cel.Variable("resource", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		return nil, fmt.Errorf("policy: cel environment: %w", err)
	}
	return env, nil
}

// compiledRule is a Rule with its CEL program.
type compiledRule struct {
	Rule
	all     bool
	actions map[string]bool
	prg     cel.Program // nil when the rule has no condition
}

func compileRule(env *cel.Env, r Rule) (*compiledRule, error) {
	cr := &compiledRule{Rule: r, actions: map[string]bool{}}
	if r.Effect != Allow && r.Effect != Deny {
		return nil, fmt.Errorf("effect %q: want allow or deny", r.Effect)
	}
	if len(r.Actions) == 0 {
		return nil, fmt.Errorf("actions: name at least one of %v, or \"*\"", Actions)
	}
	for _, a := range r.Actions {
		switch {
		case a == "*":
			cr.all = true
		case slices.Contains(Actions, a):
			cr.actions[a] = true
		default:
			return nil, fmt.Errorf("actions: unknown action %q (want one of %v, or \"*\")", a, Actions)
		}
	}
	if r.When == "" {
		return cr, nil
	}
	ast, iss := env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("when: %w", iss.Err())
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("when: must be a bool expression, is %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(costLimit))
	if err != nil {
		return nil, fmt.Errorf("when: %w", err)
	}
	cr.prg = prg
	// Fields of user and resource are dyn to CEL's checker, so try the rule
	// on a sample request: a condition that yields a non-bool is a config
	// error now, not a denial later. Errors that depend on the data (an
	// index out of range) are left to run time.
	sample := activation(bot.User{ID: "U0", Name: "sample"}, &catalog.Identity{}, bot.ActionRead, bot.Resource{Kind: "component"})
	if out, _, err := prg.Eval(sample); err == nil {
		if _, ok := out.Value().(bool); !ok {
			return nil, fmt.Errorf("when: must be a bool expression, gives %T", out.Value())
		}
	}
	return cr, nil
}

func (r *compiledRule) applies(action string) bool { return r.all || r.actions[action] }

func (r *compiledRule) eval(ctx context.Context, vars map[string]any) (bool, error) {
	if r.prg == nil {
		return true, nil
	}
	out, _, err := r.prg.ContextEval(ctx, vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("when gave %v, not a bool", out.Value())
	}
	return b, nil
}

// activation builds the variables rules see. Every key is always present
// (empty when unknown), so rules never fail on a missing key.
func activation(u bot.User, id *catalog.Identity, action string, res bot.Resource) map[string]any {
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return map[string]any{
		"user": map[string]any{
			"id":            u.ID,
			"name":          id.Name,
			"email":         id.Email,
			"ref":           id.UserRef,
			"known":         id.Known(),
			"team":          id.Team(),
			"groups":        nz(id.Groups),
			"direct_groups": nz(id.DirectGroups),
			"roles":         nz(id.Roles),
			"manager":       id.Manager,
			"manages":       nz(id.Manages),
		},
		"action": action,
		"resource": map[string]any{
			"kind":      res.Kind,
			"name":      res.Name,
			"ref":       res.Ref,
			"owner":     res.Owner,
			"lifecycle": res.Lifecycle,
			"tags":      nz(res.Tags),
			"requester": Requester(res),
		},
	}
}
