package grade

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v3"
)

// CheckSpec is a check as written in YAML:
//
//	checks:
//	  - id: has-readme-runbook
//	    title: README has a runbook
//	    severity: medium                 # low, medium, high, critical
//	    rule: github.readme.contains("## Runbook")
//	    filter: entity.type == "service" # optional: which entities it applies to
//	    phase: highlighted from 2027-01-01
//	    howToFix: Add a "## Runbook" section to README.md.
//	    link: https://wiki.example.com/runbooks
//	    unknownAs: fail                  # or pass: how the gate takes it when unknown
//	    set: catalog-conventions         # optional: a named group the digest lists apart
type CheckSpec struct {
	ID       string        `yaml:"id"`
	Title    string        `yaml:"title"`
	Severity Severity      `yaml:"severity"`
	Rule     string        `yaml:"rule"`
	Filter   string        `yaml:"filter,omitempty"`
	Phase    PhaseSchedule `yaml:"phase,omitempty"`
	HowToFix string        `yaml:"howToFix"`
	Link     string        `yaml:"link,omitempty"`
	// UnknownAs is how the production gate takes the check while its facts
	// are unknown: "fail" (the default: an unknown required check blocks
	// production) or "pass" (an admin's decision that it may go unread).
	// Grades show the service as incomplete either way.
	UnknownAs string `yaml:"unknownAs,omitempty"`
	// Set names a group of checks shown together, whatever their phase:
	// the weekly digest lists the failing checks of the ConventionsSet in a
	// section of their own (SetGaps).
	Set string `yaml:"set,omitempty"`
	// Where says where the check was read from (set by the loader).
	Where string `yaml:"-"`
	// decodeErr is set when the YAML of the check could not be decoded.
	decodeErr error
}

// Check is a compiled, type-checked check, ready to evaluate.
type Check struct {
	CheckSpec
	rule   cel.Program
	filter cel.Program
	// reads is the bit set of gathered sources the rule reads.
	reads uint8
	// unknownAs is UnknownAs checked: StatusFail or StatusPass.
	unknownAs Status
}

// UnknownPasses reports whether the check is configured `unknownAs: pass`:
// the production gate lets it pass while its facts are unknown.
func (c *Check) UnknownPasses() bool { return c.unknownAs == StatusPass }

// Reads lists the gathered sources the rule reads.
func (c *Check) Reads() []Source {
	var out []Source
	for _, s := range gatheredSources {
		if c.reads&s.bit() != 0 {
			out = append(out, s)
		}
	}
	return out
}

// CheckError is a check that could not be loaded.
type CheckError struct {
	ID    string
	Where string
	Err   error
}

func (e CheckError) Error() string {
	id := e.ID
	if id == "" {
		id = "(no id)"
	}
	if e.Where != "" {
		return fmt.Sprintf("check %s (%s): %v", id, e.Where, e.Err)
	}
	return fmt.Sprintf("check %s: %v", id, e.Err)
}

func (e CheckError) Unwrap() error { return e.Err }

// CheckSet is the compiled checks, in the order they were declared, plus
// the ones that failed to load.
type CheckSet struct {
	Checks []*Check
	Errors []CheckError
	byID   map[string]*Check
}

// Get returns a check by id.
func (cs *CheckSet) Get(id string) (*Check, bool) {
	c, ok := cs.byID[id]
	return c, ok
}

