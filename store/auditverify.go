package store

// Verifying the audit log: walking the chain row by row, checking each
// row's MAC and link, and the signed anchors of its head.

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

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
				detail += fmt.Sprintf(", or the log was keyed with key %s and this platbot holds %s (check audit.chainKeyFile / audit.vaultTransitKey)", chain.keyID, s.chainKey.KeyID())
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
