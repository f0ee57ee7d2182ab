package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/shell"
	"github.com/platbot/platbot/store"
)

// errAuditBroken is returned by audit verify when the chain is broken (exit 1).
var errAuditBroken = errors.New("audit log verification failed")

func cmdShell(ctx context.Context, cfg *Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("shell", "shell [--as <user>]", stderr)
	as := fs.String("as", cfg.Shell.User, "speak as this user: a catalog user name (e.g. alice.moreau), Slack id or email; default the first member of the first team")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !cfg.Demo.set {
		cfg.Demo.on = true // the shell's default: try every flow on the examples
	}
	if slack, _ := cfg.SlackConfigured(); slack && store.IsPostgres(cfg.DB) {
		// The shell leads, resumes and works every due job of its
		// database; on the database Slack replicas serve it would take
		// their jobs and answer Slack users in this terminal.
		return fmt.Errorf("shell: PLATBOT_DB is a PostgreSQL database that Slack replicas serve (Slack credentials are set): the shell would work their jobs and answer their users here. Use a database of its own for the shell, or the one-off commands (platbot digest --now, platbot hygiene --now)")
	}
	lock, err := lockDB(cfg.DB, "shell")
	if err != nil {
		return err
	}
	defer lock.Release()
	log := newLogger(cfg, stderr, slog.LevelWarn)
	// Listen first, so the one-time secret links name the port really served.
	ln := listenLocal(cfg, stderr)
	if ln != nil {
		defer ln.Close()
	}
	app, err := buildApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	user, err := app.shellUser(ctx, *as)
	if err != nil {
		return err
	}
	interactive := false
	if f, ok := stdin.(*os.File); ok {
		interactive = shell.IsTerminal(f)
	}
	note, err := demoNote(cfg)
	if err != nil {
		return err
	}
	var router shell.Router = app.Router
	if note != "" {
		router = demoRouter{Router: app.Router, note: note}
	}
	sh := shell.New(shell.Options{
		In: stdin, Out: stdout, Router: router, Jobs: app.Router.Worker(), User: user,
		FilesDir: cfg.DataDir + "/files", Interactive: interactive,
	})
	app.Router.SetMessenger(bot.TransportShell, labelled(sh, note))
	if err := app.Start(ctx); err != nil {
		return err
	}
	// The shell is one process on its own database: it leads, and
	// resumes before the first line is read.
	if err := app.resume(ctx); err != nil {
		return err
	}
	app.Sched.Start(ctx)
	stop := app.serveLocalPages(ln)
	defer stop()
	return sh.Run(ctx)
}

// listenLocal opens the loopback port the shell serves its browser pages
// (the one-time secret sealing page) on: PLATBOT_ADDR's port, or any free
// one when that is taken (another platbot shell, say). It records the real
// address in cfg so links point at it; nil when nothing can listen.
func listenLocal(cfg *Config, stderr io.Writer) net.Listener {
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		port = "8080"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			fmt.Fprintf(stderr, "platbot: cannot serve the secret sealing pages (%v); /plat secret links will not open until a platbot serves them\n", err)
			return nil
		}
	}
	cfg.Addr = ln.Addr().String()
	return ln
}

// serveLocalPages serves the shell's browser pages on ln. It returns a
// function that stops the server.
func (a *App) serveLocalPages(ln net.Listener) func() {
	if ln == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	a.mountShared(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
}

func cmdMigrate(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate [--from <sqlite file> --to <postgres://...>]", stderr)
	from := fs.String("from", "", "copy the store at this SQLite file (or DSN) ...")
	to := fs.String("to", "", "... into this new, empty PostgreSQL database (URL or key/value DSN)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from != "" || *to != "" {
		return cmdMigrateCopy(ctx, cfg, *from, *to, stdout, stderr)
	}
	lock, err := lockDB(cfg.DB, "migrate")
	if err != nil {
		return err
	}
	defer lock.Release()
	log := newLogger(cfg, stderr, slog.LevelWarn)
	st, err := openStore(ctx, cfg, log, store.WithoutAutoMigrate())
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", store.RedactDSN(cfg.DB), err)
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "%s is up to date\n", store.RedactDSN(cfg.DB))
		return nil
	}
	fmt.Fprintf(stdout, "%s: applied migrations %v\n", store.RedactDSN(cfg.DB), applied)
	return nil
}

const auditUsage = `audit verify [--anchors FILE] | audit export [--since T] [--until T] [--actor ID] [--action A]

  verify   walk the whole hash chain with the chain key and compare it with
           the anchors (default the anchor file, audit.anchorFile); exit 1
           naming the first row that was edited, deleted or inserted out of
           order, or rewritten or truncated below an anchor (docs/audit.md)
  export   write events as JSON lines to standard output; T is RFC 3339
           (2026-11-01T00:00:00Z), a date (2026-11-01) or a duration ago (24h, 7d)`

func cmdAudit(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintf(stderr, "Usage: platbot %s\n", auditUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, args := args[0], args[1:]
	log := newLogger(cfg, stderr, slog.LevelWarn)
	switch sub {
	case "verify":
		fs := newFlags("audit verify", "audit verify [--anchors FILE]", stderr)
		anchorsFile := fs.String("anchors", anchorFilePath(cfg), "anchors to check the log against: the anchor file, or a copy kept elsewhere (JSON lines)")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return auditVerify(ctx, cfg, log, *anchorsFile, stdout, stderr)
	case "export":
		fs := newFlags("audit export", "audit export [--since T] [--until T] [--actor ID] [--action A]", stderr)
		since := fs.String("since", "", "only events at or after this time")
		until := fs.String("until", "", "only events before this time")
		actor := fs.String("actor", "", "only events by this actor (a Slack user id, e.g. U0PAYALICE)")
		action := fs.String("action", "", "only events of this action: exact (command, form.submit, policy) or a prefix with .* (access.*, paths.*)")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		f := store.AuditFilter{Actor: *actor, Action: *action}
		var err error
		if f.Since, err = parseWhen(*since, time.Now()); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
		if f.Until, err = parseWhen(*until, time.Now()); err != nil {
			return fmt.Errorf("--until: %w", err)
		}
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		n, err := st.ExportAudit(ctx, stdout, f)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(stderr, "exported %d events\n", n)
		return nil
	}
	fmt.Fprintf(stderr, "platbot audit: unknown subcommand %q\nUsage: platbot %s\n", sub, auditUsage)
	return errUsage
}

// parseWhen reads RFC 3339, a date, or a duration ago ("24h", "7d").
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if strings.HasSuffix(s, "d") {
		var days int
		if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01) or an age (24h, 7d)", s)
}
