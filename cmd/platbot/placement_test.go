package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellWhereUsesExamplePlacement: without a placement section the shell
// (demo mode) places the example catalog's checkout-service with the
// embedded examples/placement/placement.yaml.
func TestShellWhereUsesExamplePlacement(t *testing.T) {
	code, out, errOut := runBot(t, testEnv(t, nil), "/plat where checkout-service\n")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{
		"dev (standard) → cluster `use1-shared`: rule `standard` matched tier=standard",
		"prod-us (tier1, us-east-1) → cluster `use1-prod-a`: rule `tier1-us` matched tier=tier1, region=us-east-1; passed over use1-prod-b (cordoned",
		"prod-eu (tier1, eu-west-1) → cluster `euw1-prod-a`: rule `tier1-eu` matched tier=tier1, region=eu-west-1",
		"live status unknown (Argo CD not configured)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestPlacementConfigErrorsNameFileAndLine: a placement section's mistakes
// stop the start naming platbot.yaml and the line.
func TestPlacementConfigErrorsNameFileAndLine(t *testing.T) {
	const clusters = "placement:\n  clusters:\n    - {name: a, server: https://a.example, region: r1, tiers: [t1]}\n"
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"tie", clusters + "  rules:\n    - {name: one, clusters: [a]}\n    - {name: two, clusters: [a]}\n",
			[]string{"platbot.yaml line 6: placement: rules \"one\" (line 5) and \"two\" (line 6) tie: both have 0 criteria"}},
		{"unknown cluster key", "placement:\n  clusters:\n    - name: a\n      sever: https://a.example\n",
			[]string{"platbot.yaml line 4", `unknown key "sever" in a cluster`}},
		{"unknown section key", clusters + "  argocd:\n    repoUrl: https://x\n",
			[]string{"platbot.yaml line 5", "placement.argocd.repoUrl", `unknown key "repoUrl"`}},
		{"unknown rule cluster", clusters + "  rules:\n    - {name: one, clusters: [b]}\n",
			[]string{"platbot.yaml line 5: placement: rule \"one\" names cluster \"b\", which is not defined"}},
		{"argocd.output", clusters + "  argocd:\n    output: applicationSets\n",
			[]string{"platbot.yaml line 5: placement: argocd.output \"applicationSets\" is neither"}},
		{"approvals", clusters + "  approvals: 0\n", []string{"platbot.yaml line 4: placement: approvals must be at least 1, not 0"}},
		{"approvalTimeout", clusters + "  approvalTimeout: soon\n", []string{"platbot.yaml line 4: placement: approvalTimeout \"soon\" is not a positive duration"}},
		{"appsDir", clusters + "  appsDir: ../apps\n", []string{"platbot.yaml line 4: placement: appsDir \"../apps\" must be a folder inside the GitOps repository"}},
		{"production.environments", clusters + "  production:\n    environments:\n      - prod\n      - \"p*x\"\n",
			[]string{"platbot.yaml line 7: placement: production environment \"p*x\" may only end in *"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "platbot.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			e := testEnv(t, nil)
			e["PLATBOT_CONFIG"] = p
			code, _, errOut := runBot(t, e, "", "shell")
			if code == 0 {
				t.Fatal("bad placement section accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error %q lacks %q", errOut, w)
				}
			}
		})
	}
}
