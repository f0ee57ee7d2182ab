package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpenAppliesMigrations(t *testing.T) {
	ctx := context.Background()
	s, _, path := openTest(t)

	var version int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 1 {
		t.Errorf("schema version = %d, want 1", version)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("Migrate after Open applied %v, want nothing", applied)
	}
	// Still writable after Migrate reloads the writer state.
	if _, err := s.Enqueue(ctx, Job{Kind: "k"}); err != nil {
		t.Fatal(err)
	}

	var mode string
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode = %v, want 0600", perm)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// Readers cannot write.
	if _, err := s.rdb.ExecContext(ctx, `DELETE FROM jobs`); err == nil {
		t.Error("write through the read pool succeeded")
	}
}

func TestMigrateWithoutAutoMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path, WithoutAutoMigrate(), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, []int64{1}) {
		t.Errorf("applied %v, want [1]", applied)
	}
	if err := s.Audit(ctx, Event{Action: "migrated"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Errorf("verify = %v, %v", rep, err)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	s, _, path := openTest(t)
	for range 3 {
		if err := s.Audit(ctx, Event{Action: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PutRecord(ctx, Record{Kind: "k", ID: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, WithAuditKey(testKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Audit(ctx, Event{Action: "b"}); err != nil {
		t.Fatal(err)
	}
	rep, err := s2.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Rows != 4 || rep.LastSeq != 4 {
		t.Errorf("verify after reopen = %+v, %v", rep, err)
	}
	if _, err := s2.GetRecord(ctx, "k", "1"); err != nil {
		t.Error(err)
	}
}

func TestClosedStoreRejectsWrites(t *testing.T) {
	s, _, _ := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := s.Write(context.Background(), func(*sql.Tx) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
