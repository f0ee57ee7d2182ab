package store

import (
	"context"
	"fmt"
	"strings"
)

// copyTables are the tables CopyTo copies, with their columns, in an order
// that satisfies every reference between them.
var copyTables = []struct{ name, columns string }{
	{"jobs", jobColumns},
	{"audit", auditColumns},
	{"audit_head", "id, seq, hash"},
	{"records", recordColumns},
	{"points", "series, key, at, value"},
}

// CopyReport says what CopyTo copied.
type CopyReport struct {
	// Rows counts the rows copied per table.
	Rows map[string]int64 `json:"rows"`
	// Before is the source's audit verification, After the target's.
	Before, After VerifyReport
}

// CopyTo copies everything in s (jobs, the audit log with its chain and
// keying record, records and points) into dst, which must be empty (just
// migrated), in one transaction on dst: it is all copied or nothing is.
// Rows keep their ids, times and hashes, so the audit chain, its anchors
// and the chain key stay valid. The source's audit log must verify before
// the copy and the target's must verify after it, with the same head; both
// stores must be opened with the same chain key. For moving a SQLite
// installation to PostgreSQL ("platbot migrate --from ... --to ...");
// nothing may write to s meanwhile.
func (s *Store) CopyTo(ctx context.Context, dst *Store) (CopyReport, error) {
	rep := CopyReport{Rows: map[string]int64{}}
	var err error
	if rep.Before, err = s.VerifyAudit(ctx); err != nil {
		return rep, fmt.Errorf("copy: verify source audit log: %w", err)
	}
	if !rep.Before.OK {
		return rep, fmt.Errorf("copy: the source audit log does not verify, so it is not copied: %s", rep.Before)
	}
	chain, err := readChain(ctx, s.rdb)
	if err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	if chain.isSealed() && (dst.rowKey == nil || boundaryMAC(dst.rowKey, chain) != chain.mac) {
		return rep, fmt.Errorf("copy: the source audit log is keyed with chain key %s and the target store is not opened with that key: %w", chain.keyID, ErrNoChainKey)
	}
	err = dst.write(ctx, func(w *wtx) error {
		clear(rep.Rows)
		for _, t := range copyTables {
			var n int64
			if err := w.queryRow(`SELECT COUNT(*) FROM ` + t.name).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", t.name, err)
			}
			if n > 0 {
				return fmt.Errorf("the target already holds %d %s rows: copy only into a new, empty database", n, t.name)
			}
		}
		for _, t := range copyTables {
			n, err := s.copyTable(ctx, w, t.name, t.columns)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
			rep.Rows[t.name] = n
		}
		if _, err := w.exec(`UPDATE audit_chain SET boundary_seq = ?, boundary_hash = ?, key_id = ?, sealed = ?, mac = ? WHERE id = 1`,
			chain.boundary, chain.hash, chain.keyID, chain.sealed, chain.mac); err != nil {
			return fmt.Errorf("copy audit_chain: %w", err)
		}
		if dst.pool != nil {
			// New jobs continue after the copied ids.
			if _, err := w.exec(`SELECT setval(pg_get_serial_sequence('jobs', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM jobs`); err != nil {
				return fmt.Errorf("copy jobs: id sequence: %w", err)
			}
		}
		return nil
	})
	// The writer reloads the chain head and keying record before its next
	// batch.
	dst.stale.Store(true)
	if err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	if rep.After, err = dst.VerifyAudit(ctx); err != nil {
		return rep, fmt.Errorf("copy: verify target audit log: %w", err)
	}
	if !rep.After.OK || rep.After.Rows != rep.Before.Rows || rep.After.LastHash != rep.Before.LastHash {
		return rep, fmt.Errorf("copy: the copied audit log does not match the source (source: %s; target: %s)", rep.Before, rep.After)
	}
	return rep, nil
}

// copyTable inserts every row of table from s into w's transaction.
func (s *Store) copyTable(ctx context.Context, w *wtx, table, columns string) (int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+columns+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := len(strings.Split(columns, ","))
	insert := `INSERT INTO ` + table + ` (` + columns + `) VALUES (` + placeholders(n) + `)`
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var copied int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return copied, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // TEXT as text, not bytea
			}
		}
		if _, err := w.exec(insert, vals...); err != nil {
			return copied, err
		}
		copied++
	}
	if err := rows.Err(); err != nil {
		return copied, err
	}
	return copied, nil
}
