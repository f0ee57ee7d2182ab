package paths

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
)

// tablePlacer places like a placement configuration with one rule per
// (tier, region) and one cluster each, and knows the environments the
// services already have; it records the requests. (The real placer is
// the placement feature, wired in cmd/platbot and tested there end to end.)
type tablePlacer struct {
	clusters map[string]string // "tier/region" → cluster
	existing map[string]bool   // "service ref/env"
	mu       sync.Mutex
	asked    []actions.PlaceRequest
}

func (p *tablePlacer) PlaceEnvironment(_ context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	p.mu.Lock()
	p.asked = append(p.asked, r)
	p.mu.Unlock()
	if p.existing[r.Service+"/"+r.Environment] {
		return nil, &actions.PlaceError{Input: "environment", Err: errors.New("orders-service already has an environment " + r.Environment)}
	}
	c, ok := p.clusters[r.Tier+"/"+r.Region]
	if !ok {
		return nil, &actions.PlaceError{Input: "region", Err: errors.New("no placement rule matches tier=" + r.Tier + ", region=" + r.Region)}
	}
	rule := r.Tier + "-" + r.Region
	manifest, err := yaml.Marshal(map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "orders-service-" + r.Environment, "namespace": "argocd"},
		"spec": map[string]any{
			"project":     "payments",
			"source":      map[string]any{"repoURL": "https://github.com/acme/deploy", "path": r.SourcePath, "helm": map[string]any{"valueFiles": r.ValueFiles}},
			"destination": map[string]any{"name": c, "namespace": "orders"},
		},
	})
	if err != nil {
		return nil, err
	}
	return &actions.Placed{
		Cluster: c, Explain: r.Environment + " → cluster " + c + ": rule `" + rule + "` matched tier=" + r.Tier + ", region=" + r.Region,
		Team: "payments", Path: "apps/payments/orders-service/" + r.Environment + ".yaml", Manifest: string(manifest),
	}, nil
}

func newEnvironmentValues(service, name, tier, region, tag string) bot.Values {
	v := bot.Values{"service": {service}, "environment": {name}, "tier": {tier}, "region": {region}, "replicas": {"4"}}
	if tag != "" {
		v["imageTag"] = []string{tag}
	}
	return v
}

// /plat new-environment, from the form to the pull request in local git:
// the Helm values overlay and the placed Application; bad input gets a
// field error and creates nothing.
func TestNewEnvironmentPath(t *testing.T) {
	pl := &tablePlacer{
		clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a", "standard/us-east-1": "use1-shared"},
		existing: map[string]bool{"component:default/orders-service/staging": true},
	}
	cat := newCatalog(t)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	e.command(userAdmin, "template approve new-environment")
	if e.approved("new-environment") == nil {
		t.Fatalf("approve new-environment: %s", e.msgr.Last().Text())
	}

	// The dry run shows the decision and creates nothing.
	preview := e.form(userJane, "new-environment --dry-run")
	if errs := e.submit(userJane, preview, newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "2.0.1")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	if out := e.msgr.Last().Text(); !strings.Contains(out, "place prod-eu of orders-service: prod-eu → cluster euw1-prod-a: rule `tier1-eu-west-1` matched tier=tier1, region=eu-west-1") {
		t.Fatalf("dry run:\n%s", out)
	}
	if len(e.runs()) != 0 {
		t.Fatal("the dry run started a run")
	}

	if errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "2.0.1")); errs != nil {
		t.Fatalf("valid environment refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-environment"
	if files := git(t, repo, "diff", "--name-only", "main", branch); files != "apps/payments/orders-service/prod-eu.yaml\nservices/orders-service/chart/values-prod-eu.yaml" {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	var values struct {
		ReplicaCount int64 `yaml:"replicaCount"`
		Image        struct {
			Tag string `yaml:"tag"`
		} `yaml:"image"`
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(git(t, repo, "show", branch+":services/orders-service/chart/values-prod-eu.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&values); err != nil || values.ReplicaCount != 4 || values.Image.Tag != "2.0.1" {
		t.Fatalf("values %+v: %v", values, err)
	}
	if app := git(t, repo, "show", branch+":apps/payments/orders-service/prod-eu.yaml"); !strings.Contains(app, "name: euw1-prod-a") ||
		!strings.Contains(app, "- values-prod-eu.yaml") {
		t.Fatalf("Application:\n%s", app)
	}
	last := pl.asked[len(pl.asked)-1]
	if last.Service != "component:default/orders-service" || last.SourcePath != "services/orders-service/chart" {
		t.Fatalf("asked %+v", last)
	}

	// Bad input: a field error on the field that holds it, and nothing created.
	e.refusedOnFields(t, "new-environment", repo, []fieldRefusal{
		{newEnvironmentValues("orders-service", "staging", "standard", "us-east-1", ""), "environment", "orders-service already has an environment staging"},
		{newEnvironmentValues("orders-service", "perf", "standard", "eu-west-1", ""), "region", "no placement rule matches tier=standard, region=eu-west-1"},
		{newEnvironmentValues("nope-service", "perf", "standard", "us-east-1", ""), "service", "is not one of the choices"},
		{newEnvironmentValues("orders-service", "Perf EU", "standard", "us-east-1", ""), "environment", "lower-case letters"},
		{newEnvironmentValues("orders-service", "perf", "standard", "us-east-1", "v1 beta"), "imageTag", "letters, digits"},
	})

	// Another team's service: checkout owns it, jane is in payments.
	cat.AddEntities(catalogtest.Component("carts-service", "group:default/checkout"))
	errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("carts-service", "perf", "standard", "us-east-1", ""))
	if want := "carts-service is owned by group:default/checkout, not one of your teams (group:default/payments)"; !strings.Contains(errs["service"], want) {
		t.Errorf("field errors %v, want service: %q", errs, want)
	}
}
