package main

// Demo mode. With no catalog, cost or scorecard facts source configured,
// platbot reads the example data under examples/. serve refuses to present
// it as production data unless it runs in demo mode (serve --demo,
// PLATBOT_DEMO=1; the shell's default), in which every message says that
// it shows example data, the shipped example templates count as approved,
// and prod access (when platbot.yaml has no access section) runs against a
// dry-run issuer.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
)

// demoMode is PLATBOT_DEMO as set (set) and its value (on).
type demoMode struct {
	on, set bool
	bad     string // an unreadable PLATBOT_DEMO value
}

// parse reads PLATBOT_DEMO: 1/true/yes or 0/false/no; "" leaves it unset.
func (d *demoMode) parse(v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	switch strings.ToLower(v) {
	case "yes", "y", "on":
		d.on, d.set = true, true
		return
	case "no", "n", "off":
		d.on, d.set = false, true
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		d.bad = v
		return
	}
	d.on, d.set = b, true
}

// check reports an unreadable PLATBOT_DEMO.
func (d *demoMode) check(file string) error {
	if d.bad == "" {
		return nil
	}
	return &ConfigError{File: file, Key: "PLATBOT_DEMO", Msg: fmt.Sprintf("%q: expected 1 (demo mode: example data, labelled) or 0", d.bad)}
}

// Demo files and folders, relative to the working folder (the repository
// root, as checkDefaults requires for the embedded defaults).
const (
	demoTemplatesDir = "examples/templates"
	demoAccessFile   = "examples/access/demo.yaml"
	examplesDir      = "examples"
)

// exampleSource is a kind of data platbot would read from examples/, and
// what to configure instead.
type exampleSource struct {
	what, configure string
}

// exampleSources lists the data that comes from examples/ under cfg: the
// catalog (when every location is under examples/), cost (no OpenCost URL)
// and scorecard facts (no GitHub, PagerDuty or cluster access).
func exampleSources(cfg *Config) ([]exampleSource, error) {
	var out []exampleSource
	ccfg, err := catalogConfig(cfg)
	if err != nil {
		return nil, err
	}
	if len(ccfg.Locations) == 0 || !slices.ContainsFunc(ccfg.Locations, func(l catalog.LocationConfig) bool { return !underExamples(l) }) {
		out = append(out, exampleSource{"catalog", "PLATBOT_CATALOG or catalog.locations"})
	}
	var cc cost.Config
	if err := cfg.Feature("cost", &cc); err != nil {
		return nil, err
	}
	if cfg.OpenCostURL == "" && strings.TrimSpace(cc.OpenCost.URL) == "" {
		out = append(out, exampleSource{"cost", "OPENCOST_URL or cost.opencost.url"})
	}
	rc, _, err := kubeRESTConfig(cfg.Kube.Kubeconfig)
	if err != nil {
		return nil, &ConfigError{File: cfg.path, Key: "kube.kubeconfig", Msg: err.Error()}
	}
	if cfg.GitHub.Token == "" && cfg.GitHub.APIURL == "" && cfg.PagerDuty.Token == "" && rc == nil {
		out = append(out, exampleSource{"scorecard facts", "GITHUB_TOKEN, PAGERDUTY_TOKEN or KUBECONFIG"})
	}
	return out, nil
}

