package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// engine is one database engine the store runs on; store tests that are
// not about one engine's files run against every engine (forEachEngine),
// so the engines cannot drift apart.
type engine struct {
	name string
	// open opens a store on a fresh, empty database and closes it when
	// the test ends; it returns the database's path or DSN.
	open func(t testing.TB, opts ...Option) (*Store, *stdtest.Clock, string)
	// dsn returns a fresh, empty database's path or DSN.
	dsn func(t testing.TB) string
}

var engines = []engine{
	{name: "sqlite", open: openTest, dsn: func(t testing.TB) string { return filepath.Join(t.TempDir(), "platbot.db") }},
	{name: "postgres", open: openPostgresTest, dsn: postgresDSN},
}

// forEachEngine runs fn as a subtest per engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

// The PostgreSQL cluster is started on first use and stopped by TestMain;
// every test gets a database of its own in it.
var (
	pgOnce    sync.Once
	pgCluster *testenv.Postgres
	pgErr     error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgCluster.Stop(); err != nil {
		slog.Error("stopping the test PostgreSQL", "err", err)
	}
	os.Exit(code)
}

// postgresDSN returns the DSN of a new database in the test cluster; the
// test is skipped (failed in CI) when PostgreSQL is not installed.
func postgresDSN(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgCluster, pgErr = testenv.StartPostgres(context.Background()) })
	testenv.SkipOrFail(t, pgErr)
	dsn, err := pgCluster.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// openPostgresTest is openTest on a new PostgreSQL database.
func openPostgresTest(t testing.TB, opts ...Option) (*Store, *stdtest.Clock, string) {
	t.Helper()
	dsn := postgresDSN(t)
	c := stdtest.NewClock(time.Time{})
	all := append([]Option{WithAuditKey(testKey), WithChainKey(testChainKey), WithClock(c.Now),
		WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil)))}, opts...)
	s, err := Open(context.Background(), dsn, all...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, c, dsn
}
