package testenv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kube is a running Kubernetes control plane: etcd and kube-apiserver on
// loopback ports, with RBAC authorization and an admin user (bearer token,
// group system:masters). No controllers, scheduler or nodes run: objects can
// be created and read, but nothing reconciles them (no pods start, no
// ServiceAccount token Secrets are made; use the TokenRequest API instead).
type Kube struct {
	// Host is the API server URL, e.g. "https://127.0.0.1:40217".
	Host string
	// Config is a client config for the admin user. It trusts the API
	// server's generated CA.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for the admin user (for
	// KUBECONFIG); it is removed by Stop.
	Kubeconfig string
	// Token is the admin user's bearer token.
	Token string

	etcd      *process
	apiserver *process
	dir       string
	stop      stopper
}

// StartKube starts etcd and kube-apiserver on free loopback ports and waits
// until the API server is ready (/readyz). kube-apiserver is
// $PLATBOT_KUBE_APISERVER_BIN or the one cached by `.ci/tools/build.sh kube`;
// etcd is $PLATBOT_ETCD_BIN or Debian's etcd-server (.ci/install-debian.sh).
// When either is missing, the error wraps ErrNotBuilt. The caller must call
// Stop.
func StartKube(ctx context.Context) (*Kube, error) {
	apiserverBin, err := findBinary(EnvKubeAPIServerBin, "kube", KubeVersion, "kube-apiserver")
	if err != nil {
		return nil, err
	}
	etcdBin, err := findEtcd()
	if err != nil {
		return nil, err
	}
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()

	// A port found free may be taken before a server binds it: retry then.
	for attempt := 1; ; attempt++ {
		k, retry, err := startKube(ctx, etcdBin, apiserverBin)
		if err == nil {
			return k, nil
		}
		if !retry || attempt == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("starting kube control plane: %w", err)
		}
	}
}

// debianEtcd is where Debian's etcd-server package installs etcd.
const debianEtcd = "/usr/bin/etcd"

// findEtcd returns $PLATBOT_ETCD_BIN when set, else Debian's etcd, else an
// etcd on PATH. etcd is not built from source: the package is the same
// server, and building it cost the first test run minutes.
func findEtcd() (string, error) {
	if p := os.Getenv(EnvEtcdBin); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvEtcdBin, p, err)
		}
		return p, nil
	}
	if checkExecutable(debianEtcd) == nil {
		return debianEtcd, nil
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: etcd not found at %s or on PATH: run `.ci/install-debian.sh` (Debian's etcd-server) or set %s",
		ErrNotBuilt, debianEtcd, EnvEtcdBin)
}

// startKube makes one attempt at starting the control plane; retry reports
// whether the attempt failed because a port was taken.
func startKube(ctx context.Context, etcdBin, apiserverBin string) (k *Kube, retry bool, err error) {
	dir, err := os.MkdirTemp("", "platbot-kube-")
	if err != nil {
		return nil, false, fmt.Errorf("creating temp dir: %w", err)
	}
	k = &Kube{dir: dir}
	defer func() {
		if err != nil {
			if serr := k.Stop(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
	}()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return k, false, fmt.Errorf("creating home dir: %w", err)
	}
	env := baseEnv(home)

	// etcd
	var ports [3]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return k, false, err
		}
	}
	clientURL := "http://" + hostPort(ports[0])
	peerURL := "http://" + hostPort(ports[1])
	etcdArgs := []string{
		"--name=platbot-test",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=platbot-test=" + peerURL,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
	k.etcd, err = startProcess("etcd", etcdBin, etcdArgs, env, dir, filepath.Join(dir, "etcd.log"))
	if err != nil {
		return k, false, err
	}
	err = waitUntil(ctx, k.etcd, 50*time.Millisecond, func(ctx context.Context) error {
		return httpGetOK(ctx, http.DefaultClient, clientURL+"/health", "")
	})
	if err != nil {
		return k, k.etcd.addrInUse(), err
	}

	// kube-apiserver
	if k.Token, err = randomHex(16); err != nil {
		return k, false, err
	}
	tokenFile := filepath.Join(dir, "tokens.csv")
	tokens := k.Token + ",platbot-admin,platbot-admin,system:masters\n"
	if err := os.WriteFile(tokenFile, []byte(tokens), 0o600); err != nil {
		return k, false, fmt.Errorf("writing token file: %w", err)
	}
	saKey := filepath.Join(dir, "sa.key")
	if err := writeRSAKey(saKey); err != nil {
		return k, false, err
	}
	certDir := filepath.Join(dir, "certs")
	securePort := ports[2]
	apiArgs := []string{
		"--etcd-servers=" + clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(securePort),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--disable-admission-plugins=ServiceAccount",
		"--endpoint-reconciler-type=none",
	}
	k.apiserver, err = startProcess("kube-apiserver", apiserverBin, apiArgs, env, dir, filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		return k, false, err
	}
	k.Host = "https://" + hostPort(securePort)

	// The serving certificate is generated at start-up, so probe readiness
	// without verification, then trust the generated CA from then on.
	probe := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	defer probe.CloseIdleConnections()
	err = waitUntil(ctx, k.apiserver, 100*time.Millisecond, func(ctx context.Context) error {
		return httpGetOK(ctx, probe, k.Host+"/readyz", k.Token)
	})
	if err != nil {
		return k, k.apiserver.addrInUse(), err
	}

	// apiserver.crt holds the serving certificate and the CA that signed it.
	caData, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		return k, false, fmt.Errorf("reading the generated API server certificate: %w", err)
	}
	k.Config = &rest.Config{
		Host:            k.Host,
		BearerToken:     k.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caData},
	}
	k.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(k.Kubeconfig, k.Host, k.Token, caData); err != nil {
		return k, false, err
	}
	return k, false, nil
}

// writeRSAKey writes a new 2048-bit RSA private key in PEM to path.
func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating service account key: %w", err)
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("writing service account key: %w", err)
	}
	return nil
}

// writeKubeconfig writes a kubeconfig for the admin user to path.
func writeKubeconfig(path, host, token string, caData []byte) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["platbot-test"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: caData}
	cfg.AuthInfos["platbot-admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["platbot-test"] = &clientcmdapi.Context{Cluster: "platbot-test", AuthInfo: "platbot-admin", Namespace: "default"}
	cfg.CurrentContext = "platbot-test"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	return nil
}

// Stop stops kube-apiserver and etcd and removes their temporary directory.
// It is safe to call more than once, and on a nil *Kube.
func (k *Kube) Stop() error {
	if k == nil {
		return nil
	}
	return k.stop.do(func() error {
		var errs []error
		if err := k.apiserver.stop(stopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping kube-apiserver: %w", err))
		}
		if err := k.etcd.stop(stopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping etcd: %w", err))
		}
		if k.dir != "" {
			if err := os.RemoveAll(k.dir); err != nil {
				errs = append(errs, fmt.Errorf("removing kube temp dir: %w", err))
			}
		}
		return errors.Join(errs...)
	})
}
