package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Sentinel errors. Errors returned by the store wrap them, so test with
// errors.Is.
var (
	// ErrNotFound means the job or record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a compare-and-swap lost: the record's version or
	// state, or a job's lease, is not what the caller expected.
	ErrConflict = errors.New("conflict")
	// ErrClosed is returned by writes after Close.
	ErrClosed = errors.New("store closed")
	// ErrNoAuditKey is returned when an event has Sensitive fields but the
	// store was opened without WithAuditKey.
	ErrNoAuditKey = errors.New("sensitive audit field needs an audit key (WithAuditKey)")
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Defaults for the group-commit writer.
const (
	defaultMaxBatch = 256
	queueLength     = 1024
)

// Store is platbot's durable state on SQLite or PostgreSQL. It is safe for concurrent use.
// Reads use a pool of connections; every write goes through one writer
// goroutine that commits queued writes together (see Write).
type Store struct {
	// path is the SQLite file, or the PostgreSQL DSN with its password
	// masked.
	path string
	// pool is non-nil on PostgreSQL; rdb and wdb are then one *sql.DB on
	// it (see store/postgres.go).
	pool     *pgxpool.Pool
	rdb      *sql.DB // read pool (query_only)
	cdb      *sql.DB // the background checkpointer's connection
	cpStop   chan struct{}
	cpDone   chan struct{}
	wdb      *sql.DB // the one write connection
	log      *slog.Logger
	now      func() time.Time
	auditKey []byte
	chainKey ChainKey // keys the audit chain (nil: unkeyed, see WithChainKey)
	rowKey   []byte   // derived from chainKey at Open
	window   time.Duration
	maxBatch int
	manual   bool // WithoutAutoMigrate
	migrator *goose.Provider

	// Writer goroutine. mu guards closed and the sends on reqs and urgent,
	// so Close never closes them under a sender. urgent holds the ack
	// path's writes, which the writer takes first (see writeFirst).
	mu         sync.RWMutex
	closed     bool
	reqs       chan *request
	urgent     chan *request
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// Owned by the writer goroutine (and by Open before it starts).
	head     chainHead // audit chain tip
	headRow  chainHead // audit_head row as last seen
	prepared map[string]*sql.Stmt
	stale    atomic.Bool // writer state must be reloaded (after Migrate)
	// refuseAudit: the chain is keyed but this store has no chain key.
	refuseAudit bool

	batches atomic.Uint64
	writes  atomic.Uint64
}

// Option configures Open.
type Option func(*Store)

// WithAuditKey sets the HMAC-SHA256 key used for Event.Sensitive values.
// Without it, recording a sensitive value fails with ErrNoAuditKey.
func WithAuditKey(key []byte) Option {
	return func(s *Store) { s.auditKey = append([]byte(nil), key...) }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// WithClock sets the clock used for timestamps (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithBatchWindow makes the writer wait up to d for more writes after the
// queue runs dry before it commits a batch. The default, 0, commits as soon
// as the queue is empty: under load batches form by themselves while the
// previous commit runs, and a lone write is not delayed.
func WithBatchWindow(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.window = d
		}
	}
}

// WithoutAutoMigrate makes Open leave the schema alone; call Migrate before
// use. For a "platbot migrate" command that reports what it applied.
func WithoutAutoMigrate() Option {
	return func(s *Store) { s.manual = true }
}

// withMaxBatch caps how many writes share a transaction (tests and
// benchmarks; 1 = one transaction per write).
func withMaxBatch(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxBatch = n
		}
	}
}

