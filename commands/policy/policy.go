// Package policy is platbot's one decision point (RBAC): every action a
// command needs (read, scaffold, mutate, delete, approve, admin) is decided
// by an ordered list of rules whose conditions are CEL expressions over the
// user's catalog identity, the action and the resource. The first matching
// rule wins; a default ends the list. Every decision is audited with the
// rule that made it, and a denial names that rule and whom to ask.
package policy

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Effects of a rule.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Rule names the engine uses when no configured rule decided.
const (
	// RuleDefault decided when no rule matched.
	RuleDefault = "default"
	// RuleAuditUnavailable denies a change that could not be audited.
	RuleAuditUnavailable = "audit-unavailable"
)

// Actions lists the actions a rule may name ("*" means all of them).
var Actions = []string{bot.ActionRead, bot.ActionScaffold, bot.ActionMutate, bot.ActionDelete, bot.ActionApprove, bot.ActionAdmin, bot.ActionBreakGlass}

// RequesterPrefix starts the resource tag that names who asked for what is
// being approved: "requester:U123" (a Slack user id, or a catalog user ref).
// Features that ask for an approve decision must set it (see WithRequester);
// the default policy denies approvals without it and self-approvals.
const RequesterPrefix = "requester:"

// Config is the policy (the "policy" section of platbot.yaml).
type Config struct {
	// Rules are tried in order; the first that matches decides.
	Rules []Rule `yaml:"rules" json:"rules"`
	// Default decides when no rule matches: "deny" (when empty) or "allow".
	Default string `yaml:"default" json:"default"`
}

// Rule is one entry of the policy.
type Rule struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
	// Effect is "allow" or "deny".
	Effect string `yaml:"effect" json:"effect"`
	// Actions the rule applies to; "*" for all.
	Actions []string `yaml:"actions" json:"actions"`
	// When is a CEL expression over user, action and resource; empty
	// means always.
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// AskWhom overrides whom a denial tells the user to ask. It may use
	// {owner}, {manager} and {admins}.
	AskWhom string `yaml:"askWhom,omitempty" json:"askWhom,omitempty"`
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the default policy as YAML, comments included.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// DefaultConfig is the default policy: everyone reads; engineers scaffold
// for the teams they are direct members of (not the groups above them);
// admins scaffold, mutate, delete and administer; approvals come from a
// peer (a direct member of the owning team) or its manager, never the
// requester.
func DefaultConfig() Config {
	cfg, err := ParseConfig(defaultYAML)
	if err != nil {
		panic("policy: embedded default.yaml: " + err.Error())
	}
	return cfg
}

// ParseConfig reads a policy from YAML (the policy section's content).
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("policy config: %w", err)
	}
	return cfg, nil
}

// Auditor writes audit events; the store satisfies it.
type Auditor interface {
	Audit(ctx context.Context, e store.Event) error
}

