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

// Problem names what VerifyAudit found wrong with a row.
type Problem string

// Problems VerifyAudit reports.
const (
	// ProblemEdited: the row's content does not match its hash (or, for
	// a keyed row, the hash was not made with the chain key), or its hash
	// differs from the one a genuine anchor or the chain's boundary
	// record holds.
	ProblemEdited Problem = "edited"
	// ProblemDeleted: rows are missing (a seq gap, a broken link, or the
	// log ends before the head row or a genuine anchor says it does).
	ProblemDeleted Problem = "deleted"
	// ProblemInserted: rows not written by the store were added.
	ProblemInserted Problem = "inserted"
	// ProblemReordered: rows were moved (the link points forward, or time
	// goes backwards).
	ProblemReordered Problem = "reordered"
	// ProblemBoundary: the chain's boundary record (where keyed rows
	// start) is missing, was edited, or disagrees with the anchors.
	ProblemBoundary Problem = "boundary"
	// ProblemAnchor: an anchor that disagrees with the log was not signed
	// by the chain key: the anchors were tampered with.
	ProblemAnchor Problem = "anchor"
)

// VerifyReport is the result of VerifyAudit.
type VerifyReport struct {
	// OK is true when the whole chain checks out.
	OK bool `json:"ok"`
	// Rows is how many rows were checked.
	Rows int64 `json:"rows"`
	// LastSeq and LastHash are the newest row's (the chain head).
	LastSeq  int64  `json:"last_seq"`
	LastHash string `json:"last_hash,omitempty"`
	// Keyed is true when the chain is keyed; rows after Boundary are then
	// HMACs under the key KeyID, rows up to Boundary unkeyed SHA-256
	// (written before the log was keyed) pinned by the sealed boundary.
	Keyed    bool   `json:"keyed"`
	Boundary int64  `json:"boundary"`
	KeyID    string `json:"key_id,omitempty"`
	// Anchors is how many anchors were compared with the rows; Anchor is
	// the newest (highest seq) of them, checked to be genuine.
	Anchors int     `json:"anchors"`
	Anchor  *Anchor `json:"anchor,omitempty"`
	// BadSeq is the first bad row's seq (for a deletion, the first missing
	// seq); 0 when OK or when only the head row is wrong.
	BadSeq  int64   `json:"bad_seq,omitempty"`
	Problem Problem `json:"problem,omitempty"`
	// Detail says what is wrong, in words.
	Detail string `json:"detail,omitempty"`
}

// String summarises the report in one line.
func (r VerifyReport) String() string {
	if r.OK {
		return fmt.Sprintf("audit log OK: %d rows, head seq %d", r.Rows, r.LastSeq)
	}
	if r.BadSeq == 0 {
		return fmt.Sprintf("audit log BROKEN (%s): %s", r.Problem, r.Detail)
	}
	return fmt.Sprintf("audit log BROKEN at seq %d (%s): %s", r.BadSeq, r.Problem, r.Detail)
}

func (r *VerifyReport) fail(seq int64, p Problem, detail string) {
	r.OK, r.BadSeq, r.Problem, r.Detail = false, seq, p, detail
}

