package main

// Integration health (/plat status): one probe per outside system, each a
// cheap authenticated call made with the client the features use (or, for
// the systems a feature's own section configures, a client built the same
// way from that section), and the status feature that runs them.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/pagerduty"
	"github.com/platbot/platbot/integrations/prometheus"
)

// buildStatus wires integration health over every integration's probe.
// The owners default to the platform team (the first admin group), the
// notices of teams without a channel go to its channel.
func (f *features) buildStatus(app *App) error {
	cfg := app.Cfg
	sc := status.DefaultConfig()
	if err := cfg.Feature("status", &sc); err != nil {
		return err
	}
	if sc.DefaultOwner == "" {
		if groups := f.catalog.Config().AdminGroups; len(groups) > 0 {
			sc.DefaultOwner = groups[0]
		}
	}
	if sc.Channel == "" {
		sc.Channel = f.adminChannel()
	}
	probes, err := f.probes(app)
	if err != nil {
		return err
	}
	if f.status, err = status.New(sc, status.Deps{
		Probes: probes, Store: app.Store, Teams: f.catalog, Metrics: app.Registry,
		Secrets: cfg.secretValues(), Logger: app.Log, Leadership: app.Leader,
	}); err != nil {
		return &ConfigError{File: cfg.path, Key: "status", Msg: err.Error()}
	}
	// The checks stop before the store closes (closers run newest first).
	app.closers = append(app.closers, func() error { f.status.Stop(); return nil })
	return nil
}

// explainError is the router's ExplainError: an error of an integration
// that is down, phrased by the status feature.
func (f *features) explainError(ctx context.Context, err error) string {
	if f.status == nil {
		return ""
	}
	return f.status.Explain(ctx, err)
}

// secretValues are the configured credentials, which no kept error may show.
func (c *Config) secretValues() []string {
	return []string{
		c.Slack.BotToken, c.Slack.SigningSecret, c.Slack.AppToken, c.GitHub.Token, c.GitHub.WebhookSecret,
		c.Vault.Token, c.PagerDuty.Token, c.Audit.HMACKey, c.SealKey,
	}
}

// probes are the health probes of every integration, configured or not, in
// the order /plat status lists them.
func (f *features) probes(app *App) ([]status.Probe, error) {
	cfg := app.Cfg
	var out []status.Probe

	slackProbe := status.Probe{Name: "slack", Title: "Slack"}
	if cfg.Slack.BotToken != "" {
		m, err := app.slackMessenger()
		if err != nil {
			return nil, err
		}
		api := m.Client()
		slackProbe.Configured = true
		slackProbe.Check = func(ctx context.Context) error {
			if _, err := api.AuthTestContext(ctx); err != nil {
				return fmt.Errorf("slack: auth.test: %w", err)
			}
			return nil
		}
	}
	out = append(out, slackProbe)

	gh := status.Probe{Name: "github", Title: "GitHub"}
	if f.gh != nil {
		gh.Configured, gh.Check = true, f.gh.Ping
	}
	out = append(out, gh)

	vp := status.Probe{Name: "vault", Title: "Vault"}
	if f.vault != nil {
		vp.Configured, vp.Check = true, f.vault.Ping
	}
	out = append(out, vp)

	if p, ok := leaderProbe(app.Leader); ok {
		out = append(out, p)
	}

	kubes, err := f.kubeProbes(app)
	if err != nil {
		return nil, err
	}
	out = append(out, kubes...)
	argos, err := f.argoProbes(app)
	if err != nil {
		return nil, err
	}
	out = append(out, argos...)

	costs, err := costProbes(cfg)
	if err != nil {
		return nil, err
	}
	out = append(out, costs...)

	pd := status.Probe{Name: "pagerduty", Title: "PagerDuty"}
	if cfg.PagerDuty.Token != "" {
		c, err := pagerduty.New(cfg.PagerDuty.APIURL, cfg.PagerDuty.Token, nil)
		if err != nil {
			return nil, &ConfigError{File: cfg.path, Key: "pagerduty", Msg: err.Error()}
		}
		pd.Configured, pd.Check = true, c.Ping
	}
	out = append(out, pd)

	out = append(out, status.Probe{Name: "catalog", Title: "Catalog locations", Configured: true, Check: f.catalogHealth})
	out = append(out, status.Probe{Name: "templates", Title: "Template sources", Configured: f.paths != nil, Check: f.templatesHealth})
	return out, nil
}