// Identities resolves a chat user to their catalog identity; the catalog
// satisfies it.
type Identities interface {
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// Directory tells a denied user whom to ask. The catalog satisfies it;
// when Identities also implements it, it is used.
type Directory interface {
	// AdminGroups are the groups of the platform admins.
	AdminGroups() []string
	// ManagerOf returns the manager (a user ref) of a group, "" if none.
	ManagerOf(groupRef string) string
	// Mention renders a ref for chat (a Slack mention for users).
	Mention(ref string) string
}

// Engine decides every action. It is immutable after New and safe for
// concurrent use. It implements bot.Policy.
type Engine struct {
	rules []*compiledRule
	def   bool
	ids   Identities
	dir   Directory
	audit Auditor
	log   *slog.Logger
	now   func() time.Time
}

var _ bot.Policy = (*Engine)(nil)

// Option configures an Engine.
type Option func(*Engine)

// WithDirectory sets who denials tell users to ask.
func WithDirectory(d Directory) Option { return func(e *Engine) { e.dir = d } }

// WithLogger sets the logger (slog.Default() otherwise).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithClock sets the time source of audit events (for tests).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

var ruleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// New compiles the policy. Every rule's CEL is compiled now; a bad rule is
// an error that names it (all bad rules are reported at once).
func New(cfg Config, ids Identities, audit Auditor, opts ...Option) (*Engine, error) {
	if ids == nil {
		return nil, errors.New("policy: no identities to decide with")
	}
	e := &Engine{ids: ids, audit: audit, log: slog.Default(), now: time.Now}
	if d, ok := ids.(Directory); ok {
		e.dir = d
	}
	for _, o := range opts {
		o(e)
	}
	e.log = e.log.With("component", "policy")

	switch strings.ToLower(cfg.Default) {
	case "", Deny:
	case Allow:
		e.def = true
	default:
		return nil, fmt.Errorf("policy config: default %q: want allow or deny", cfg.Default)
	}
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	var errs []error
	seen := map[string]bool{}
	for i, r := range cfg.Rules {
		where := fmt.Sprintf("policy rule %q (rules[%d])", r.Name, i)
		switch {
		case r.Name == "":
			errs = append(errs, fmt.Errorf("policy rules[%d]: name is required", i))
			continue
		case !ruleNameRE.MatchString(r.Name) || r.Name == RuleDefault || r.Name == RuleAuditUnavailable:
			errs = append(errs, fmt.Errorf("%s: name must be lower-case letters, digits and dashes, and not %q or %q", where, RuleDefault, RuleAuditUnavailable))
			continue
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("%s: a rule of that name comes earlier", where))
			continue
		}
		seen[r.Name] = true
		cr, err := compileRule(env, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		e.rules = append(e.rules, cr)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return e, nil
}

// Rules returns the configured rules in order.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.Rule
	}
	return out
}

// Decide implements bot.Policy: it identifies the user, finds the first
// matching rule, audits the decision and explains a denial.
func (e *Engine) Decide(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
	res = normalizeResource(res)
	id, err := e.ids.Identify(ctx, u)
	if err != nil || id == nil {
		// Decide as an unknown user: reads still pass, nothing else does.
		e.log.Error("policy: cannot identify user; deciding as an unknown user", "user", u.ID, "err", err)
		id = &catalog.Identity{SlackID: u.ID, Name: u.Name, Email: u.Email}
	}
	vars := activation(u, id, action, res)

	d := bot.Decision{Allow: e.def, Rule: RuleDefault}
	var matched *compiledRule
	for _, r := range e.rules {
		if !r.applies(action) {
			continue
		}
		ok, err := r.eval(ctx, vars)
		if err != nil {
			// A rule that cannot be evaluated denies: fail closed.
			e.log.Error("policy: rule failed to evaluate; denying", "rule", r.Name, "err", err)
			d = bot.Decision{Allow: false, Rule: r.Name, Reason: fmt.Sprintf("denied because rule %q could not be evaluated (%v); tell the platform admins", r.Name, err)}
			matched = r
			break
		}
		if ok {
			matched = r
			d = bot.Decision{Allow: r.Effect == Allow, Rule: r.Name}
			verb := "allowed"
			if !d.Allow {
				verb = "denied"
			}
			d.Reason = fmt.Sprintf("%s by rule %q", verb, r.Name)
			if r.Description != "" {
				d.Reason += ": " + r.Description
			}
			break
		}
	}
	if matched == nil {
		if d.Allow {
			d.Reason = "allowed by the policy's default"
		} else {
			d.Reason = fmt.Sprintf("denied by the policy's default: no rule allows %s for you", action)
		}
	}
	if !d.Allow {
		d.AskWhom = e.askWhom(matched, action, res)
	}

	if err := e.record(ctx, u, id, action, res, d); err != nil {
		e.log.Error("policy: cannot audit decision", "err", err, "user", u.ID, "action", action, "target", target(res), "rule", d.Rule)
		if d.Allow && action != bot.ActionRead {
			d = bot.Decision{
				Allow: false, Rule: RuleAuditUnavailable,
				Reason:  "denied because the decision could not be written to the audit log; try again shortly",
				AskWhom: e.askWhom(nil, bot.ActionAdmin, res),
			}
		}
	}
	e.log.Debug("policy decision", "user", u.ID, "action", action, "target", target(res), "allow", d.Allow, "rule", d.Rule)
	return d
}

