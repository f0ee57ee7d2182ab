package scorecard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/pagerduty"
)

// The integrations satisfy the interfaces scorecards declare.
var (
	_ GateGitHub              = (*github.Client)(nil)
	_ facts.GitHubRepos       = (*github.Client)(nil)
	_ facts.GitHubDeployments = (*github.Client)(nil)
	_ facts.PagerDutyServices = (*pagerduty.Client)(nil)
	_ facts.ArgoSyncs         = (*kube.FactsReader)(nil)
	_ facts.VulnReports       = (*kube.FactsReader)(nil)
)

func subject(name, owner string) facts.Subject {
	ents := seedEntities()
	var s facts.Subject
	for _, e := range ents {
		if e.Metadata.Name == name {
			s.Entity = e
		}
		if e.Metadata.Name == owner && e.Kind == catalog.KindGroup {
			s.Owner = e
		}
	}
	return s
}

// fakePagerDuty answers GET /services/{id} like PagerDuty's REST API.
func fakePagerDuty(t *testing.T, down *bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token token=pd-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if *down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/services/PCHK001":
			_, _ = w.Write([]byte(`{"service":{"id":"PCHK001","name":"Checkout","status":"active"}}`))
		case "/services/PPAY001":
			_, _ = w.Write([]byte(`{"service":{"id":"PPAY001","name":"Payments","status":"disabled"}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPagerDutyProvider(t *testing.T) {
	down := false
	pd, err := pagerduty.New(fakePagerDuty(t, &down), "pd-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := facts.NewPagerDutyProvider(pd)
	ctx := context.Background()

	f, err := p.OnCallFacts(ctx, subject("checkout-service", "checkout"))
	if err != nil || !f.Confirmed || f.DeclaredOn != "owner" || f.ServiceID != "PCHK001" || f.Name != "Checkout" {
		t.Fatalf("checkout (owner annotation): %+v %v", f, err)
	}
	f, err = p.OnCallFacts(ctx, subject("payments-service", "payments"))
	if err != nil || f.Confirmed || f.Status != "disabled" {
		t.Fatalf("disabled service: %+v %v", f, err)
	}
	f, err = p.OnCallFacts(ctx, subject("reports-service", "reports"))
	if err != nil || f.Confirmed || f.ServiceID != "" {
		t.Fatalf("no annotation: %+v %v", f, err)
	}
	s := subject("reports-service", "reports")
	s.Entity.Metadata.Annotations[catalog.AnnotationPagerDuty] = "PGONE"
	f, err = p.OnCallFacts(ctx, s)
	if err != nil || f.Confirmed || f.DeclaredOn != "service" || f.Status != "not found" {
		t.Fatalf("unknown service id: %+v %v", f, err)
	}
	down = true
	if _, err := p.OnCallFacts(ctx, subject("checkout-service", "checkout")); err == nil {
		t.Fatal("PagerDuty down: want an error (unknown facts), not a failed check")
	}
}

func TestPagerDutyDownMakesCheckUnknown(t *testing.T) {
	down := true
	pd, _ := pagerduty.New(fakePagerDuty(t, &down), "pd-token", nil)
	ef, _ := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	provs := ef.Providers()
	provs.OnCall = facts.NewPagerDutyProvider(pd)
	f := newFixture(t, fixtureOptions{providers: &provs})
	r := f.score(t, "checkout-service")
	if statusOf(r, "has-on-call") != grade.StatusUnknown || r.Grade != grade.GradeA {
		t.Fatalf("has-on-call with PagerDuty down = %s, grade %s", statusOf(r, "has-on-call"), r.Grade)
	}
}

func newDynamic(objs ...runtime.Object) *dynfake.FakeDynamicClient {
	return dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		kube.ArgoApplicationGVR:     "ApplicationList",
		kube.VulnerabilityReportGVR: "VulnerabilityReportList",
	}, objs...)
}

func argoApp(name, finishedAt string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": "argocd"},
		"status":   map[string]any{"operationState": map[string]any{"phase": "Succeeded", "finishedAt": finishedAt}},
	}}
}

func vulnReport(ns, name string, critical int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"report":   map[string]any{"summary": map[string]any{"criticalCount": critical, "highCount": int64(3)}},
	}}
}

// fakeDeployments is the GitHub Deployments API as GitHubDeployments.
type fakeDeployments map[string]time.Time

func (d fakeDeployments) LastDeployment(_ context.Context, owner, repo, env string) (time.Time, bool, error) {
	if env != "production" {
		return time.Time{}, false, errors.New("wrong environment " + env)
	}
	if repo == "broken" {
		return time.Time{}, false, errors.New("github: 500")
	}
	t, ok := d[owner+"/"+repo]
	return t, ok, nil
}

// TestClusterFactsThroughDynamicFake reads Argo CD and Trivy facts through
// client-go's fake dynamic client and grades with them.
func TestClusterFactsThroughDynamicFake(t *testing.T) {
	dyn := newDynamic(
		argoApp("checkout-service", "2026-11-28T10:00:00Z"),
		argoApp("reports-service", "2026-09-01T10:00:00Z"),
		vulnReport("checkout", "rs-checkout", 0),
		vulnReport("reports", "rs-reports-api", 1),
		vulnReport("reports", "rs-reports-worker", 1),
	)
	reader := kube.NewFactsReader(dyn)
	gh := fakeDeployments{"acme/payments-service": testNow.Add(-3 * 24 * time.Hour), "acme/reports-service": testNow.Add(-50 * 24 * time.Hour)}
	deploys := facts.NewDeployProvider(gh, reader, "production")
	vulns := facts.NewTrivyProvider(reader)
	ctx := context.Background()

	d, err := deploys.DeployFacts(ctx, subject("checkout-service", "checkout"))
	if err != nil || d.Source != "argocd" || !d.Last.Equal(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("checkout deploys: %+v %v", d, err)
	}
	d, err = deploys.DeployFacts(ctx, subject("reports-service", "reports"))
	if err != nil || d.Source != "github" || !d.Last.Equal(testNow.Add(-50*24*time.Hour)) {
		t.Fatalf("reports deploys (newest of GitHub and Argo CD): %+v %v", d, err)
	}
	v, err := vulns.VulnFacts(ctx, subject("reports-service", "reports"))
	if err != nil || v.Critical != 2 || v.High != 6 || v.Reports != 2 {
		t.Fatalf("reports vulns: %+v %v", v, err)
	}
	if _, err := vulns.VulnFacts(ctx, subject("payments-service", "payments")); !errors.Is(err, facts.ErrUnknown) {
		t.Fatalf("no reports in the namespace: err %v, want ErrUnknown", err)
	}
	noNS := subject("checkout-service", "checkout")
	delete(noNS.Entity.Metadata.Annotations, catalog.AnnotationNamespace)
	if _, err := vulns.VulnFacts(ctx, noNS); !errors.Is(err, facts.ErrUnknown) || !strings.Contains(err.Error(), "kubernetes-namespace") {
		t.Fatalf("no namespace annotation: %v", err)
	}

	// Grade with them: reports-service fails deploys-recently and
	// no-critical-cves from cluster facts.
	ef, _ := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	provs := ef.Providers()
	provs.Deploys, provs.Vulns = deploys, vulns
	f := newFixture(t, fixtureOptions{providers: &provs})
	r := f.score(t, "reports-service")
	if statusOf(r, "deploys-recently") != grade.StatusFail || statusOf(r, "no-critical-cves") != grade.StatusFail || r.Grade != grade.GradeD {
		t.Fatalf("reports-service with cluster facts: %+v", r)
	}
	if r := f.score(t, "checkout-service"); r.Grade != grade.GradeA {
		t.Fatalf("checkout-service with cluster facts: %s %v", r.Grade, gapIDs(r))
	}

	// A typed nil reader is "not configured", not a crash.
	var noKube *kube.FactsReader
	if d, err := facts.NewDeployProvider(gh, noKube, "production").DeployFacts(ctx, subject("payments-service", "payments")); err != nil || d.Source != "github" {
		t.Fatalf("GitHub only: %+v %v", d, err)
	}

	// The API server down: unknown, not failed.
	dyn.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	if _, err := deploys.DeployFacts(ctx, subject("checkout-service", "checkout")); err == nil {
		t.Fatal("Argo CD down: want an error")
	}
	f2 := newFixture(t, fixtureOptions{providers: &provs})
	r = f2.score(t, "reports-service")
	if statusOf(r, "deploys-recently") != grade.StatusUnknown || statusOf(r, "no-critical-cves") != grade.StatusUnknown {
		t.Fatalf("cluster down: %s %s", statusOf(r, "deploys-recently"), statusOf(r, "no-critical-cves"))
	}
}

func TestGitHubRepoProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/api/v3") {
		case "/repos/acme/checkout-service":
			_, _ = w.Write([]byte(`{"default_branch":"main"}`))
		case "/repos/acme/checkout-service/readme":
			_, _ = w.Write([]byte(`{"type":"file","encoding":"base64","content":"IyBDaGVja291dAojIyBSdW5ib29rCg=="}`))
		case "/repos/acme/checkout-service/contents/CODEOWNERS":
			_, _ = w.Write([]byte(`{"type":"file","encoding":"base64","content":"KiBAYWNtZQo="}`))
		case "/repos/acme/checkout-service/branches/main":
			_, _ = w.Write([]byte(`{"commit":{"commit":{"committer":{"date":"2026-11-29T08:00:00Z"}}}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not Found"}`))
		}
	}))
	defer srv.Close()
	c, err := github.New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := facts.NewGitHubRepoProvider(c)
	f, err := p.RepoFacts(context.Background(), subject("checkout-service", "checkout"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Readme, "## Runbook") || !f.Codeowners || len(f.Workflows) != 0 || f.Slug != "acme/checkout-service" || f.LastCommit.IsZero() {
		t.Fatalf("repo facts = %+v", f)
	}
	noSlug := subject("payments-service", "payments")
	delete(noSlug.Entity.Metadata.Annotations, catalog.AnnotationGitHubSlug)
	if f, err := p.RepoFacts(context.Background(), noSlug); err != nil || f.HasReadme {
		t.Fatalf("no slug: %+v %v", f, err)
	}
}
