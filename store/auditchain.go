package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// chainRecord is the audit_chain row: where the keyed chain starts.
type chainRecord struct {
	present  bool
	boundary int64  // rows up to here are unkeyed
	hash     string // the boundary row's hash ("" for 0)
	keyID    string
	sealed   string // stored time
	mac      string // "" while pending
}

func (c chainRecord) isSealed() bool { return c.present && c.mac != "" }

const sqlChainRecord = `SELECT boundary_seq, boundary_hash, key_id, sealed, mac FROM audit_chain WHERE id = 1`

func readChain(ctx context.Context, q queryRower) (chainRecord, error) {
	var c chainRecord
	err := q.QueryRowContext(ctx, sqlChainRecord).Scan(&c.boundary, &c.hash, &c.keyID, &c.sealed, &c.mac)
	if errors.Is(err, sql.ErrNoRows) {
		return chainRecord{}, nil
	}
	if err != nil {
		return c, fmt.Errorf("read audit_chain: %w", err)
	}
	c.present = true
	return c, nil
}

// boundaryMAC is the MAC sealing a boundary record, under the row key.
func boundaryMAC(rowKey []byte, c chainRecord) string {
	m := hmac.New(sha256.New, rowKey)
	m.Write(labelled(boundaryLabel, strconv.FormatInt(c.boundary, 10), c.hash, c.keyID, c.sealed))
	return hex.EncodeToString(m.Sum(nil))
}

// sealChain makes the writer ready for the chain's keying state: a store
// with a chain key seals a pending audit_chain record at the current head
// (from then on rows are keyed); a store without one refuses to append to
// a keyed chain. It runs before the writer starts or on the writer
// goroutine.
func (s *Store) sealChain(ctx context.Context) error {
	c, err := readChain(ctx, s.wdb)
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	s.refuseAudit = false
	switch {
	case !c.present:
		// Deleted behind the store's back: never re-create it (that would
		// move the boundary); VerifyAudit reports it.
		s.log.Error("store: the audit_chain record is missing; run platbot audit verify")
		return nil
	case c.isSealed():
		s.refuseAudit = s.rowKey == nil
		return nil
	case s.rowKey == nil:
		return nil // a log that was never keyed, and no key: unkeyed rows
	}

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit chain: seal: %w", err)
	}
	defer tx.Rollback()
	if s.pool != nil {
		// Other processes append while this one seals: hold the audit lock.
		if _, err := tx.ExecContext(ctx, sqlLockAudit, auditLockID); err != nil {
			return fmt.Errorf("audit chain: seal: %w", err)
		}
	}
	if c, err = readChain(ctx, tx); err != nil || c.isSealed() || !c.present {
		return err // another process sealed it first
	}
	tip, _, err := s.loadHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("audit chain: seal: %w", err)
	}
	c = chainRecord{present: true, boundary: tip.seq, hash: tip.hash, keyID: s.chainKey.KeyID(), sealed: formatTime(s.now())}
	c.mac = boundaryMAC(s.rowKey, c)
	if _, err := tx.ExecContext(ctx, `UPDATE audit_chain SET boundary_seq = ?, boundary_hash = ?, key_id = ?, sealed = ?, mac = ? WHERE id = 1 AND mac = ''`,
		c.boundary, c.hash, c.keyID, c.sealed, c.mac); err != nil {
		return fmt.Errorf("audit chain: seal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit chain: seal: %w", err)
	}
	if c.boundary > 0 {
		s.log.Warn("store: audit chain keyed from now on; the older rows keep their unkeyed hashes, pinned by the sealed boundary",
			"boundary_seq", c.boundary, "key", c.keyID)
	} else {
		s.log.Info("store: audit chain keyed", "key", c.keyID)
	}
	return nil
}

// rowKeyFor returns the key seq's hash is made with: nil up to the
// boundary, the row key after it.
func (v *verifier) rowKeyFor(seq int64) []byte {
	if v.keyed && seq > v.chain.boundary {
		return v.rowKey
	}
	return nil
}

// verifier holds what VerifyAudit checks rows against.
type verifier struct {
	rowKey []byte
	keyed  bool // the chain record is sealed
	chain  chainRecord
	// anchors to compare, their indexes by seq, and the indexes of those
	// whose hash differs from their row's, in seq order.
	anchors     []Anchor
	bySeq       map[int64][]int
	anchorDiffs []int
}
