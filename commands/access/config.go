package access

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/kube"
)

// Limits that no configuration can lift.
const (
	// HardMaxDuration caps every grant: no environment may allow more.
	HardMaxDuration = 14 * 24 * time.Hour
	// MinDuration is the shortest grant (the TokenRequest API's minimum).
	MinDuration = 10 * time.Minute
	// BreakGlassMaxDuration caps a break-glass grant.
	BreakGlassMaxDuration = time.Hour
	// ReasonMin and ReasonMax bound the length of a reason.
	ReasonMin = 10
	ReasonMax = 400
)

// Defaults of Config.
const (
	DefaultPendingTTL      = 24 * time.Hour
	DefaultWarnBefore      = 10 * time.Minute
	DefaultDuration        = time.Hour
	DefaultMaxDuration     = 8 * time.Hour
	DefaultBreakGlassNag   = 4 * time.Hour
	DefaultApprovalsNeeded = 1
)

// Duration is a time.Duration read from YAML as "90m", "8h" or "14d".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way FormatDuration does.
func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// UnmarshalYAML reads "30m", "8h", "2d" or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 30m, 8h or 2d: %w", n.Line, err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration reads a duration: Go's syntax ("1h30m") plus a "d" unit for
// days ("14d", "1d12h"); a bare number means seconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	var days time.Duration
	if i := strings.Index(s, "d"); i >= 0 {
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: bad number of days", s)
		}
		days = time.Duration(n * float64(24*time.Hour))
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 30m, 8h or 2d", s)
	}
	return days + d, nil
}

// FormatDuration renders a duration briefly: "45m", "1h", "1h30m", "3d", "2d4h".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	m := (d - h*time.Hour) / time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

// Config is the "access" section of platbot.yaml.
//
//	access:
//	  pendingTTL: 24h          # a request nobody decides expires after this
//	  warnBefore: 10m          # the requester is warned this long before expiry
//	  defaultDuration: 1h
//	  breakGlassNag: 4h        # how often an unreviewed break-glass nags
//	  levels:                  # access level → ClusterRole
//	    view: view
//	    exec: platbot-exec
//	    edit: platbot-edit      # not the built-in edit: see examples/access/rbac.yaml
//	  environments:
//	    - name: prod-us
//	      kubeContext: prod-us
//	      approvalsRequired: 2
//	      maxDuration: 8h
//	      namespaces:          # where access may be bound (required)
//	        allow: [payments, checkout]
//	        # selector: platbot.dev/access=allowed   # or: labels on the Namespace
//	      approvals:
//	        default: C0PRODAPPROVALS
//	        teams:
//	          group:default/payments: C0PAYMENTSAPPROVALS
type Config struct {
	// PendingTTL is how long a request waits for its approvals.
	PendingTTL Duration `yaml:"pendingTTL"`
	// WarnBefore is how long before expiry the requester is warned and
	// offered an extension.
	WarnBefore Duration `yaml:"warnBefore"`
	// DefaultDuration is the duration preselected in the form.
	DefaultDuration Duration `yaml:"defaultDuration"`
	// BreakGlassNag is how often an unreviewed break-glass grant reminds
	// its team to review it.
	BreakGlassNag Duration `yaml:"breakGlassNag"`
	// Levels maps an access level (view, exec, edit) to the ClusterRole it
	// binds in the service's namespace.
	Levels map[string]string `yaml:"levels"`
	// Environments are the clusters access can be requested to.
	Environments []Environment `yaml:"environments"`
	// Kubeconfig is the kubeconfig file the environments' contexts are read
	// from ("" = $KUBECONFIG, ~/.kube/config or in-cluster).
	Kubeconfig string `yaml:"kubeconfig"`
}

// DefaultConfig is the configuration before platbot.yaml's access section
// is applied: the default durations, and no levels or environments (New
// refuses a configuration without them).
func DefaultConfig() Config {
	return Config{
		PendingTTL:      Duration(DefaultPendingTTL),
		WarnBefore:      Duration(DefaultWarnBefore),
		DefaultDuration: Duration(DefaultDuration),
		BreakGlassNag:   Duration(DefaultBreakGlassNag),
	}
}