// VerifyAudit walks the whole audit chain in seq order and reports the first
// row that is wrong: edited (hash mismatch), deleted (seq gap, or the log
// ends before audit_head), inserted or reordered (prev_hash links to the
// wrong row, time going backwards, rows beyond audit_head). Rows after the
// chain's boundary must carry HMACs under the chain key, so a consistent
// rewrite by someone without the key fails. Each anchor (read from outside
// the database) must agree with the rows: an anchored seq whose hash
// differs, or rows missing up to an anchored seq, fail naming the seq,
// once the anchor is checked to be genuine (an anchor the chain key did not
// sign is reported as ProblemAnchor). A tampered log is reported in the
// VerifyReport, not as an error; the error is for failures to read, and
// for a keyed log verified without its key (ErrNoChainKey).
func (s *Store) VerifyAudit(ctx context.Context, anchors ...Anchor) (VerifyReport, error) {
	var rep VerifyReport
	tx, err := s.rdb.BeginTx(ctx, s.readTxOptions())
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	defer tx.Rollback()

	// Reading audit_head first starts the snapshot the walk also sees.
	head, err := scanHeadRow(tx.QueryRowContext(ctx, sqlAuditHeadRow))
	if err != nil {
		return rep, fmt.Errorf("verify audit: head: %w", err)
	}
	hasHead := head != chainHead{}
	chain, err := readChain(ctx, tx)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	v := &verifier{rowKey: s.rowKey, keyed: chain.isSealed(), chain: chain, anchors: anchors, bySeq: map[int64][]int{}}
	rep.Keyed, rep.Boundary, rep.KeyID = v.keyed, chain.boundary, chain.keyID
	if !chain.present {
		rep.fail(0, ProblemBoundary, "the audit_chain record (where the keyed chain starts) is missing: it was deleted behind the store's back")
		return rep, nil
	}
	if v.keyed {
		if s.chainKey == nil {
			return rep, fmt.Errorf("verify audit: %w", ErrNoChainKey)
		}
		if !hmac.Equal([]byte(boundaryMAC(s.rowKey, chain)), []byte(chain.mac)) {
			detail := "the audit_chain record (boundary at seq %d) was not sealed with this chain key: it was edited"
			if chain.keyID != s.chainKey.KeyID() {
				detail += fmt.Sprintf(", or the log was keyed with key %s and this platbot holds %s (check audit.chain_key_file / audit.vault_transit_key)", chain.keyID, s.chainKey.KeyID())
			}
			rep.fail(0, ProblemBoundary, fmt.Sprintf(detail, chain.boundary))
			return rep, nil
		}
	}
	if len(anchors) > 0 && s.chainKey == nil {
		return rep, fmt.Errorf("verify audit: checking anchors: %w", ErrNoChainKey)
	}
	for i, a := range anchors {
		v.bySeq[a.Seq] = append(v.bySeq[a.Seq], i)
	}

	bad, err := walkChain(ctx, tx, &rep, v)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	// A genuine anchor whose hash differs from its row comes first: the
	// rows before it were walked without fault.
	for _, i := range v.anchorDiffs {
		a := anchors[i]
		ok, err := s.anchorGenuine(ctx, a)
		if err != nil {
			return rep, fmt.Errorf("verify audit: %w", err)
		}
		if ok {
			rep.fail(a.Seq, ProblemEdited, fmt.Sprintf("seq %d's hash differs from the one anchored at %s (%s): the row was rewritten", a.Seq, a.Time.Format(time.RFC3339), a.Source))
			return rep, nil
		}
	}
	if bad != nil {
		rep.BadSeq, rep.Problem, rep.Detail = bad.seq, bad.problem, bad.detail
		if bad.linkedTo != "" {
			if err := explainLink(ctx, tx, &rep, bad.linkedTo); err != nil {
				return rep, fmt.Errorf("verify audit: %w", err)
			}
		}
		return rep, nil
	}

	switch {
	case !hasHead && rep.Rows > 0:
		rep.Problem, rep.Detail = ProblemDeleted, "the audit_head row is missing"
		return rep, nil
	case hasHead && head.seq > rep.LastSeq:
		rep.BadSeq, rep.Problem = rep.LastSeq+1, ProblemDeleted
		rep.Detail = fmt.Sprintf("the log ends at seq %d but audit_head records seq %d: the newest rows were deleted", rep.LastSeq, head.seq)
		return rep, nil
	case hasHead && head.seq < rep.LastSeq:
		rep.BadSeq, rep.Problem = head.seq+1, ProblemInserted
		rep.Detail = fmt.Sprintf("%s after the head recorded in audit_head (seq %d): not written by the store", seqRange(head.seq+1, rep.LastSeq), head.seq)
		return rep, nil
	case hasHead && head.hash != rep.LastHash:
		rep.BadSeq, rep.Problem = rep.LastSeq, ProblemEdited
		rep.Detail = fmt.Sprintf("seq %d's hash differs from the one audit_head records: the newest row was replaced", rep.LastSeq)
		return rep, nil
	case v.keyed && chain.boundary > rep.LastSeq:
		rep.BadSeq, rep.Problem = rep.LastSeq+1, ProblemDeleted
		rep.Detail = fmt.Sprintf("the log ends at seq %d but the chain's boundary was sealed at seq %d: rows were deleted", rep.LastSeq, chain.boundary)
		return rep, nil
	}
	if err := s.checkAnchors(ctx, &rep, v, anchors); err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	if rep.Problem == "" {
		rep.OK = true
	}
	return rep, nil
}

