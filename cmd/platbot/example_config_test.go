package main

import (
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/scorecard"
	"github.com/platbot/platbot/commands/secrets"
)

// TestExampleConfigLoads keeps examples/platbot.yaml honest: every section
// decodes into its feature's configuration with no unknown keys.
func TestExampleConfigLoads(t *testing.T) {
	e := testEnv(t, nil)
	e["PLATBOT_CONFIG"] = "examples/platbot.yaml"
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	var (
		cc catalog.Config
		pc paths.Config
		sc scorecard.Config
		co cost.Config
		se = secrets.DefaultConfig()
	)
	for name, dst := range map[string]any{"catalog": &cc, "paths": &pc, "scorecard": &sc, "cost": &co, "secrets": &se} {
		if err := cfg.Feature(name, dst); err != nil {
			t.Errorf("section %s: %v", name, err)
		}
	}
	if err := cc.Validate(); err != nil {
		t.Errorf("catalog: %v", err)
	}
	if se.PublicURL != "https://platbot.example.com" {
		t.Errorf("secrets section not read: %+v", se)
	}
	if len(co.Alerts) != 3 || sc.Digest.Schedule == "" {
		t.Errorf("sections not read: cost alerts %d, digest schedule %q", len(co.Alerts), sc.Digest.Schedule)
	}
}