// underExamples reports whether a catalog location is a local path inside
// examples/.
func underExamples(l catalog.LocationConfig) bool {
	if (l.Type != "" && l.Type != catalog.LocationFile) || l.Repo != "" {
		return false
	}
	if strings.Contains(l.Target, "://") {
		return false
	}
	abs, err := filepath.Abs(l.Target)
	if err != nil {
		return false
	}
	root, err := filepath.Abs(examplesDir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// catalogConfig is the catalog configuration: the catalog section over the
// defaults, and the PLATBOT_CATALOG locations, which replace the default
// examples/catalog unless the section lists locations itself.
func catalogConfig(cfg *Config) (catalog.Config, error) {
	ccfg := catalog.DefaultConfig()
	if err := cfg.Feature("catalog", &ccfg); err != nil {
		return ccfg, err
	}
	var own catalog.Config
	if err := cfg.Feature("catalog", &own); err != nil {
		return ccfg, err
	}
	if len(own.Locations) == 0 && len(cfg.CatalogPaths) > 0 {
		ccfg.Locations = nil
	}
	for _, p := range cfg.CatalogPaths {
		ccfg.Locations = append(ccfg.Locations, catalog.LocationConfig{Target: p})
	}
	return ccfg, nil
}

// names joins the sources' names: "catalog, cost and scorecard facts".
func names(srcs []exampleSource) string {
	ns := make([]string, len(srcs))
	for i, s := range srcs {
		ns[i] = s.what
	}
	if len(ns) == 1 {
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

// checkServeSources refuses to serve example data as production data:
// outside demo mode, every source must be configured.
func checkServeSources(cfg *Config) error {
	if cfg.Demo.on {
		return nil
	}
	srcs, err := exampleSources(cfg)
	if err != nil || len(srcs) == 0 {
		return err
	}
	var what []string
	for _, s := range srcs {
		what = append(what, fmt.Sprintf("no %s source is configured (set %s)", s.what, s.configure))
	}
	return fmt.Errorf("serve would show the example data under examples/ as if it were production data: %s. "+
		"Configure them, or run `platbot serve --demo` (PLATBOT_DEMO=1) to serve the examples labelled as demo data",
		strings.Join(what, "; "))
}

// demoNote is the line every message carries in demo mode ("" when nothing
// comes from examples/ or demo mode is off).
func demoNote(cfg *Config) (string, error) {
	if !cfg.Demo.on {
		return "", nil
	}
	srcs, err := exampleSources(cfg)
	if err != nil || len(srcs) == 0 {
		return "", err
	}
	return "🧪 Demo mode: the " + names(srcs) + " shown here are example data from examples/, not production.", nil
}

// demoMessenger labels every message it sends with the demo note.
type demoMessenger struct {
	bot.Messenger
	note string
}

// Unwrap is the labelled messenger (bot.Unwrapper): searching what was
// posted (bot.FinderOf) is the wrapped messenger's.
func (d demoMessenger) Unwrap() bot.Messenger { return d.Messenger }

// labelled wraps m so its messages carry note (m itself when note is "").
func labelled(m bot.Messenger, note string) bot.Messenger {
	if note == "" || m == nil {
		return m
	}
	if _, ok := m.(demoMessenger); ok {
		return m
	}
	return demoMessenger{Messenger: m, note: note}
}

func (d demoMessenger) label(m bot.Message) bot.Message {
	if strings.Contains(bot.PlainText(m), d.note) {
		return m
	}
	if len(m.Blocks) == 0 || len(m.Blocks) >= 50 {
		m.Text = strings.TrimRight(m.Text, "\n") + "\n" + d.note
		return m
	}
	m.Blocks = append(slices.Clip(m.Blocks), bot.Context{Text: d.note})
	return m
}

func (d demoMessenger) Respond(ctx context.Context, req *bot.Request, msg bot.Message) error {
	return d.Messenger.Respond(ctx, req, d.label(msg))
}

func (d demoMessenger) Post(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	return d.Messenger.Post(ctx, channel, d.label(msg))
}

func (d demoMessenger) Update(ctx context.Context, ref bot.MessageRef, msg bot.Message) error {
	return d.Messenger.Update(ctx, ref, d.label(msg))
}

func (d demoMessenger) Ephemeral(ctx context.Context, channel, userID string, msg bot.Message) error {
	return d.Messenger.Ephemeral(ctx, channel, userID, d.label(msg))
}

func (d demoMessenger) DM(ctx context.Context, userID string, msg bot.Message) (bot.MessageRef, error) {
	return d.Messenger.DM(ctx, userID, d.label(msg))
}

func (d demoMessenger) OpenForm(ctx context.Context, req *bot.Request, form *bot.Form) error {
	f := *form
	f.Intro = strings.TrimSpace(d.note + "\n" + f.Intro)
	return d.Messenger.OpenForm(ctx, req, &f)
}

func (d demoMessenger) Upload(ctx context.Context, channel, threadTS string, f bot.File) error {
	f.Comment = strings.TrimSpace(f.Comment + "\n" + d.note)
	return d.Messenger.Upload(ctx, channel, threadTS, f)
}

// demoRouter binds every request of a transport that binds its own
// messenger (the shell) to the labelling one.
type demoRouter struct {
	*bot.Router
	note string
}

func (d demoRouter) bind(req *bot.Request) { req.Bind(labelled(req.Messenger(), d.note)) }

func (d demoRouter) Run(ctx context.Context, req *bot.Request) error {
	d.bind(req)
	return d.Router.Run(ctx, req)
}

func (d demoRouter) ValidateForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) (bot.FieldErrors, error) {
	d.bind(req)
	return d.Router.ValidateForm(ctx, req, formID, v)
}

func (d demoRouter) SubmitForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) error {
	d.bind(req)
	return d.Router.SubmitForm(ctx, req, formID, v)
}

func (d demoRouter) Act(ctx context.Context, req *bot.Request, a bot.Action) error {
	d.bind(req)
	return d.Router.Act(ctx, req, a)
}

// buildDemoAccess wires prod access for demo mode when platbot.yaml has no
// access section: the environments of examples/access/demo.yaml, each with
// a dry-run issuer that shows what it would create.
func (f *features) buildDemoAccess(app *App) error {
	data, err := os.ReadFile(demoAccessFile)
	if err != nil {
		return fmt.Errorf("demo mode: read %s: %w", demoAccessFile, err)
	}
	var doc struct {
		Access yaml.Node `yaml:"access"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("demo mode: %s: %w", demoAccessFile, err)
	}
	acfg, err := access.DecodeConfig(&doc.Access)
	if err != nil {
		return fmt.Errorf("demo mode: %s: %w", demoAccessFile, err)
	}
	if f.access, err = access.New(acfg, access.Deps{
		Store: app.Store, Catalog: f.catalog, Issuers: access.DryRunIssuers(acfg, app.Log), Logger: app.Log,
	}); err != nil {
		return fmt.Errorf("demo mode: access: %w", err)
	}
	return nil
}
