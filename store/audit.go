package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
)

const (
	sqlInsertAudit = `INSERT INTO audit (seq, time, actor_id, actor_name, action, target, decision, outcome, details, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpsertAuditHead = `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`
	sqlAuditHeadRow = `SELECT seq, hash FROM audit_head WHERE id = 1`
	auditColumns    = "seq, time, actor_id, actor_name, action, target, decision, outcome, details, prev_hash, hash"
)

// sensitivePrefix marks a details value that is a keyed digest.
const sensitivePrefix = "hmac-sha256:"

// chainHead is the newest audit entry as the writer knows it.
type chainHead struct {
	seq  int64
	hash string
	time time.Time
}

// auditRow is an audit entry as stored.
type auditRow struct {
	seq       int64
	time      time.Time
	actorID   string
	actorName string
	action    string
	target    string
	decision  string
	outcome   string
	details   string // JSON object, keys sorted
	prevHash  string
	hash      string
}

// sum returns the row's hash over a canonical encoding of its fields: the
// line "platbot-audit-v1" (unkeyed) or "platbot-audit-v2" (keyed) followed
// by each field as "<byte length>:<bytes>\n", in the order seq (decimal),
// time (RFC 3339 with nanoseconds, UTC), actor_id, actor_name, action,
// target, decision, outcome, details (JSON text as stored, keys sorted),
// prev_hash. With a nil key it is hex SHA-256 (rows up to the chain's
// boundary, see audit_chain); with the row key, hex HMAC-SHA256.
func (r *auditRow) sum(key []byte) string {
	var h hash.Hash
	if key == nil {
		h = sha256.New()
		io.WriteString(h, "platbot-audit-v1\n")
	} else {
		h = hmac.New(sha256.New, key)
		io.WriteString(h, "platbot-audit-v2\n")
	}
	for _, f := range [...]string{
		strconv.FormatInt(r.seq, 10),
		r.time.UTC().Format(time.RFC3339Nano),
		r.actorID, r.actorName, r.action, r.target, r.decision, r.outcome,
		r.details, r.prevHash,
	} {
		writeField(h, f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, f string) {
	var n [20]byte
	h.Write(strconv.AppendInt(n[:0], int64(len(f)), 10))
	h.Write([]byte{':'})
	io.WriteString(h, f)
	h.Write([]byte{'\n'})
}

// Audit appends e to the audit log (group-committed). Seq, PrevHash and
// Hash are assigned by the store. A zero Time is now; a Time before the
// previous entry's is raised to it, so the log is in time order. Sensitive
// values are stored as "hmac-sha256:<hex>" under their key in Details.
func (s *Store) Audit(ctx context.Context, e Event) error {
	row, err := s.auditRow(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := s.write(ctx, func(w *wtx) error { return w.appendAudit(row) }); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// HashSensitive returns the form a sensitive value takes in the audit log
// ("hmac-sha256:<hex>"), to search the log for a known value.
func (s *Store) HashSensitive(value string) (string, error) {
	if len(s.auditKey) == 0 {
		return "", ErrNoAuditKey
	}
	m := hmac.New(sha256.New, s.auditKey)
	io.WriteString(m, value)
	return sensitivePrefix + hex.EncodeToString(m.Sum(nil)), nil
}

// auditRow validates e and renders its details (with sensitive values
// replaced by their HMACs). It runs on the caller's goroutine so the writer
// only chains and inserts.
func (s *Store) auditRow(e Event) (*auditRow, error) {
	if e.Action == "" {
		return nil, errors.New("event without action")
	}
	details := e.Details
	if len(e.Sensitive) > 0 {
		details = make(map[string]any, len(e.Details)+len(e.Sensitive))
		for k, v := range e.Details {
			details[k] = v
		}
		for k, v := range e.Sensitive {
			if _, dup := e.Details[k]; dup {
				return nil, fmt.Errorf("details field %q is also sensitive", k)
			}
			d, err := s.HashSensitive(v)
			if err != nil {
				return nil, fmt.Errorf("sensitive field %q: %w", k, err)
			}
			details[k] = d
		}
	}
	text := "{}"
	if len(details) > 0 {
		b, err := json.Marshal(details) // map keys are sorted
		if err != nil {
			return nil, fmt.Errorf("details: %w", err)
		}
		text = string(b)
	}
	t := e.Time
	if t.IsZero() {
		t = s.now()
	}
	return &auditRow{
		time:      t.UTC().Round(0),
		actorID:   e.ActorID,
		actorName: e.ActorName,
		action:    e.Action,
		target:    e.Target,
		decision:  e.Decision,
		outcome:   e.Outcome,
		details:   text,
	}, nil
}

// appendAudit chains r onto the head and inserts it.
func (w *wtx) appendAudit(r *auditRow) error {
	if err := w.lockAudit(); err != nil {
		return err
	}
	row := *r // a batch may run twice; never change the caller's copy
	row.seq = w.head.seq + 1
	if row.time.Before(w.head.time) {
		row.time = w.head.time
	}
	row.prevHash = w.head.hash
	if w.s.refuseAudit {
		return ErrNoChainKey
	}
	row.hash = row.sum(w.s.rowKey)
	if _, err := w.exec(sqlInsertAudit, row.seq, formatTime(row.time), row.actorID, row.actorName,
		row.action, row.target, row.decision, row.outcome, row.details, row.prevHash, row.hash); err != nil {
		return fmt.Errorf("insert audit: %w", err)
	}
	w.head = chainHead{seq: row.seq, hash: row.hash, time: row.time}
	w.headDirty = true
	return nil
}

// queryRower is *sql.DB or *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readHeadRow reads the audit_head row (zero when there is none).
func readHeadRow(ctx context.Context, q queryRower) (chainHead, error) {
	var h chainHead
	err := q.QueryRowContext(ctx, sqlAuditHeadRow).Scan(&h.seq, &h.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chainHead{}, nil
	}
	return h, err
}

// loadHead reads the chain tip to append to and the audit_head row. The
// audit_head row wins when it is ahead of the log (rows were deleted: new
// rows then leave the gap visible to VerifyAudit); the log wins when it is
// ahead of audit_head.
func (s *Store) loadHead(ctx context.Context, q queryRower) (tip, row chainHead, err error) {
	var t string
	err = q.QueryRowContext(ctx, `SELECT seq, hash, time FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&tip.seq, &tip.hash, &t)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return tip, row, fmt.Errorf("load audit head: %w", err)
	}
	if tip.time, err = parseTime(t); err != nil {
		return tip, row, fmt.Errorf("load audit head: %w", err)
	}
	if row, err = readHeadRow(ctx, q); err != nil {
		return tip, row, fmt.Errorf("load audit head: %w", err)
	}
	if row.seq != tip.seq || row.hash != tip.hash {
		s.log.Error("store: audit log and audit_head disagree; run audit verify",
			"log_seq", tip.seq, "head_seq", row.seq)
		if row.seq > tip.seq {
			return chainHead{seq: row.seq, hash: row.hash, time: tip.time}, row, nil
		}
	}
	return tip, row, nil
}

