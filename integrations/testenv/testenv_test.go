package testenv

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestVault(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	v, err := StartVault(ctx)
	SkipOrFail(t, err)
	pid, dir := v.proc.cmd.Process.Pid, v.dir
	defer checkStopped(t, "vault", v.Stop, dir, pid)

	if !strings.HasPrefix(v.Addr, "http://127.0.0.1:") {
		t.Errorf("Addr = %q, want a loopback address", v.Addr)
	}
	client, err := v.Client()
	if err != nil {
		t.Fatal(err)
	}

	// KV v2, mounted at secret/ in dev mode.
	kv := client.KVv2("secret")
	if _, err := kv.Put(ctx, "platbot/test", map[string]any{"password": "hunter2"}); err != nil {
		t.Fatalf("KV v2 put: %v", err)
	}
	got, err := kv.Get(ctx, "platbot/test")
	if err != nil {
		t.Fatalf("KV v2 get: %v", err)
	}
	if got.Data["password"] != "hunter2" {
		t.Errorf("KV v2 get: data = %v, want password=hunter2", got.Data)
	}
	if got.VersionMetadata == nil || got.VersionMetadata.Version != 1 {
		t.Errorf("KV v2 get: version metadata = %+v, want version 1", got.VersionMetadata)
	}

	// Transit, mounted by StartVault.
	logical := client.Logical()
	if _, err := logical.WriteWithContext(ctx, "transit/keys/platbot", nil); err != nil {
		t.Fatalf("creating transit key: %v", err)
	}
	plaintext := base64.StdEncoding.EncodeToString([]byte("attack at dawn"))
	enc, err := logical.WriteWithContext(ctx, "transit/encrypt/platbot", map[string]any{"plaintext": plaintext})
	if err != nil {
		t.Fatalf("transit encrypt: %v", err)
	}
	ciphertext, _ := enc.Data["ciphertext"].(string)
	if !strings.HasPrefix(ciphertext, "vault:v1:") {
		t.Fatalf("transit encrypt: ciphertext = %q, want vault:v1:...", ciphertext)
	}
	dec, err := logical.WriteWithContext(ctx, "transit/decrypt/platbot", map[string]any{"ciphertext": ciphertext})
	if err != nil {
		t.Fatalf("transit decrypt: %v", err)
	}
	if dec.Data["plaintext"] != plaintext {
		t.Errorf("transit decrypt: plaintext = %v, want %q", dec.Data["plaintext"], plaintext)
	}

	// The server reports the pinned version.
	health, err := client.Sys().HealthWithContext(ctx)
	if err != nil {
		t.Fatalf("sys/health: %v", err)
	}
	if want := strings.TrimPrefix(VaultVersion, "v"); health.Version != want {
		t.Errorf("vault version = %q, want %q", health.Version, want)
	}
}

func TestKube(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	k, err := StartKube(ctx)
	SkipOrFail(t, err)
	t.Logf("control plane ready in %v", time.Since(start).Round(time.Millisecond))
	apiserverPID, etcdPID, dir := k.apiserver.cmd.Process.Pid, k.etcd.cmd.Process.Pid, k.dir
	defer checkStopped(t, "kube", k.Stop, dir, apiserverPID, etcdPID)

	if !strings.HasPrefix(k.Host, "https://127.0.0.1:") {
		t.Errorf("Host = %q, want a loopback address", k.Host)
	}
	cs, err := kubernetes.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if info.GitVersion != KubeVersion {
		t.Errorf("server version = %q, want %q", info.GitVersion, KubeVersion)
	}

	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "platbot-test"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	sa, err := cs.CoreV1().ServiceAccounts(ns.Name).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating service account: %v", err)
	}
	expiry := int64(600)
	tr, err := cs.CoreV1().ServiceAccounts(ns.Name).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	if parts := strings.Split(tr.Status.Token, "."); len(parts) != 3 {
		t.Fatalf("TokenRequest: token is not a JWT: %q", tr.Status.Token)
	}

	// The issued token authenticates as the service account.
	saConfig := *k.Config
	saConfig.BearerToken = tr.Status.Token
	saClient, err := kubernetes.NewForConfig(&saConfig)
	if err != nil {
		t.Fatal(err)
	}
	review, err := saClient.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview with the service account token: %v", err)
	}
	if want := "system:serviceaccount:platbot-test:deployer"; review.Status.UserInfo.Username != want {
		t.Errorf("service account token authenticates as %q, want %q", review.Status.UserInfo.Username, want)
	}

	// The kubeconfig file works too.
	fromFile, err := clientcmd.BuildConfigFromFlags("", k.Kubeconfig)
	if err != nil {
		t.Fatalf("loading kubeconfig: %v", err)
	}
	csFile, err := kubernetes.NewForConfig(fromFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := csFile.CoreV1().ServiceAccounts(ns.Name).Get(ctx, sa.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("getting the service account through the kubeconfig: %v", err)
	}
}

