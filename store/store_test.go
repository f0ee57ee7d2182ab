package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestOpenAppliesMigrations(t *testing.T) {
	ctx := context.Background()
	s, _, path := openTest(t)

	var version int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := migrationVersions(t); version != want[len(want)-1] {
		t.Errorf("schema version = %d, want %d", version, want[len(want)-1])
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
	forEachEngine(t, testMigrateWithoutAutoMigrate)
}

func testMigrateWithoutAutoMigrate(t *testing.T, e engine) {
	ctx := context.Background()
	path := e.dsn(t)
	s, err := Open(ctx, path, WithoutAutoMigrate(), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationVersions(t); !slices.Equal(applied, want) {
		t.Errorf("applied %v, want %v", applied, want)
	}
	if err := s.Audit(ctx, Event{Action: "migrated"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Errorf("verify = %v, %v", rep, err)
	}
}

// migrationVersions lists the versions of the embedded migrations.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		v, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		out = append(out, v)
	}
	return out
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "file:x.db?mode=ro"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestOpenPathWithURICharacters: a path with "#", "?" or "%" in it (a
// fuzz input's temporary folder is named "seed#0") opens the file of that
// name, created readable by its owner only, and reopens it with its data.
func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "seed#0")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "plat?bot%20#1.db")
	for i := range 2 {
		s, err := Open(ctx, path, WithAuditKey(testKey), WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		if i == 0 {
			if _, err := s.PutRecord(ctx, Record{Kind: "k", ID: "1"}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := s.GetRecord(ctx, "k", "1"); err != nil {
			t.Errorf("reopened: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the named file: %v, %v", fi, err)
	}
	// Nothing was made elsewhere (a file cut at the "?" or "#").
	var names []string
	for _, d := range []string{filepath.Dir(dir), dir} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if n := e.Name(); n != "seed#0" && !strings.HasPrefix(n, "plat?bot%20#1.db") {
				names = append(names, n)
			}
		}
	}
	if len(names) != 0 {
		t.Fatalf("files beside the store: %q", names)
	}
}

func TestReopenKeepsData(t *testing.T) {
	forEachEngine(t, testReopenKeepsData)
}

func testReopenKeepsData(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, path := e.open(t)
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
	s2, err := Open(ctx, path, WithAuditKey(testKey), WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
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

func TestClosedStoreRejectsWrites(t *testing.T) { forEachEngine(t, testClosedStoreRejectsWrites) }

func testClosedStoreRejectsWrites(t *testing.T, e engine) {
	s, _, _ := e.open(t)
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
