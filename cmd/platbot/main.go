// Command platbot is an internal developer platform that lives in Slack.
//
//	platbot                 serve when Slack credentials are set, else shell
//	platbot serve           Slack over HTTP (or Socket Mode with SLACK_APP_TOKEN)
//	platbot shell [--as U]  a local terminal chat on the embedded defaults
//	platbot migrate         apply database migrations
//	platbot audit verify    check the audit log's hash chain
//	platbot audit export    write audit events as JSON lines
//	platbot digest --now    post (or print) the scorecard digests now
//	platbot bench ...       built-in benchmarks
//	platbot version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// errUsage marks a usage error (exit code 2); its message was already printed.
var errUsage = errors.New("usage")

const mainUsage = `platbot — an internal developer platform that lives in Slack

Usage: platbot [command] [flags]

Commands:
  serve          serve Slack: HTTP endpoints, or Socket Mode when SLACK_APP_TOKEN is set
  shell          chat with the bot in this terminal (the default without Slack credentials)
  migrate        apply database migrations and exit; with --from platbot.db
                 --to postgres://... copy a SQLite installation to PostgreSQL
  audit verify   check the audit log's hash chain; exits 1 naming the first bad row
  audit export   write audit events as JSON lines (--since, --until, --actor, --action)
  digest         run the scorecard digest now (--now, --team, --dry-run)
  hygiene        scan the catalog for hygiene findings now (--now, --dry-run, --team)
  bench          built-in benchmarks (bench scorecard)
  template render  render a golden path into a folder, without side effects
                 (<name | template.yaml> [--set k=v]... [--values F] --out DIR)
  version        print the version

With no command platbot runs serve when Slack credentials are configured and
shell otherwise. Configuration: platbot.yaml (or PLATBOT_CONFIG) plus the
environment variables listed in README.md. "platbot <command> --help" explains
each command.
`

// run is main without the process: testable end to end.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, mainUsage)
		return 0
	case "version", "--version":
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintln(stderr, "Usage: platbot version\n\nPrints the version of this build.")
			return 0
		}
		fmt.Fprintf(stdout, "platbot %s\n", version)
		return 0
	case "":
		cfg, cerr := LoadConfig(getenv)
		if cerr != nil {
			fmt.Fprintf(stderr, "platbot: %v\n", cerr)
			return 1
		}
		if ok, why := cfg.SlackConfigured(); ok {
			fmt.Fprintf(stderr, "platbot: running serve because %s\n", why)
			err = cmdServe(ctx, cfg, nil, stderr)
		} else {
			fmt.Fprintf(stdout, "platbot: running the local shell because %s (see README to connect Slack)\n", why)
			err = cmdShell(ctx, cfg, nil, stdin, stdout, stderr)
		}
	case "serve", "shell", "migrate", "audit", "digest", "hygiene", "bench", "template":
		cfg, cerr := LoadConfig(getenv)
		if cerr != nil {
			fmt.Fprintf(stderr, "platbot: %v\n", cerr)
			return 1
		}
		switch cmd {
		case "serve":
			err = cmdServe(ctx, cfg, args, stderr)
		case "shell":
			err = cmdShell(ctx, cfg, args, stdin, stdout, stderr)
		case "migrate":
			err = cmdMigrate(ctx, cfg, args, stdout, stderr)
		case "audit":
			err = cmdAudit(ctx, cfg, args, stdout, stderr)
		case "digest":
			err = cmdDigest(ctx, cfg, args, stdout, stderr)
		case "hygiene":
			err = cmdHygiene(ctx, cfg, args, stdout, stderr)
		case "bench":
			err = cmdBench(ctx, cfg, args, stdout, stderr)
		case "template":
			err = cmdTemplate(ctx, cfg, args, stdout, stderr)
		}
	default:
		fmt.Fprintf(stderr, "platbot: unknown command %q\n\n%s", cmd, mainUsage)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errAuditBroken), errors.Is(err, errTemplateBroken):
		return 1
	default:
		if cmd == "" {
			fmt.Fprintf(stderr, "platbot: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "platbot %s: %v\n", cmd, err)
		}
		return 1
	}
}

// newFlags returns a flag set that prints usage to w and reports errors as errUsage.
func newFlags(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: platbot %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}
