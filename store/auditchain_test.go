package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
)

// rewriteChain does what someone who can write the database file does to
// hide an edit: recompute every row's prev_hash and hash from seq from on
// (with key; nil is unkeyed SHA-256, the chain as it was before keying)
// and point audit_head at the new tip. The triggers must be dropped first.
func rewriteChain(t *testing.T, s *Store, from int64, key []byte) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq >= ? ORDER BY seq`, from-1)
	if err != nil {
		t.Fatal(err)
	}
	var all []auditRow
	for rows.Next() {
		r, _, err := scanRow(rows)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	prev := ""
	for _, r := range all {
		if r.seq < from {
			prev = r.hash
			continue
		}
		r.prevHash = prev
		r.hash = r.sum(key)
		exec(t, s, `UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, r.prevHash, r.hash, r.seq)
		exec(t, s, `UPDATE audit_head SET seq = ?, hash = ?`, r.seq, r.hash)
		prev = r.hash
	}
}

// anchorTo anchors s's head into a fresh anchor file and returns its path.
func anchorTo(t *testing.T, s *Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "anchors.jsonl")
	if _, err := NewAnchorer(s, AnchorFile{Path: path}).Anchor(context.Background()); err != nil {
		t.Fatal(err)
	}
	return path
}

func readAnchors(t *testing.T, path string) []Anchor {
	t.Helper()
	a, err := ReadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func verify(t *testing.T, s *Store, anchors ...Anchor) VerifyReport {
	t.Helper()
	rep, err := s.VerifyAudit(context.Background(), anchors...)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	return rep
}

func wantBroken(t *testing.T, rep VerifyReport, p Problem, seq int64, detail string) {
	t.Helper()
	if rep.OK || rep.Problem != p || rep.BadSeq != seq || !strings.Contains(rep.Detail, detail) {
		t.Errorf("report = %+v; want %s at seq %d, detail containing %q", rep, p, seq, detail)
	}
}

func TestConsistentRewriteWithoutTheKeyIsCaught(t *testing.T) {
	forEachEngine(t, testConsistentRewriteWithoutTheKeyIsCaught)
}

func testConsistentRewriteWithoutTheKeyIsCaught(t *testing.T, e engine) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"unkeyed SHA-256", nil},
		{"a guessed key", []byte("not-the-chain-key-0123456789abcd")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := e.open(t)
			auditN(t, s, c, 5)
			if rep := verify(t, s); !rep.OK || !rep.Keyed || rep.Boundary != 0 || rep.KeyID != testChainKey.KeyID() {
				t.Fatalf("before: %+v", rep)
			}
			dropAuditTriggers(t, s)
			exec(t, s, `UPDATE audit SET outcome = 'denied', actor_id = 'U0MALLORY' WHERE seq = 3`)
			rewriteChain(t, s, 3, tc.key)
			wantBroken(t, verify(t, s), ProblemEdited, 3, "not the chain key's HMAC")
		})
	}
}

func TestAttackerWithoutTheKeyCannotMoveTheBoundary(t *testing.T) {
	forEachEngine(t, testAttackerWithoutTheKeyCannotMoveTheBoundary)
}

func testAttackerWithoutTheKeyCannotMoveTheBoundary(t *testing.T, e engine) {
	ctx := context.Background()

	// Moving the boundary up, so edited rows below it count as unkeyed.
	s, c, _ := e.open(t)
	auditN(t, s, c, 5)
	dropAuditTriggers(t, s)
	exec(t, s, `UPDATE audit SET outcome = 'denied' WHERE seq = 3`)
	rewriteChain(t, s, 3, nil)
	var h5 string
	if err := s.rdb.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = 5`).Scan(&h5); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE audit_chain SET boundary_seq = 5, boundary_hash = ?`, h5)
	wantBroken(t, verify(t, s), ProblemBoundary, 0, "was not sealed with this chain key")

	// Deleting the record.
	s2, c2, path := e.open(t)
	auditN(t, s2, c2, 2)
	exec(t, s2, `DELETE FROM audit_chain`)
	wantBroken(t, verify(t, s2), ProblemBoundary, 0, "audit_chain record")
	// A restart does not re-create it (that would move the boundary).
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := Open(ctx, path, WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	wantBroken(t, verify(t, s3), ProblemBoundary, 0, "audit_chain record")
}

