// Package opencosttest is a loopback fake of the OpenCost allocation API for
// tests: an httptest server that answers GET <base>/allocation from an
// opencost.Dataset with recorded-shape responses, records the queries it was
// sent, and can be told to fail (down, error envelope, malformed JSON, slow).
package opencosttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/integrations/opencost"
)

// Mode is how the fake answers.
type Mode int

// Modes.
const (
	// OK answers from the dataset.
	OK Mode = iota
	// Down answers 503 with an error envelope.
	Down
	// Error answers 500 with {"code":500,"status":"error","message":...}.
	Error
	// Malformed answers 200 with a truncated, invalid JSON body.
	Malformed
	// BadRequest answers 400 with an error envelope.
	BadRequest
)

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	// BasePath is the path before /allocation ("" for OpenCost, "/model" for Kubecost).
	BasePath string

	mu       sync.Mutex
	ds       *opencost.Dataset
	mode     Mode
	failNext int
	failMode Mode
	delay    time.Duration
	now      func() time.Time
	queries  []url.Values
}

// New starts a fake over ds serving <basePath>/allocation. Close it when done.
func New(ds *opencost.Dataset, basePath string, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{BasePath: strings.TrimRight(basePath, "/"), ds: ds, now: now}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Base is the URL to configure the client with (server URL + base path).
func (s *Server) Base() string { return s.URL + s.BasePath }

// SetMode makes every following request answer in mode m.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// FailNext makes the next n requests answer in mode m, then the set mode again.
func (s *Server) FailNext(n int, m Mode) {
	s.mu.Lock()
	s.failNext, s.failMode = n, m
	s.mu.Unlock()
}

// SetDelay delays every answer (for timeout tests).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetDataset replaces the data served.
func (s *Server) SetDataset(ds *opencost.Dataset) {
	s.mu.Lock()
	s.ds = ds
	s.mu.Unlock()
}

// Dataset returns the data served (add rows to it between requests).
func (s *Server) Dataset() *opencost.Dataset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ds
}

// Queries returns the query parameters of every request received.
func (s *Server) Queries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.queries...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.Query())
	mode, delay, ds := s.mode, s.delay, s.ds
	if s.failNext > 0 {
		s.failNext--
		mode = s.failMode
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodGet || r.URL.Path != s.BasePath+"/allocation" {
		writeJSON(w, http.StatusNotFound, opencost.Response{Code: 404, Status: "error", Message: "not found: " + r.URL.Path})
		return
	}
	switch mode {
	case Down:
		writeJSON(w, http.StatusServiceUnavailable, opencost.Response{Code: 503, Status: "error", Message: "service unavailable"})
		return
	case Error:
		writeJSON(w, http.StatusInternalServerError, opencost.Response{Code: 500, Status: "error", Message: "error querying prometheus: context deadline exceeded"})
		return
	case BadRequest:
		writeJSON(w, http.StatusBadRequest, opencost.Response{Code: 400, Status: "error", Message: "invalid window"})
		return
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":200,"data":[{"checkout/shop/deployment:checkout":{"name":"checkout","totalCost":"12.`)
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err == nil {
		var sets []opencost.AllocationSet
		if sets, err = ds.Query(q, s.now()); err == nil {
			writeJSON(w, http.StatusOK, opencost.Response{Code: 200, Data: sets})
			return
		}
	}
	writeJSON(w, http.StatusBadRequest, opencost.Response{Code: 400, Status: "error", Message: err.Error()})
}

func parseQuery(v url.Values) (opencost.Query, error) {
	q := opencost.Query{Window: v.Get("window"), Filter: v.Get("filter")}
	if q.Window == "" {
		return q, fmt.Errorf("missing required parameter: window")
	}
	if a := v.Get("aggregate"); a != "" {
		q.Aggregate = strings.Split(a, ",")
	}
	if st := v.Get("step"); st != "" {
		d, err := opencost.ParseDuration(st)
		if err != nil {
			return q, fmt.Errorf("step: %w", err)
		}
		q.Step = d
	}
	for name, dst := range map[string]*bool{"accumulate": &q.Accumulate, "includeIdle": &q.IncludeIdle, "shareIdle": &q.ShareIdle} {
		if s := v.Get(name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return q, fmt.Errorf("%s: %w", name, err)
			}
			*dst = b
		}
	}
	return q, nil
}

// Workload describes one controller's daily cost for building datasets.
type Workload struct {
	Cluster, Namespace, Kind, Name string
	Labels                         map[string]string
	Annotations                    map[string]string
	// Daily costs by category.
	CPU, RAM, GPU, PV, Network, LB, Shared, External float64
	// Efficiencies (0..1) of CPU and RAM.
	CPUEff, RAMEff float64
}

// Rows returns the workload's allocations for days consecutive UTC days
// from the day of from; scale(i) multiplies day i's costs (nil = 1).
func (w Workload) Rows(from time.Time, days int, scale func(i int) float64) []*opencost.Allocation {
	from = from.UTC().Truncate(24 * time.Hour)
	out := make([]*opencost.Allocation, 0, days)
	for i := 0; i < days; i++ {
		f := 1.0
		if scale != nil {
			f = scale(i)
		}
		ws := from.AddDate(0, 0, i)
		a := &opencost.Allocation{
			Name: w.Namespace + "/" + w.Name,
			Properties: opencost.Properties{
				Cluster: w.Cluster, Namespace: w.Namespace, ControllerKind: w.Kind, Controller: w.Name,
				Labels: w.Labels, Annotations: w.Annotations,
			},
			Window:           opencost.Window{Start: ws, End: ws.Add(24 * time.Hour)},
			Start:            ws,
			End:              ws.Add(24 * time.Hour),
			Minutes:          1440,
			CPUCost:          w.CPU * f,
			RAMCost:          w.RAM * f,
			GPUCost:          w.GPU * f,
			PVCost:           w.PV * f,
			NetworkCost:      w.Network * f,
			LoadBalancerCost: w.LB * f,
			SharedCost:       w.Shared * f,
			ExternalCost:     w.External * f,
			CPUEfficiency:    w.CPUEff,
			RAMEfficiency:    w.RAMEff,
		}
		a.TotalCost = a.CPUCost + a.RAMCost + a.GPUCost + a.PVCost + a.NetworkCost + a.LoadBalancerCost + a.SharedCost + a.ExternalCost
		if c := a.CPUCost + a.RAMCost; c > 0 {
			a.TotalEfficiency = (a.CPUCost*w.CPUEff + a.RAMCost*w.RAMEff) / c
		}
		out = append(out, a)
	}
	return out
}