// Open opens (creating if needed) the SQLite database at path, applies
// pending migrations and starts the writer. path is a file name; a new file
// is created readable by its owner only.
//
// A PostgreSQL connection string instead of a path (see IsPostgres) opens
// the PostgreSQL store: the same Store on a pgxpool pool.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path, opts...)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open store: %q: want a plain file path", path)
	}
	uri, err := sqliteURI(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s, err := newStore(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}

	const common = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(ON)"
	wdb, err := sql.Open("sqlite", uri+"?"+common+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)"+
		fmt.Sprintf("&_pragma=journal_size_limit(%d)", journalSizeLimit)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s.wdb = wdb
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: migrations: %w", err)
	}
	s.migrator, err = goose.NewProvider(goose.DialectSQLite3, wdb, sub)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: migrations: %w", err)
	}
	if s.manual {
		s.stale.Store(true) // the writer prepares after Migrate
	} else {
		applied, err := s.migrate(ctx)
		if err != nil {
			wdb.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
		if len(applied) > 0 {
			s.log.Info("store migrated", "path", path, "versions", applied)
		}
		if err := s.loadWriterState(ctx); err != nil {
			wdb.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}

	rdb, err := sql.Open("sqlite", uri+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	n := max(4, runtime.NumCPU())
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s.rdb = rdb
	if err := s.openCheckpointer(ctx); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}

	go s.run()
	return s, nil
}

// sqliteURI is the SQLite URI ("file:/abs/path") of the database file at
// path, for the driver's DSN. A plain path cannot be used there: the driver
// cuts the DSN at its first "?" for parameters, and SQLite reads "?" and "#"
// in a URI as the start of its query and fragment. In the URI the path is
// absolute and percent-encoded, so a file name with "?", "#" or "%" (a
// folder named "seed#0") opens exactly the file named.
func sqliteURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%q: %w", path, err)
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath(), nil
}

// newStore applies opts to a new Store and derives its row key.
func newStore(ctx context.Context, path string, opts []Option) (*Store, error) {
	s := &Store{
		path:       path,
		log:        slog.Default(),
		now:        time.Now,
		maxBatch:   defaultMaxBatch,
		reqs:       make(chan *request, queueLength),
		urgent:     make(chan *request, queueLength),
		writerDone: make(chan struct{}),
		prepared:   map[string]*sql.Stmt{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.chainKey != nil {
		k, err := s.chainKey.MAC(ctx, []byte(rowKeyLabel))
		if err != nil {
			return nil, fmt.Errorf("open store: audit chain key %s: %w", s.chainKey.KeyID(), err)
		}
		s.rowKey = k
	}
	return s, nil
}

// createPrivate creates path with mode 0600 if it does not exist, so the
// database (and the -wal and -shm files SQLite gives the same mode) is not
// world-readable.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Close waits for queued writes to commit, stops the writer and closes the
// database. Writes after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.reqs)
		close(s.urgent)
		s.mu.Unlock()
		<-s.writerDone
		var errs []error
		for _, st := range s.prepared {
			errs = append(errs, st.Close())
		}
		errs = append(errs, s.closeCheckpointer())
		// s.migrator.Close would close wdb too; closing wdb is enough.
		errs = append(errs, s.wdb.Close())
		if s.rdb != s.wdb {
			errs = append(errs, s.rdb.Close())
		}
		if s.pool != nil {
			s.pool.Close()
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return s.closeErr
}

// Migrate applies pending migrations and returns the versions it applied
// (none when the schema is current, as it is after an Open without
// WithoutAutoMigrate).
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	applied, err := s.migrate(ctx)
	if err != nil {
		return applied, err
	}
	if len(applied) > 0 {
		s.log.Info("store migrated", "path", s.path, "versions", applied)
	}
	// The writer re-prepares its statements and reloads the audit chain
	// before its next batch.
	s.stale.Store(true)
	return applied, nil
}

func (s *Store) migrate(ctx context.Context) ([]int64, error) {
	results, err := s.migrator.Up(ctx)
	var versions []int64
	for _, r := range results {
		if r.Error == nil && r.Source != nil {
			versions = append(versions, r.Source.Version)
		}
	}
	if err != nil {
		return versions, fmt.Errorf("migrate: %w", err)
	}
	return versions, nil
}

// Stats counts the writer's work since Open.
type Stats struct {
	// Batches is how many transactions the writer has run.
	Batches uint64
	// Writes is how many write closures it has run in them.
	Writes uint64
}

// Stats returns the writer's counters (for metrics).
func (s *Store) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Writes: s.writes.Load()}
}

// timeLayout is how times are stored: fixed-width UTC with nanoseconds, so
// string order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime renders t for storage; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time; "" is the zero time.
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", v, err)
	}
	return t, nil
}

// jsonText returns raw as text for a JSON column: nil/empty is "null";
// anything else must be valid JSON.
func jsonText(raw []byte) (string, error) {
	if len(raw) == 0 {
		return "null", nil
	}
	if !json.Valid(raw) {
		return "", errors.New("invalid JSON")
	}
	return string(raw), nil
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
