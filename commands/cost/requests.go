package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/prometheus"
)

// Querier runs a PromQL instant query (*prometheus.Client satisfies it).
type Querier interface {
	Query(ctx context.Context, promql string, at time.Time) (*prometheus.Result, error)
}

// PrometheusRequests counts requests with a PromQL query per service (or a
// default query for all). In a query "{window}" becomes the window as a
// PromQL duration ("30d"), "{service}" the entity's name and "{tag}" its
// first cost-tag value; the query is evaluated at the window's end, so
// sum(increase(http_requests_total{service="{tag}"}[{window}])) counts the
// window's requests.
type PrometheusRequests struct {
	Client   Querier
	Default  string
	Services map[string]string
}

// Requests implements RequestCounter.
func (p *PrometheusRequests) Requests(ctx context.Context, s *Service, start, end time.Time) (float64, bool, error) {
	q := p.Services[s.Name]
	if q == "" {
		q = p.Services[s.Ref]
	}
	if q == "" {
		q = p.Default
	}
	if q == "" {
		return 0, false, nil
	}
	tag := ""
	if len(s.Tags) > 0 {
		tag = s.Tags[0].Value
	}
	q = strings.NewReplacer("{window}", opencost.FormatDuration(end.Sub(start).Round(time.Minute)), "{service}", s.Name, "{tag}", tag).Replace(q)
	res, err := p.Client.Query(ctx, q, end)
	if err != nil {
		return 0, false, fmt.Errorf("requests of %s: %w", s.Name, err)
	}
	v, ok := res.Sum()
	return v, ok && v > 0, nil
}

// ExampleRequests serves request rates from a JSON file of the example data
// ({"requests_per_day": {"checkout-service": 1200000}}), so cost per 1,000
// requests shows offline.
type ExampleRequests struct {
	PerDay map[string]float64 `json:"requests_per_day"`
}

// LoadExampleRequests reads requests.json from fsys; a missing file gives nil.
func LoadExampleRequests(fsys fs.FS) (*ExampleRequests, error) {
	b, err := fs.ReadFile(fsys, "requests.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("example requests: %w", err)
	}
	var e ExampleRequests
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("example requests: requests.json: %w", err)
	}
	return &e, nil
}

// Requests implements RequestCounter.
func (e *ExampleRequests) Requests(_ context.Context, s *Service, start, end time.Time) (float64, bool, error) {
	v, ok := e.PerDay[s.Name]
	if !ok || v <= 0 {
		return 0, false, nil
	}
	return math.Round(v * end.Sub(start).Hours() / 24), true, nil
}

// NewSource builds the allocation source the configuration asks for: the
// OpenCost (or Kubecost, with basePath "/model") client when opencost.url
// is set, else the recorded example responses in examples (the shell's
// default: examples/cost). It also says what it chose, for the log.
func NewSource(cfg Config, examples fs.FS, now func() time.Time) (Source, string, error) {
	if u := strings.TrimSpace(cfg.OpenCost.URL); u != "" {
		opts := []opencost.Option{}
		if cfg.OpenCost.Timeout > 0 {
			opts = append(opts, opencost.WithTimeout(time.Duration(cfg.OpenCost.Timeout)))
		}
		if cfg.OpenCost.Retries != nil {
			opts = append(opts, opencost.WithRetries(*cfg.OpenCost.Retries))
		}
		base := strings.TrimRight(u, "/") + "/" + strings.Trim(cfg.OpenCost.BasePath, "/")
		cl, err := opencost.New(strings.TrimRight(base, "/"), opts...)
		if err != nil {
			return nil, "", fmt.Errorf("cost: %w", err)
		}
		return cl, "OpenCost allocation API at " + cl.BaseURL(), nil
	}
	if examples == nil {
		return nil, "", errors.New("cost: no opencost.url (OPENCOST_URL) and no example data")
	}
	rec, err := opencost.LoadRecorded(examples, now)
	if err != nil {
		return nil, "", fmt.Errorf("cost: example data: %w", err)
	}
	return rec, fmt.Sprintf("example allocation data (%d recorded days, replayed up to today)", rec.Days()), nil
}

// DefaultRequestsQuery counts a service's requests when requests.default
// is not set and a Prometheus URL is: the increase of the conventional
// http_requests_total counter of the workloads labelled with the service's
// cost-tag value, over the window.
const DefaultRequestsQuery = `sum(increase(http_requests_total{service="{tag}"}[{window}]))`

// NewRequestCounter builds the request counter the configuration asks for:
// Prometheus when prometheus.url is set (with requests.default, else
// DefaultRequestsQuery, for services without a query of their own); else,
// when the cost data itself is the example data (no opencost.url), the
// example request rates in examples when there are any; else nil, and cost
// per 1,000 requests shows as not configured. Example rates never go with
// real cost data: they would make up a cost per request.
func NewRequestCounter(cfg Config, examples fs.FS) (RequestCounter, error) {
	if u := strings.TrimSpace(cfg.Prometheus.URL); u != "" {
		var opts []prometheus.Option
		if cfg.Prometheus.Timeout > 0 {
			opts = append(opts, prometheus.WithTimeout(time.Duration(cfg.Prometheus.Timeout)))
		}
		cl, err := prometheus.New(u, opts...)
		if err != nil {
			return nil, fmt.Errorf("cost: %w", err)
		}
		def := strings.TrimSpace(cfg.Requests.Default)
		if def == "" {
			def = DefaultRequestsQuery
		}
		return &PrometheusRequests{Client: cl, Default: def, Services: cfg.Requests.Services}, nil
	}
	if strings.TrimSpace(cfg.OpenCost.URL) != "" || examples == nil {
		return nil, nil
	}
	e, err := LoadExampleRequests(examples)
	if e == nil || err != nil {
		return nil, err
	}
	return e, nil
}
