package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// PostgreSQL. The Store is the same type on both engines: one set of SQL
// (placeholders rebound by store/pgdriver.go), the same group-commit
// writer, and a schema of the same tables and columns
// (store/migrations/postgres). What differs:
//
//   - Migrations run under a PostgreSQL advisory lock (goose's session
//     locker), so replicas starting together apply them once.
//   - Several processes may write at once (SQLite has one writer per file).
//     ClaimJob locks its candidate row FOR UPDATE SKIP LOCKED, so replicas
//     claiming together take different jobs. Appending to the audit chain
//     takes a transaction-scoped advisory lock (auditLockID) and then
//     re-reads the chain head, so replicas keep one chain; the lock is held
//     only by batches that append audit rows, until they commit.
//   - The audit table refuses UPDATE, DELETE and TRUNCATE with a trigger.
//   - VerifyAudit and the anchorer read in one REPEATABLE READ snapshot.
//
// The writer is kept on PostgreSQL too: it bounds a process to one writing
// connection and group-commits concurrent writes (one round trip for
// COMMIT per batch instead of per write), and its savepoint isolation is
// what Store.Write promises callers on both engines.

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// auditLockID is the pg_advisory_xact_lock key serialising audit appends
// (and the chain's sealing) across processes: "platbot-audit" in ASCII.
const auditLockID int64 = 0x706c6174_61756469

const sqlLockAudit = `SELECT pg_advisory_xact_lock(?)`

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file: a postgres:// or postgresql:// URL, or a key/value string
// ("host=db dbname=platbot user=platbot"). Any string that starts with a
// lower-case keyword and "=" is a key/value string — libpq's keywords and
// pgx's pool settings (pool_max_conns=...) alike — so that no setting is
// ever taken for a file name (which would give each replica a database of
// its own and put a password into a file name); pgx refuses keywords it
// does not know.
func IsPostgres(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	first, _, ok := strings.Cut(strings.TrimSpace(dsn), "=")
	return ok && keyword.MatchString(strings.TrimSpace(first))
}

// keyword is the shape of a connection-string keyword.
var keyword = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// RedactDSN returns dsn with its password masked, for logs and errors.
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && strings.HasPrefix(u.Scheme, "postgres") {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "***")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if !IsPostgres(dsn) {
		return dsn
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.TrimSpace(k) == "password" {
			fields[i] = "password=***"
		}
	}
	return strings.Join(fields, " ")
}

// openPostgres opens the PostgreSQL store at dsn.
func openPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s, err := newStore(ctx, RedactDSN(dsn), opts)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx masks the password in its parse errors.
		return nil, fmt.Errorf("open store: PLATBOT_DB is not a valid PostgreSQL connection string: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// One more than pgx's default: the leader's advisory lock keeps a
		// connection of its own (store/leader.go).
		cfg.MaxConns++
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	fail := func(err error) (*Store, error) {
		pool.Close()
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = pool.Ping(pctx)
	cancel()
	if err != nil {
		return fail(fmt.Errorf("open store %s: %w", s.path, explainPostgresError(cfg, err)))
	}
	s.pool = pool
	db := openPostgresDB(pool)
	s.rdb, s.wdb = db, db

	sub, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		db.Close()
		return fail(fmt.Errorf("open store: migrations: %w", err))
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		db.Close()
		return fail(fmt.Errorf("open store: migrations: %w", err))
	}
	s.migrator, err = goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return fail(fmt.Errorf("open store: migrations: %w", err))
	}
	if s.manual {
		s.stale.Store(true)
	} else {
		applied, err := s.migrate(ctx)
		if err != nil {
			db.Close()
			return fail(fmt.Errorf("open store %s: %w", s.path, err))
		}
		if len(applied) > 0 {
			s.log.Info("store migrated", "db", s.path, "versions", applied)
		}
		if err := s.loadWriterState(ctx); err != nil {
			db.Close()
			return fail(fmt.Errorf("open store %s: %w", s.path, err))
		}
	}
	go s.run()
	return s, nil
}

// explainPostgresError says what to fix when the database cannot be used.
func explainPostgresError(cfg *pgxpool.Config, err error) error {
	where := fmt.Sprintf("PostgreSQL at %s:%d (database %q, user %q)", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, cfg.ConnConfig.User)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("%s refused the login: check the user and password in PLATBOT_DB: %w", where, err)
		case "3D000":
			return fmt.Errorf("%s: the database does not exist; create it (createdb) or fix the database name in PLATBOT_DB: %w", where, err)
		case "42501":
			return fmt.Errorf("%s: permission denied; the user needs CONNECT and CREATE on the database: %w", where, err)
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cannot reach %s: is the server running, and are the host and port in PLATBOT_DB right? %w", where, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// readTxOptions is how VerifyAudit and the anchorer open their read
// transaction: one snapshot for the whole walk (SQLite's read transaction
// is one already).
func (s *Store) readTxOptions() *sql.TxOptions {
	if s.pool != nil {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return &sql.TxOptions{ReadOnly: true}
}

// lockAudit serialises audit appends across processes on PostgreSQL and
// re-reads the chain head once the lock is held. SQLite needs neither: the
// batch transaction holds the file's write lock from its start.
func (w *wtx) lockAudit() error {
	if w.s.pool == nil || w.auditLocked {
		return nil
	}
	if _, err := w.exec(sqlLockAudit, auditLockID); err != nil {
		return fmt.Errorf("lock audit chain: %w", err)
	}
	w.auditLocked = true
	return w.syncHead()
}
