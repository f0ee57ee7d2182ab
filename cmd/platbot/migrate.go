package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/platbot/platbot/store"
)

// cmdMigrateCopy is "platbot migrate --from <sqlite file> --to <postgres>":
// it opens both stores (migrating the target) with the configured audit
// and chain keys and copies every row, verifying the audit chain before and
// after. Nothing is copied unless the target is empty.
func cmdMigrateCopy(ctx context.Context, cfg *Config, from, to string, stdout, stderr io.Writer) error {
	switch {
	case from == "" || to == "":
		return errors.New("migrate: --from and --to go together: --from names the SQLite file to copy, --to the new, empty PostgreSQL database")
	case from == to:
		return errors.New("migrate: --from and --to name the same database")
	case !store.IsPostgres(from) && !isFile(from):
		return fmt.Errorf("migrate: --from %s: no such file (name the SQLite database to copy)", from)
	}
	log := newLogger(cfg, stderr, slog.LevelWarn)
	open := func(flag, db string) (*store.Store, error) {
		c := *cfg
		c.DB = db
		st, err := openStore(ctx, &c, log)
		if err != nil {
			return nil, fmt.Errorf("migrate: %s: %w", flag, err)
		}
		return st, nil
	}
	// The copy is of the installation as it stands: none may run on it.
	lock, err := lockDB(from, "migrate")
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	defer lock.Release()
	src, err := open("--from", from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := open("--to", to)
	if err != nil {
		return err
	}
	defer dst.Close()
	rep, err := src.CopyTo(ctx, dst)
	if err != nil {
		return fmt.Errorf("migrate %s to %s: %w", store.RedactDSN(from), store.RedactDSN(to), err)
	}
	fmt.Fprintf(stdout, "copied %s to %s: %d jobs, %d audit rows, %d records, %d points\n",
		store.RedactDSN(from), store.RedactDSN(to), rep.Rows["jobs"], rep.Rows["audit"], rep.Rows["records"], rep.Rows["points"])
	fmt.Fprintf(stdout, "source %s\ntarget %s\n", rep.Before, rep.After)
	return nil
}

// isFile reports whether path names an existing regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
