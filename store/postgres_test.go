package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u:pw@db/platbot":                true,
		"postgresql://db/platbot?sslmode=require":   true,
		"host=db dbname=platbot user=u password=pw": true,
		" dbname=platbot":                           true,
		"platbot.db":                                false,
		"/var/lib/platbot/platbot.db":               false,
		"data/a=b.db":                               false,
		"postgres.db":                               false,
		"pool_max_conns=8 host=db dbname=platbot":   true,
		"keepalives=1 host=db password=pw":          true,
		"channel_binding=require host=db":           true,
		"./a=b.db":                                  false,
		"Platbot=1.db":                              false,
	} {
		if got := IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", dsn, got, want)
		}
	}
	for dsn, want := range map[string]string{
		"postgres://u:s3cret@db:5432/platbot":     "postgres://u:%2A%2A%2A@db:5432/platbot",
		"postgres://db/platbot?password=s3cret":   "postgres://db/platbot?password=%2A%2A%2A",
		"host=db user=u password=s3cret dbname=p": "host=db user=u password=*** dbname=p",
		"platbot.db": "platbot.db",
	} {
		if got := RedactDSN(dsn); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// TestPostgresBadConfig: a database that cannot be used gets an error
// naming what to fix, without the password.
func TestPostgresBadConfig(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	pw := pgCluster.Password()
	for _, tc := range []struct {
		name, dsn string
		want      []string
	}{
		{"wrong password", strings.Replace(dsn, "password="+pw, "password=wrong-"+pw[:6], 1),
			[]string{"refused the login", "check the user and password in PLATBOT_DB"}},
		{"no such database", dsn[:strings.Index(dsn, "dbname=")] + "dbname=nosuchdb sslmode=disable",
			[]string{`database "nosuchdb"`, "does not exist", "createdb"}},
		{"unreachable", strings.Replace(dsn, "host="+pgCluster.Dir(), "host="+t.TempDir(), 1),
			[]string{"cannot reach PostgreSQL", "is the server running", "PLATBOT_DB"}},
		{"not a DSN", "postgres://db:notaport/x", []string{"not a valid PostgreSQL connection string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "wrong-") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestPostgresReplicas: replicas starting together on one database migrate
// it once, claim different jobs (FOR UPDATE SKIP LOCKED) and keep one audit
// chain.
func TestPostgresReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = Open(ctx, dsn, WithAuditKey(testKey), WithChainKey(testChainKey),
				WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, nil))))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		defer s.Close()
	}
	var applied int
	if err := stores[0].rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, err := fs.ReadDir(postgresMigrations, "migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("%d migrations recorded, want each of the %d once", applied, len(files))
	}

	const jobs = 60
	for i := range jobs {
		if _, err := stores[i%n].EnqueueAndAudit(ctx, Job{Kind: "k"}, Event{Action: fmt.Sprintf("enqueue.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	for r, s := range stores {
		for w := range 3 {
			owner := fmt.Sprintf("replica%d-worker%d", r, w)
			wg.Go(func() {
				for {
					j, err := s.ClaimJob(ctx, owner, time.Now(), time.Minute)
					if err != nil || j == nil {
						if err != nil {
							t.Error(err)
						}
						return
					}
					mu.Lock()
					if prev, dup := seen[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
					}
					seen[j.ID] = owner
					mu.Unlock()
					if err := s.Audit(ctx, Event{Action: "ran", Target: fmt.Sprint(j.ID)}); err != nil {
						t.Error(err)
					}
					if err := s.CompleteJob(ctx, j.ID, owner); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
	for _, s := range stores {
		rep, err := s.VerifyAudit(ctx)
		if err != nil || !rep.OK || rep.Rows != 2*jobs {
			t.Errorf("verify = %+v, %v; want OK with %d rows", rep, err, 2*jobs)
		}
	}
}

func TestRebind(t *testing.T) {
	for q, want := range map[string]string{
		`SELECT 1`:                                          `SELECT 1`,
		`UPDATE t SET a = ?, b = ? WHERE c = ?`:             `UPDATE t SET a = $1, b = $2 WHERE c = $3`,
		`SELECT '?', "a?b", ? -- why?` + "\n" + `, ?`:       `SELECT '?', "a?b", $1 -- why?` + "\n" + `, $2`,
		`SELECT 'it''s ?', ? /* ? */ , ?`:                   `SELECT 'it''s ?', $1 /* ? */ , $2`,
		`SELECT ? FROM t WHERE x LIKE 'bot.%' AND y IN (?)`: `SELECT $1 FROM t WHERE x LIKE 'bot.%' AND y IN ($2)`,
	} {
		if got := rebind(q); got != want {
			t.Errorf("rebind(%q) = %q, want %q", q, got, want)
		}
	}
}