// checkStopped calls stop and checks that the processes with the given pids
// have exited and that dir was removed. Calling stop again must succeed.
func checkStopped(t *testing.T, name string, stop func() error, dir string, pids ...int) {
	t.Helper()
	if err := stop(); err != nil {
		t.Errorf("%s Stop: %v", name, err)
	}
	if err := stop(); err != nil {
		t.Errorf("%s second Stop: %v", name, err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s: process %d still exists after Stop (kill 0: %v)", name, pid, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: temp dir %s not removed after Stop (stat: %v)", name, dir, err)
	}
}

func TestNotBuilt(t *testing.T) {
	t.Setenv(EnvToolsCache, t.TempDir())
	t.Setenv(EnvVaultBin, "")
	t.Setenv(EnvKubeAPIServerBin, "")
	t.Setenv(EnvEtcdBin, "")
	ctx := context.Background()

	_, err := StartVault(ctx)
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), ".ci/tools/build.sh vault") {
		t.Errorf("StartVault without a binary: err = %v, want ErrNotBuilt with the build hint", err)
	}
	_, err = StartKube(ctx)
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), ".ci/tools/build.sh kube") {
		t.Errorf("StartKube without binaries: err = %v, want ErrNotBuilt with the build hint", err)
	}

	// An explicit override that does not exist is an error, not "not built".
	t.Setenv(EnvVaultBin, filepath.Join(t.TempDir(), "missing-vault"))
	_, err = StartVault(ctx)
	if err == nil || errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), EnvVaultBin) {
		t.Errorf("StartVault with a bad %s: err = %v", EnvVaultBin, err)
	}
}

// recordingTB records what SkipOrFail does instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestSkipOrFail(t *testing.T) {
	notBuilt := fmt.Errorf("%w: vault not found: run `.ci/tools/build.sh vault`", ErrNotBuilt)
	other := errors.New("boom")
	for _, tc := range []struct {
		name, ci           string
		err                error
		wantSkip, wantFail bool
	}{
		{name: "nil", err: nil},
		{name: "not built locally", err: notBuilt, wantSkip: true},
		{name: "not built in CI", ci: "true", err: notBuilt, wantFail: true},
		{name: "other error locally", err: other, wantFail: true},
		{name: "other error in CI", ci: "true", err: other, wantFail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recordingTB{TB: t}
			SkipOrFail(r, tc.err)
			if (r.skipped != "") != tc.wantSkip || (r.failed != "") != tc.wantFail {
				t.Errorf("skipped=%q failed=%q, want skip=%v fail=%v", r.skipped, r.failed, tc.wantSkip, tc.wantFail)
			}
			if tc.wantSkip && !strings.Contains(r.skipped, ".ci/tools/build.sh vault") {
				t.Errorf("skip message %q lacks the build hint", r.skipped)
			}
		})
	}
}

// TestVersionsMatchToolModules keeps VaultVersion and KubeVersion in step
// with the nested modules that build.sh builds them from.
func TestVersionsMatchToolModules(t *testing.T) {
	for _, tc := range []struct{ gomod, module, want string }{
		{"../../.ci/tools/vault/go.mod", "github.com/hashicorp/vault", VaultVersion},
		{"../../.ci/tools/kube/go.mod", "k8s.io/kubernetes", KubeVersion},
	} {
		got, err := requiredVersion(tc.gomod, tc.module)
		if err != nil {
			t.Error(err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s requires %s %s, but testenv expects %s", tc.gomod, tc.module, got, tc.want)
		}
	}
}

// requiredVersion returns the version of module required by the go.mod file
// at path, in either the single-line or the block form of require.
func requiredVersion(path, module string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module && strings.HasPrefix(fields[1], "v") {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return "", fmt.Errorf("%s does not require %s", path, module)
}

func TestPostgres(t *testing.T) {
	ctx := context.Background()
	pg, err := StartPostgres(ctx)
	SkipOrFail(t, err)
	dir := pg.Dir()
	dsn, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var addrs string
	if err := c.QueryRow(ctx, "SHOW listen_addresses").Scan(&addrs); err != nil || addrs != "" {
		t.Errorf("listen_addresses = %q, %v; want no TCP listener", addrs, err)
	}
	c.Close(ctx)
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still exists after Stop (%v)", dir, err)
	}
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Error("the cluster still accepts connections after Stop")
	}
}
