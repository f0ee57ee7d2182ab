package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvPostgresBin is the directory holding PostgreSQL's initdb and postgres,
// when they are not in Debian's /usr/lib/postgresql/<version>/bin.
const EnvPostgresBin = "PLATBOT_POSTGRES_BIN"

// Postgres is a throwaway PostgreSQL cluster: initdb'd into a temporary
// directory, listening only on a Unix socket in it (no TCP), and removed by
// Stop. Its superuser is "platbot", with a random password (scram-sha-256,
// as a production server would ask).
type Postgres struct {
	password string
	dir      string
	sock     string
	proc     *process
	stop     stopper
}

// postgresUser is the cluster's superuser.
const postgresUser = "platbot"

// findPostgres returns the directory of initdb and postgres: $PLATBOT_POSTGRES_BIN,
// or the newest of Debian's postgresql packages. When neither exists the
// error wraps ErrNotBuilt (.ci/install-debian.sh installs the package).
func findPostgres() (string, error) {
	if dir := os.Getenv(EnvPostgresBin); dir != "" {
		if err := checkExecutable(filepath.Join(dir, "initdb")); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvPostgresBin, dir, err)
		}
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if checkExecutable(filepath.Join(d, "initdb")) == nil && checkExecutable(filepath.Join(d, "postgres")) == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: PostgreSQL's initdb not found in /usr/lib/postgresql/*/bin: run `bash .ci/install-debian.sh` (installs Debian's postgresql) or set %s",
		ErrNotBuilt, EnvPostgresBin)
}

// pgVersion is the major version in a /usr/lib/postgresql/<version>/bin path.
func pgVersion(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// serverCredential is who runs initdb and postgres: this process's user, or
// "nobody" when that is root (PostgreSQL refuses to run as root).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running PostgreSQL as root is refused and there is no user nobody to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user nobody: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// StartPostgres initdb's a cluster into a new temporary directory, starts
// it on a Unix socket there and waits until it accepts connections. The
// caller must call Stop, which also removes the directory.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := findPostgres()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()

	dir, err := os.MkdirTemp("", "platbot-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres: creating temp dir: %w", err)
	}
	p := &Postgres{dir: dir, sock: filepath.Join(dir, "sock")}
	fail := func(err error) (*Postgres, error) {
		_ = p.Stop()
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	if err := os.Mkdir(p.sock, 0o700); err != nil {
		return fail(err)
	}
	if cred != nil {
		for _, d := range []string{dir, p.sock} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return fail(err)
			}
		}
	}
	if p.password, err = randomHex(16); err != nil {
		return fail(err)
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	env := baseEnv(dir, "LC_ALL=C")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", postgresUser,
		"--auth=scram-sha-256", "--pwfile="+pwfile, "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Env, initdb.Dir = env, dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	p.proc, err = startProcessAs("postgres", filepath.Join(bin, "postgres"), []string{
		"-D", data, "-k", p.sock, "-c", "listen_addresses=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
	}, env, dir, filepath.Join(dir, "postgres.log"), cred)
	if err != nil {
		return fail(err)
	}
	err = waitUntil(ctx, p.proc, pollInterval, func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, p.DSN("postgres"))
		if err != nil {
			return err
		}
		return c.Close(ctx)
	})
	if err != nil {
		return fail(err)
	}
	return p, nil
}

// pollInterval is how often StartPostgres checks whether the server is up.
const pollInterval = 50 * time.Millisecond

// DSN is the libpq key/value connection string of database db.
func (p *Postgres) DSN(db string) string {
	return fmt.Sprintf("host=%s user=%s password=%s dbname=%s sslmode=disable", p.sock, postgresUser, p.password, db)
}

// Password is the superuser's password (tests of a wrong one).
func (p *Postgres) Password() string { return p.password }

// CreateDatabase creates a new, empty database with a unique name and
// returns its DSN; tests get one each, so they cannot see each other's rows.
func (p *Postgres) CreateDatabase(ctx context.Context) (string, error) {
	name, err := randomHex(8)
	if err != nil {
		return "", err
	}
	name = "t_" + name
	c, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("postgres: create database: %w", err)
	}
	return p.DSN(name), nil
}

// Dir is the cluster's directory (data, socket and log), removed by Stop.
func (p *Postgres) Dir() string {
	if p == nil {
		return ""
	}
	return p.dir
}

// Stop shuts the server down and removes its directory. It is nil-safe and
// idempotent.
func (p *Postgres) Stop() error {
	if p == nil {
		return nil
	}
	return p.stop.do(func() error {
		var errs []error
		if p.proc != nil {
			errs = append(errs, p.proc.stop(stopTimeout))
		}
		if p.dir != "" {
			errs = append(errs, os.RemoveAll(p.dir))
		}
		return errors.Join(errs...)
	})
}
