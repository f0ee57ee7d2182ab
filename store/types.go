// Package store persists platbot's state: the durable job queue, the
// tamper-evident audit log, generic feature records with compare-and-swap
// state changes, time series history, and the catalog snapshot. SQLite
// (modernc.org/sqlite, WAL, one writer) by default; every write goes through
// one group-commit writer so many concurrent requests share a transaction.
package store

import (
	"encoding/json"
	"time"
)

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is one unit of deferred work: a command to run after Slack was
// answered, a golden-path step, a grant expiry, a digest.
type Job struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	// Payload is the job's input as JSON. Never put a secret in it.
	Payload json.RawMessage `json:"payload"`
	// DedupeKey makes Enqueue idempotent: a second job with the same key is
	// not added ("" = no de-duplication).
	DedupeKey   string    `json:"dedupe_key,omitempty"`
	RunAt       time.Time `json:"run_at"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	LeaseOwner  string    `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time `json:"lease_until,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Event is one audit log entry. Details are stored as JSON; Sensitive values
// are stored only as keyed HMAC-SHA256 digests ("hmac-sha256:<hex>"), never
// raw, so equal values can be correlated without being revealed.
type Event struct {
	Seq       int64             `json:"seq"`
	Time      time.Time         `json:"time"`
	ActorID   string            `json:"actor_id"`
	ActorName string            `json:"actor_name,omitempty"`
	Action    string            `json:"action"`             // e.g. "command", "policy", "paths.step", "access.grant"
	Target    string            `json:"target,omitempty"`   // e.g. "component:default/checkout-service"
	Decision  string            `json:"decision,omitempty"` // allow / deny / "" when not a decision
	Outcome   string            `json:"outcome,omitempty"`  // ok / error / denied / rejected ...
	Details   map[string]any    `json:"details,omitempty"`
	Sensitive map[string]string `json:"-"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

// Record is a feature's persisted object (a golden-path Run, an access
// request, a grant, an alert state ...), stored as JSON with a few indexed
// columns. State changes use compare-and-swap on State or Version, so two
// concurrent clicks can never both win.
type Record struct {
	Kind    string          `json:"kind"`            // e.g. "paths.run", "access.request"
	ID      string          `json:"id"`              // unique within Kind
	State   string          `json:"state,omitempty"` // e.g. "pending", "approved"
	Owner   string          `json:"owner,omitempty"` // usually the Slack user id it belongs to
	Key     string          `json:"key,omitempty"`   // a secondary lookup key, e.g. a service ref
	Data    json.RawMessage `json:"data"`
	Version int64           `json:"version"`
	Created time.Time       `json:"created"`
	Updated time.Time       `json:"updated"`
}

// Query selects records of one kind; empty fields do not filter.
type Query struct {
	Kind   string
	States []string
	Owner  string
	Key    string
	// Since keeps records updated at or after it.
	Since time.Time
	// Limit caps the result (0 = no cap). Newest first.
	Limit int
}

// Point is one value of a time series (scorecard grades, daily spend).
type Point struct {
	Series string          `json:"series"` // e.g. "scorecard.grade"
	Key    string          `json:"key"`    // e.g. a service ref
	At     time.Time       `json:"at"`
	Value  json.RawMessage `json:"value"`
}
