package scorecard

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// Config configures scorecards. It is the `scorecard:` section of
// platbot.yaml; every field has a default.
//
//	scorecard:
//	  checkFiles: [examples/scorecard/checks.yaml]  # files or folders of checks
//	  checks:                                       # more checks inline
//	    - id: has-codeowners
//	      title: CODEOWNERS is present
//	      severity: low
//	      rule: github.codeowners
//	      phase: visible; highlighted from 2027-01-01
//	      howToFix: Add a CODEOWNERS file naming the owning team.
//	  platformChannel: "#platform"      # org roll-up digest
//	  adminChannel: "#platform-admins"  # waiver approvals
//	  digest:
//	    schedule: "0 9 * * 1"           # default for every team: Monday 09:00
//	    timezone: Europe/Berlin         # default zone of teams and the org digest
//	  teams:
//	    payments: {channel: "#payments", timezone: America/New_York}
//	    reporting: {channel: "#reporting", schedule: "30 8 * * 2"}
//	  refresh: "0 5 * * *"              # daily history snapshot
//	  facts: {timeout: 10s, ttl: 15m, deployEnvironment: production}
//	  waivers: {maxDays: 90}
//	  gate: {minGrade: B, context: platbot/scorecard, repos: [acme/catalog]}
type Config struct {
	// Checks are inline checks; they replace defaults and file checks of the
	// same id.
	Checks grade.CheckList `yaml:"checks,omitempty"`
	// CheckFiles are YAML files or folders of checks (e.g. a folder kept
	// beside the catalog).
	CheckFiles []string `yaml:"checkFiles,omitempty"`
	// NoDefaultChecks drops the four built-in checks.
	NoDefaultChecks bool `yaml:"noDefaultChecks,omitempty"`
	// NoConventionChecks drops the built-in catalog conventions set
	// (grade.ConventionChecksYAML); its has-readme-runbook is a default check.
	NoConventionChecks bool `yaml:"noConventionChecks,omitempty"`
	// PlatformChannel gets the org roll-up digest ("" = none).
	PlatformChannel string `yaml:"platformChannel,omitempty"`
	// AdminChannel is where platform admins decide waivers.
	AdminChannel string                `yaml:"adminChannel,omitempty"`
	Digest       DigestConfig          `yaml:"digest,omitempty"`
	Teams        map[string]TeamConfig `yaml:"teams,omitempty"`
	// Refresh is the cron spec of the history snapshot (grades of every
	// service stored as points), in Digest.Timezone. Default daily 05:00.
	Refresh string       `yaml:"refresh,omitempty"`
	Facts   FactsConfig  `yaml:"facts,omitempty"`
	Waivers WaiverConfig `yaml:"waivers,omitempty"`
	Gate    GateConfig   `yaml:"gate,omitempty"`
}

// DigestConfig configures the weekly digests.
type DigestConfig struct {
	// Schedule is a five-field cron spec (default "0 9 * * 1", Monday 09:00).
	Schedule string `yaml:"schedule,omitempty"`
	// Timezone is an IANA zone name (default UTC).
	Timezone string `yaml:"timezone,omitempty"`
	// PostInterval is the least time between two posts to one channel
	// (default 1s, Slack's rate for chat.postMessage).
	PostInterval time.Duration `yaml:"postInterval,omitempty"`
	// TopGaps is how many gaps a team digest lists (default 5).
	TopGaps int `yaml:"topGaps,omitempty"`
	// ExpiringWithin lists waivers that expire this soon (default 336h, 14 days).
	ExpiringWithin time.Duration `yaml:"expiringWithin,omitempty"`
	// Weeks is how many weeks the chart shows (default 8).
	Weeks int `yaml:"weeks,omitempty"`
}

// TeamConfig overrides the digest of one team (keyed by group name or ref).
type TeamConfig struct {
	// Channel defaults to the group's slack.com/channel annotation.
	Channel  string `yaml:"channel,omitempty"`
	Schedule string `yaml:"schedule,omitempty"`
	Timezone string `yaml:"timezone,omitempty"`
	// Skip turns the team's digest off.
	Skip bool `yaml:"skip,omitempty"`
}

// FactsConfig configures fact gathering.
type FactsConfig struct {
	// Timeout bounds one provider call (default 10s).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// TTL is how long an answer is cached (default 15m; failures 1m at most).
	TTL time.Duration `yaml:"ttl,omitempty"`
	// DeployEnvironment is the GitHub deployment environment that counts
	// (default "production"). When it is set, Argo CD's watched history
	// counts only that environment's Application; when it is not, the
	// service's production environments (docs/argocd.md).
	DeployEnvironment string `yaml:"deployEnvironment,omitempty"`
	// Concurrency is how many services are gathered at once (default 8).
	Concurrency int `yaml:"concurrency,omitempty"`
}

