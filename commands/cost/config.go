package cost

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
)

// Config is the "cost" section of platbot's configuration.
//
//	cost:
//	  opencost:
//	    url: http://opencost.opencost:9003   # OPENCOST_URL overrides
//	    basePath: ""                         # "/model" for Kubecost
//	    timeout: 60s
//	    retries: 3
//	    shareIdle: false
//	    filter: 'cluster:"prod"'
//	  prometheus:
//	    url: http://prometheus.monitoring:9090   # PROMETHEUS_URL overrides
//	  dashboardURL: https://opencost.example.com/allocation?filter={tag}
//	  currency: "$"
//	  platformChannel: "#platform"
//	  timezone: Europe/Berlin
//	  teams:
//	    payments: {channel: "#payments", timezone: America/New_York}
//	  requests:   # used with a Prometheus URL; default is the default
//	    default: sum(increase(http_requests_total{service="{tag}"}[{window}]))
//	    services:
//	      reports-service: sum(increase(report_runs_total[{window}]))
//	  schedules:
//	    alerts: "0 9 * * 1-5"
//	    hygiene: "0 9 * * 1"
//	  budgetThresholds: [80, 100]
//	  alerts:
//	    - {type: budget, service: checkout-service, budget: 5000, thresholds: [80, 100]}
//	    - {type: change, service: "*", window: 7d, baseline: 28d, threshold: 25, minSpend: 50}
//	    - {type: efficiency, team: payments, window: 7d, below: 40, minSpend: 200}
type Config struct {
	OpenCost   OpenCostConfig   `yaml:"opencost"`
	Prometheus PrometheusConfig `yaml:"prometheus"`
	// DashboardURL is linked from reports and alerts. "{service}", "{tag}"
	// and "{team}" are replaced with the subject's name, cost-tag value and
	// team name.
	DashboardURL string `yaml:"dashboardURL"`
	// Currency is the symbol amounts are shown with (default "$").
	Currency string `yaml:"currency"`
	// PlatformChannel receives hygiene findings (unallocated cost, services
	// without a cost tag), outage notices, and alerts of teams without a channel.
	PlatformChannel string `yaml:"platformChannel"`
	// Timezone is the default time zone of schedules (default UTC).
	Timezone string `yaml:"timezone"`
	// Teams override a team's channel and time zone; keys are group refs or names.
	Teams map[string]TeamConfig `yaml:"teams"`
	// Requests configures cost per 1,000 requests.
	Requests RequestsConfig `yaml:"requests"`
	// Schedules are cron specs (five fields, or @daily-style descriptors).
	Schedules SchedulesConfig `yaml:"schedules"`
	// BudgetThresholds are the percentages of a budget that alert when the
	// month's projected spend crosses them, for budgets from catalog
	// annotations and rules that set none (default 80, 100).
	BudgetThresholds []float64 `yaml:"budgetThresholds"`
	// Alerts are the alert rules.
	Alerts []AlertRule `yaml:"alerts"`
	// FlatPercent is the trend band shown as → (default 2: ±2%).
	FlatPercent float64 `yaml:"flatPercent"`
	// CacheTTL is how long fetched cost data is reused (default 10m).
	CacheTTL Duration `yaml:"cacheTTL"`
	// DefaultTagKey is the label queried even when no entity has a cost tag,
	// so unallocated cost is still reported (default "service").
	DefaultTagKey string `yaml:"defaultTagKey"`
}

// OpenCostConfig says where allocation data comes from.
type OpenCostConfig struct {
	// URL is the OpenCost (or Kubecost) service; empty means the example
	// data under examples/cost.
	URL string `yaml:"url"`
	// BasePath is appended to URL before /allocation ("/model" for Kubecost).
	BasePath    string   `yaml:"basePath"`
	Timeout     Duration `yaml:"timeout"`
	Retries     *int     `yaml:"retries"`
	IncludeIdle bool     `yaml:"includeIdle"`
	ShareIdle   bool     `yaml:"shareIdle"`
	// Filter is passed to every allocation query.
	Filter string `yaml:"filter"`
}

