package placement

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"text/template"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

const appSetPath = "apps/checkout/checkout-service/applicationset.yaml"

func useApplicationSet(c *Config) { c.ArgoCD.Output = OutputApplicationSet }

// decodeApplicationSet reads an ApplicationSet strictly (unknown keys
// refused).
func decodeApplicationSet(t *testing.T, manifest []byte) *ApplicationSet {
	t.Helper()
	var set ApplicationSet
	if err := sigsyaml.UnmarshalStrict(manifest, &set); err != nil {
		t.Fatalf("decode ApplicationSet: %v\n%s", err, manifest)
	}
	return &set
}

// renderApplications generates the Applications of an ApplicationSet as
// Argo CD's ApplicationSet controller does in Go template mode: every
// string of spec.template (map keys too) is executed as a text/template
// with the element as data and spec.goTemplateOptions, then
// spec.templatePatch is executed the same way and merged over it (maps
// merged, other values replaced), and the Application lands in the
// ApplicationSet's namespace. (The controller also adds its resources
// finalizer, which is not platbot's to write.) Each is decoded strictly
// into the Application platbot writes.
func renderApplications(t *testing.T, set *ApplicationSet) map[string]Application {
	t.Helper()
	raw, err := json.Marshal(set.Spec.Template)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	exec := func(s string, params map[string]any) string {
		tp := template.New("t")
		for _, o := range set.Spec.GoTemplateOptions {
			tp = tp.Option(o)
		}
		tp, err := tp.Parse(s)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		var b bytes.Buffer
		if err := tp.Execute(&b, params); err != nil {
			t.Fatalf("execute %q: %v", s, err)
		}
		return b.String()
	}
	var render func(v any, params map[string]any) any
	render = func(v any, params map[string]any) any {
		switch x := v.(type) {
		case string:
			return exec(x, params)
		case []any:
			out := make([]any, len(x))
			for i := range x {
				out[i] = render(x[i], params)
			}
			return out
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				out[exec(k, params)] = render(e, params)
			}
			return out
		}
		return v
	}
	var merge func(dst, patch map[string]any)
	merge = func(dst, patch map[string]any) {
		for k, v := range patch {
			pm, ok := v.(map[string]any)
			dm, ok2 := dst[k].(map[string]any)
			if ok && ok2 {
				merge(dm, pm)
				continue
			}
			dst[k] = v
		}
	}
	if !set.Spec.GoTemplate {
		t.Fatal("the ApplicationSet is not in Go template mode")
	}
	out := map[string]Application{}
	for _, g := range set.Spec.Generators {
		for _, el := range g.List.Elements {
			b, _ := json.Marshal(el)
			var params map[string]any
			if err := json.Unmarshal(b, &params); err != nil {
				t.Fatal(err)
			}
			app := render(tmpl, params).(map[string]any)
			if set.Spec.TemplatePatch != "" {
				var patch map[string]any
				if err := sigsyaml.Unmarshal([]byte(exec(set.Spec.TemplatePatch, params)), &patch); err != nil {
					t.Fatalf("templatePatch of %s: %v", el.Environment, err)
				}
				merge(app, patch)
			}
			app["apiVersion"], app["kind"] = ApplicationAPIVersion, ApplicationKind
			app["metadata"].(map[string]any)["namespace"] = set.Metadata.Namespace
			b, err := json.Marshal(app)
			if err != nil {
				t.Fatal(err)
			}
			var a Application
			if err := sigsyaml.UnmarshalStrict(b, &a); err != nil {
				t.Fatalf("the Application of %s: %v\n%s", el.Environment, err, b)
			}
			out[el.Environment] = a
		}
	}
	return out
}