// checkAnchors checks what the walk could not: anchors beyond the log's
// end (truncation), anchors made with another boundary (the boundary was
// moved), forged anchors, and that the newest anchor is genuine.
func (s *Store) checkAnchors(ctx context.Context, rep *VerifyReport, v *verifier, anchors []Anchor) error {
	newest := -1
	for i, a := range anchors {
		if newest < 0 || a.Seq > anchors[newest].Seq {
			newest = i
		}
	}
	if newest < 0 {
		return nil
	}
	// Check every anchor that claims something the log contradicts; the
	// first genuine one decides.
	var forged []Anchor
	check := func(a Anchor, problem func()) (bool, error) {
		ok, err := s.anchorGenuine(ctx, a)
		if err != nil {
			return false, err
		}
		if !ok {
			forged = append(forged, a)
			return false, nil
		}
		problem()
		return true, nil
	}
	for i := range anchors {
		a := anchors[i]
		switch {
		case a.Seq > rep.LastSeq:
			done, err := check(a, func() {
				rep.fail(rep.LastSeq+1, ProblemDeleted, fmt.Sprintf("%s missing: the log ends at seq %d but seq %d was anchored at %s (%s)",
					seqRange(rep.LastSeq+1, a.Seq), rep.LastSeq, a.Seq, a.Time.Format(time.RFC3339), a.Source))
			})
			if done || err != nil {
				return err
			}
		case a.Boundary != v.chain.boundary:
			done, err := check(a, func() {
				rep.fail(0, ProblemBoundary, fmt.Sprintf("the chain's boundary is seq %d but the anchor of %s (%s) recorded seq %d: the audit_chain record was replaced",
					v.chain.boundary, a.Time.Format(time.RFC3339), a.Source, a.Boundary))
			})
			if done || err != nil {
				return err
			}
		}
	}
	for _, i := range v.anchorDiffs {
		forged = append(forged, anchors[i])
	}
	if len(forged) > 0 {
		a := forged[0]
		rep.fail(0, ProblemAnchor, fmt.Sprintf("the anchor at %s (seq %d) was not signed by this chain key (%s): the anchors were tampered with", a.Source, a.Seq, s.chainKey.KeyID()))
		return nil
	}
	a := anchors[newest]
	ok, err := s.anchorGenuine(ctx, a)
	if err != nil {
		return err
	}
	if !ok {
		rep.fail(0, ProblemAnchor, fmt.Sprintf("the newest anchor, at %s (seq %d), was not signed by this chain key (%s): the anchors were tampered with", a.Source, a.Seq, s.chainKey.KeyID()))
		return nil
	}
	rep.Anchors = len(anchors)
	rep.Anchor = &a
	return nil
}

// badRow is the first bad row found by walkChain.
type badRow struct {
	seq      int64
	problem  Problem
	detail   string
	linkedTo string // prev_hash that links to no expected row, to explain
}

// scanRow reads one audit row; badTime is set when its stored time does
// not parse (an edited row), err when the row cannot be read.
func scanRow(rows *sql.Rows) (r auditRow, badTime, err error) {
	var t string
	if err := rows.Scan(&r.seq, &t, &r.actorID, &r.actorName, &r.action, &r.target,
		&r.decision, &r.outcome, &r.details, &r.prevHash, &r.hash); err != nil {
		return r, nil, err
	}
	r.time, badTime = parseTime(t)
	return r, badTime, nil
}