// Environment is one cluster access can be requested to.
type Environment struct {
	// Name is what users type and pick ("prod-us").
	Name string `yaml:"name"`
	// Aliases are other names for it; a name shared by several environments
	// ("prod") lets the requester choose among them.
	Aliases []string `yaml:"aliases,omitempty"`
	// KubeContext is the kubeconfig context platbot issues credentials with.
	KubeContext string `yaml:"kubeContext"`
	// Server overrides the API server URL written into issued kubeconfigs.
	Server string `yaml:"server,omitempty"`
	// ServiceAccountNamespace is where issued ServiceAccounts live (the
	// service's namespace when empty).
	ServiceAccountNamespace string `yaml:"serviceAccountNamespace,omitempty"`
	// ApprovalsRequired is how many distinct approvers a request needs.
	ApprovalsRequired int `yaml:"approvalsRequired"`
	// MaxDuration is the longest grant (never more than 14 days).
	MaxDuration Duration `yaml:"maxDuration"`
	// Durations are the choices offered (default: a ladder up to MaxDuration).
	Durations []Duration `yaml:"durations,omitempty"`
	// Levels restricts the access levels offered here (default: all).
	Levels []string `yaml:"levels,omitempty"`
	// BreakGlass allows break-glass grants (default true).
	BreakGlass *bool `yaml:"breakGlass,omitempty"`
	// Namespaces are where access may be bound in this environment. A
	// service's namespace comes from its catalog entry, which its team
	// edits, so the platform says which namespaces are allowed; the system
	// namespaces are refused whatever this says.
	Namespaces Namespaces `yaml:"namespaces"`
	// Approvals says where requests are posted.
	Approvals Channels `yaml:"approvals"`
}

// Namespaces says in which namespaces of an environment access may be
// bound: those Allow names, or those whose Namespace object matches the
// label Selector (checked in the cluster when a request is made and again
// when it is issued). Set one of them; with both, both must hold.
type Namespaces struct {
	Allow    []string `yaml:"allow,omitempty"`
	Selector string   `yaml:"selector,omitempty"`
}

// Rule returns the rule the issuer enforces.
func (n Namespaces) Rule() kube.NamespaceRule {
	return kube.NamespaceRule{Allow: slices.Clone(n.Allow), Selector: strings.TrimSpace(n.Selector)}
}

// Channels says where a team's requests are posted.
type Channels struct {
	// Default is the channel of teams not listed in Teams.
	Default string `yaml:"default"`
	// Teams maps an owning group ref to its approvals channel.
	Teams map[string]string `yaml:"teams,omitempty"`
}

// BreakGlassAllowed reports whether break-glass grants are allowed.
func (e *Environment) BreakGlassAllowed() bool { return e.BreakGlass == nil || *e.BreakGlass }

// ChannelFor returns the approvals channel of an owning group.
func (e *Environment) ChannelFor(group string) string {
	if c := e.Approvals.Teams[strings.ToLower(group)]; c != "" {
		return c
	}
	return e.Approvals.Default
}

// levelOrder sorts the well-known levels by power, others after them.
var levelOrder = map[string]int{"view": 0, "exec": 1, "edit": 2, "admin": 3}

