package golden

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The one dashboard builder: the ConfigMap the Grafana sidecar loads, the
// caller's labels kept (and not changed), the UID cut to 40 characters,
// two panels per row.
func TestDashboardConfigMap(t *testing.T) {
	labels := map[string]string{"finops/team": "checkout"}
	cm, err := dashboardConfigMap(dashboardSpec{
		Meta: metav1.ObjectMeta{Name: "d", Namespace: "ns", Labels: labels}, Key: "d.json",
		UID: strings.Repeat("u", 50), Title: "T", Tags: []string{"checkout"},
		Panels: []dashboardPanel{{"a", "up", "x"}, {"b", "up", ""}, {"c", "up", ""}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "d" || cm.Namespace != "ns" {
		t.Errorf("object %v %v", cm.TypeMeta, cm.ObjectMeta)
	}
	if cm.Labels["grafana_dashboard"] != "1" || cm.Labels["finops/team"] != "checkout" {
		t.Errorf("labels %v", cm.Labels)
	}
	if _, ok := labels["grafana_dashboard"]; ok {
		t.Error("the caller's labels were changed")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(cm.Data["d.json"])))
	dec.DisallowUnknownFields()
	var d grafanaDashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%v in %s", err, cm.Data)
	}
	if d.UID != strings.Repeat("u", 40) || d.Title != "T" || len(d.Panels) != 3 {
		t.Errorf("dashboard %+v", d)
	}
	if p := d.Panels[2]; p.ID != 3 || p.GridPos["x"] != 0 || p.GridPos["y"] != 8 || p.Targets[0].Expr != "up" {
		t.Errorf("third panel %+v", p)
	}
	if p := d.Panels[1]; p.GridPos["x"] != 12 || p.GridPos["y"] != 0 {
		t.Errorf("second panel %+v", p)
	}
}