// syncHead makes the batch chain onto the newest audit row even when
// another process (a "platbot digest" run beside "platbot serve") appended
// since this writer last looked: it compares the audit_head row with the
// one this writer last saw. It runs inside the batch transaction, which
// holds the database's write lock, so what it reads stays current.
func (w *wtx) syncHead() error {
	row, err := scanHeadRow(w.queryRow(sqlAuditHeadRow))
	if err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	if row == w.headRow {
		return nil
	}
	w.s.log.Info("store: audit log changed outside this writer; re-reading its head",
		"known_seq", w.headRow.seq, "head_seq", row.seq)
	tip, row, err := w.s.loadHead(w.ctx, w.tx)
	if err != nil {
		return err
	}
	w.head, w.headRow = tip, row
	return nil
}

func scanHeadRow(r *sql.Row) (chainHead, error) {
	var h chainHead
	err := r.Scan(&h.seq, &h.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chainHead{}, nil
	}
	return h, err
}

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since, Until time.Time
	// Actor is an actor id.
	Actor string
	// Action is an action name, or a prefix ending in "*" ("access.*").
	Action string
}

// where renders f as a WHERE clause and its arguments.
func (f AuditFilter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds, args = append(conds, "time >= ?"), append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "time < ?"), append(args, formatTime(f.Until))
	}
	if f.Actor != "" {
		conds, args = append(conds, "actor_id = ?"), append(args, f.Actor)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "*"); ok {
		conds, args = append(conds, "substr(action, 1, ?) = ?"), append(args, len(prefix), prefix)
	} else if f.Action != "" {
		conds, args = append(conds, "action = ?"), append(args, f.Action)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// scanEvent reads one audit row into an Event.
func scanEvent(rows *sql.Rows) (Event, error) {
	var e Event
	var t, details string
	if err := rows.Scan(&e.Seq, &t, &e.ActorID, &e.ActorName, &e.Action, &e.Target,
		&e.Decision, &e.Outcome, &details, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	var err error
	if e.Time, err = parseTime(t); err != nil {
		return e, fmt.Errorf("seq %d: %w", e.Seq, err)
	}
	if details != "" && details != "{}" {
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return e, fmt.Errorf("seq %d details: %w", e.Seq, err)
		}
	}
	return e, nil
}

// AuditEvents returns events matching f, newest first, at most limit
// (0 = all).
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter, limit int) ([]Event, error) {
	where, args := f.where()
	q := `SELECT ` + auditColumns + ` FROM audit` + where + ` ORDER BY seq DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("audit events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	return out, nil
}

// ExportAudit writes the events matching f to w as JSON lines, oldest first,
// and returns how many it wrote. Sensitive values appear only as their
// HMACs.
func (s *Store) ExportAudit(ctx context.Context, w io.Writer, f AuditFilter) (int, error) {
	where, args := f.where()
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit`+where+` ORDER BY seq`, args...)
	if err != nil {
		return 0, fmt.Errorf("export audit: %w", err)
	}
	defer rows.Close()
	enc := json.NewEncoder(w)
	n := 0
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return n, fmt.Errorf("export audit: %w", err)
		}
		if err := enc.Encode(e); err != nil {
			return n, fmt.Errorf("export audit: write: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export audit: %w", err)
	}
	return n, nil
}
