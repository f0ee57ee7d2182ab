// Package vaultfake is a loopback fake of the parts of Vault's HTTP API that
// platbot uses: KV v2 data and metadata (with check-and-set and custom
// metadata), ACL policies, and Kubernetes auth roles. It records every
// request so tests can assert on what was sent, and can be told to fail.
// Use the real server (integrations/testenv) where it is available; this
// fake keeps the tests that need fault injection fast and deterministic.
package vaultfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is one recorded request (body as sent).
type Request struct {
	Method string
	Path   string
	Body   string
}

type kvEntry struct {
	versions []map[string]any
	custom   map[string]any
	created  time.Time
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	// Token is the only token accepted.
	Token string

	mu         sync.Mutex
	kv         map[string]*kvEntry // "<mount>/<path>"
	policies   map[string]string
	roles      map[string]map[string]any
	reqs       []Request
	down       bool
	gone       bool
	failNext   int
	failCode   int
	afterWrite func(mountPath string)
}

// New starts a fake accepting token "root".
func New() *Server {
	s := &Server{Token: "root", kv: map[string]*kvEntry{}, policies: map[string]string{}, roles: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetDown makes every request fail with 503 (true) or work again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// AfterDataWrite sets a function called after a data write was stored and
// before it is answered (with no lock held): a test can cancel the writer
// there to simulate a crash that lost the answer. nil removes it.
func (s *Server) AfterDataWrite(f func(mountPath string)) {
	s.mu.Lock()
	s.afterWrite = f
	s.mu.Unlock()
}

// SetUnreachable makes the server drop every connection without answering
// (true), as a crashed or firewalled Vault would, or answer again (false).
func (s *Server) SetUnreachable(gone bool) {
	s.mu.Lock()
	s.gone = gone
	s.mu.Unlock()
}

// FailNext makes the next n requests fail with the status code.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	s.failNext, s.failCode = n, code
	s.mu.Unlock()
}

// Requests returns every request received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// DataWrites counts the successful data writes to "<mount>/<path>".
func (s *Server) DataWrites(mountPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.kv[mountPath]; e != nil {
		return len(e.versions)
	}
	return 0
}

// Secret returns the latest data at "<mount>/<path>" (nil when none).
func (s *Server) Secret(mountPath string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.kv[mountPath]; e != nil && len(e.versions) > 0 {
		return e.versions[len(e.versions)-1]
	}
	return nil
}

// Policy returns a stored policy ("" when none).
func (s *Server) Policy(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policies[name]
}

// Role returns a stored auth role ("<auth mount>/<role>").
func (s *Server) Role(mountRole string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roles[mountRole]
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func errorsBody(msgs ...string) map[string]any { return map[string]any{"errors": msgs} }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	raw := ""
	if r.Body != nil {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		raw = b.String()
		if raw != "" {
			_ = json.Unmarshal([]byte(raw), &body)
		}
	}
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	var hook func()
	defer func() {
		if hook != nil {
			hook()
		}
	}()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Body: raw})
	if s.down {
		writeJSON(w, http.StatusServiceUnavailable, errorsBody("Vault is sealed"))
		return
	}
	if s.failNext > 0 {
		s.failNext--
		writeJSON(w, s.failCode, errorsBody("injected failure"))
		return
	}
	if r.Header.Get("X-Vault-Token") != s.Token {
		writeJSON(w, http.StatusForbidden, errorsBody("permission denied"))
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	write := r.Method == http.MethodPost || r.Method == http.MethodPut
	switch {
	case strings.HasPrefix(p, "sys/policies/acl/"):
		name := strings.TrimPrefix(p, "sys/policies/acl/")
		if write {
			rules, _ := body["policy"].(string)
			s.policies[name] = rules
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rules, ok := s.policies[name]
		if !ok {
			writeJSON(w, http.StatusNotFound, errorsBody())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"name": name, "policy": rules}})
	case strings.HasPrefix(p, "auth/") && strings.Contains(p, "/role/"):
		key := strings.Replace(strings.TrimPrefix(p, "auth/"), "/role/", "/", 1)
		if write {
			cur := s.roles[key]
			if cur == nil {
				cur = map[string]any{}
			}
			for k, v := range body {
				cur[k] = v
			}
			s.roles[key] = cur
			w.WriteHeader(http.StatusNoContent)
			return
		}
		role, ok := s.roles[key]
		if !ok {
			writeJSON(w, http.StatusNotFound, errorsBody())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": role})
	case strings.Contains(p, "/metadata/"):
		mount, path, _ := strings.Cut(p, "/metadata/")
		s.metadata(w, r, mount+"/"+path, write, body)
	case strings.Contains(p, "/data/"):
		mount, path, _ := strings.Cut(p, "/data/")
		wrote := s.data(w, mount+"/"+path, write, body)
		if wrote && s.afterWrite != nil {
			f, key := s.afterWrite, mount+"/"+path
			hook = func() { f(key) }
		}
	default:
		writeJSON(w, http.StatusNotFound, errorsBody("no handler for route "+p))
	}
}

func (s *Server) metadata(w http.ResponseWriter, _ *http.Request, key string, write bool, body map[string]any) {
	e := s.kv[key]
	if write {
		if e == nil {
			e = &kvEntry{created: time.Now().UTC()}
			s.kv[key] = e
		}
		if cm, ok := body["custom_metadata"].(map[string]any); ok {
			e.custom = cm
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if e == nil {
		writeJSON(w, http.StatusNotFound, errorsBody())
		return
	}
	versions := map[string]any{}
	for i := range e.versions {
		versions[itoa(i+1)] = map[string]any{
			"created_time": e.created.Format(time.RFC3339Nano), "deletion_time": "", "destroyed": false,
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"cas_required": false, "created_time": e.created.Format(time.RFC3339Nano),
		"current_version": len(e.versions), "custom_metadata": e.custom,
		"delete_version_after": "0s", "max_versions": 0, "oldest_version": min(1, len(e.versions)),
		"updated_time": e.created.Format(time.RFC3339Nano), "versions": versions,
	}})
}

// data serves KV v2 data; it reports whether a version was written.
func (s *Server) data(w http.ResponseWriter, key string, write bool, body map[string]any) bool {
	e := s.kv[key]
	if !write {
		if e == nil || len(e.versions) == 0 {
			writeJSON(w, http.StatusNotFound, errorsBody())
			return false
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"data": e.versions[len(e.versions)-1],
			"metadata": map[string]any{
				"version": len(e.versions), "created_time": e.created.Format(time.RFC3339Nano),
				"deletion_time": "", "destroyed": false, "custom_metadata": e.custom,
			},
		}})
		return false
	}
	if opts, ok := body["options"].(map[string]any); ok {
		if cas, ok := opts["cas"].(float64); ok {
			cur := 0
			if e != nil {
				cur = len(e.versions)
			}
			if int(cas) != cur {
				writeJSON(w, http.StatusBadRequest, errorsBody("check-and-set parameter did not match the current version"))
				return false
			}
		}
	}
	if e == nil {
		e = &kvEntry{created: time.Now().UTC()}
		s.kv[key] = e
	}
	data, _ := body["data"].(map[string]any)
	e.versions = append(e.versions, data)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"version": len(e.versions), "created_time": time.Now().UTC().Format(time.RFC3339Nano),
		"deletion_time": "", "destroyed": false, "custom_metadata": e.custom,
	}})
	return true
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
