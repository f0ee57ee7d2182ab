// Package testenv starts real servers (a Vault dev server, and a Kubernetes
// control plane made of etcd and kube-apiserver) on loopback addresses for
// platbot's integration tests.
//
// The server binaries are not downloaded at test time: Vault and
// kube-apiserver are built from the Go module proxy by `.ci/tools/build.sh`
// and cached outside the repository, keyed by version, in
//
//	${PLATBOT_TOOLS_CACHE:-$HOME/.cache/platbot-tools}/<name>-<version>/bin/
//
// etcd and PostgreSQL are Debian's packages (.ci/install-debian.sh).
//
// When a binary has not been built, the Start functions return an error that
// wraps ErrNotBuilt; SkipOrFail turns that into a skip on a developer's
// machine and into a failure in CI (CI=true), where the binaries are built
// before the tests run.
//
// A test package typically starts what it needs once, in TestMain, and each
// test that needs the server reports the start error:
//
//	var (
//		vault    *testenv.Vault
//		vaultErr error
//	)
//
//	func TestMain(m *testing.M) {
//		vault, vaultErr = testenv.StartVault(context.Background())
//		code := m.Run()
//		vault.Stop() // nil-safe
//		os.Exit(code)
//	}
//
//	func TestSecrets(t *testing.T) {
//		testenv.SkipOrFail(t, vaultErr)
//		client, err := vault.Client()
//		...
//	}
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Versions of the servers, as pinned by the nested modules in .ci/tools. They
// name the cache directories that .ci/tools/build.sh fills.
const (
	// VaultVersion is the github.com/hashicorp/vault version in
	// .ci/tools/vault/go.mod.
	VaultVersion = "v1.14.2"
	// KubeVersion is the k8s.io/kubernetes version in .ci/tools/kube/go.mod.
	KubeVersion = "v1.37.2"
)

// Environment variables read by this package.
const (
	// EnvToolsCache overrides the cache root ($HOME/.cache/platbot-tools).
	EnvToolsCache = "PLATBOT_TOOLS_CACHE"
	// EnvVaultBin is the path of a vault binary to use instead of the cached one.
	EnvVaultBin = "PLATBOT_VAULT_BIN"
	// EnvKubeAPIServerBin is the path of a kube-apiserver binary to use
	// instead of the cached one.
	EnvKubeAPIServerBin = "PLATBOT_KUBE_APISERVER_BIN"
	// EnvEtcdBin is the path of an etcd binary to use instead of Debian's
	// /usr/bin/etcd.
	EnvEtcdBin = "PLATBOT_ETCD_BIN"
)

// ErrNotBuilt is wrapped by the errors of StartVault and StartKube when a
// server binary has not been built yet.
var ErrNotBuilt = errors.New("testenv: server binary not built")

// startTimeout bounds how long a server may take to become ready when the
// caller's context has no earlier deadline.
const startTimeout = 90 * time.Second

// stopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopTimeout = 10 * time.Second

// SkipOrFail reports err, returned by StartVault or StartKube, on t. When the
// server binary is not built it skips the test with the build hint, except
// in CI (CI=true), where the binaries are built first and a missing one is a
// failure. Any other non-nil error fails the test. A nil err does nothing.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotBuilt) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
		return
	}
	t.Fatalf("%v", err)
}

// cacheRoot returns the root of the tools cache.
func cacheRoot() (string, error) {
	if dir := os.Getenv(EnvToolsCache); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the tools cache: %w (set %s)", err, EnvToolsCache)
	}
	return filepath.Join(home, ".cache", "platbot-tools"), nil
}

// findBinary returns the path of binary name of tool (as built by
// `.ci/tools/build.sh tool`), or the value of envVar when that is set.
func findBinary(envVar, tool, version, name string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envVar, p, err)
		}
		return p, nil
	}
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, tool+"-"+version, "bin", name)
	if err := checkExecutable(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %s %s not found at %s: run `.ci/tools/build.sh %s` (or set %s)",
				ErrNotBuilt, name, version, p, tool, envVar)
		}
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return p, nil
}

// checkExecutable reports whether p is an executable regular file.
func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// process is a server started by this package: it runs in its own process
// group, with its output in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid once done is closed
}

// startProcess starts bin with args, env and its output appended to logPath.
func startProcess(name, bin string, args, env []string, dir, logPath string) (*process, error) {
	return startProcessAs(name, bin, args, env, dir, logPath, nil)
}

// startProcessAs is startProcess running the server as cred's user (nil:
// this process's user).
func startProcessAs(name, bin string, args, env []string, dir, logPath string, cred *syscall.Credential) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	cmd.SysProcAttr.Credential = cred
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop terminates the process group: SIGTERM, then SIGKILL after timeout.
func (p *process) stop(timeout time.Duration) error {
	if p == nil || p.exited() {
		return nil
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, pgid)
		}
	}
	// Kill anything the server left behind in its process group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// failure describes why the process is not usable, with the tail of its log.
func (p *process) failure(err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", p.name, err)
	if p.exited() {
		fmt.Fprintf(&b, " (process exited: %v)", p.waitErr)
	}
	if tail := logTail(p.logPath, 4096); tail != "" {
		fmt.Fprintf(&b, "\n--- last lines of %s log ---\n%s", p.name, tail)
	}
	return errors.New(b.String())
}

// addrInUse reports whether the log of the process says its port was taken,
// in which case starting again on other ports is worth a try.
func (p *process) addrInUse() bool {
	data, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(data, []byte("address already in use"))
}

// logTail returns at most the last n bytes of the file at path.
func logTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := fi.Size() - n
	if off < 0 {
		off = 0
	}
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return strings.TrimSpace(string(buf))
}

// baseEnv returns a minimal environment for a server: PATH, TMPDIR and
// locale from the test process, HOME set to home, and extra appended.
func baseEnv(home string, extra ...string) []string {
	env := []string{"HOME=" + home}
	for _, k := range []string{"PATH", "TMPDIR", "LANG", "LC_ALL", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// waitUntil calls check every interval until it returns nil, the process
// exits, or ctx is done. It returns the last error of check otherwise.
func waitUntil(ctx context.Context, p *process, interval time.Duration, check func(context.Context) error) error {
	var last error
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.failure(fmt.Errorf("exited before it was ready (last check: %v)", last))
		case <-ctx.Done():
			return p.failure(fmt.Errorf("not ready: %w (last check: %v)", ctx.Err(), last))
		case <-t.C:
		}
	}
}

// withStartTimeout bounds ctx by startTimeout unless it already ends sooner.
func withStartTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < startTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, startTimeout)
}

// stopper runs a shutdown function once and remembers its error.
type stopper struct {
	once sync.Once
	err  error
}

func (s *stopper) do(f func() error) error {
	s.once.Do(func() { s.err = f() })
	return s.err
}

// hostPort formats a loopback address.
func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// httpGetOK sends a GET to url (with a bearer token unless token is empty)
// and returns an error unless the answer is 200 OK.
func httpGetOK(ctx context.Context, client *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("building request for %s: %w", url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
