package status

import (
	"errors"
	"fmt"
	"time"
)

// Config is the status section of platbot.yaml.
type Config struct {
	// CheckEvery is how often every integration is probed (default 1m).
	CheckEvery string `yaml:"checkEvery"`
	// Grace is how long an integration may stay down before its owning
	// team is told (default 5m).
	Grace string `yaml:"grace"`
	// Timeout bounds one probe (default 5s).
	Timeout string `yaml:"timeout"`
	// DefaultOwner owns every integration owners does not name (default:
	// the platform team, the first of catalog.adminGroups).
	DefaultOwner string `yaml:"defaultOwner"`
	// Owners maps an integration ("github", "vault", "kube:prod-us",
	// "argocd:mgmt", "catalog", ...) to its owning team.
	Owners map[string]string `yaml:"owners"`
	// Channel receives the notices of owners without a slack.com/channel
	// annotation (default: the platform team's channel).
	Channel string `yaml:"channel"`
}

// Defaults.
const (
	DefaultCheckEvery = time.Minute
	DefaultGrace      = 5 * time.Minute
	DefaultTimeout    = 5 * time.Second
)

// DefaultConfig is the section's defaults (the durations apply when unset).
func DefaultConfig() Config { return Config{} }

// durations checks and returns checkEvery, grace and timeout.
func (c Config) durations() (every, grace, timeout time.Duration, err error) {
	var errs []error
	dur := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive duration (write e.g. %s)", key, v, def))
			return def
		}
		return d
	}
	every = dur("checkEvery", c.CheckEvery, DefaultCheckEvery)
	grace = dur("grace", c.Grace, DefaultGrace)
	timeout = dur("timeout", c.Timeout, DefaultTimeout)
	return every, grace, timeout, errors.Join(errs...)
}
