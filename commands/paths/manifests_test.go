package paths

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
)

// PostgresInstance is the new-db claim as the platform's Crossplane XRD
// (platform.example.com/v1) defines it. Decoding is strict: a field the
// type lacks, or a value of the wrong type, fails.
type PostgresInstance struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		Size                 string `yaml:"size"`
		StorageGB            int    `yaml:"storageGB"`
		HighAvailability     bool   `yaml:"highAvailability"`
		CredentialsSecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"credentialsSecretRef"`
	} `yaml:"spec"`
}

// ExternalSecret is the part of external-secrets.io/v1 new-db uses.
type ExternalSecret struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		RefreshInterval string `yaml:"refreshInterval"`
		SecretStoreRef  struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"secretStoreRef"`
		Target struct {
			Name           string `yaml:"name"`
			CreationPolicy string `yaml:"creationPolicy"`
		} `yaml:"target"`
		Data []struct {
			SecretKey string `yaml:"secretKey"`
			RemoteRef struct {
				Key      string `yaml:"key"`
				Property string `yaml:"property"`
			} `yaml:"remoteRef"`
		} `yaml:"data"`
	} `yaml:"spec"`
}

// decodeStrict decodes exactly one YAML document into v, refusing unknown
// fields and mistyped values.
func decodeStrict(content string, v any) error {
	dec := yaml.NewDecoder(strings.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more than one document (%v)", err)
	}
	return nil
}

// checkClaim decodes a rendered postgres-instance.yaml and checks it
// against what was asked for.
func checkClaim(t *testing.T, file, content, name, team, env, size string, storageGB int, ha bool) {
	t.Helper()
	var c PostgresInstance
	if err := decodeStrict(content, &c); err != nil {
		t.Fatalf("%s is not a PostgresInstance: %v\n%s", file, err, content)
	}
	ns := team + "-" + env
	wantLabels := map[string]string{
		"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "platbot",
		"platform.example.com/environment": env, "finops/team": team, "finops/service": name,
	}
	if c.APIVersion != "platform.example.com/v1" || c.Kind != "PostgresInstance" || c.Metadata.Name != name || c.Metadata.Namespace != ns ||
		fmt.Sprint(c.Metadata.Labels) != fmt.Sprint(wantLabels) ||
		c.Spec.Size != size || c.Spec.StorageGB != storageGB || c.Spec.HighAvailability != ha || c.Spec.CredentialsSecretRef.Name != name+"-db-credentials" {
		t.Errorf("%s: %+v", file, c)
	}
	if c.Metadata.Annotations["finops/cost-tag"] != "service="+name || c.Metadata.Annotations["finops/owner"] != "group:default/"+team {
		t.Errorf("%s annotations %v", file, c.Metadata.Annotations)
	}
}

// checkExternalSecret decodes a rendered external-secret.yaml and checks
// it points at the credentials the run generates.
func checkExternalSecret(t *testing.T, file, content, name, team, env string) {
	t.Helper()
	var es ExternalSecret
	if err := decodeStrict(content, &es); err != nil {
		t.Fatalf("%s is not an ExternalSecret: %v\n%s", file, err, content)
	}
	key := team + "/" + name + "/" + env + "/db"
	if es.APIVersion != "external-secrets.io/v1" || es.Kind != "ExternalSecret" || es.Metadata.Name != name+"-db-credentials" ||
		es.Metadata.Namespace != team+"-"+env || es.Metadata.Labels["finops/team"] != team ||
		es.Spec.SecretStoreRef.Kind != "ClusterSecretStore" || es.Spec.SecretStoreRef.Name != "vault" ||
		es.Spec.Target.Name != name+"-db-credentials" || es.Spec.Target.CreationPolicy != "Owner" || len(es.Spec.Data) != 2 {
		t.Fatalf("%s: %+v", file, es)
	}
	for i, prop := range []string{"username", "password"} {
		if d := es.Spec.Data[i]; d.SecretKey != prop || d.RemoteRef.Key != key || d.RemoteRef.Property != prop {
			t.Errorf("%s data[%d] %+v", file, i, d)
		}
	}
}

