package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	sigsyaml "sigs.k8s.io/yaml"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/commands/placement"
)

// TestServeAddRegionOverSlack runs /plat add-region through the served bot
// as Slack does, in demo mode on the example catalog and placement rules,
// where the local GitOps repository platbot creates starts with the
// example services' manifests (examples/gitops): a region where no
// cluster runs comes back beside the region field and nothing starts; the
// corrected submission's pull request holds payments-service's prod-us
// manifests copied to prod-eu, the Application on the cluster the rules
// choose, the DNS record with latency routing, and the probe and alerts.
func TestServeAddRegionOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t, map[string]string{"PLATBOT_DEMO": "1"})
	repo := b.env["PLATBOT_GITOPS_REPO"]

	v := b.openGoldenModal(t, "add-region", "service,environment,region,tier,from,hostname,routing,databaseEnvironment")
	state := jobState{}
	state.set(t, v.View, "service", "component:default/payments-service", "payments-service")
	state.set(t, v.View, "environment", "prod-eu", "")
	state.set(t, v.View, "region", "ap-southeast-1", "ap-southeast-1")
	state.set(t, v.View, "tier", "tier1", "tier1")
	state.set(t, v.View, "from", "prod-us", "")
	state.set(t, v.View, "hostname", "payments.acme.example", "")
	state.set(t, v.View, "routing", "latency", "Lowest latency")
	state.set(t, v.View, "databaseEnvironment", "prod", "prod")
	// The modal offers only the regions where a cluster runs; another
	// is refused beside the field.
	if el, ok := jobInput(v.View, "region").Element.(*goslack.SelectBlockElement); !ok || len(el.Options) != 2 ||
		el.Options[0].Value != "us-east-1" || el.Options[1].Value != "eu-west-1" {
		t.Fatalf("the region select offers %+v", jobInput(v.View, "region").Element)
	}
	b.submitRefused(t, v, state, repo, "region", `"ap-southeast-1" is not one of the choices`)

	state.set(t, v.View, "region", "eu-west-1", "eu-west-1")
	branch := b.submitRun(t, v, state, repo)
	const dir = "teams/payments/payments-service/prod-eu/"
	want := []string{"apps/payments/payments-service/prod-eu.yaml", dir + "deployment.yaml", dir + "dnsendpoint.yaml", dir + "probe.yaml", dir + "prometheusrule.yaml", dir + "service.yaml"}
	if files := withoutLineage(gitLines(t, repo, "diff", "--name-only", "main", branch)); !slices.Equal(files, want) {
		t.Fatalf("files changed %q, want %q", files, want)
	}

	// The start environment's Deployment, copied as the new environment's:
	// the same workload, nothing of prod-us or its region left.
	copied := gitShow(t, repo, branch+":"+dir+"deployment.yaml")
	var dep, orig appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict(copied, &dep); err != nil || dep.Name != "payments-service" {
		t.Errorf("Deployment %q: %v", dep.Name, err)
	}
	if err := sigsyaml.UnmarshalStrict(gitShow(t, repo, "main:teams/payments/payments-service/prod-us/deployment.yaml"), &orig); err != nil {
		t.Fatal(err)
	}
	if dep.Namespace != orig.Namespace || dep.Spec.Template.Spec.Containers[0].Image != orig.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("the copy is not prod-us's workload: %s/%s %s", dep.Namespace, dep.Name, dep.Spec.Template.Spec.Containers[0].Image)
	}
	if s := string(copied); strings.Contains(s, "prod-us") || strings.Contains(s, "us-east-1") {
		t.Errorf("the prod-eu Deployment still names prod-us or its region:\n%s", s)
	}

	var app placement.Application
	strictYAML(t, gitShow(t, repo, branch+":apps/payments/payments-service/prod-eu.yaml"), &app)
	if app.Spec.Destination.Name != "euw1-prod-a" || app.Metadata.Labels[placement.LabelCluster] != "euw1-prod-a" ||
		app.Spec.Source.Path != strings.TrimSuffix(dir, "/") {
		t.Errorf("Application %+v", app)
	}

	var dns struct {
		Kind string `json:"kind"`
		Spec struct {
			Endpoints []struct {
				DNSName          string   `json:"dnsName"`
				RecordType       string   `json:"recordType"`
				Targets          []string `json:"targets"`
				SetIdentifier    string   `json:"setIdentifier"`
				ProviderSpecific []struct {
					Name, Value string
				} `json:"providerSpecific"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(gitShow(t, repo, branch+":"+dir+"dnsendpoint.yaml"), &dns); err != nil {
		t.Fatal(err)
	}
	if dns.Kind != "DNSEndpoint" || len(dns.Spec.Endpoints) != 1 {
		t.Fatalf("DNSEndpoint %+v", dns)
	}
	ep := dns.Spec.Endpoints[0]
	if ep.DNSName != "payments.acme.example" || ep.RecordType != "CNAME" || ep.SetIdentifier != "payments-service-prod-eu" ||
		!slices.Equal(ep.Targets, []string{"payments-service.euw1-prod-a.clusters.example.com"}) ||
		len(ep.ProviderSpecific) != 1 || ep.ProviderSpecific[0].Name != "aws/region" || ep.ProviderSpecific[0].Value != "eu-west-1" {
		t.Errorf("record %+v", ep)
	}
	if probe := gitShow(t, repo, branch+":"+dir+"probe.yaml"); !strings.Contains(string(probe), "https://payments-service.euw1-prod-a.clusters.example.com/healthz") {
		t.Errorf("probe:\n%s", probe)
	}
}
