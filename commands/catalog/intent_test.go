package catalog

import (
	"strings"
	"testing"
)

func TestIntentOf(t *testing.T) {
	entity := func(spec map[string]any, ann map[string]string) *Entity {
		return &Entity{Kind: "Component", Metadata: Metadata{Name: "svc", Annotations: ann}, Spec: spec,
			Source: Source{File: "catalog.yaml", Line: 7}}
	}
	envs := func(list ...map[string]any) map[string]any {
		items := make([]any, len(list))
		for i, m := range list {
			items[i] = m
		}
		return map[string]any{"deployment": map[string]any{"workload": "w", "environments": items}}
	}
	in, ok, err := IntentOf(entity(envs(map[string]any{"name": "dev", "tier": "standard"}, map[string]any{"name": "prod-us", "tier": "tier1", "region": "us-east-1"}),
		map[string]string{AnnotationEnvironments: "ignored:x"}))
	if err != nil || !ok || in.Workload != "w" || in.From != "spec.deployment" || len(in.Environments) != 2 ||
		in.Environments[1] != (IntentEnvironment{Name: "prod-us", Tier: "tier1", Region: "us-east-1"}) {
		t.Fatalf("spec: %+v %v %v", in, ok, err)
	}
	in, ok, err = IntentOf(entity(nil, map[string]string{AnnotationEnvironments: " dev:standard ,prod:tier1@eu-west-1, qa, edge@ap-south-1"}))
	want := []IntentEnvironment{{Name: "dev", Tier: "standard"}, {Name: "prod", Tier: "tier1", Region: "eu-west-1"}, {Name: "qa"}, {Name: "edge", Region: "ap-south-1"}}
	if err != nil || !ok || in.Workload != "svc" || len(in.Environments) != len(want) {
		t.Fatalf("annotation: %+v %v %v", in, ok, err)
	}
	for i := range want {
		if in.Environments[i] != want[i] {
			t.Errorf("environment %d = %+v, want %+v", i, in.Environments[i], want[i])
		}
	}
	if _, ok, err := IntentOf(entity(nil, nil)); ok || err != nil {
		t.Errorf("no intent: %v %v", ok, err)
	}
	for _, tc := range []struct {
		e    *Entity
		want string
	}{
		{entity(map[string]any{"deployment": "dev"}, nil), "svc (catalog.yaml:7): spec.deployment: is a string, not a mapping"},
		{entity(map[string]any{"deployment": map[string]any{"envs": []any{}}}, nil), `spec.deployment: unknown key "envs"`},
		{entity(map[string]any{"deployment": map[string]any{}}, nil), "environments must be a non-empty list"},
		{entity(envs(map[string]any{"tier": "standard"}), nil), "environments[0] has no name"},
		{entity(envs(map[string]any{"name": "dev", "zone": "a"}), nil), `environments[0]: unknown key "zone"`},
		{entity(envs(map[string]any{"name": "dev", "tier": 1}), nil), "environments[0].tier is a int, not a string"},
		{entity(envs(map[string]any{"name": "dev"}, map[string]any{"name": "dev"}), nil), `environments[1]: environment "dev" is declared twice`},
		{entity(envs(map[string]any{"name": "../etc"}), nil), `name "../etc" must be lower-case letters, digits and dashes`},
		{entity(nil, map[string]string{AnnotationEnvironments: "dev,,prod"}), `annotation platbot.dev/environments: environment 2 ("") has no name; the form is name[:tier][@region], comma-separated`},
	} {
		_, _, err := IntentOf(tc.e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
