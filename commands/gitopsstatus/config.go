package gitopsstatus

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is the argocd section of platbot.yaml.
type Config struct {
	// Kubeconfig holds the control planes' contexts (default: the kube
	// section's kubeconfig, then $KUBECONFIG).
	Kubeconfig string `yaml:"kubeconfig"`
	// ControlPlanes are the Argo CD control planes to watch; none turns the
	// feature off.
	ControlPlanes []ControlPlaneConfig `yaml:"controlPlanes"`
	// Grace is how long a production environment may stay Degraded or
	// OutOfSync before its team is told (default 10m).
	Grace string `yaml:"grace"`
	// CheckEvery is how often environments are checked against the grace
	// (default 30s).
	CheckEvery string `yaml:"checkEvery"`
	// Channel receives the notices of teams without a slack.com/channel
	// annotation (default: the platform team's channel).
	Channel string `yaml:"channel"`
}

// ControlPlaneConfig is one Argo CD control plane.
type ControlPlaneConfig struct {
	// Context is the kubeconfig context of the cluster Argo CD runs in.
	Context string `yaml:"context"`
	// Namespace holds its Applications (default argocd; "*" for every
	// namespace).
	Namespace string `yaml:"namespace"`
	// UIURL is the base URL of its Argo CD UI (https://argocd.example.com),
	// linked from cards and notices.
	UIURL string `yaml:"uiURL"`
}

// Defaults.
const (
	DefaultGrace      = 10 * time.Minute
	DefaultCheckEvery = 30 * time.Second
)

// Enabled reports whether any control plane is configured.
func (c Config) Enabled() bool { return len(c.ControlPlanes) > 0 }

// Validate checks the section and returns its durations.
func (c Config) Validate() (grace, every time.Duration, err error) {
	var errs []error
	dur := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive duration (write e.g. 10m)", key, v))
			return def
		}
		return d
	}
	grace = dur("grace", c.Grace, DefaultGrace)
	every = dur("checkEvery", c.CheckEvery, DefaultCheckEvery)
	seen := map[string]bool{}
	for i, p := range c.ControlPlanes {
		where := fmt.Sprintf("controlPlanes[%d]", i)
		if strings.TrimSpace(p.Context) == "" {
			errs = append(errs, fmt.Errorf("%s: context is required (a context of the kubeconfig)", where))
		} else if seen[p.Context] {
			errs = append(errs, fmt.Errorf("%s: context %q is listed twice", where, p.Context))
		}
		seen[p.Context] = true
		if p.UIURL != "" && !strings.HasPrefix(p.UIURL, "https://") && !strings.HasPrefix(p.UIURL, "http://") {
			errs = append(errs, fmt.Errorf("%s: uiURL %q must be an http(s) URL", where, p.UIURL))
		}
	}
	return grace, every, errors.Join(errs...)
}
