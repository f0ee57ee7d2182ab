package yamledit

import (
	"errors"
	"strings"
	"testing"
)

const intentFile = `# The payments team's services.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders-service
spec:
  type: service
  owner: group:payments
  deployment:
    # where orders runs
    environments:
    - name: dev        # shared
      tier: standard
    - name: prod-us
      tier: tier1
      region: us-east-1
    workload: orders
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: carts-service
  annotations:
    platbot.dev/environments: 'dev:standard, prod-us:tier1@us-east-1' # compact
spec:
  type: service
  owner: group:payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: flow-service
spec:
  deployment:
    environments:
      - {name: dev, tier: standard}

  owner: group:payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bare-service
spec:
  owner: group:payments
`

// TestAddIntentEnvironment: the new environment goes where the entity
// declares its intent, in the style of its neighbours, and nothing else of
// the file changes; a second run changes nothing.
func TestAddIntentEnvironment(t *testing.T) {
	eu := IntentEnvironment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"}
	for _, c := range []struct {
		name, where, old, new string
	}{
		{"orders-service", WhereSpec,
			"      region: us-east-1\n    workload: orders\n",
			"      region: us-east-1\n    - name: prod-eu\n      tier: tier1\n      region: eu-west-1\n    workload: orders\n"},
		{"carts-service", WhereAnnotation,
			"    platbot.dev/environments: 'dev:standard, prod-us:tier1@us-east-1' # compact\n",
			"    platbot.dev/environments: \"dev:standard, prod-us:tier1@us-east-1, prod-eu:tier1@eu-west-1\" # compact\n"},
		{"flow-service", WhereSpec,
			"      - {name: dev, tier: standard}\n\n",
			"      - {name: dev, tier: standard}\n      - {name: prod-eu, tier: tier1, region: eu-west-1}\n\n"},
	} {
		out, where, changed, err := AddIntentEnvironment([]byte(intentFile), "Component", "", c.name, eu)
		if err != nil || !changed || where != c.where {
			t.Fatalf("%s: %v %v %q", c.name, err, changed, where)
		}
		if want := strings.Replace(intentFile, c.old, c.new, 1); string(out) != want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, out, want)
		}
		again, _, changed, err := AddIntentEnvironment(out, "Component", "default", c.name, eu)
		if err != nil || changed || string(again) != string(out) {
			t.Errorf("%s: second run changed %v, err %v", c.name, changed, err)
		}
	}

	_, _, _, err := AddIntentEnvironment([]byte(intentFile), "Component", "", "bare-service", eu)
	if !errors.Is(err, ErrNoIntent) {
		t.Errorf("no intent: err = %v", err)
	}
	if _, _, _, err := AddIntentEnvironment([]byte(intentFile), "Component", "", "nope-service", eu); err == nil || !strings.Contains(err.Error(), "no Component default/nope-service") {
		t.Errorf("no entity: err = %v", err)
	}
	flowList := strings.Replace(intentFile, "      - {name: dev, tier: standard}\n", "      [{name: dev}]\n", 1)
	flowList = strings.Replace(flowList, "    environments:\n      [", "    environments: [", 1)
	if _, _, _, err := AddIntentEnvironment([]byte(flowList), "Component", "", "flow-service", eu); !errors.Is(err, ErrUnsupported) {
		t.Errorf("flow list: err = %v", err)
	}
	if _, _, _, err := AddIntentEnvironment([]byte(intentFile), "Component", "", "carts-service", IntentEnvironment{Name: "x", Tier: "a,b"}); err == nil {
		t.Error("a tier that breaks the compact form was written")
	}
}
