package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	metrics "github.com/armon/go-metrics"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/command/server"
	"github.com/hashicorp/vault/helper/metricsutil"
	"github.com/hashicorp/vault/helper/namespace"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/sdk/physical/inmem"
	"github.com/hashicorp/vault/vault"
	vaultseal "github.com/hashicorp/vault/vault/seal"
	"github.com/hashicorp/vault/version"
)

const usage = `Usage: vault server -dev [-dev-root-token-id=ID] [-dev-listen-address=HOST:PORT] [-dev-no-store-token]
       vault version

This vault is built for platbot's integration tests: only the dev server
(in-memory storage, unsealed, HTTP without TLS) is built in.`

// run is the command line; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 1
	}
	switch args[0] {
	case "version", "-version", "--version", "-v":
		fmt.Fprintln(stdout, version.GetVersion().FullVersionNumber(true))
		return 0
	case "server":
	default:
		fmt.Fprintf(stderr, "vault: unknown command %q (this build has only \"server -dev\" and \"version\")\n%s\n", args[0], usage)
		return 1
	}

	fs := flag.NewFlagSet("vault server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage) }
	dev := fs.Bool("dev", false, "run the dev server (required: nothing else is built in)")
	rootToken := fs.String("dev-root-token-id", "", "the root token's ID (default: a generated one)")
	listenAddr := fs.String("dev-listen-address", "127.0.0.1:8200", "the HTTP listener's address")
	fs.Bool("dev-no-store-token", false, "accepted as in vault server -dev; this build never stores the token")
	if err := fs.Parse(args[1:]); err != nil {
		return 1
	}
	if !*dev {
		fmt.Fprintf(stderr, "vault server: only the dev server is built in: pass -dev\n%s\n", usage)
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vault server: unexpected arguments %q\n%s\n", fs.Args(), usage)
		return 1
	}

	logger := hclog.New(&hclog.LoggerOptions{Name: "vault", Output: stderr, Level: hclog.Info})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveDev(ctx, *listenAddr, *rootToken, logger, stdout); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	return 0
}