// WaiverConfig configures waivers.
type WaiverConfig struct {
	// MaxDays caps a waiver's length (default 90).
	MaxDays int `yaml:"maxDays,omitempty"`
}

// GateConfig configures the production gate.
type GateConfig struct {
	// MinGrade is the least grade on required checks a production entity
	// needs (default B).
	MinGrade grade.Grade `yaml:"minGrade,omitempty"`
	// Context is the commit status context (default "platbot/scorecard").
	Context string `yaml:"context,omitempty"`
	// Repos are the catalog repositories ("owner/name") whose pull requests
	// are gated; empty means every repository that sends the webhook.
	Repos []string `yaml:"repos,omitempty"`
	// TargetURL is linked from the commit status ("" = none).
	TargetURL string `yaml:"targetURL,omitempty"`
	// FailOnUnknown is no longer a choice: an unknown required check always
	// fails the gate unless the check itself says `unknownAs: pass`. true
	// is accepted (it is what happens); false is refused by Validate so a
	// config that relied on it learns what changed.
	FailOnUnknown *bool `yaml:"failOnUnknown,omitempty"`
}

// Defaults.
const (
	DefaultSchedule       = "0 9 * * 1"
	DefaultRefresh        = "0 5 * * *"
	DefaultGateContext    = "platbot/scorecard"
	DefaultWaiverMaxDays  = 90
	DefaultExpiringWithin = 14 * 24 * time.Hour
)

// ParseConfig parses the scorecard section of a config file.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("scorecard config: %w", err)
	}
	return c, nil
}

// LoadConfig reads a YAML file holding the scorecard section at its top
// level.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("scorecard config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.Digest.Schedule == "" {
		c.Digest.Schedule = DefaultSchedule
	}
	if c.Digest.Timezone == "" {
		c.Digest.Timezone = "UTC"
	}
	if c.Digest.PostInterval == 0 {
		c.Digest.PostInterval = time.Second
	}
	if c.Digest.TopGaps <= 0 {
		c.Digest.TopGaps = 5
	}
	if c.Digest.ExpiringWithin <= 0 {
		c.Digest.ExpiringWithin = DefaultExpiringWithin
	}
	if c.Digest.Weeks <= 0 {
		c.Digest.Weeks = 8
	}
	if c.Refresh == "" {
		c.Refresh = DefaultRefresh
	}
	if c.Facts.Timeout <= 0 {
		c.Facts.Timeout = 10 * time.Second
	}
	if c.Facts.TTL <= 0 {
		c.Facts.TTL = 15 * time.Minute
	}
	if c.Facts.DeployEnvironment == "" {
		c.Facts.DeployEnvironment = "production"
	}
	if c.Facts.Concurrency <= 0 {
		c.Facts.Concurrency = 8
	}
	if c.Waivers.MaxDays <= 0 {
		c.Waivers.MaxDays = DefaultWaiverMaxDays
	}
	if c.Gate.MinGrade == "" {
		c.Gate.MinGrade = grade.GradeB
	}
	if c.Gate.Context == "" {
		c.Gate.Context = DefaultGateContext
	}
	teams := make(map[string]TeamConfig, len(c.Teams))
	for k, v := range c.Teams {
		teams[catalog.NormalizeRef(k, catalog.KindGroup, catalog.DefaultNamespace)] = v
	}
	c.Teams = teams
	return c
}

// Validate checks schedules, zones and the gate grade.
func (c Config) Validate() error {
	c = c.withDefaults()
	var problems []string
	if _, err := grade.ParseGrade(string(c.Gate.MinGrade)); err != nil {
		problems = append(problems, "gate.minGrade: "+err.Error())
	}
	if c.Gate.FailOnUnknown != nil && !*c.Gate.FailOnUnknown {
		problems = append(problems, "gate.failOnUnknown: false is no longer supported: an unknown required check fails the gate; "+
			"to let one check pass while unknown, set `unknownAs: pass` on that check, and remove gate.failOnUnknown")
	}
	check := func(where, spec, tz string) {
		if spec != "" {
			if _, err := cron.ParseStandard(spec); err != nil {
				problems = append(problems, fmt.Sprintf("%s: cron %q: %v", where, spec, err))
			}
		}
		if tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				problems = append(problems, fmt.Sprintf("%s: time zone %q: %v", where, tz, err))
			}
		}
	}
	check("digest", c.Digest.Schedule, c.Digest.Timezone)
	check("refresh", c.Refresh, "")
	for k, t := range c.Teams {
		check("teams."+k, t.Schedule, t.Timezone)
	}
	if len(problems) > 0 {
		return fmt.Errorf("scorecard config: %s", strings.Join(problems, "; "))
	}
	return nil
}
