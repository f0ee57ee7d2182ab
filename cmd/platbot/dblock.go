package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/platbot/platbot/store"
)

// SQLite runs in one process. Two processes on the same file would not
// corrupt it (WAL, busy_timeout, and the audit writer re-reads a head that
// moved), but each would run its own worker and schedules: digests posted
// twice, grants expired twice, golden-path runs resumed twice. So serve,
// shell and migrate take an exclusive lock on the database before they open
// it and hold it until the process ends; a second one refuses to start and
// names the first. Read-only subcommands (audit verify, audit export) and
// one-shot ones (digest --now) take no lock and run beside a serve.
// PostgreSQL is built for several replicas and takes no lock either.
//
// The lock is flock(2) on a sidecar file, "<db>.lock", not on the database
// file itself. SQLite locks the database with POSIX record locks, which a
// process loses when it closes any descriptor of that file (so the lock must
// not open and close the file behind SQLite's back), and on NFS Linux
// emulates flock with the same POSIX locks, where a whole-file flock would
// collide with SQLite's own. The kernel drops a flock when the last
// descriptor of its open file closes, which includes the process being
// killed with SIGKILL: a crash never leaves a stale lock behind. The file
// is opened close-on-exec, so child processes (git, say) do not inherit it.
//
// The holder writes its pid, host, start time and mode into the file; only
// the refusal message reads them. The file is never deleted: removing it
// while a second process waits to lock it would let two processes each
// hold a lock on a different file.

// dbLockSuffix names the sidecar lock file next to the database.
const dbLockSuffix = ".lock"

// dbLockOwner is what the lock file records about its holder.
type dbLockOwner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host,omitempty"`
	Started time.Time `json:"started"`
	Mode    string    `json:"mode"`
}

// dbLock is a held database lock; Release gives it up.
type dbLock struct {
	f *os.File // nil: nothing to lock (PostgreSQL)
}

// errDBInUse is the refusal when another process holds the lock.
type errDBInUse struct {
	db    string
	owner *dbLockOwner // nil when the holder has not written itself yet
}

func (e *errDBInUse) Error() string {
	who := "another platbot process"
	if o := e.owner; o != nil {
		host := ""
		if o.Host != "" {
			host = " on " + o.Host
		}
		who += fmt.Sprintf(" (pid %d%s, started %s, mode %s)", o.PID, host, o.Started.Format(time.RFC3339), o.Mode)
	}
	return fmt.Sprintf("%s is in use by %s: SQLite runs one process; stop it, or use PostgreSQL (PLATBOT_DB=postgres://…) for several replicas",
		e.db, who)
}

// lockDB takes the exclusive lock on the SQLite database db for this
// process, recording mode ("serve", "shell", "migrate") for a second
// process's message. It takes nothing for a PostgreSQL database, nor for
// ":memory:", which no other process can open.
func lockDB(db, mode string) (*dbLock, error) {
	if store.IsPostgres(db) || db == ":memory:" {
		return &dbLock{}, nil
	}
	if dir := filepath.Dir(db); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	path := db + dbLockSuffix
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database lock %s: %w", path, err)
	}
	if err := flockExclusive(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, &errDBInUse{db: db, owner: readDBLockOwner(path)}
		}
		return nil, fmt.Errorf("lock database %s: %w", path, err)
	}
	host, _ := os.Hostname()
	rec, err := json.Marshal(dbLockOwner{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second), Mode: mode})
	if err == nil {
		if err = f.Truncate(0); err == nil {
			_, err = f.WriteAt(append(rec, '\n'), 0)
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write database lock %s: %w", path, err)
	}
	return &dbLock{f: f}, nil
}

// readDBLockOwner reads the holder a lock file names; nil when it names
// none yet (the holder is between locking and writing).
func readDBLockOwner(path string) *dbLockOwner {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var o dbLockOwner
	if json.Unmarshal([]byte(strings.TrimSpace(string(b))), &o) != nil || o.PID == 0 {
		return nil
	}
	return &o
}

// Release empties the lock file and gives up the lock. Safe on nil.
func (l *dbLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0) // the lock is free: name no holder
	_ = l.f.Close()     // closing the last descriptor drops the flock
	l.f = nil
}