// walkChain checks rows in seq order, filling rep's counters and noting
// anchors whose hash differs from their row's in v, and returns the first
// bad row (nil when all are good).
func walkChain(ctx context.Context, tx *sql.Tx, rep *VerifyReport, v *verifier) (*badRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var prev chainHead
	for rows.Next() {
		r, terr, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		switch {
		case r.seq != prev.seq+1:
			if r.seq <= prev.seq {
				return &badRow{seq: r.seq, problem: ProblemReordered,
					detail: fmt.Sprintf("seq %d follows seq %d", r.seq, prev.seq)}, nil
			}
			detail := fmt.Sprintf("%s missing: seq %d follows seq %d", seqRange(prev.seq+1, r.seq-1), r.seq, prev.seq)
			if prev.seq == 0 {
				detail = fmt.Sprintf("%s missing: the log starts at seq %d", seqRange(1, r.seq-1), r.seq)
			}
			return &badRow{seq: prev.seq + 1, problem: ProblemDeleted, detail: detail}, nil
		case r.prevHash != prev.hash:
			return &badRow{seq: r.seq, linkedTo: r.prevHash, problem: ProblemDeleted,
				detail: fmt.Sprintf("seq %d's prev_hash does not match seq %d's hash", r.seq, prev.seq)}, nil
		case terr != nil:
			return &badRow{seq: r.seq, problem: ProblemEdited, detail: fmt.Sprintf("seq %d: %v", r.seq, terr)}, nil
		case r.sum(v.rowKeyFor(r.seq)) != r.hash:
			detail := fmt.Sprintf("seq %d's content does not match its hash: the row was edited", r.seq)
			if v.rowKeyFor(r.seq) != nil {
				detail = fmt.Sprintf("seq %d's hash is not the chain key's HMAC of its content: the row was edited or its chain recomputed without the key", r.seq)
			}
			return &badRow{seq: r.seq, problem: ProblemEdited, detail: detail}, nil
		case r.time.Before(prev.time):
			return &badRow{seq: r.seq, problem: ProblemReordered,
				detail: fmt.Sprintf("seq %d's time %s is before seq %d's %s", r.seq, r.time.Format(time.RFC3339Nano), prev.seq, prev.time.Format(time.RFC3339Nano))}, nil
		case v.keyed && r.seq == v.chain.boundary && r.hash != v.chain.hash:
			return &badRow{seq: r.seq, problem: ProblemEdited,
				detail: fmt.Sprintf("seq %d's hash differs from the one sealed when the chain was keyed: it or an earlier row was rewritten", r.seq)}, nil
		}
		for _, i := range v.bySeq[r.seq] {
			if v.anchors[i].Hash != r.hash {
				v.anchorDiffs = append(v.anchorDiffs, i)
			}
		}
		prev = chainHead{seq: r.seq, hash: r.hash, time: r.time}
		rep.Rows++
		rep.LastSeq, rep.LastHash = r.seq, r.hash
	}
	return nil, rows.Err()
}

// seqRange names rows from..to: "row 3 is" or "rows 3..5 are".
func seqRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("row %d is", from)
	}
	return fmt.Sprintf("rows %d..%d are", from, to)
}

// explainLink refines a broken prev_hash link by finding the row it links
// to: an earlier row means rows were inserted before this one, a later row
// means rows were re-ordered, no row means the previous row was deleted or
// rewritten.
func explainLink(ctx context.Context, tx *sql.Tx, rep *VerifyReport, prevHash string) error {
	var to int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM audit WHERE hash = ? ORDER BY seq LIMIT 1`, prevHash).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		rep.Detail += ": the row it links to is gone (deleted, or rewritten with a new hash)"
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case to < rep.BadSeq-1:
		first := to + 1
		rep.Detail = fmt.Sprintf("seq %d links back to seq %d: %s inserted", rep.BadSeq, to, seqRange(first, rep.BadSeq-1))
		rep.BadSeq, rep.Problem = first, ProblemInserted
	default:
		rep.Problem = ProblemReordered
		rep.Detail = fmt.Sprintf("seq %d links to seq %d, not seq %d: rows were re-ordered", rep.BadSeq, to, rep.BadSeq-1)
	}
	return nil
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
