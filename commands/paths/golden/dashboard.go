package golden

import (
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// grafanaDashboard is as much of Grafana's dashboard JSON model as the
// golden paths' dashboards use.
type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	Tags          []string       `json:"tags"`
	Timezone      string         `json:"timezone"`
	SchemaVersion int            `json:"schemaVersion"`
	Refresh       string         `json:"refresh"`
	Time          map[string]any `json:"time"`
	Panels        []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	GridPos    map[string]int  `json:"gridPos"`
	Datasource map[string]any  `json:"datasource"`
	Targets    []grafanaTarget `json:"targets"`
}

type grafanaTarget struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat,omitempty"`
}

// dashboardPanel is one time series panel: its title, PromQL expression
// and legend.
type dashboardPanel struct{ title, expr, legend string }

// dashboardSpec is a Grafana dashboard in a ConfigMap: Meta is the
// ConfigMap's (its labels are copied, grafana_dashboard: "1" added so the
// Grafana sidecar loads it), Key the data key of the JSON, UID (cut to
// Grafana's 40 characters), Title and Tags the dashboard's.
type dashboardSpec struct {
	Meta       metav1.ObjectMeta
	Key        string
	UID, Title string
	Tags       []string
	Panels     []dashboardPanel
}

// dashboardConfigMap builds the ConfigMap of d: every panel a Prometheus
// time series, two per row, over the last six hours, refreshed every 30s.
// The service (service.go) and cache (cache.go) dashboards are built by it.
func dashboardConfigMap(d dashboardSpec) (*corev1.ConfigMap, error) {
	dash := grafanaDashboard{
		UID: dashboardUID(d.UID), Title: d.Title, Tags: d.Tags,
		Timezone: "browser", SchemaVersion: 39, Refresh: "30s", Time: map[string]any{"from": "now-6h", "to": "now"},
	}
	for i, q := range d.Panels {
		dash.Panels = append(dash.Panels, grafanaPanel{
			ID: i + 1, Type: "timeseries", Title: q.title,
			GridPos:    map[string]int{"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8},
			Datasource: map[string]any{"type": "prometheus", "uid": "prometheus"},
			Targets:    []grafanaTarget{{RefID: "A", Expr: q.expr, LegendFormat: q.legend}},
		})
	}
	b, err := json.MarshalIndent(dash, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the dashboard %s: %w", d.Title, err)
	}
	m := *d.Meta.DeepCopy()
	m.Labels = maps.Clone(d.Meta.Labels)
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["grafana_dashboard"] = "1"
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: m,
		Data:       map[string]string{d.Key: string(b)},
	}, nil
}

// dashboardUID fits a Grafana dashboard UID (at most 40 characters).
func dashboardUID(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
