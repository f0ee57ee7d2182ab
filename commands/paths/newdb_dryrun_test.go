package paths

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// The CRDs new-db's manifests need: the platform's own claim types (what
// the platform team installs, examples/crossplane) and external-secrets'.
var newDBCRDs = []string{
	"../../examples/crossplane/postgresinstances.platform.example.com.yaml",
	"golden/testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml",
}

// Every Kubernetes manifest new-db renders from the example template, over
// the range of its parameters, is accepted by a real kube-apiserver with
// the claim and ExternalSecret CRDs installed (server-side apply, dry run,
// unknown fields refused); and what a skeleton regression would render is
// refused.
func TestNewDBManifestsDryRunOnTheAPIServer(t *testing.T) {
	goldentest.InstallCRDs(t, newDBCRDs...)
	e := newEnv(t, envOptions{templates: "../../examples/templates"})
	tpl := e.approved("new-db")
	if tpl == nil {
		t.Fatal("new-db is not approved")
	}
	id := e.paths.identify(e.ctx, bot.User{ID: userAdmin})
	render := func(v bot.Values) map[string]string {
		t.Helper()
		req := e.request(userAdmin, "")
		if errs, err := e.paths.check(e.ctx, req, tpl, v); errs != nil || err != nil {
			t.Fatalf("%v: %v %v", v, errs, err)
		}
		params, owner := e.paths.params(id, tpl, v)
		pv, err := e.paths.Plan(context.Background(), tpl, e.paths.newRun(req, id, tpl, params, nil, owner))
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		return pv.Files
	}
	cases := []struct {
		name, owner, size, storageGB, ha string
		envs                             []string
	}{
		{"orders-db", "group:default/payments", "small", "10", "false", []string{"dev"}},
		{"ledger-db", "group:default/payments", "medium", "50", "true", []string{"dev", "staging", "prod"}},
		{"a1b", "group:default/checkout", "large", "1000", "true", []string{"prod"}},
	}
	applied := map[string]int{}
	for _, c := range cases {
		files := render(bot.Values{"name": {c.name}, "owner": {c.owner}, "size": {c.size}, "storageGB": {c.storageGB},
			"highAvailability": {c.ha}, "environments": c.envs})
		team := c.owner[strings.LastIndex(c.owner, "/")+1:]
		for _, env := range c.envs {
			dir := "databases/" + c.name + "/" + env + "/"
			n := 0
			fmt.Sscan(c.storageGB, &n)
			checkClaim(t, dir+"postgres-instance.yaml", files[dir+"postgres-instance.yaml"], c.name, team, env, c.size, n, c.ha == "true")
			checkExternalSecret(t, dir+"external-secret.yaml", files[dir+"external-secret.yaml"], c.name, team, env)
		}
		names := make([]string, 0, len(files))
		for f := range files {
			names = append(names, f)
		}
		slices.Sort(names)
		for _, f := range names {
			if !strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, "/catalog-info.yaml") || strings.HasPrefix(f, LineageDir+"/") {
				continue // the catalog entry is Backstage's, the lineage platbot's, not the cluster's
			}
			for _, err := range goldentest.Check(t, files[f]) {
				t.Errorf("%s: %v", f, err)
			}
			applied[f[strings.LastIndex(f, "/")+1:]]++
		}
	}
	if applied["postgres-instance.yaml"] != 5 || applied["external-secret.yaml"] != 5 || len(applied) != 2 {
		t.Fatalf("manifests dry-run: %v", applied)
	}

	// The check has teeth: the API server refuses what a skeleton
	// regression would render.
	files := render(bot.Values{"name": {"orders-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"10"},
		"highAvailability": {"false"}, "environments": {"dev"}})
	claim, secret := files["databases/orders-db/dev/postgres-instance.yaml"], files["databases/orders-db/dev/external-secret.yaml"]
	for what, bad := range map[string]string{
		"claim, unknown field":         strings.Replace(claim, "  size: small", "  size: small\n  tier: gold", 1),
		"claim, size out of the enum":  strings.Replace(claim, "size: small", "size: huge", 1),
		"claim, storage below minimum": strings.Replace(claim, "storageGB: 10", "storageGB: 5", 1),
		"claim, quoted number":         strings.Replace(claim, "storageGB: 10", `storageGB: "10"`, 1),
		"claim, no credentials":        claim[:strings.Index(claim, "  # The master credentials")],
		"secret, unserved v1beta1":     strings.Replace(secret, "external-secrets.io/v1\n", "external-secrets.io/v1beta1\n", 1),
		"secret, unknown field":        strings.Replace(secret, "  refreshInterval: 1h", "  refreshInterval: 1h\n  refresh: always", 1),
	} {
		if bad == claim || bad == secret {
			t.Fatalf("%s: the change did not apply", what)
		}
		if errs := goldentest.Check(t, bad); len(errs) == 0 {
			t.Errorf("%s was accepted by the API server:\n%s", what, bad)
		}
	}
}
