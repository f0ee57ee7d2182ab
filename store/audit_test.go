package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
)

// auditN appends n events a1..an, one second apart.
func auditN(t *testing.T, s *Store, c *stdtest.Clock, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		c.Advance(time.Second)
		err := s.Audit(context.Background(), Event{
			ActorID: "U1", ActorName: "ada", Action: fmt.Sprintf("a%d", i), Target: "svc",
			Outcome: "ok", Details: map[string]any{"n": i, "z": "last", "a": "first"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func dropAuditTriggers(t *testing.T, s *Store) {
	t.Helper()
	on := ""
	if s.pool != nil {
		on = " ON audit"
	}
	exec(t, s, `DROP TRIGGER audit_no_update`+on)
	exec(t, s, `DROP TRIGGER audit_no_delete`+on)
}

func TestAuditChainVerifies(t *testing.T) { forEachEngine(t, testAuditChainVerifies) }

func testAuditChainVerifies(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK || rep.Rows != 0 {
		t.Fatalf("empty log: %+v, %v", rep, err)
	}
	auditN(t, s, c, 5)
	rep, err := s.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Rows != 5 || rep.LastSeq != 5 || len(rep.LastHash) != 64 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
	events, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Seq != 5 || events[0].Hash != rep.LastHash || events[0].PrevHash != events[1].Hash || events[4].PrevHash != "" {
		t.Errorf("chain links wrong: %+v", events)
	}
	// Details are stored with sorted keys.
	var details string
	if err := s.rdb.QueryRowContext(ctx, `SELECT details FROM audit WHERE seq = 1`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if details != `{"a":"first","n":1,"z":"last"}` {
		t.Errorf("details = %s", details)
	}
}

func TestAuditIsAppendOnly(t *testing.T) { forEachEngine(t, testAuditIsAppendOnly) }

func testAuditIsAppendOnly(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	auditN(t, s, c, 1)
	refused := []string{`UPDATE audit SET outcome = 'x'`, `DELETE FROM audit`}
	if s.pool != nil {
		refused = append(refused, `TRUNCATE audit`)
	}
	for _, q := range refused {
		err := s.Write(ctx, func(tx *sql.Tx) error { _, err := tx.Exec(q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
}

func TestVerifyAuditFindsTampering(t *testing.T) { forEachEngine(t, testVerifyAuditFindsTampering) }

func testVerifyAuditFindsTampering(t *testing.T, e engine) {
	tests := []struct {
		name    string
		tamper  []string
		problem Problem
		badSeq  int64
	}{
		{"edited", []string{`UPDATE audit SET outcome = 'denied' WHERE seq = 3`}, ProblemEdited, 3},
		{"edited details", []string{`UPDATE audit SET details = '{"a":"first","n":99,"z":"last"}' WHERE seq = 2`}, ProblemEdited, 2},
		{"edited time", []string{`UPDATE audit SET time = '2025-03-04T09:00:03.500000000Z' WHERE seq = 4`}, ProblemEdited, 4},
		{"deleted middle", []string{`DELETE FROM audit WHERE seq = 3`}, ProblemDeleted, 3},
		{"deleted first", []string{`DELETE FROM audit WHERE seq = 1`}, ProblemDeleted, 1},
		{"deleted last", []string{`DELETE FROM audit WHERE seq = 5`}, ProblemDeleted, 5},
		{"deleted last two", []string{`DELETE FROM audit WHERE seq >= 4`}, ProblemDeleted, 4},
		{"deleted and renumbered", []string{
			`DELETE FROM audit WHERE seq = 3`,
			`UPDATE audit SET seq = seq - 1 WHERE seq > 3`,
			`UPDATE audit_head SET seq = 4`,
		}, ProblemDeleted, 3},
		{"reordered pair", []string{
			`UPDATE audit SET seq = -3 WHERE seq = 3`,
			`UPDATE audit SET seq = 3 WHERE seq = 4`,
			`UPDATE audit SET seq = 4 WHERE seq = -3`,
		}, ProblemReordered, 3},
		{"head deleted", []string{`DELETE FROM audit_head`}, ProblemDeleted, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, c, _ := e.open(t)
			auditN(t, s, c, 5)
			dropAuditTriggers(t, s)
			for _, q := range tc.tamper {
				exec(t, s, q)
			}
			rep, err := s.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.Problem != tc.problem || rep.BadSeq != tc.badSeq || rep.Detail == "" {
				t.Errorf("report = %+v; want %s at seq %d", rep, tc.problem, tc.badSeq)
			}
			t.Log(rep)
		})
	}
}

func TestVerifyAuditFindsInsertedRows(t *testing.T) {
	forEachEngine(t, testVerifyAuditFindsInsertedRows)
}

func testVerifyAuditFindsInsertedRows(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	auditN(t, s, c, 3)
	last, err := s.AuditEvents(ctx, AuditFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A forged row with a valid hash appended behind the store's back.
	forged := auditRow{seq: 4, time: c.Now(), actorID: "U666", action: "access.grant", details: "{}", prevHash: last[0].Hash}
	forged.hash = forged.sum(s.rowKey) // an attacker holding the chain key
	exec(t, s, `INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, ?, '', ?, '', '', '', ?, ?, ?)`,
		forged.seq, formatTime(forged.time), forged.actorID, forged.action, forged.details, forged.prevHash, forged.hash)
	rep, err := s.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Problem != ProblemInserted || rep.BadSeq != 4 {
		t.Errorf("appended forgery: %+v", rep)
	}

	// A forged row spliced in at seq 2, the rest renumbered.
	s2, c2, _ := e.open(t)
	auditN(t, s2, c2, 3)
	dropAuditTriggers(t, s2)
	first, _ := s2.AuditEvents(ctx, AuditFilter{}, 0)
	h1 := first[2].Hash
	exec(t, s2, `UPDATE audit SET seq = seq + 10 WHERE seq >= 2`)
	exec(t, s2, `UPDATE audit SET seq = seq - 9 WHERE seq >= 12`)
	spliced := auditRow{seq: 2, time: first[2].Time, action: "forged", details: "{}", prevHash: h1}
	spliced.hash = spliced.sum(s2.rowKey)
	exec(t, s2, `INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, '', '', ?, '', '', '', ?, ?, ?)`,
		spliced.seq, formatTime(spliced.time), spliced.action, spliced.details, spliced.prevHash, spliced.hash)
	exec(t, s2, `UPDATE audit_head SET seq = 4`)
	rep, err = s2.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Problem != ProblemInserted || rep.BadSeq != 2 {
		t.Errorf("spliced forgery: %+v", rep)
	}
}

func TestAuditAfterDeletedTailKeepsGapVisible(t *testing.T) {
	forEachEngine(t, testAuditAfterDeletedTailKeepsGapVisible)
}

func testAuditAfterDeletedTailKeepsGapVisible(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, path := e.open(t)
	auditN(t, s, c, 4)
	dropAuditTriggers(t, s)
	exec(t, s, `DELETE FROM audit WHERE seq = 4`)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, WithAuditKey(testKey), WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Audit(ctx, Event{Action: "after"}); err != nil {
		t.Fatal(err)
	}
	rep, err := s2.VerifyAudit(ctx)
	if err != nil || rep.OK || rep.Problem != ProblemDeleted || rep.BadSeq != 4 {
		t.Errorf("report = %+v, %v; want deleted at 4", rep, err)
	}
}

func TestAuditTimeNeverGoesBackwards(t *testing.T) { forEachEngine(t, testAuditTimeNeverGoesBackwards) }

func testAuditTimeNeverGoesBackwards(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	t0 := c.Now()
	if err := s.Audit(ctx, Event{Action: "a", Time: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, Event{Action: "b", Time: t0}); err != nil {
		t.Fatal(err)
	}
	events, _ := s.AuditEvents(ctx, AuditFilter{}, 0)
	if !events[0].Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("late event time = %v, want raised to %v", events[0].Time, t0.Add(time.Minute))
	}
	if rep, _ := s.VerifyAudit(ctx); !rep.OK {
		t.Errorf("verify = %v", rep)
	}
}

func TestAuditConcurrentWritersKeepOneChain(t *testing.T) {
	forEachEngine(t, testAuditConcurrentWritersKeepOneChain)
}

func testAuditConcurrentWritersKeepOneChain(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			for i := range 10 {
				ev := Event{ActorID: fmt.Sprintf("U%d", g), Action: "x", Details: map[string]any{"i": i}}
				if _, err := s.EnqueueAndAudit(ctx, Job{Kind: "k", DedupeKey: fmt.Sprintf("%d-%d", g, i)}, ev); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	rep, err := s.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Rows != 200 {
		t.Errorf("verify = %+v, %v", rep, err)
	}
}

func TestSensitiveValuesNeverStoredRaw(t *testing.T) {
	forEachEngine(t, testSensitiveValuesNeverStoredRaw)
}

func testSensitiveValuesNeverStoredRaw(t *testing.T, e engine) {
	ctx := context.Background()
	logs := &stdtest.LogBuffer{}
	s, c, path := e.open(t, WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	const canary = "CANARY-s3cr3t-7f1e9a"
	auditN(t, s, c, 2)
	ev := Event{ActorID: "U1", Action: "secrets.add", Target: "vault:kv/app",
		Details: map[string]any{"path": "kv/app"}, Sensitive: map[string]string{"token": canary}}
	if err := s.Audit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueAndAudit(ctx, Job{Kind: "k"}, ev); err != nil {
		t.Fatal(err)
	}
	want, err := s.HashSensitive(canary)
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.AuditEvents(ctx, AuditFilter{Action: "secrets.add"}, 0)
	if err != nil || len(events) != 2 || events[0].Details["token"] != want || events[0].Details["path"] != "kv/app" {
		t.Fatalf("events = %+v, %v; want token %s", events, err, want)
	}
	if ev.Details["token"] != nil {
		t.Error("Audit changed the caller's Details map")
	}

	var export bytes.Buffer
	if n, err := s.ExportAudit(ctx, &export, AuditFilter{}); err != nil || n != 4 {
		t.Fatalf("export = %d, %v", n, err)
	}
	if strings.Contains(export.String(), canary) || !strings.Contains(export.String(), want) {
		t.Error("export leaks the canary or lacks its HMAC")
	}

	if strings.Contains(logs.String(), canary) {
		t.Error("canary found in the logs")
	}
	if s.pool != nil {
		// Every row of every table, as PostgreSQL renders it.
		var rows []byte
		for _, table := range []string{"jobs", "audit", "audit_head", "audit_chain", "records", "points"} {
			var text string
			if err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(string_agg(t::text, E'\n'), '') FROM `+table+` t`).Scan(&text); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, text...)
		}
		if bytes.Contains(rows, []byte(canary)) || !bytes.Contains(rows, []byte(want)) {
			t.Error("the database holds the canary, or lacks its HMAC")
		}
		return
	}
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(FULL)`); err != nil {
		t.Fatal(err)
	}
	var files []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	if bytes.Contains(files, []byte(canary)) {
		t.Error("canary found in the database files")
	}
	db, _ := os.ReadFile(path)
	if !bytes.Contains(db, []byte(want)) {
		t.Error("HMAC not found in the checkpointed database file (test reads the wrong bytes?)")
	}
}

func TestSensitiveNeedsKey(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "k.db"), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Audit(ctx, Event{Action: "secrets.add", Sensitive: map[string]string{"token": "x"}})
	if !errors.Is(err, ErrNoAuditKey) {
		t.Errorf("err = %v, want ErrNoAuditKey", err)
	}
	if err := s.Audit(ctx, Event{Action: "plain"}); err != nil {
		t.Errorf("plain event without key: %v", err)
	}
	if err := s.Audit(ctx, Event{}); err == nil {
		t.Error("event without action accepted")
	}
}

func TestAuditQueries(t *testing.T) { forEachEngine(t, testAuditQueries) }

func testAuditQueries(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	start := c.Now()
	for i, e := range []Event{
		{ActorID: "U1", Action: "access.request"},
		{ActorID: "U2", Action: "access.approve", Decision: "allow"},
		{ActorID: "U1", Action: "paths.step"},
		{ActorID: "U1", Action: "access.grant"},
	} {
		e.Time = start.Add(time.Duration(i) * time.Minute)
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(evs []Event) string {
		var a []string
		for _, e := range evs {
			a = append(a, e.Action)
		}
		return strings.Join(a, ",")
	}
	for _, tc := range []struct {
		f     AuditFilter
		limit int
		want  string
	}{
		{AuditFilter{}, 0, "access.grant,paths.step,access.approve,access.request"},
		{AuditFilter{}, 2, "access.grant,paths.step"},
		{AuditFilter{Actor: "U1"}, 0, "access.grant,paths.step,access.request"},
		{AuditFilter{Action: "access.*"}, 0, "access.grant,access.approve,access.request"},
		{AuditFilter{Action: "paths.step"}, 0, "paths.step"},
		{AuditFilter{Since: start.Add(time.Minute), Until: start.Add(3 * time.Minute)}, 0, "paths.step,access.approve"},
		{AuditFilter{Actor: "U1", Action: "access.*", Since: start.Add(time.Second)}, 0, "access.grant"},
	} {
		evs, err := s.AuditEvents(ctx, tc.f, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(evs); got != tc.want {
			t.Errorf("AuditEvents(%+v, %d) = %s, want %s", tc.f, tc.limit, got, tc.want)
		}
	}
	var buf bytes.Buffer
	n, err := s.ExportAudit(ctx, &buf, AuditFilter{Actor: "U1"})
	if err != nil || n != 3 {
		t.Fatalf("export = %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first Event
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Seq != 1 || first.Hash == "" {
		t.Errorf("first export line = %s (%v)", lines[0], err)
	}
}

func TestTwoWritersOnOneFileKeepOneChain(t *testing.T) {
	forEachEngine(t, testTwoWritersOnOneFileKeepOneChain)
}

func testTwoWritersOnOneFileKeepOneChain(t *testing.T, e engine) {
	// "platbot digest" from cron beside "platbot serve" (or two replicas
	// on one PostgreSQL database): two stores, each with its own writer,
	// append to the same log.
	ctx := context.Background()
	a, _, path := e.open(t)
	b, err := Open(ctx, path, WithAuditKey(testKey), WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		s := a
		if g%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for i := range 25 {
				if _, err := s.EnqueueAndAudit(ctx, Job{Kind: "k"}, Event{Action: fmt.Sprintf("g%d.%d", g, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := a.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Rows != 100 {
		t.Errorf("verify = %+v, %v; want OK with 100 rows", rep, err)
	}
}