func (e *Engine) record(ctx context.Context, u bot.User, id *catalog.Identity, action string, res bot.Resource, d bot.Decision) error {
	if e.audit == nil {
		return nil
	}
	decision := Deny
	outcome := "denied"
	if d.Allow {
		decision, outcome = Allow, "allowed"
	}
	details := map[string]any{
		"action":        action,
		"rule":          d.Rule,
		"reason":        d.Reason,
		"resource_kind": res.Kind,
	}
	if res.Owner != "" {
		details["owner"] = res.Owner
	}
	if id.UserRef != "" {
		details["user_ref"] = id.UserRef
		details["roles"] = id.Roles
	}
	if d.AskWhom != "" {
		details["ask_whom"] = d.AskWhom
	}
	err := e.audit.Audit(ctx, store.Event{
		Time:      e.now(),
		ActorID:   u.ID,
		ActorName: u.Name,
		Action:    "policy." + action,
		Target:    target(res),
		Decision:  decision,
		Outcome:   outcome,
		Details:   details,
	})
	if err != nil {
		return fmt.Errorf("audit policy decision: %w", err)
	}
	return nil
}

// askWhom says who can grant what was denied.
func (e *Engine) askWhom(r *compiledRule, action string, res bot.Resource) string {
	admins := "the platform admins"
	manager := ""
	owner := res.Owner
	if e.dir != nil {
		if gs := e.dir.AdminGroups(); len(gs) > 0 {
			ms := make([]string, len(gs))
			for i, g := range gs {
				ms[i] = e.dir.Mention(g)
			}
			admins += " (" + strings.Join(ms, ", ") + ")"
		}
		if owner != "" {
			if m := e.dir.ManagerOf(owner); m != "" {
				manager = e.dir.Mention(m)
			}
			owner = e.dir.Mention(owner)
		}
	}
	if r != nil && r.AskWhom != "" {
		return strings.NewReplacer("{owner}", orText(owner, "the owning team"), "{manager}", orText(manager, "its manager"), "{admins}", admins).Replace(r.AskWhom)
	}
	switch {
	case action == bot.ActionApprove && owner != "":
		s := "a peer in " + owner
		if manager != "" {
			s += " or its manager " + manager
		}
		return s + " (never the requester)"
	case (action == bot.ActionScaffold || action == bot.ActionRead) && owner != "":
		s := "the owning team " + owner
		if manager != "" {
			s += " (manager " + manager + ")"
		}
		return s + ", or " + admins
	default:
		return admins
	}
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// normalizeResource puts the owner and ref in canonical form.
func normalizeResource(res bot.Resource) bot.Resource {
	if res.Owner != "" {
		res.Owner = catalog.NormalizeRef(res.Owner, catalog.KindGroup, catalog.DefaultNamespace)
	}
	if res.Ref != "" && strings.Contains(res.Ref, ":") {
		res.Ref = strings.ToLower(res.Ref)
	}
	return res
}

// target names a resource in audit events and logs.
func target(res bot.Resource) string {
	switch {
	case res.Ref != "":
		return res.Ref
	case res.Name != "":
		return res.Kind + ":" + res.Name
	}
	return res.Kind
}

// Requester returns the requester a resource's tags name ("" when none).
func Requester(res bot.Resource) string {
	for _, t := range res.Tags {
		if r, ok := strings.CutPrefix(t, RequesterPrefix); ok {
			return r
		}
	}
	return ""
}

// WithRequester returns res tagged with the requester (a Slack user id),
// as approve decisions need.
func WithRequester(res bot.Resource, requesterID string) bot.Resource {
	tags := slices.DeleteFunc(slices.Clone(res.Tags), func(t string) bool { return strings.HasPrefix(t, RequesterPrefix) })
	res.Tags = append(tags, RequesterPrefix+requesterID)
	return res
}
