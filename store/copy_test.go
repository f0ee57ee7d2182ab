package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCopySQLiteToPostgres: "platbot migrate --from platbot.db --to
// postgres://..." moves every row, keeps the audit chain verifiable and
// leaves the target ready for new writes.
func TestCopySQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	src, c, _ := openTest(t)
	auditN(t, src, c, 5)
	for i, kind := range []string{"bot.cmd", "digest", "paths.step"} {
		if _, err := src.EnqueueAndAudit(ctx, Job{Kind: kind, Payload: json.RawMessage(`{"n":1}`), DedupeKey: kind}, Event{Action: "enqueue", Target: kind}); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Duration(i) * time.Second)
	}
	if _, err := src.ClaimJob(ctx, "w1", c.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := src.PutRecord(ctx, Record{Kind: "access.request", ID: "r1", State: "pending", Owner: "U1", Data: json.RawMessage(`{"why":"on call"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.TransitionRecord(ctx, "access.request", "r1", []string{"pending"}, "approved", nil); err != nil {
		t.Fatal(err)
	}
	if err := src.AppendPoint(ctx, Point{Series: "scorecard.grade", Key: "svc", Value: json.RawMessage(`"B"`)}); err != nil {
		t.Fatal(err)
	}

	dst, _, _ := openPostgresTest(t)
	rep, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"jobs": 3, "audit": 8, "audit_head": 1, "records": 1, "points": 1}
	if !reflect.DeepEqual(rep.Rows, want) || !rep.After.OK || rep.After.LastHash != rep.Before.LastHash || !rep.After.Keyed {
		t.Errorf("copy report = %+v, want rows %v and the same verified head", rep, want)
	}
	same := func(what string, get func(*Store) (any, error)) {
		t.Helper()
		a, err1 := get(src)
		b, err2 := get(dst)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s differ after the copy:\nsqlite   %+v (%v)\npostgres %+v (%v)", what, a, err1, b, err2)
		}
	}
	same("jobs", func(s *Store) (any, error) { return s.Jobs(ctx, nil, 0) })
	same("records", func(s *Store) (any, error) { return s.ListRecords(ctx, Query{Kind: "access.request"}) })
	same("points", func(s *Store) (any, error) { return s.Points(ctx, "scorecard.grade", "svc", time.Time{}) })
	same("audit", func(s *Store) (any, error) { return s.AuditEvents(ctx, AuditFilter{}, 0) })

	// The target carries on: the chain continues, job ids follow the
	// copied ones, the claimed job's lease is still held.
	if err := dst.Audit(ctx, Event{Action: "after.copy"}); err != nil {
		t.Fatal(err)
	}
	if v, err := dst.VerifyAudit(ctx); err != nil || !v.OK || v.Rows != 9 {
		t.Errorf("verify after a new append = %+v, %v", v, err)
	}
	if _, err := dst.Enqueue(ctx, Job{Kind: "new"}); err != nil {
		t.Fatal(err)
	}
	if j, err := dst.Job(ctx, 4); err != nil || j.Kind != "new" {
		t.Errorf("job 4 = %+v, %v; want the new job", j, err)
	}
	if err := dst.CompleteJob(ctx, 1, "w1"); err != nil {
		t.Errorf("completing the job leased before the copy: %v", err)
	}

	// A second copy into the now non-empty target is refused.
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "new, empty database") {
		t.Errorf("copy into a non-empty target: %v", err)
	}
}

// TestCopyRefusesBrokenSource: a source whose audit log does not verify is
// not copied, and the target stays empty.
func TestCopyRefusesBrokenSource(t *testing.T) {
	ctx := context.Background()
	src, c, _ := openTest(t)
	auditN(t, src, c, 3)
	dropAuditTriggers(t, src)
	exec(t, src, `UPDATE audit SET outcome = 'denied' WHERE seq = 2`)
	dst, _, _ := openPostgresTest(t)
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(err.Error(), "seq 2") {
		t.Fatalf("copy of a tampered log: %v", err)
	}
	if ev, err := dst.AuditEvents(ctx, AuditFilter{}, 0); err != nil || len(ev) != 0 {
		t.Errorf("target after a refused copy: %d events, %v", len(ev), err)
	}
}