// catalogHealth is the catalog locations' last refresh: down while the last
// one failed or every location failed in it, degraded while some locations
// failed (their entities are served from the last good read) or only a
// saved snapshot is served.
func (f *features) catalogHealth(context.Context) error {
	if at, err := f.catalog.LastRefreshError(); err != nil {
		return fmt.Errorf("the refresh at %s failed: %w", at.UTC().Format(time.RFC3339), err)
	}
	locs := f.catalog.LocationStatuses()
	var failed []string
	for _, l := range locs {
		if l.Failed {
			failed = append(failed, fmt.Sprintf("%s (%s)", l.Location, l.Error))
		}
	}
	if len(failed) > 0 {
		err := fmt.Errorf("%d of %d locations failed to refresh: %s", len(failed), len(locs), strings.Join(failed, "; "))
		if len(failed) < len(locs) {
			return status.Degrade(err)
		}
		return err
	}
	if f.catalog.Restored() {
		return status.Degrade(errors.New("serving the saved snapshot: no refresh has succeeded since the start"))
	}
	return nil
}

// templatesHealth is the template sources' last load: down when no
// template found can be loaded, degraded when some cannot.
func (f *features) templatesHealth(context.Context) error {
	l := f.paths.LastLoad()
	switch {
	case l.At.IsZero():
		return status.Degrade(errors.New("the templates have not been loaded yet"))
	case len(l.Unloadable) == 0:
		return nil
	}
	err := fmt.Errorf("%d of %d templates cannot be loaded: %s", len(l.Unloadable), l.Templates, strings.Join(l.Unloadable, ", "))
	if len(l.Unloadable) < l.Templates {
		return status.Degrade(err)
	}
	return err
}

// kubeProbes are one probe per Kubernetes context platbot uses: each
// access environment's kubeContext ("kube:<context>"), and the cluster the
// scorecard facts read (kube.kubeconfig or in-cluster, "kube"). Each asks
// the API server for its version, authenticated.
func (f *features) kubeProbes(app *App) ([]status.Probe, error) {
	cfg := app.Cfg
	var out []status.Probe
	if cfg.Access.Kind != 0 {
		acfg := access.DefaultConfig()
		if err := cfg.Feature("access", &acfg); err != nil {
			return nil, err
		}
		if acfg.Kubeconfig == "" {
			acfg.Kubeconfig = cfg.Kube.Kubeconfig
		}
		seen := map[string]bool{}
		for _, e := range acfg.Environments {
			if e.KubeContext == "" || seen[e.KubeContext] {
				continue
			}
			seen[e.KubeContext] = true
			rc, err := kubeContextConfig(acfg.Kubeconfig, e.KubeContext)
			if err != nil {
				return nil, &ConfigError{File: cfg.path, Key: "access.environments", Msg: err.Error()}
			}
			p, err := kubeVersionProbe("kube:"+e.KubeContext, "Kubernetes "+e.KubeContext, rc)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	rc, _, err := kubeRESTConfig(cfg.Kube.Kubeconfig)
	if err != nil {
		return nil, &ConfigError{File: cfg.path, Key: "kube.kubeconfig", Msg: err.Error()}
	}
	if rc != nil {
		p, err := kubeVersionProbe("kube", "Kubernetes (scorecard facts)", rc)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = append(out, status.Probe{Name: "kube", Title: "Kubernetes"})
	}
	return out, nil
}

// kubeVersionProbe asks an API server for its version (GET /version).
func kubeVersionProbe(name, title string, rc *rest.Config) (status.Probe, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "platbot-status"
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return status.Probe{}, fmt.Errorf("status: %s: %w", name, err)
	}
	rest := dc.RESTClient()
	return status.Probe{Name: name, Title: title, Configured: true, Check: func(ctx context.Context) error {
		if err := rest.Get().AbsPath("/version").Do(ctx).Error(); err != nil {
			return fmt.Errorf("GET /version: %w", err)
		}
		return nil
	}}, nil
}

// argoProbes are one probe per Argo CD control plane ("argocd:<context>"):
// one Application listed (limit 1) where the watcher reads them, which
// checks the connection, the credentials and the right to read them.
func (f *features) argoProbes(app *App) ([]status.Probe, error) {
	cfg := app.Cfg
	var ac gitopsstatus.Config
	if err := cfg.Feature("argocd", &ac); err != nil {
		return nil, err
	}
	if !ac.Enabled() {
		return []status.Probe{{Name: "argocd", Title: "Argo CD"}}, nil
	}
	if ac.Kubeconfig == "" {
		ac.Kubeconfig = cfg.Kube.Kubeconfig
	}
	var out []status.Probe
	for i, p := range ac.ControlPlanes {
		rc, err := kubeContextConfig(ac.Kubeconfig, p.Context)
		if err != nil {
			return nil, &ConfigError{File: cfg.path, Key: fmt.Sprintf("argocd.controlPlanes[%d].context", i), Msg: err.Error()}
		}
		rc.UserAgent = "platbot-status"
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return nil, fmt.Errorf("status: argocd %s: %w", p.Context, err)
		}
		ns := p.Namespace
		switch ns {
		case "":
			ns = "argocd"
		case "*":
			ns = metav1.NamespaceAll
		}
		out = append(out, status.Probe{Name: "argocd:" + p.Context, Title: "Argo CD " + p.Context, Configured: true, Check: func(ctx context.Context) error {
			if _, err := dyn.Resource(argocd.ApplicationGVR).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				return fmt.Errorf("list Applications: %w", err)
			}
			return nil
		}})
	}
	return out, nil
}