// serveDev runs a dev server on listenAddr until ctx is done: Vault's core on
// in-memory storage, initialised with one unseal key, unsealed, with a root
// token of the given ID (when not empty) and KV v2 mounted at secret/, behind
// Vault's HTTP handler; as github.com/hashicorp/vault/command/server.go does
// for `vault server -dev`.
func serveDev(ctx context.Context, listenAddr, rootTokenID string, logger hclog.Logger, stdout io.Writer) error {
	config, err := server.DevConfig("inmem")
	if err != nil {
		return err
	}
	config.EnableUI = false // the UI's assets are not built in
	ln := config.Listeners[0]
	ln.Address = listenAddr

	l, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listenAddr, err)
	}
	defer l.Close()

	backend, err := inmem.NewInmem(nil, logger.Named("storage.inmem"))
	if err != nil {
		return fmt.Errorf("creating in-memory storage: %w", err)
	}
	sink := metrics.NewInmemSink(10*time.Second, time.Minute)
	core, err := vault.NewCore(&vault.CoreConfig{
		RawConfig:           config,
		Physical:            backend,
		StorageType:         "inmem",
		RedirectAddr:        "http://" + listenAddr,
		CredentialBackends:  credentialBackends,
		LogicalBackends:     logicalBackends,
		BuiltinRegistry:     builtins,
		Logger:              logger,
		DisableMlock:        true,
		EnableRaw:           true,
		EnableIntrospection: true,
		DevToken:            rootTokenID,
		MetricsHelper:       metricsutil.NewMetricsHelper(sink, false),
		MetricSink:          metricsutil.NewClusterMetricSink("vault-dev", sink),
	})
	if err != nil {
		return fmt.Errorf("creating the core: %w", err)
	}
	defer func() {
		if err := core.Shutdown(); err != nil {
			logger.Error("shutting down the core", "error", err)
		}
	}()

	srv := &http.Server{
		Handler:           vaulthttp.Handler.Handler(&vault.HandlerProperties{Core: core, ListenerConfig: ln}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          logger.StandardLogger(nil),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	if err := initDev(ctx, core, rootTokenID); err != nil {
		return fmt.Errorf("initializing dev mode: %w", err)
	}
	// The root token is not printed: the caller chose it.
	fmt.Fprintf(stdout, "%s dev server listening on http://%s (in-memory storage, unsealed)\n",
		version.GetVersion().FullVersionNumber(false), listenAddr)

	select {
	case <-ctx.Done():
		logger.Info("shutdown triggered")
		return nil
	case err := <-served:
		return fmt.Errorf("serving HTTP on %s: %w", listenAddr, err)
	}
}

// initDev is enableDev of github.com/hashicorp/vault/command/server.go for a
// core whose token is never stored: initialise with a single key share,
// unseal, replace the initial root token with one of ID rootTokenID, and
// mount KV v2 at secret/.
func initDev(ctx context.Context, core *vault.Core, rootTokenID string) error {
	ctx = namespace.ContextWithNamespace(ctx, namespace.RootNamespace)

	barrierConfig := &vault.SealConfig{SecretShares: 1, SecretThreshold: 1}
	var recoveryConfig *vault.SealConfig
	if core.SealAccess().RecoveryKeySupported() {
		recoveryConfig = &vault.SealConfig{SecretShares: 1, SecretThreshold: 1}
	}
	if core.SealAccess().StoredKeysSupported() != vaultseal.StoredKeysNotSupported {
		barrierConfig.StoredShares = 1
	}
	init, err := core.Initialize(ctx, &vault.InitParams{BarrierConfig: barrierConfig, RecoveryConfig: recoveryConfig})
	if err != nil {
		return fmt.Errorf("initializing: %w", err)
	}

	if core.SealAccess().StoredKeysSupported() == vaultseal.StoredKeysSupportedGeneric {
		if err := core.UnsealWithStoredKeys(ctx); err != nil {
			return fmt.Errorf("unsealing with stored keys: %w", err)
		}
	} else {
		unsealed, err := core.Unseal(init.SecretShares[0])
		if err != nil {
			return fmt.Errorf("unsealing: %w", err)
		}
		if !unsealed {
			return errors.New("still sealed after the unseal key")
		}
	}
	if _, _, _, err := core.Leader(); err != nil && !errors.Is(err, vault.ErrHANotEnabled) {
		return fmt.Errorf("checking active status: %w", err)
	}

	token := init.RootToken
	if rootTokenID != "" {
		resp, err := core.HandleRequest(ctx, &logical.Request{
			ID:          "dev-gen-root",
			Operation:   logical.UpdateOperation,
			ClientToken: token,
			Path:        "auth/token/create",
			Data: map[string]interface{}{
				"id":                rootTokenID,
				"policies":          []string{"root"},
				"no_parent":         true,
				"no_default_policy": true,
			},
		})
		if err != nil {
			return fmt.Errorf("creating the root token of the given ID: %w", err)
		}
		if resp == nil || resp.Auth == nil {
			return errors.New("creating the root token of the given ID: no token in the response")
		}
		if _, err := core.HandleRequest(ctx, &logical.Request{
			ID:          "dev-revoke-init-root",
			Operation:   logical.UpdateOperation,
			ClientToken: token,
			Path:        "auth/token/revoke-self",
		}); err != nil {
			return fmt.Errorf("revoking the initial root token: %w", err)
		}
		token = resp.Auth.ClientToken
	}

	resp, err := core.HandleRequest(ctx, &logical.Request{
		Operation:   logical.UpdateOperation,
		ClientToken: token,
		Path:        "sys/mounts/secret",
		Data: map[string]interface{}{
			"type":        "kv",
			"path":        "secret/",
			"description": "key/value secret storage",
			"options":     map[string]string{"version": "2"},
		},
	})
	if err != nil {
		return fmt.Errorf("mounting KV v2 at secret/: %w", err)
	}
	if resp.IsError() {
		return fmt.Errorf("mounting KV v2 at secret/: %w", resp.Error())
	}
	return nil
}
