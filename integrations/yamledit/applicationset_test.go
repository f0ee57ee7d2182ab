package yamledit

import (
	"errors"
	"strings"
	"testing"
)

// appSet is an ApplicationSet as sigs.k8s.io/yaml writes it (lists at
// their key's indentation), with a comment a person added.
const appSet = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: orders
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      # the first environment
      - cluster: use1-shared
        environment: dev
        valueFiles: []
  goTemplate: true
  template:
    metadata:
      name: 'orders-{{ .environment }}'
`

func TestAddListElement(t *testing.T) {
	fields := []Field{{Key: "cluster", Value: "euw1-prod-a"}, {Key: "environment", Value: "prod-eu"},
		{Key: "placement", Value: "rule `tier1-eu` matched"}, {Key: "server", Value: ""}, {Key: "valueFiles", List: []string{"values-prod-eu.yaml"}}}
	out, exists, err := AddListElement([]byte(appSet), "orders", "environment", fields)
	if err != nil || exists {
		t.Fatalf("exists %v, err %v", exists, err)
	}
	want := strings.Replace(appSet, "        valueFiles: []\n", `        valueFiles: []
      - cluster: euw1-prod-a
        environment: prod-eu
        placement: "rule `+"`tier1-eu`"+` matched"
        server: ""
        valueFiles:
        - values-prod-eu.yaml
`, 1)
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}

	// The environment is there already: nothing changes.
	again, exists, err := AddListElement(out, "orders", "environment", fields)
	if err != nil || !exists || string(again) != string(out) {
		t.Errorf("again: exists %v, err %v\n%s", exists, err, again)
	}

	// An empty list gets its first element; a list in flow style is left
	// to a person.
	empty := strings.Replace(appSet, "      elements:\n      # the first environment\n      - cluster: use1-shared\n        environment: dev\n        valueFiles: []\n", "      elements: []\n", 1)
	out, _, err = AddListElement([]byte(empty), "orders", "environment", fields[:2])
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(empty, "      elements: []\n", "      elements:\n      - cluster: euw1-prod-a\n        environment: prod-eu\n", 1); string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	flow := strings.Replace(empty, "elements: []", "elements: [{environment: dev}]", 1)
	if _, _, err := AddListElement([]byte(flow), "orders", "environment", fields[:2]); !errors.Is(err, ErrUnsupported) {
		t.Errorf("flow style: %v", err)
	}
	if _, _, err := AddListElement([]byte(appSet), "payments", "environment", fields[:2]); err == nil || !strings.Contains(err.Error(), "no ApplicationSet payments") {
		t.Errorf("another ApplicationSet: %v", err)
	}
}

func TestSetListElement(t *testing.T) {
	src := strings.Replace(appSet, "      - cluster: use1-shared\n", "      - cluster: use1-shared  # placed by the rules\n", 1)
	out, changed, err := SetListElement([]byte(src), "orders", "environment", "dev", []Field{
		{Key: "cluster", Value: "euw1-shared"}, {Key: "environment", Value: "dev"}, {Key: "destinationName", Value: "euw1-shared"},
	})
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	want := strings.Replace(src, "      - cluster: use1-shared  # placed by the rules\n        environment: dev\n        valueFiles: []\n",
		"      - cluster: euw1-shared  # placed by the rules\n        environment: dev\n        valueFiles: []\n        destinationName: euw1-shared\n", 1)
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	same, changed, err := SetListElement(out, "orders", "environment", "dev", []Field{{Key: "cluster", Value: "euw1-shared"}})
	if err != nil || changed || string(same) != string(out) {
		t.Errorf("unchanged: changed %v, err %v", changed, err)
	}
	if _, _, err := SetListElement(out, "orders", "environment", "prod", []Field{{Key: "cluster", Value: "x"}}); err == nil || !strings.Contains(err.Error(), `no list element with environment "prod"`) {
		t.Errorf("unknown element: %v", err)
	}
}