// LevelNames returns the configured levels, least powerful first.
func (c *Config) LevelNames() []string {
	names := make([]string, 0, len(c.Levels))
	for n := range c.Levels {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		oi, iok := levelOrder[names[i]]
		oj, jok := levelOrder[names[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return names[i] < names[j]
	})
	return names
}

// EnvLevels returns the levels offered in an environment.
func (c *Config) EnvLevels(e *Environment) []string {
	all := c.LevelNames()
	if len(e.Levels) == 0 {
		return all
	}
	var out []string
	for _, l := range all {
		if slices.Contains(e.Levels, l) {
			out = append(out, l)
		}
	}
	return out
}

// Env returns the environment with exactly this name.
func (c *Config) Env(name string) (*Environment, bool) {
	for i := range c.Environments {
		if strings.EqualFold(c.Environments[i].Name, name) {
			return &c.Environments[i], true
		}
	}
	return nil, false
}

// MatchEnvs returns the environments a word may mean: the one named so, or
// else those with it as an alias or a name prefix ("prod" → prod-us, prod-eu).
func (c *Config) MatchEnvs(word string) []*Environment {
	word = strings.ToLower(strings.TrimSpace(word))
	if word == "" {
		return nil
	}
	if e, ok := c.Env(word); ok {
		return []*Environment{e}
	}
	var out []*Environment
	for i := range c.Environments {
		e := &c.Environments[i]
		if slices.ContainsFunc(e.Aliases, func(a string) bool { return strings.EqualFold(a, word) }) ||
			strings.HasPrefix(strings.ToLower(e.Name), word+"-") {
			out = append(out, e)
		}
	}
	return out
}

// EnvNames lists the environment names.
func (c *Config) EnvNames() []string {
	out := make([]string, len(c.Environments))
	for i, e := range c.Environments {
		out[i] = e.Name
	}
	return out
}

// DurationChoices returns the durations offered in an environment, shortest
// first, none above its maximum.
func (c *Config) DurationChoices(e *Environment) []time.Duration {
	var src []time.Duration
	if len(e.Durations) > 0 {
		for _, d := range e.Durations {
			src = append(src, d.D())
		}
	} else {
		src = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
			8 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, HardMaxDuration}
	}
	var out []time.Duration
	for _, d := range src {
		if d >= MinDuration && d <= e.MaxDuration.D() && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if !slices.Contains(out, e.MaxDuration.D()) {
		out = append(out, e.MaxDuration.D())
	}
	slices.Sort(out)
	return out
}

// Validate fills defaults and checks the configuration. Errors name the
// offending key.
func (c *Config) Validate() error {
	if c.PendingTTL <= 0 {
		c.PendingTTL = Duration(DefaultPendingTTL)
	}
	if c.WarnBefore <= 0 {
		c.WarnBefore = Duration(DefaultWarnBefore)
	}
	if c.DefaultDuration <= 0 {
		c.DefaultDuration = Duration(DefaultDuration)
	}
	if c.BreakGlassNag <= 0 {
		c.BreakGlassNag = Duration(DefaultBreakGlassNag)
	}
	if len(c.Levels) == 0 {
		return errors.New("access config: levels: map at least one level to a ClusterRole (view: view)")
	}
	norm := make(map[string]string, len(c.Levels))
	for l, role := range c.Levels {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || strings.TrimSpace(role) == "" {
			return fmt.Errorf("access config: levels: %q: need a level name and a ClusterRole", l)
		}
		norm[l] = strings.TrimSpace(role)
	}
	c.Levels = norm
	if len(c.Environments) == 0 {
		return errors.New("access config: environments: configure at least one")
	}
	seen := map[string]bool{}
	for i := range c.Environments {
		e := &c.Environments[i]
		where := fmt.Sprintf("access config: environments[%d]", i)
		e.Name = strings.ToLower(strings.TrimSpace(e.Name))
		if e.Name == "" || len(validation.IsDNS1123Label(e.Name)) > 0 {
			return fmt.Errorf("%s: name %q: want a short lower-case name such as prod-us", where, e.Name)
		}
		where += " (" + e.Name + ")"
		if seen[e.Name] {
			return fmt.Errorf("%s: name is used twice", where)
		}
		seen[e.Name] = true
		if e.ApprovalsRequired <= 0 {
			e.ApprovalsRequired = DefaultApprovalsNeeded
		}
		if e.MaxDuration <= 0 {
			e.MaxDuration = Duration(DefaultMaxDuration)
		}
		if e.MaxDuration.D() > HardMaxDuration {
			return fmt.Errorf("%s: maxDuration %s is above the hard cap of %s", where, e.MaxDuration, FormatDuration(HardMaxDuration))
		}
		if e.MaxDuration.D() < MinDuration {
			return fmt.Errorf("%s: maxDuration %s is below the minimum of %s", where, e.MaxDuration, FormatDuration(MinDuration))
		}
		for _, d := range e.Durations {
			if d.D() > e.MaxDuration.D() || d.D() < MinDuration {
				return fmt.Errorf("%s: durations: %s is outside %s..%s", where, d, FormatDuration(MinDuration), e.MaxDuration)
			}
		}
		for _, l := range e.Levels {
			if _, ok := c.Levels[l]; !ok {
				return fmt.Errorf("%s: levels: %q is not one of the configured levels (%s)", where, l, strings.Join(c.LevelNames(), ", "))
			}
		}
		if e.Approvals.Default == "" && len(e.Approvals.Teams) == 0 {
			return fmt.Errorf("%s: approvals: name a default channel (approvals.default)", where)
		}
		teams := make(map[string]string, len(e.Approvals.Teams))
		for g, ch := range e.Approvals.Teams {
			teams[strings.ToLower(g)] = ch
		}
		e.Approvals.Teams = teams
		if e.ServiceAccountNamespace != "" && len(validation.IsDNS1123Label(e.ServiceAccountNamespace)) > 0 {
			return fmt.Errorf("%s: serviceAccountNamespace %q is not a namespace name", where, e.ServiceAccountNamespace)
		}
		for j, ns := range e.Namespaces.Allow {
			e.Namespaces.Allow[j] = strings.TrimSpace(ns)
		}
		if err := e.Namespaces.Rule().Validate(); err != nil {
			return fmt.Errorf("%s: namespaces: %w", where, err)
		}
		if e.ServiceAccountNamespace != "" && slices.Contains(e.Namespaces.Allow, e.ServiceAccountNamespace) {
			return fmt.Errorf("%s: namespaces: allow: %q is the serviceAccountNamespace, where platbot never grants access", where, e.ServiceAccountNamespace)
		}
	}
	return nil
}

// DecodeConfig reads the "access" section of platbot.yaml and validates it.
// An empty node gives an error: access needs environments and levels. Keys
// it does not know are errors too, naming the key, its line and the key
// probably meant: a typo must not fall back to a default silently
// ("approvalRequired: 3" would otherwise leave one approval enough).
func DecodeConfig(n *yaml.Node) (Config, error) {
	c := DefaultConfig()
	if n == nil || n.Kind == 0 {
		return c, errors.New("access config: missing (configure access.levels and access.environments)")
	}
	if err := n.Decode(&c); err != nil {
		return c, fmt.Errorf("access config: %w", err)
	}
	if err := checkKnownKeys(n); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// checkKnownKeys decodes n strictly (re-encoded, through a yaml.v3 Decoder
// with KnownFields) and turns unknown keys into an error that names each,
// where it is (its path, and its line in the original file) and the key
// probably meant.
func checkKnownKeys(n *yaml.Node) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("access config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var strict Config
	err = dec.Decode(&strict)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	// The decoder's lines are those of the re-encoded section: find the
	// keys in the original node, which knows the file's lines.
	var unknown []string
	findUnknownKeys(n, reflect.TypeOf(Config{}), "access", &unknown)
	if len(unknown) == 0 {
		return fmt.Errorf("access config: %w", err)
	}
	return fmt.Errorf("access config: %s", strings.Join(unknown, "; "))
}

var yamlUnmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// findUnknownKeys walks n as the YAML of a value of type t and describes
// every mapping key no field of a struct takes.
func findUnknownKeys(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				return
			}
			n = n.Content[0]
		} else {
			n = n.Alias
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q in %s (line %d)", k.Value, path, k.Line)
				if c := bot.Closest(k.Value, names); c != "" {
					msg += fmt.Sprintf(": did you mean %q?", c)
				} else {
					sort.Strings(names)
					msg += ": known keys are " + strings.Join(names, ", ")
				}
				*out = append(*out, msg)
				continue
			}
			findUnknownKeys(v, ft, path+"."+k.Value, out)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			findUnknownKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			findUnknownKeys(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, out)
		}
	}
}