// With argocd.output applicationSet, the environments a run places (a
// service's several environments in one run) end up in one
// ApplicationSet with one element each, and the Application Argo CD
// generates from each element is the Application the application output
// writes: same name, labels, annotation, project, source (Helm value
// files too), destination and sync policy.
func TestApplicationSetGeneratesTheSameApplications(t *testing.T) {
	ctx := context.Background()
	asSet := newEnvironments(t, mapFiles{}, useApplicationSet)
	asApps := newEnvironments(t, mapFiles{}, nil)
	reqs := []NewEnvironment{
		{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "dev", Tier: "standard"}},
		{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"},
			SourcePath: "teams/payments/ledger-api/chart", ValueFiles: []string{"values-prod-eu.yaml"}},
		{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "prod-us", Tier: "tier1", Region: "us-east-1"}},
	}
	var file []byte
	want := map[string]Application{}
	for i, n := range reqs {
		got, err := asSet.Place(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if got.Path != "apps/payments/ledger-api/applicationset.yaml" || got.Add == nil {
			t.Fatalf("placed %+v", got)
		}
		if i == 0 {
			file = got.Manifest
		} else if file, err = got.Add(file); err != nil {
			t.Fatal(err)
		}
		app, err := asApps.Place(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if app.Add != nil || app.Cluster != got.Cluster || app.Explain != got.Explain {
			t.Errorf("Application output %+v, ApplicationSet output %+v", app, got)
		}
		want[n.Env.Name] = decodeApplication(t, app.Manifest)
	}
	set := decodeApplicationSet(t, file)
	if set.Kind != "ApplicationSet" || set.Metadata.Name != "ledger-api" || set.Metadata.Namespace != "argocd" || len(set.Spec.Generators) != 1 {
		t.Fatalf("ApplicationSet:\n%s", file)
	}
	els := set.Spec.Generators[0].List.Elements
	if len(els) != 3 || els[0].Environment != "dev" || els[1].Environment != "prod-eu" || els[2].Environment != "prod-us" {
		t.Fatalf("elements %+v", els)
	}
	if e := els[1]; e.Cluster != "euw1-prod-a" || e.DestinationName != "euw1-prod-a" || e.Server != "" || e.Tier != "tier1" || e.Region != "eu-west-1" ||
		e.Placement != "rule `tier1-eu` matched tier=tier1, region=eu-west-1" {
		t.Errorf("prod-eu element %+v", e)
	}
	if e := els[2]; e.Cluster != "use1-prod-a" || e.Server != "https://use1-prod-a.k8s.acme.example" || e.DestinationName != "" {
		t.Errorf("prod-us element %+v", e)
	}
	got := renderApplications(t, set)
	for env, w := range want {
		if !reflect.DeepEqual(got[env], w) {
			t.Errorf("%s: the ApplicationSet generates\n%+v\nthe Application output is\n%+v", env, got[env], w)
		}
	}

	// Adding an environment again changes nothing; another element for it
	// is an error.
	again, err := asSet.Place(ctx, reqs[0])
	if err != nil {
		t.Fatal(err)
	}
	if same, err := again.Add(file); err != nil || !bytes.Equal(same, file) {
		t.Errorf("added twice: %v\n%s", err, same)
	}
	other, err := asSet.Place(ctx, NewEnvironment{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "dev", Tier: "standard", Region: "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Add(file); err == nil || !strings.Contains(err.Error(), "already has an element for dev (on use1-shared)") {
		t.Errorf("a second dev: %v", err)
	}
}

// checkoutSet is a service's ApplicationSet on the GitOps repository's
// base branch, written by hand (comments, its own template) with two
// elements.
const checkoutSet = `# The checkout team's environments; platbot adds and moves elements.
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: checkout-service
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements:
          # dev stays in the US
          - environment: dev
            tier: standard
            region: ""
            cluster: use1-shared
            server: https://use1-shared.k8s.acme.example
            destinationName: ""
            placement: rule ` + "`standard`" + ` matched tier=standard
            path: services/checkout-service/overlays/dev
            valueFiles: []
          - environment: staging
            tier: standard
            region: ""
            cluster: euw1-shared   # by hand, for the load test
            server: ""
            destinationName: euw1-shared
            placement: pinned to euw1-shared by carol
            path: services/checkout-service/overlays/staging
            valueFiles: []
  template:
    metadata:
      name: 'checkout-service-{{ .environment }}'
    spec:
      project: checkout
      source: {repoURL: https://github.com/acme/deploy, path: '{{ .path }}', targetRevision: main}
      destination: {server: '{{ .server }}', name: '{{ .destinationName }}', namespace: checkout}
`

// A new environment of a service with an ApplicationSet is added to it on
// the base branch: a new element after the others, everything else —
// comments, the hand-written template — as it was.
func TestNewEnvironmentJoinsTheBaseBranchApplicationSet(t *testing.T) {
	envs := newEnvironments(t, mapFiles{appSetPath: checkoutSet}, useApplicationSet)
	got, err := envs.Place(context.Background(), NewEnvironment{Service: "checkout-service", Env: Environment{Name: "qa", Tier: "standard", Region: "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != appSetPath || got.Cluster != "euw1-shared" {
		t.Fatalf("placed %+v", got)
	}
	out := string(got.Manifest)
	if !strings.HasPrefix(out, checkoutSet[:strings.Index(checkoutSet, "  template:")]) || !strings.HasSuffix(out, checkoutSet[strings.Index(checkoutSet, "  template:"):]) {
		t.Errorf("the edit changed more than the new element:\n%s", out)
	}
	set := decodeApplicationSet(t, got.Manifest)
	els := set.Spec.Generators[0].List.Elements
	if len(els) != 3 || els[2].Environment != "qa" || els[2].DestinationName != "euw1-shared" || els[2].Region != "eu-west-1" ||
		els[2].Path != "teams/checkout/checkout-service/qa" {
		t.Errorf("elements %+v", els)
	}

	// An environment the ApplicationSet already has is refused.
	files := mapFiles{appSetPath: strings.ReplaceAll(checkoutSet, "environment: staging", "environment: perf")}
	_, err = newEnvironments(t, files, useApplicationSet).Place(context.Background(), NewEnvironment{Service: "checkout-service", Env: Environment{Name: "perf", Tier: "standard"}})
	var ee *EnvironmentError
	if err == nil || !strings.Contains(err.Error(), "has its element in the ApplicationSet "+appSetPath) || !errors.As(err, &ee) || ee.What != "environment" {
		t.Errorf("perf in the ApplicationSet: %v", err)
	}
}

// where and clusters read the cluster of an environment from its element
// of the service's ApplicationSet; a move rewrites that element only.
func TestWhereClustersAndMoveReadTheApplicationSet(t *testing.T) {
	files := mapFiles{appSetPath: checkoutSet}
	e := newEnv(t, options{files: files, cfg: func(c *Config) {
		useApplicationSet(c)
		c.Production = ProductionConfig{Environments: []string{"live"}} // moves here need no approval
		for i := range c.Clusters {
			c.Clusters[i].Cordoned = false // the rules place prod-us on use1-prod-b
		}
	}})
	contains(t, e.h.Run("U-dave", "where checkout-service"),
		"*staging* (standard) → runs on `euw1-shared` (ApplicationSet `"+appSetPath+"`, element staging), rules would place `use1-shared`",
		"Pinned by a move: pinned to euw1-shared by carol",
		"*dev* (standard) → runs on `use1-shared` (ApplicationSet `"+appSetPath+"`, element dev): rule `standard` matched tier=standard",
	)
	contains(t, e.h.Run("U-carol", "clusters"),
		"*euw1-shared* — eu-west-1 · tiers standard · Argo CD cluster euw1-shared · labels provider=eks\n1 placement(s): checkout-service/staging\n",
		"*use1-shared* — us-east-1 · tiers standard · server https://use1-shared.k8s.acme.example · labels provider=eks\n1 placement(s) and 1 planned: cart-service/dev (planned), checkout-service/dev\n",
	)

	contains(t, e.h.Run("U-alice", "move checkout-service staging --auto"), "📦 Pull request to move staging of checkout-service from `euw1-shared` to `use1-shared`")
	changes := e.pub.Changes()
	if len(changes) != 1 || len(changes[0].Files) != 1 || changes[0].Files[appSetPath] == "" {
		t.Fatalf("changes %+v", changes)
	}
	if !strings.Contains(changes[0].Body, "Moves the element of the Argo CD ApplicationSet of environment `staging` of `checkout-service` from `euw1-shared` to cluster `use1-shared`") {
		t.Errorf("pull request body:\n%s", changes[0].Body)
	}
	moved := changes[0].Files[appSetPath]
	want := strings.Replace(checkoutSet, `            cluster: euw1-shared   # by hand, for the load test
            server: ""
            destinationName: euw1-shared
            placement: pinned to euw1-shared by carol`, `            cluster: use1-shared   # by hand, for the load test
            server: "https://use1-shared.k8s.acme.example"
            destinationName: ""
            placement: "rule `+"`standard`"+` matched tier=standard"`, 1)
	if moved != want {
		t.Errorf("moved ApplicationSet:\n%s\nwant:\n%s", moved, want)
	}

	// Merged: where reads the moved element, and the move is no longer open.
	files[appSetPath] = moved
	contains(t, e.h.Run("U-dave", "where checkout-service"),
		"*staging* (standard) → runs on `use1-shared` (ApplicationSet `"+appSetPath+"`, element staging): rule `standard` matched tier=standard")
	contains(t, e.h.Run("U-alice", "move checkout-service staging --to euw1-shared"), "📦 Pull request to move staging of checkout-service from `use1-shared` to `euw1-shared`")

	// A move of another environment would write the same file: refused
	// while staging's move is open, with its link.
	out := e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	contains(t, out, "prod-us of checkout-service can't be moved while the move of staging to `euw1-shared` (pull request <file://",
		"|#2>) is open: both change the ApplicationSet `"+appSetPath+"`")
	if n := len(e.pub.Changes()); n != 2 {
		t.Fatalf("%d pull requests while one of the same ApplicationSet is open, want 2", n)
	}
	// Merged: the next move builds on it.
	moved = e.pub.Changes()[1].Files[appSetPath]
	files[appSetPath] = moved

	// An environment without an element gets one in the ApplicationSet,
	// after the others.
	contains(t, e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a"), "📦 Pull request to move prod-us of checkout-service to `use1-prod-a`")
	changes = e.pub.Changes()
	if len(changes) != 3 {
		t.Fatalf("%d pull requests, want 3", len(changes))
	}
	added := changes[2].Files[appSetPath]
	if !strings.HasPrefix(added, moved[:strings.Index(moved, "  template:")]) {
		t.Errorf("adding prod-eu changed the other elements:\n%s", added)
	}
	els := decodeApplicationSet(t, []byte(added)).Spec.Generators[0].List.Elements
	if len(els) != 3 || els[2].Environment != "prod-us" || els[2].Server != "https://use1-prod-a.k8s.acme.example" || els[2].Tier != "tier1" ||
		els[2].Region != "us-east-1" || els[2].Path != "teams/checkout/checkout-service/prod-us" || !strings.HasPrefix(els[2].Placement, "pinned to use1-prod-a by U-alice") {
		t.Errorf("elements %+v", els)
	}
}

// argocd.output is application (the default) or applicationSet; anything
// else is refused at start, and so is a misspelt key.
func TestOutputConfig(t *testing.T) {
	if got := DefaultConfig().ArgoCD.Output; got != OutputApplication {
		t.Errorf("default output %q", got)
	}
	const section = "placement:\n  clusters:\n    - {name: a, server: https://a.example, region: r, tiers: [t]}\n  argocd:\n    %s\n"
	cfg, err := LoadFile([]byte(fmt.Sprintf(section, "output: applicationSet")), "platbot.yaml")
	if err != nil || cfg.ArgoCD.Output != OutputApplicationSet || cfg.Validate() != nil {
		t.Fatalf("applicationSet: %+v, %v", cfg.ArgoCD, err)
	}
	cfg, err = LoadFile([]byte(fmt.Sprintf(section, "output: applicationsets")), "platbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `argocd.output "applicationsets" is neither application`) {
		t.Errorf("a wrong output: %v", err)
	}
	if _, err := NewEnvironments(cfg, catalogtest.New(t, testCatalog), nil); err == nil {
		t.Error("NewEnvironments took a wrong output")
	}
	if _, err := LoadFile([]byte(fmt.Sprintf(section, "outputs: applicationSet")), "platbot.yaml"); err == nil ||
		!strings.Contains(err.Error(), "platbot.yaml") || !strings.Contains(err.Error(), "line 5") || !strings.Contains(err.Error(), "outputs") {
		t.Errorf("a misspelt key: %v", err)
	}
}

// An Application file where the ApplicationSet would be (the Application
// of an environment named "applicationset") is no ApplicationSet: the
// other environments are read as having none, not as unreadable.
func TestApplicationNamedLikeTheApplicationSet(t *testing.T) {
	e := newEnv(t, options{files: mapFiles{appSetPath: appOn("applicationset", "name: euw1-shared")}})
	ent, _ := e.p.cat.Lookup("checkout-service", "component")
	app, _, err := e.p.application(context.Background(), ent, "dev")
	if err != nil || app != nil {
		t.Errorf("dev: %+v, %v", app, err)
	}
	app, _, err = e.p.application(context.Background(), ent, "applicationset")
	if err != nil || app == nil || app.Set || app.Cluster != "euw1-shared" {
		t.Errorf("applicationset: %+v, %v", app, err)
	}
}

// countingFiles counts the reads of each file.
type countingFiles struct {
	mapFiles
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingFiles) ReadFile(ctx context.Context, path string) ([]byte, error) {
	c.mu.Lock()
	c.reads[path]++
	c.mu.Unlock()
	return c.mapFiles.ReadFile(ctx, path)
}

// /plat clusters reads a service's ApplicationSet once, not once per
// environment.
func TestClustersReadTheApplicationSetOnce(t *testing.T) {
	files := &countingFiles{mapFiles: mapFiles{appSetPath: checkoutSet}, reads: map[string]int{}}
	e := newEnv(t, options{files: files, cfg: useApplicationSet})
	contains(t, e.h.Run("U-carol", "clusters"), "1 placement(s): checkout-service/staging\n")
	if n := files.reads[appSetPath]; n != 1 {
		t.Errorf("the ApplicationSet was read %d times", n)
	}
	if n := files.reads["apps/checkout/checkout-service/prod-us.yaml"]; n != 1 {
		t.Errorf("prod-us's Application file was read %d times", n)
	}
}