// PrometheusConfig says where request counts come from.
type PrometheusConfig struct {
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`
}

// TeamConfig overrides what the catalog says about a team.
type TeamConfig struct {
	Channel  string `yaml:"channel"`
	Timezone string `yaml:"timezone"`
}

// RequestsConfig maps services to PromQL queries counting their requests.
// In a query "{window}" becomes the window ("30d"), "{service}" the
// entity's name and "{tag}" its cost-tag value.
type RequestsConfig struct {
	// Default is the query of services without one of their own. When a
	// Prometheus URL is set and Default is empty, DefaultRequestsQuery:
	// sum(increase(http_requests_total{service="{tag}"}[{window}])).
	Default  string            `yaml:"default"`
	Services map[string]string `yaml:"services"`
}

// SchedulesConfig holds the cron specs of the cost jobs.
type SchedulesConfig struct {
	// Alerts evaluates the alert rules (default "0 9 * * *"), in each
	// configured team's time zone and in Timezone for the others.
	Alerts string `yaml:"alerts"`
	// Hygiene posts unallocated cost and untagged services to the platform
	// channel (default "0 9 * * 1").
	Hygiene string `yaml:"hygiene"`
}

// Alert rule types.
const (
	RuleBudget     = "budget"
	RuleChange     = "change"
	RuleEfficiency = "efficiency"
)

// AlertRule is one configured alert. Exactly one of Service and Team names
// the subject; "*" means every tagged service, or every team that owns one.
type AlertRule struct {
	// Name identifies the rule in alerts and in de-duplication state; it
	// defaults to one made of the type, subject and parameters.
	Name    string `yaml:"name"`
	Type    string `yaml:"type"`
	Service string `yaml:"service"`
	Team    string `yaml:"team"`

	// Budget is the monthly budget (budget rules).
	Budget float64 `yaml:"budget"`
	// Thresholds are percentages of Budget (default BudgetThresholds).
	Thresholds []float64 `yaml:"thresholds"`

	// Window is the recent window (change, efficiency; default 7d).
	Window Days `yaml:"window"`
	// Baseline is the window before it that change rules compare with
	// (default: equal to Window). Window + Baseline is at most 180 days.
	Baseline Days `yaml:"baseline"`
	// Threshold is the relative change, in percent, that alerts (change).
	Threshold float64 `yaml:"threshold"`
	// Direction is up (default), down or both (change).
	Direction string `yaml:"direction"`

	// Below is the efficiency, in percent, under which efficiency rules alert.
	Below float64 `yaml:"below"`
	// MinSpend is the spend floor over Window under which a change or
	// efficiency rule stays quiet.
	MinSpend float64 `yaml:"minSpend"`
}

// MaxWindowDays caps a rule's window and its baseline.
const MaxWindowDays = 90

// Days is a whole number of days: "7d", "2w", or a bare number.
type Days int

// UnmarshalYAML reads "7d", "2w" or 7.
func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDays(n.Value)
	if err != nil {
		return err
	}
	*d = Days(v)
	return nil
}

// MarshalYAML writes "7d".
func (d Days) MarshalYAML() (any, error) { return fmt.Sprintf("%dd", int(d)), nil }

// ParseDays reads "7d", "2w" or "7".
func ParseDays(s string) (int, error) {
	s = strings.TrimSpace(s)
	mult := 1
	switch {
	case strings.HasSuffix(s, "d"):
		s = strings.TrimSuffix(s, "d")
	case strings.HasSuffix(s, "w"):
		s, mult = strings.TrimSuffix(s, "w"), 7
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad window %q: want a number of days such as 7d or 2w", s)
	}
	return n * mult, nil
}

// Duration is a time.Duration read from "30s", "10m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("bad duration %q: want e.g. 30s or 10m", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ParseConfig reads a cost section from YAML, rejecting unknown keys, and
// fills defaults. It does not validate; call Validate.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("cost config: %w", err)
	}
	return c, nil
}

// DefaultConfig is the cost section when platbot.yaml has none: the example
// data, alerts at nine and the hygiene report on Mondays, in UTC.
func DefaultConfig() Config { return Config{}.withDefaults() }

// withDefaults returns c with defaults filled in.
func (c Config) withDefaults() Config {
	if c.Currency == "" {
		c.Currency = "$"
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.Schedules.Alerts == "" {
		c.Schedules.Alerts = "0 9 * * *"
	}
	if c.Schedules.Hygiene == "" {
		c.Schedules.Hygiene = "0 9 * * 1"
	}
	if len(c.BudgetThresholds) == 0 {
		c.BudgetThresholds = []float64{80, 100}
	}
	if c.FlatPercent <= 0 {
		c.FlatPercent = 2
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = Duration(10 * time.Minute)
	}
	if c.DefaultTagKey == "" {
		c.DefaultTagKey = "service"
	}
	return c
}

// Validate checks the configuration and names the offending key.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("cost.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("timezone", "unknown time zone %q", c.Timezone)
	}
	names := make([]string, 0, len(c.Teams))
	for name := range c.Teams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if tz := c.Teams[name].Timezone; tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				bad("teams."+name+".timezone", "unknown time zone %q", tz)
			}
		}
	}
	for _, t := range c.BudgetThresholds {
		if t <= 0 {
			bad("budgetThresholds", "thresholds are positive percentages, got %v", t)
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Alerts {
		key := fmt.Sprintf("alerts[%d]", i)
		if err := r.validate(); err != nil {
			bad(key, "%v", err)
			continue
		}
		id := r.normalized(c).id()
		if seen[id] {
			bad(key, "duplicate rule %q: give it a distinct name", id)
		}
		seen[id] = true
	}
	return errors.Join(errs...)
}

func (r AlertRule) validate() error {
	if (r.Service == "") == (r.Team == "") {
		return errors.New("name exactly one of service and team")
	}
	if r.Window < 0 || r.Baseline < 0 || int(r.Window) > MaxWindowDays || int(r.Baseline) > MaxWindowDays {
		return fmt.Errorf("window and baseline are 1 to %d days", MaxWindowDays)
	}
	switch r.Type {
	case RuleBudget:
		if r.Budget <= 0 {
			return errors.New("budget rules need a positive budget")
		}
		for _, t := range r.Thresholds {
			if t <= 0 {
				return fmt.Errorf("threshold %v: want a positive percentage", t)
			}
		}
	case RuleChange:
		if r.Threshold <= 0 {
			return errors.New("change rules need a positive threshold (percent)")
		}
		switch r.Direction {
		case "", "up", "down", "both":
		default:
			return fmt.Errorf("direction %q: want up, down or both", r.Direction)
		}
	case RuleEfficiency:
		if r.Below <= 0 || r.Below > 100 {
			return errors.New("efficiency rules need below: a percentage between 0 and 100")
		}
	default:
		return fmt.Errorf("type %q: want budget, change or efficiency", r.Type)
	}
	if r.MinSpend < 0 {
		return errors.New("minSpend must not be negative")
	}
	return nil
}

// normalized fills a rule's defaults.
func (r AlertRule) normalized(cfg Config) AlertRule {
	if r.Window == 0 {
		r.Window = 7
	}
	if r.Baseline == 0 {
		r.Baseline = r.Window
	}
	if r.Direction == "" {
		r.Direction = "up"
	}
	if r.Type == RuleBudget && len(r.Thresholds) == 0 {
		r.Thresholds = cfg.BudgetThresholds
	}
	r.Thresholds = append([]float64(nil), r.Thresholds...)
	sort.Float64s(r.Thresholds)
	return r
}

// id is the rule's stable identity: its name, or one built from what it
// checks. Call it on a normalized rule, so defaults spelled out or left
// implicit give the same id.
func (r AlertRule) id() string {
	if r.Name != "" {
		return r.Name
	}
	subject := "service=" + r.Service
	if r.Team != "" {
		subject = "team=" + r.Team
	}
	switch r.Type {
	case RuleBudget:
		return fmt.Sprintf("budget/%s/%g", subject, r.Budget)
	case RuleChange:
		return fmt.Sprintf("change/%s/%dd-vs-%dd/%g%%/%s", subject, int(r.Window), int(r.Baseline), r.Threshold, r.Direction)
	default:
		return fmt.Sprintf("efficiency/%s/%dd/below-%g%%", subject, int(r.Window), r.Below)
	}
}

// team returns the configuration of a team by ref or bare name.
func (c Config) team(ref string) TeamConfig {
	if t, ok := c.Teams[ref]; ok {
		return t
	}
	for k, t := range c.Teams {
		if catalog.NormalizeRef(k, catalog.KindGroup, catalog.DefaultNamespace) == ref {
			return t
		}
	}
	return TeamConfig{}
}
