// Package opencost is platbot's adapter for the OpenCost allocation API
// (GET <base>/allocation) and Kubecost's identical /model/allocation: a typed
// client with timeouts and retries for these idempotent reads, the
// allocation shapes, and Dataset, an in-memory allocation store that answers
// the same queries (used by the offline Recorded source and by test fakes).
package opencost

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Names OpenCost gives to allocations that are not a workload's own.
const (
	// Unallocated is the aggregate value of allocations that lack the
	// aggregated label, annotation or property.
	Unallocated = "__unallocated__"
	// Idle is the cluster's unused capacity (only with includeIdle).
	Idle = "__idle__"
	// Unmounted is the cost of persistent volumes no pod mounts.
	Unmounted = "__unmounted__"
)

// Allocation is the cost of one aggregate over one window, as the allocation
// API returns it. Costs are in the cluster's configured currency.
type Allocation struct {
	Name   string `json:"name"`
	Window Window `json:"window"`

	// The costs and efficiencies come first and together: readers that
	// sum many allocations touch one or two cache lines of each.
	CPUCost          float64 `json:"cpuCost"`
	RAMCost          float64 `json:"ramCost"`
	GPUCost          float64 `json:"gpuCost"`
	PVCost           float64 `json:"pvCost"`
	NetworkCost      float64 `json:"networkCost"`
	LoadBalancerCost float64 `json:"loadBalancerCost"`
	SharedCost       float64 `json:"sharedCost"`
	ExternalCost     float64 `json:"externalCost"`
	TotalCost        float64 `json:"totalCost"`
	CPUEfficiency    float64 `json:"cpuEfficiency"`
	RAMEfficiency    float64 `json:"ramEfficiency"`
	TotalEfficiency  float64 `json:"totalEfficiency"`

	Properties Properties `json:"properties"`
	Start      time.Time  `json:"start"`
	End        time.Time  `json:"end"`
	Minutes    float64    `json:"minutes,omitempty"`

	CPUCores              float64 `json:"cpuCores,omitempty"`
	CPUCoreRequestAverage float64 `json:"cpuCoreRequestAverage,omitempty"`
	CPUCoreUsageAverage   float64 `json:"cpuCoreUsageAverage,omitempty"`
	CPUCoreHours          float64 `json:"cpuCoreHours,omitempty"`
	CPUCostAdjustment     float64 `json:"cpuCostAdjustment,omitempty"`
	GPUCount              float64 `json:"gpuCount,omitempty"`
	GPUHours              float64 `json:"gpuHours,omitempty"`
	NetworkTransferBytes  float64 `json:"networkTransferBytes,omitempty"`
	NetworkReceiveBytes   float64 `json:"networkReceiveBytes,omitempty"`
	PVBytes               float64 `json:"pvBytes,omitempty"`
	PVByteHours           float64 `json:"pvByteHours,omitempty"`
	RAMBytes              float64 `json:"ramBytes,omitempty"`
	RAMByteRequestAverage float64 `json:"ramByteRequestAverage,omitempty"`
	RAMByteUsageAverage   float64 `json:"ramByteUsageAverage,omitempty"`
	RAMByteHours          float64 `json:"ramByteHours,omitempty"`
	RAMCostAdjustment     float64 `json:"ramCostAdjustment,omitempty"`
}

// Properties say what an allocation is made of. After aggregation only the
// properties all its parts share are kept.
type Properties struct {
	Cluster        string            `json:"cluster,omitempty"`
	Node           string            `json:"node,omitempty"`
	Namespace      string            `json:"namespace,omitempty"`
	ControllerKind string            `json:"controllerKind,omitempty"`
	Controller     string            `json:"controller,omitempty"`
	Pod            string            `json:"pod,omitempty"`
	Container      string            `json:"container,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
}

// Window is an allocation's time range.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// AllocationSet is one step of a response: allocations by aggregate name.
type AllocationSet map[string]*Allocation

// Response is the allocation API's envelope.
type Response struct {
	Code    int             `json:"code"`
	Status  string          `json:"status,omitempty"`
	Message string          `json:"message,omitempty"`
	Data    []AllocationSet `json:"data"`
}

// Query is one allocation request.
type Query struct {
	// Start and End bound the window; when both are set they are sent as an
	// RFC 3339 pair. Otherwise Window is sent as is ("7d", "month", ...).
	Start, End time.Time
	Window     string
	// Aggregate lists the properties to aggregate by: "namespace",
	// "controller", "label:service", "annotation:team" ...
	Aggregate []string
	// Step splits the window into sets of this length (0 = one set).
	Step time.Duration
	// Accumulate sums all steps into one set.
	Accumulate bool
	// IncludeIdle adds __idle__ allocations; ShareIdle spreads idle cost
	// over the other allocations instead.
	IncludeIdle bool
	ShareIdle   bool
	// Filter is an allocation filter expression (`namespace:"shop"`).
	Filter string
}

// WindowParam renders the window query parameter.
func (q Query) WindowParam() string {
	if !q.Start.IsZero() && !q.End.IsZero() {
		return q.Start.UTC().Format(time.RFC3339) + "," + q.End.UTC().Format(time.RFC3339)
	}
	return q.Window
}

// FormatDuration renders a duration the way the allocation API reads it
// ("1d", "6h", "10m").
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	default:
		return strconv.FormatInt(int64((d+time.Minute-1)/time.Minute), 10) + "m"
	}
}

// ParseDuration reads "30m", "12h", "7d" or "2w".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	n, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("bad duration %q: want a number followed by m, h, d or w", s)
	}
	// Converting a float beyond int64 to a Duration is undefined (it comes
	// out negative on amd64): refuse what a Duration cannot hold.
	d := n * float64(unit)
	if d < 1 || d >= float64(math.MaxInt64) {
		return 0, fmt.Errorf("bad duration %q: want between 1ns and about 292 years", s)
	}
	return time.Duration(d), nil
}

// ParseWindow reads a window parameter relative to now: an RFC 3339 or
// Unix-seconds pair "start,end", a duration ending now ("7d"), or one of
// today, yesterday, week, lastweek, month, lastmonth (UTC).
func ParseWindow(s string, now time.Time) (start, end time.Time, err error) {
	now = now.UTC()
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, ","); ok {
		if start, err = parseInstant(a); err == nil {
			end, err = parseInstant(b)
		}
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("bad window %q: %w", s, err)
		}
		if !end.After(start) {
			return time.Time{}, time.Time{}, fmt.Errorf("bad window %q: end is not after start", s)
		}
		return start, end, nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch strings.ToLower(s) {
	case "today":
		return today, now, nil
	case "yesterday":
		return today.AddDate(0, 0, -1), today, nil
	case "week":
		return today.AddDate(0, 0, -int(today.Weekday())), now, nil
	case "lastweek":
		w := today.AddDate(0, 0, -int(today.Weekday()))
		return w.AddDate(0, 0, -7), w, nil
	case "month":
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), now, nil
	case "lastmonth":
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return m.AddDate(0, -1, 0), m, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("bad window %q: %w", s, err)
	}
	return now.Add(-d), now, nil
}

func parseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor Unix seconds", s)
}
