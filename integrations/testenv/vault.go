package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Vault is a running Vault dev server (in-memory storage, unsealed, HTTP on
// a loopback port). In dev mode a KV v2 engine is mounted at "secret/";
// StartVault also mounts the transit engine at "transit/".
type Vault struct {
	// Addr is the server's address, e.g. "http://127.0.0.1:43127", as used
	// for VAULT_ADDR.
	Addr string
	// RootToken is the dev server's root token.
	RootToken string

	proc *process
	dir  string
	stop stopper
}

// StartVault starts a Vault dev server on a free loopback port, waits until
// it is healthy and mounts the transit secrets engine. The binary is
// $PLATBOT_VAULT_BIN, or the one cached by `.ci/tools/build.sh vault`; when
// neither exists the error wraps ErrNotBuilt. The caller must call Stop.
func StartVault(ctx context.Context) (*Vault, error) {
	bin, err := findBinary(EnvVaultBin, "vault", VaultVersion, "vault")
	if err != nil {
		return nil, err
	}
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()

	// A port found free may be taken before the server binds it: retry then.
	for attempt := 1; ; attempt++ {
		v, retry, err := startVault(ctx, bin)
		if err == nil {
			return v, nil
		}
		if !retry || attempt == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("starting vault dev server: %w", err)
		}
	}
}

// startVault makes one attempt at starting the server; retry reports whether
// the attempt failed because its port was taken.
func startVault(ctx context.Context, bin string) (v *Vault, retry bool, err error) {
	dir, err := os.MkdirTemp("", "platbot-vault-")
	if err != nil {
		return nil, false, fmt.Errorf("creating temp dir: %w", err)
	}
	v = &Vault{dir: dir}
	defer func() {
		if err != nil {
			if serr := v.Stop(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
	}()

	port, err := freePort()
	if err != nil {
		return v, false, err
	}
	v.RootToken, err = randomHex(16)
	if err != nil {
		return v, false, err
	}
	v.Addr = "http://" + hostPort(port)

	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return v, false, fmt.Errorf("creating vault home: %w", err)
	}
	args := []string{
		"server", "-dev",
		"-dev-root-token-id=" + v.RootToken,
		"-dev-listen-address=" + hostPort(port),
		"-dev-no-store-token",
	}
	v.proc, err = startProcess("vault", bin, args, baseEnv(home), dir, filepath.Join(dir, "vault.log"))
	if err != nil {
		return v, false, err
	}

	health := v.Addr + "/v1/sys/health"
	err = waitUntil(ctx, v.proc, 100*time.Millisecond, func(ctx context.Context) error {
		return httpGetOK(ctx, http.DefaultClient, health, "")
	})
	if err != nil {
		return v, v.proc.addrInUse(), err
	}

	client, err := v.Client()
	if err != nil {
		return v, false, err
	}
	// A dev server answers sys/health as soon as it is unsealed, which can
	// be before it has mounted KV v2 at secret/, and a new KV v2 mount
	// answers "Upgrading from non-versioned to versioned data" for a
	// moment: wait until its configuration can be read.
	err = waitUntil(ctx, v.proc, 50*time.Millisecond, func(ctx context.Context) error {
		cfg, err := client.Logical().ReadWithContext(ctx, "secret/config")
		if err != nil {
			return fmt.Errorf("reading secret/config: %w", err)
		}
		if cfg == nil {
			return errors.New("KV v2 is not mounted at secret/ yet")
		}
		return nil
	})
	if err != nil {
		return v, false, err
	}
	if err := client.Sys().MountWithContext(ctx, "transit", &vaultapi.MountInput{Type: "transit"}); err != nil {
		return v, false, v.proc.failure(fmt.Errorf("enabling transit at sys/mounts/transit: %w", err))
	}
	return v, false, nil
}

// Client returns a Vault API client for Addr that authenticates with the
// root token. Each call returns a new client.
func (v *Vault) Client() (*vaultapi.Client, error) {
	cfg := vaultapi.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client config: %w", cfg.Error)
	}
	cfg.Address = v.Addr
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating vault client for %s: %w", v.Addr, err)
	}
	client.SetToken(v.RootToken)
	client.ClearNamespace()
	return client, nil
}

// Stop stops the server and removes its temporary directory. It is safe to
// call more than once, and on a nil *Vault.
func (v *Vault) Stop() error {
	if v == nil {
		return nil
	}
	return v.stop.do(func() error {
		var errs []error
		if err := v.proc.stop(stopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping vault: %w", err))
		}
		if v.dir != "" {
			if err := os.RemoveAll(v.dir); err != nil {
				errs = append(errs, fmt.Errorf("removing vault temp dir: %w", err))
			}
		}
		return errors.Join(errs...)
	})
}
