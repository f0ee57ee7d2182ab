package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDBLockRefusesASecondHolderAndNamesTheFirst(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "platbot.db")
	first, err := lockDB(db, "serve")
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open in this process
	// conflicts exactly as another process's would.
	_, err = lockDB(db, "shell")
	var inUse *errDBInUse
	if !errors.As(err, &inUse) {
		t.Fatalf("second lock: got %v, want errDBInUse", err)
	}
	msg := err.Error()
	for _, want := range []string{
		db + " is in use by another platbot process (pid " + fmt.Sprint(os.Getpid()),
		"mode serve)", "started ", "SQLite runs one process", "PLATBOT_DB=postgres://",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if fi, err := os.Stat(db + dbLockSuffix); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode %v; want 0600", fi.Mode().Perm())
	}

	first.Release()
	first.Release() // idempotent
	if b, _ := os.ReadFile(db + dbLockSuffix); len(b) != 0 {
		t.Errorf("released lock still names a holder: %q", b)
	}
	again, err := lockDB(db, "migrate")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	defer again.Release()
	if o := readDBLockOwner(db + dbLockSuffix); o == nil || o.Mode != "migrate" || o.PID != os.Getpid() {
		t.Fatalf("lock file names %+v, want this process in mode migrate", o)
	}
}

func TestDBLockSkipsPostgresAndMemory(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, db := range []string{"postgres://platbot@localhost/platbot", "host=localhost dbname=platbot", ":memory:"} {
		a, err := lockDB(db, "serve")
		if err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		b, err := lockDB(db, "serve")
		if err != nil {
			t.Fatalf("%s: a second process would be refused: %v", db, err)
		}
		a.Release()
		b.Release()
	}
	if left, _ := filepath.Glob("*"); len(left) > 0 {
		t.Fatalf("lock files created for databases that take none: %v", left)
	}
}

// lockHelperEnv marks a run of the test binary as a platbot process for
// TestSecondProcessOnTheSameSQLiteRefusesToStart.
const lockHelperEnv = "PLATBOT_TEST_LOCK_HELPER"

// TestDBLockHelperProcess is platbot's main in a child process: the test
// binary re-executed with lockHelperEnv holding the arguments.
func TestDBLockHelperProcess(t *testing.T) {
	args := os.Getenv(lockHelperEnv)
	if args == "" {
		t.Skip("runs only as the child process of TestSecondProcessOnTheSameSQLiteRefusesToStart")
	}
	os.Exit(run(context.Background(), strings.Fields(args), os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// platbotProcess is the command for a platbot child process on env e.
func platbotProcess(t *testing.T, e map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDBLockHelperProcess$")
	cmd.Dir = filepath.Join("cmd", "platbot") // TestMain moved to the repository root; the child's moves there again
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), lockHelperEnv + "=" + strings.Join(args, " ")}
	for k, v := range e {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// runPlatbotProcess runs a platbot child process to its end; one that does
// not end within a minute (a second serve that started) is killed.
func runPlatbotProcess(t *testing.T, e map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := platbotProcess(t, e, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("platbot %s kept running beside the first process; stderr:\n%s", strings.Join(args, " "), errb.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

func TestSecondProcessOnTheSameSQLiteRefusesToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several platbot processes")
	}
	e := testEnv(t, map[string]string{
		// What serve needs to start; never contacted, as it must not start.
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": testSigningSecret,
		"SLACK_API_URL":        "http://127.0.0.1:1/api/",
	})
	shellEnv := map[string]string{}
	for k, v := range e {
		if !strings.HasPrefix(k, "SLACK_") {
			shellEnv[k] = v
		}
	}

	// The first process: a shell, which runs the worker and the schedules.
	first := platbotProcess(t, shellEnv, "shell")
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			first.Process.Kill()
			first.Wait()
		}
	})
	// Once it answers, it holds the lock (taken before the store opens).
	fmt.Fprintln(stdin, "/plat ping")
	lines := bufio.NewScanner(stdout)
	for !strings.Contains(lines.Text(), "pong") {
		if !lines.Scan() {
			first.Wait()
			t.Fatalf("first shell ended before answering: %v\nstderr:\n%s", lines.Err(), firstErr.String())
		}
	}
	go io.Copy(io.Discard, stdout)

	want := fmt.Sprintf("is in use by another platbot process (pid %d", first.Process.Pid)
	for _, args := range [][]string{{"serve", "--demo"}, {"shell"}, {"migrate"}} {
		code, out, errOut := runPlatbotProcess(t, e, args...)
		if code == 0 || !strings.Contains(errOut, e["PLATBOT_DB"]+" "+want) || !strings.Contains(errOut, "mode shell)") ||
			!strings.Contains(errOut, "SQLite runs one process; stop it, or use PostgreSQL") {
			t.Errorf("platbot %s beside a running shell: exit %d, stdout %q, stderr %q; want a refusal naming pid %d in mode shell",
				args[0], code, out, errOut, first.Process.Pid)
		}
	}
	// Reading the log needs no lock.
	if code, out, errOut := runPlatbotProcess(t, e, "audit", "verify"); code != 0 || !strings.Contains(out, "audit log OK") {
		t.Errorf("audit verify beside a running shell: exit %d, %q %q", code, out, errOut)
	}
	if code, out, errOut := runPlatbotProcess(t, e, "audit", "export"); code != 0 || !strings.Contains(out, `"action"`) {
		t.Errorf("audit export beside a running shell: exit %d, %q %q", code, out, errOut)
	}

	// A crash leaves no stale lock: after SIGKILL a new process starts.
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	killed = true
	if b, err := os.ReadFile(e["PLATBOT_DB"] + dbLockSuffix); err != nil || !strings.Contains(string(b), fmt.Sprintf(`"pid":%d`, first.Process.Pid)) {
		t.Fatalf("the killed process's record should still be in the lock file: %q %v", b, err)
	}
	second := platbotProcess(t, shellEnv, "shell")
	second.Stdin = strings.NewReader("/plat ping\n")
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pong") {
		t.Fatalf("shell after the first was killed: %v\n%s", err, out)
	}
}

func TestMigrateCopyRefusesASourceInUse(t *testing.T) {
	e := testEnv(t, nil)
	if code, _, errOut := runBot(t, e, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	held, err := lockDB(e["PLATBOT_DB"], "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	code, _, errOut := runBot(t, e, "", "migrate", "--from", e["PLATBOT_DB"], "--to", "postgres://platbot@127.0.0.1:1/platbot")
	if code == 0 || !strings.Contains(errOut, "--from: "+e["PLATBOT_DB"]+" is in use by another platbot process") || !strings.Contains(errOut, "mode serve)") {
		t.Fatalf("copying a database in use: exit %d, stderr %q", code, errOut)
	}
}