// costProbes are OpenCost (a one-hour allocation query) and Prometheus (the
// query vector(1)), at the addresses the cost section (or OPENCOST_URL,
// PROMETHEUS_URL) gives.
func costProbes(cfg *Config) ([]status.Probe, error) {
	cc := cost.DefaultConfig()
	if err := cfg.Feature("cost", &cc); err != nil {
		return nil, err
	}
	if cfg.OpenCostURL != "" {
		cc.OpenCost.URL = cfg.OpenCostURL
	}
	if cfg.PrometheusURL != "" {
		cc.Prometheus.URL = cfg.PrometheusURL
	}
	oc := status.Probe{Name: "opencost", Title: "OpenCost"}
	if u := strings.TrimSpace(cc.OpenCost.URL); u != "" {
		base := strings.TrimRight(strings.TrimRight(u, "/")+"/"+strings.Trim(cc.OpenCost.BasePath, "/"), "/")
		c, err := opencost.New(base, opencost.WithRetries(0))
		if err != nil {
			return nil, &ConfigError{File: cfg.path, Key: "cost.opencost.url", Msg: err.Error()}
		}
		oc.Configured = true
		oc.Check = func(ctx context.Context) error {
			_, err := c.Allocation(ctx, opencost.Query{Window: "1h", Aggregate: []string{"cluster"}, Accumulate: true})
			return err
		}
	}
	pr := status.Probe{Name: "prometheus", Title: "Prometheus"}
	if u := strings.TrimSpace(cc.Prometheus.URL); u != "" {
		c, err := prometheus.New(u, prometheus.WithRetries(0))
		if err != nil {
			return nil, &ConfigError{File: cfg.path, Key: "cost.prometheus.url", Msg: err.Error()}
		}
		pr.Configured = true
		pr.Check = func(ctx context.Context) error {
			_, err := c.Query(ctx, "vector(1)", time.Time{})
			return err
		}
	}
	return []status.Probe{oc, pr}, nil
}

// githubErr names GitHub behind an error of a GitHub call that says GitHub
// could not answer (integrationErr, status_wrap.go); an answer (a file that
// is not there, a 403, a refused input) is left as it is.
func githubErr(err error) error { return integrationErr("github", err) }

// gitopsErr is githubErr for the GitOps publisher when it opens pull
// requests on GitHub.
func gitopsErr(p *gitops.Publisher, err error) error {
	if !p.OnGitHub() {
		return err
	}
	return githubErr(err)
}