// Every postgres-instance.yaml and ExternalSecret new-db renders, over
// the range of its parameters, has the shape the cluster expects: a
// skeleton change that renames a field, quotes a number or adds something
// the CRD does not know fails here.
func TestNewDBManifestsAreWellTyped(t *testing.T) {
	e := newEnv(t, envOptions{})
	tpl := e.approved("new-db")
	id := e.paths.identify(e.ctx, bot.User{ID: userAdmin})
	cases := []struct {
		name, owner, size string
		storageGB         int
		ha                bool
		envs              []string
	}{
		{"orders-db", "group:default/payments", "small", 10, false, []string{"dev"}},
		{"ledger-db", "group:default/payments", "medium", 50, true, []string{"dev", "staging", "prod"}},
		{"a1b", "group:default/checkout", "large", 1000, true, []string{"prod"}},
		{"reports-archive-db", "group:default/platform", "small", 20, false, []string{"staging", "dev"}},
	}
	claims, secrets := 0, 0
	for _, c := range cases {
		v := bot.Values{
			"name": {c.name}, "owner": {c.owner}, "size": {c.size}, "storageGB": {fmt.Sprint(c.storageGB)},
			"highAvailability": {fmt.Sprint(c.ha)}, "environments": c.envs,
		}
		if c.owner == "group:default/payments" {
			v["system"], v["dependencyOf"] = []string{"orders"}, []string{"orders-service"}
		}
		req := e.request(userAdmin, "")
		if errs, err := e.paths.check(e.ctx, req, tpl, v); errs != nil || err != nil {
			t.Fatalf("%s: %v %v", c.name, errs, err)
		}
		params, owner := e.paths.params(id, tpl, v)
		pv, err := e.paths.Plan(context.Background(), tpl, e.paths.newRun(req, id, tpl, params, nil, owner))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		team := c.owner[strings.LastIndex(c.owner, "/")+1:]
		for _, env := range c.envs {
			dir := "databases/" + c.name + "/" + env + "/"
			claim, ok := pv.Files[dir+"postgres-instance.yaml"]
			if !ok {
				t.Fatalf("%s: no %spostgres-instance.yaml in %v", c.name, dir, sortedFiles(pv.Files))
			}
			checkClaim(t, dir+"postgres-instance.yaml", claim, c.name, team, env, c.size, c.storageGB, c.ha)
			checkExternalSecret(t, dir+"external-secret.yaml", pv.Files[dir+"external-secret.yaml"], c.name, team, env)
		}
		for f := range pv.Files {
			switch {
			case strings.HasSuffix(f, "/postgres-instance.yaml"):
				claims++
			case strings.HasSuffix(f, "/external-secret.yaml"):
				secrets++
			}
		}
	}
	if claims != 7 || secrets != 7 {
		t.Fatalf("%d claims, %d external secrets rendered", claims, secrets)
	}

	// The check has teeth: what a skeleton regression would render fails.
	good := func() string {
		v := bot.Values{"name": {"orders-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"10"}, "highAvailability": {"false"}, "environments": {"dev"}}
		req := e.request(userAdmin, "")
		params, owner := e.paths.params(id, tpl, v)
		pv, err := e.paths.Plan(context.Background(), tpl, e.paths.newRun(req, id, tpl, params, nil, owner))
		if err != nil {
			t.Fatal(err)
		}
		return pv.Files["databases/orders-db/dev/postgres-instance.yaml"]
	}()
	for what, bad := range map[string]string{
		"quoted number":  strings.Replace(good, "storageGB: 10", `storageGB: "10"`, 1),
		"quoted boolean": strings.Replace(good, "highAvailability: false", `highAvailability: "false"`, 1),
		"unknown field":  strings.Replace(good, "  size: small", "  size: small\n  tier: gold", 1),
		"renamed field":  strings.Replace(good, "storageGB:", "storageGb:", 1),
		"two documents":  good + "---\nkind: Secret\n",
	} {
		if bad == good && what != "two documents" {
			t.Fatalf("%s: the replacement did not apply to\n%s", what, good)
		}
		var c PostgresInstance
		if err := decodeStrict(bad, &c); err == nil {
			t.Errorf("%s was accepted", what)
		}
	}
}