func TestResealAfterRewriteIsCaughtByAnchors(t *testing.T) {
	forEachEngine(t, testResealAfterRewriteIsCaughtByAnchors)
}

func testResealAfterRewriteIsCaughtByAnchors(t *testing.T, e engine) {
	// The attacker rewrites the whole log unkeyed and resets the boundary
	// record to pending, so the next start seals it at the forged head.
	ctx := context.Background()
	s, c, path := e.open(t)
	auditN(t, s, c, 4)
	anchors := anchorTo(t, s)
	dropAuditTriggers(t, s)
	exec(t, s, `UPDATE audit SET actor_id = 'U0MALLORY' WHERE seq = 2`)
	rewriteChain(t, s, 1, nil)
	exec(t, s, `UPDATE audit_chain SET boundary_seq = 0, boundary_hash = '', key_id = '', sealed = '', mac = ''`)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if rep := verify(t, s2); !rep.OK || rep.Boundary != 4 {
		t.Fatalf("without anchors the re-sealed log looks fine (%+v): this is what the anchors are for", rep)
	}
	wantBroken(t, verify(t, s2, readAnchors(t, anchors)...), ProblemEdited, 4, "anchored at")
}

func TestAnchorsCatchTruncationAndKeyHolders(t *testing.T) {
	forEachEngine(t, testAnchorsCatchTruncationAndKeyHolders)
}