// IDs lists the loaded check ids, sorted.
func (cs *CheckSet) IDs() []string {
	ids := make([]string, 0, len(cs.Checks))
	for _, c := range cs.Checks {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}

var (
	envOnce   sync.Once
	ruleEnv   *cel.Env
	filterEnv *cel.Env
	envErr    error
)

// Variable names of rules.
var ruleVars = map[string]Source{
	"entity": SourceCatalog, "owner": SourceCatalog,
	"github": SourceGitHub, "oncall": SourceOnCall, "deploys": SourceDeploys, "vulns": SourceVulns,
}

// envs builds the CEL environments once: rules see every source and now;
// filters see only the catalog (entity, owner).
func envs() (*cel.Env, *cel.Env, error) {
	envOnce.Do(func() {
		native := ext.NativeTypes(
			reflect.TypeOf(&EntityFacts{}), reflect.TypeOf(&OwnerFacts{}), reflect.TypeOf(&RepoFacts{}),
			reflect.TypeOf(&OnCallFacts{}), reflect.TypeOf(&DeployFacts{}), reflect.TypeOf(&VulnFacts{}),
			ext.ParseStructTags(true),
		)
		catalogVars := []cel.EnvOption{
			native, ext.Strings(), ext.Lists(), ext.Sets(),
			cel.Variable("entity", cel.ObjectType("grade.EntityFacts")),
			cel.Variable("owner", cel.ObjectType("grade.OwnerFacts")),
		}
		filterEnv, envErr = cel.NewEnv(catalogVars...)
		if envErr != nil {
			envErr = fmt.Errorf("scorecard: build CEL filter environment: %w", envErr)
			return
		}
		ruleEnv, envErr = cel.NewEnv(append(catalogVars,
			cel.Variable("github", cel.ObjectType("grade.RepoFacts")),
			cel.Variable("oncall", cel.ObjectType("grade.OnCallFacts")),
			cel.Variable("deploys", cel.ObjectType("grade.DeployFacts")),
			cel.Variable("vulns", cel.ObjectType("grade.VulnFacts")),
			cel.Variable("now", cel.TimestampType),
		)...)
		if envErr != nil {
			envErr = fmt.Errorf("scorecard: build CEL rule environment: %w", envErr)
		}
	})
	return ruleEnv, filterEnv, envErr
}

// HasSet reports whether a loaded check is in the set.
func (cs *CheckSet) HasSet(set string) bool {
	for _, c := range cs.Checks {
		if c.Set == set {
			return true
		}
	}
	return false
}

// CompileChecks compiles and type-checks specs. A spec that fails (bad id,
// severity, phase or CEL) is reported in Errors with its id and the error,
// and the others still load. A later spec with the id of an earlier one
// replaces it, so configuration can override a default check.
func CompileChecks(specs []CheckSpec) *CheckSet {
	cs := &CheckSet{byID: map[string]*Check{}}
	rEnv, fEnv, err := envs()
	if err != nil {
		cs.Errors = append(cs.Errors, CheckError{Err: err})
		return cs
	}
	for _, sp := range specs {
		c, err := compileCheck(rEnv, fEnv, sp)
		if err != nil {
			cs.Errors = append(cs.Errors, CheckError{ID: sp.ID, Where: sp.Where, Err: err})
			continue
		}
		if old, ok := cs.byID[c.ID]; ok {
			for i, o := range cs.Checks {
				if o == old {
					cs.Checks = append(cs.Checks[:i], cs.Checks[i+1:]...)
					break
				}
			}
		}
		cs.byID[c.ID] = c
		cs.Checks = append(cs.Checks, c)
	}
	return cs
}

func compileCheck(rEnv, fEnv *cel.Env, sp CheckSpec) (*Check, error) {
	sp.ID = strings.TrimSpace(sp.ID)
	switch {
	case sp.decodeErr != nil:
		return nil, sp.decodeErr
	case sp.ID == "":
		return nil, fmt.Errorf("no id")
	case strings.ContainsAny(sp.ID, " \t:|/"):
		return nil, fmt.Errorf("id %q may not contain spaces, ':', '|' or '/'", sp.ID)
	case !sp.Severity.Valid():
		return nil, fmt.Errorf("severity %q is not low, medium, high or critical", sp.Severity)
	case strings.TrimSpace(sp.Rule) == "":
		return nil, fmt.Errorf("no rule")
	}
	unknownAs, err := parseUnknownAs(sp.UnknownAs)
	if err != nil {
		return nil, err
	}
	if sp.Title == "" {
		sp.Title = sp.ID
	}
	c := &Check{CheckSpec: sp, unknownAs: unknownAs}
	ast, iss := rEnv.Compile(sp.Rule)
	if iss.Err() != nil {
		return nil, fmt.Errorf("rule: %w", iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("rule must be a bool, it is a %s", ast.OutputType())
	}
	if c.rule, err = rEnv.Program(ast, cel.EvalOptions(cel.OptOptimize)); err != nil {
		return nil, fmt.Errorf("rule: %w", err)
	}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if src, ok := ruleVars[ref.Name]; ok {
			c.reads |= src.bit()
		}
	}
	if strings.TrimSpace(sp.Filter) != "" {
		fast, iss := fEnv.Compile(sp.Filter)
		if iss.Err() != nil {
			return nil, fmt.Errorf("filter (it may read entity and owner only): %w", iss.Err())
		}
		if fast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("filter must be a bool, it is a %s", fast.OutputType())
		}
		if c.filter, err = fEnv.Program(fast, cel.EvalOptions(cel.OptOptimize)); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	return c, nil
}

// parseUnknownAs reads a check's unknownAs: "pass" or "fail" (any case),
// "fail" when empty.
func parseUnknownAs(v string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", string(StatusFail):
		return StatusFail, nil
	case string(StatusPass):
		return StatusPass, nil
	}
	return "", fmt.Errorf("unknownAs %q is not pass or fail", v)
}