func testAnchorsCatchTruncationAndKeyHolders(t *testing.T, e engine) {
	t.Run("truncation below an anchor", func(t *testing.T) {
		ctx := context.Background()
		s, c, _ := e.open(t)
		auditN(t, s, c, 5)
		anchors := readAnchors(t, anchorTo(t, s))
		if len(anchors) != 1 || anchors[0].Seq != 5 || anchors[0].KeyID != testChainKey.KeyID() {
			t.Fatalf("anchors = %+v", anchors)
		}
		dropAuditTriggers(t, s)
		exec(t, s, `DELETE FROM audit WHERE seq > 3`)
		var h3 string
		if err := s.rdb.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = 3`).Scan(&h3); err != nil {
			t.Fatal(err)
		}
		exec(t, s, `UPDATE audit_head SET seq = 3, hash = ?`, h3)
		if rep := verify(t, s); !rep.OK {
			t.Fatalf("the chain alone cannot see a truncated tail with a consistent head: %+v", rep)
		}
		wantBroken(t, verify(t, s, anchors...), ProblemDeleted, 4, "seq 5 was anchored at")
	})
	t.Run("rewrite by someone holding the row key", func(t *testing.T) {
		s, c, _ := e.open(t)
		auditN(t, s, c, 5)
		anchors := readAnchors(t, anchorTo(t, s))
		dropAuditTriggers(t, s)
		exec(t, s, `UPDATE audit SET outcome = 'denied' WHERE seq = 2`)
		rewriteChain(t, s, 2, s.rowKey)
		if rep := verify(t, s); !rep.OK {
			t.Fatalf("with the row key the chain is consistent: %+v", rep)
		}
		wantBroken(t, verify(t, s, anchors...), ProblemEdited, 5, "differs from the one anchored")
	})
	t.Run("forged anchors", func(t *testing.T) {
		s, c, _ := e.open(t)
		auditN(t, s, c, 3)
		anchors := readAnchors(t, anchorTo(t, s))
		if rep := verify(t, s, anchors...); !rep.OK || rep.Anchors != 1 || rep.Anchor.Seq != 3 {
			t.Fatalf("genuine anchor: %+v", rep)
		}
		// An anchor claiming more rows, signed with another key.
		other := mustChainKey("another-chain-key-0123456789abcd")
		forged := Anchor{Seq: 9, Hash: anchors[0].Hash, Time: anchors[0].Time, KeyID: testChainKey.KeyID(), Source: "test"}
		mac, _ := other.MAC(context.Background(), forged.statement())
		forged.MAC = fmt.Sprintf("%x", mac)
		wantBroken(t, verify(t, s, append(anchors, forged)...), ProblemAnchor, 0, "was not signed by this chain key")
		// An anchor whose hash was edited.
		edited := anchors[0]
		edited.Hash = strings.Repeat("0", 64)
		wantBroken(t, verify(t, s, edited), ProblemAnchor, 0, "was not signed by this chain key")
	})
}

func TestUnkeyedChainIsMigrated(t *testing.T) {
	forEachEngine(t, testUnkeyedChainIsMigrated)
}

func testUnkeyedChainIsMigrated(t *testing.T, e engine) {
	ctx := context.Background()
	path := e.dsn(t)
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))

	// A database as the previous version left it: schema version 1 and an
	// unkeyed SHA-256 chain of 4 rows.
	old, err := Open(ctx, path, WithoutAutoMigrate(), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.migrator.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c := stdtest.NewClock(time.Time{})
	prev := ""
	for i := int64(1); i <= 4; i++ {
		r := auditRow{seq: i, time: c.Advance(time.Second), actorID: "U1", action: fmt.Sprintf("old%d", i), details: "{}", prevHash: prev}
		r.hash = r.sum(nil)
		if _, err := old.wdb.ExecContext(ctx, `INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, ?, '', ?, '', '', '', ?, ?, ?)`,
			r.seq, formatTime(r.time), r.actorID, r.action, r.details, r.prevHash, r.hash); err != nil {
			t.Fatal(err)
		}
		if _, err := old.wdb.ExecContext(ctx, sqlUpsertAuditHead, r.seq, r.hash); err != nil {
			t.Fatal(err)
		}
		prev = r.hash
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path, WithChainKey(testChainKey), WithClock(c.Now), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 2 {
		c.Advance(time.Second)
		if err := s.Audit(ctx, Event{Action: fmt.Sprintf("new%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	rep := verify(t, s)
	if !rep.OK || !rep.Keyed || rep.Boundary != 4 || rep.Rows != 6 {
		t.Fatalf("migrated chain: %+v", rep)
	}
	events, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		r := auditRow{seq: e.Seq, time: e.Time, actorID: e.ActorID, action: e.Action, details: "{}", prevHash: e.PrevHash}
		if keyed := e.Seq > 4; (r.sum(nil) == e.Hash) == keyed {
			t.Errorf("seq %d: unkeyed hash = %v, want keyed = %v", e.Seq, r.sum(nil) == e.Hash, keyed)
		}
	}

	// The rows below the boundary are pinned by it: a consistent unkeyed
	// rewrite of them no longer verifies.
	dropAuditTriggers(t, s)
	exec(t, s, `UPDATE audit SET actor_id = 'U0MALLORY' WHERE seq = 2`)
	rows, _ := s.rdb.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq <= 4 ORDER BY seq`)
	prev = ""
	var fixed []auditRow
	for rows.Next() {
		r, _, err := scanRow(rows)
		if err != nil {
			t.Fatal(err)
		}
		r.prevHash = prev
		r.hash = r.sum(nil)
		prev = r.hash
		fixed = append(fixed, r)
	}
	rows.Close()
	for _, r := range fixed {
		exec(t, s, `UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, r.prevHash, r.hash, r.seq)
	}
	exec(t, s, `UPDATE audit SET prev_hash = ? WHERE seq = 5`, prev)
	wantBroken(t, verify(t, s), ProblemEdited, 4, "sealed when the chain was keyed")
}

func TestKeyedChainNeedsTheKey(t *testing.T) {
	forEachEngine(t, testKeyedChainNeedsTheKey)
}

func testKeyedChainNeedsTheKey(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, path := e.open(t)
	auditN(t, s, c, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	keyless, err := Open(ctx, path, WithAuditKey(testKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer keyless.Close()
	if err := keyless.Audit(ctx, Event{Action: "x"}); !errors.Is(err, ErrNoChainKey) {
		t.Errorf("append without the key: %v, want ErrNoChainKey", err)
	}
	if _, err := keyless.VerifyAudit(ctx); !errors.Is(err, ErrNoChainKey) {
		t.Errorf("verify without the key: %v, want ErrNoChainKey", err)
	}

	wrong, err := Open(ctx, path, WithChainKey(mustChainKey("another-chain-key-0123456789abcd")), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	wantBroken(t, verify(t, wrong), ProblemBoundary, 0, "check audit.chainKeyFile")
}

func TestAnchorer(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	path := filepath.Join(t.TempDir(), "anchors.jsonl")
	failing := &flakySink{fail: 1}
	a := NewAnchorer(s, AnchorFile{Path: path}, failing)
	if an, err := a.Anchor(ctx); err != nil || an.Seq != 0 {
		t.Fatalf("empty log: %+v, %v", an, err)
	}
	auditN(t, s, c, 2)
	if _, err := a.Anchor(ctx); err == nil || !strings.Contains(err.Error(), "anchor to flaky") {
		t.Fatalf("failing sink: err = %v", err)
	}
	if _, err := a.Anchor(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAnchors(t, path); len(got) != 1 || got[0].Seq != 2 || len(failing.got) != 1 {
		t.Fatalf("file has %+v, flaky sink got %+v: want seq 2 once in each", got, failing.got)
	}
	auditN(t, s, c, 1)
	if _, err := a.Anchor(ctx); err != nil {
		t.Fatal(err)
	}
	got := readAnchors(t, path)
	if len(got) != 2 || got[1].Seq != 3 || got[1].Boundary != 0 || !strings.HasSuffix(got[1].Source, "line 2") {
		t.Fatalf("anchors = %+v", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("anchor file mode: %v, %v", fi, err)
	}
	if rep := verify(t, s, got...); !rep.OK || rep.Anchors != 2 || rep.Anchor.Seq != 3 {
		t.Errorf("verify = %+v", rep)
	}

	// A newest row edited behind the store's back is never anchored.
	dropAuditTriggers(t, s)
	exec(t, s, `UPDATE audit SET outcome = 'x' WHERE seq = 3`)
	if _, err := a.Anchor(ctx); err == nil || !strings.Contains(err.Error(), "does not match its hash") {
		t.Errorf("anchoring an edited row: %v", err)
	}

	if err := os.WriteFile(path, []byte("{\"seq\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAnchors(path); err == nil || !strings.Contains(err.Error(), path+" line 1") {
		t.Errorf("bad anchor line: %v", err)
	}
}

type flakySink struct {
	fail int
	got  []Anchor
}

func (f *flakySink) Name() string { return "flaky" }

func (f *flakySink) WriteAnchor(_ context.Context, a Anchor) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("channel unavailable")
	}
	f.got = append(f.got, a)
	return nil
}

func TestChainKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "audit-chain.key")
	if _, err := LoadChainKeyFile(path, false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing, create=false: %v", err)
	}
	k, err := LoadChainKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created key mode: %v, %v", fi, err)
	}
	again, err := LoadChainKeyFile(path, true)
	if err != nil || again.KeyID() != k.KeyID() || !strings.HasPrefix(k.KeyID(), "file:") {
		t.Fatalf("reload: %v, %v vs %v", err, again, k)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(k.KeyID(), strings.TrimSpace(string(b))[:16]) {
		t.Error("the key id reveals the key")
	}

	for _, mode := range []os.FileMode{0o644, 0o640, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadChainKeyFile(path, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: err = %v, want refused", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	if err := os.WriteFile(path, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadChainKeyFile(path, true); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("short key: %v", err)
	}
}

// A store with a chain key on a fresh database keys every row; the key
// derivation goes through ChainKey.MAC once, so a remote key is asked once.
func TestChainKeyAskedOnceAtOpen(t *testing.T) { forEachEngine(t, testChainKeyAskedOnceAtOpen) }

func testChainKeyAskedOnceAtOpen(t *testing.T, e engine) {
	counting := &countingKey{ChainKey: testChainKey}
	s, c, _ := e.open(t, WithChainKey(counting))
	auditN(t, s, c, 20)
	if counting.calls != 1 {
		t.Errorf("chain key asked %d times for 20 rows, want once (at Open)", counting.calls)
	}
	if rep := verify(t, s); !rep.OK || rep.Rows != 20 {
		t.Errorf("verify = %+v", rep)
	}
}

type countingKey struct {
	ChainKey
	calls int
}

func (k *countingKey) MAC(ctx context.Context, data []byte) ([]byte, error) {
	k.calls++
	return k.ChainKey.MAC(ctx, data)
}