// activation resolves rule variables to one service's facts without
// allocating.
type activation struct {
	f   *Facts
	now any // a types.Timestamp, boxed once per evaluation run
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "entity":
		return &a.f.Entity, true
	case "owner":
		return &a.f.Owner, true
	case "github":
		return &a.f.GitHub, true
	case "oncall":
		return &a.f.OnCall, true
	case "deploys":
		return &a.f.Deploys, true
	case "vulns":
		return &a.f.Vulns, true
	case "now":
		return a.now, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func nowValue(t time.Time) any { return types.Timestamp{Time: t.UTC()} }

// applies evaluates the check's filter (true when it has none).
func (c *Check) applies(a *activation) (bool, error) {
	if c.filter == nil {
		return true, nil
	}
	v, _, err := c.filter.Eval(a)
	if err != nil {
		return false, fmt.Errorf("filter: %w", err)
	}
	return v == types.True, nil
}

// eval runs the rule.
func (c *Check) eval(a *activation) (bool, error) {
	v, _, err := c.rule.Eval(a)
	if err != nil {
		return false, err
	}
	switch v {
	case types.True:
		return true, nil
	case types.False:
		return false, nil
	}
	return false, fmt.Errorf("rule gave %v, not a bool", v)
}

// LoadCheckFiles reads checks from YAML files or folders of them (every
// .yaml and .yml file, sorted). Each file holds `checks: [...]` or a bare
// list. Files that cannot be read or parsed, and single checks that cannot
// be decoded, are reported as CheckErrors; the rest still load.
func LoadCheckFiles(paths []string) ([]CheckSpec, []CheckError) {
	var specs []CheckSpec
	var errs []CheckError
	for _, p := range paths {
		files := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files = nil
			entries, err := os.ReadDir(p)
			if err != nil {
				errs = append(errs, CheckError{Where: p, Err: err})
				continue
			}
			for _, e := range entries {
				if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
					files = append(files, filepath.Join(p, e.Name()))
				}
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, CheckError{Where: f, Err: err})
				continue
			}
			got, perrs := ParseChecks(b)
			for i := range got {
				got[i].Where = f
			}
			for i := range perrs {
				perrs[i].Where = f
			}
			specs = append(specs, got...)
			errs = append(errs, perrs...)
		}
	}
	return specs, errs
}

// ParseChecks parses `checks: [...]` or a bare list of checks. A check that
// cannot be decoded (a bad phase, a list where a string belongs) is
// reported with its id and line; the others are returned.
func ParseChecks(b []byte) ([]CheckSpec, []CheckError) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, []CheckError{{Err: fmt.Errorf("parse checks: %w", err)}}
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	list := n.Content[0]
	if list.Kind == yaml.MappingNode {
		list = nil
		for i := 0; i+1 < len(n.Content[0].Content); i += 2 {
			if n.Content[0].Content[i].Value == "checks" {
				list = n.Content[0].Content[i+1]
			}
		}
		if list == nil {
			return nil, nil
		}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, []CheckError{{Err: fmt.Errorf("line %d: checks must be a list", list.Line)}}
	}
	return decodeCheckList(list)
}

func decodeCheckList(list *yaml.Node) ([]CheckSpec, []CheckError) {
	var specs []CheckSpec
	var errs []CheckError
	for _, item := range list.Content {
		var sp CheckSpec
		if err := item.Decode(&sp); err != nil {
			var id struct {
				ID string `yaml:"id"`
			}
			_ = item.Decode(&id)
			errs = append(errs, CheckError{ID: id.ID, Err: fmt.Errorf("line %d: %w", item.Line, err)})
			continue
		}
		specs = append(specs, sp)
	}
	return specs, errs
}

// CheckList is a list of checks that decodes item by item, so one bad check
// in a config file is reported by CompileChecks without hiding the others.
type CheckList []CheckSpec

// UnmarshalYAML decodes each check on its own.
func (cl *CheckList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: checks must be a list", n.Line)
	}
	specs, errs := decodeCheckList(n)
	for _, e := range errs {
		specs = append(specs, CheckSpec{ID: e.ID, decodeErr: e.Err})
	}
	*cl = specs
	return nil
}
