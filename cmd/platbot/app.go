package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// App is the wired bot: store, router, worker, scheduler and features.
type App struct {
	Cfg    *Config
	Log    *slog.Logger
	Store  *store.Store
	Router *bot.Router
	Sched  *bot.Scheduler
	// Leader decides whether this replica runs the schedules and resumes
	// interrupted work (see ha.go).
	Leader   *bot.Leadership
	Registry *prometheus.Registry
	Metrics  *bot.Metrics

	feats *features

	// startup runs on every replica once the transports are bound (the
	// features' Start, audit anchoring); resume runs on the leader
	// (the features' Resume).
	startup []func(ctx context.Context) error
	resume  func(ctx context.Context) error
	closers []func() error
}

func newLogger(cfg *Config, w io.Writer, defaultLevel slog.Level) *slog.Logger {
	lvl := defaultLevel
	switch strings.ToLower(cfg.Log.Level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	case "info":
		if defaultLevel < slog.LevelInfo {
			lvl = slog.LevelInfo
		}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var log *slog.Logger
	if strings.ToLower(cfg.Log.Format) == "json" {
		log = slog.New(slog.NewJSONHandler(w, opts))
	} else {
		log = slog.New(slog.NewTextHandler(w, opts))
	}
	// Every subcommand makes its logger here, right after loading the
	// config: the old keys the file used are reported once, at start.
	cfg.logDeprecations(log)
	return log
}

// auditKey returns the configured audit HMAC key, or the one generated into
// the data folder on first start.
func auditKey(cfg *Config) ([]byte, error) {
	if cfg.Audit.HMACKey != "" {
		return []byte(cfg.Audit.HMACKey), nil
	}
	p := filepath.Join(cfg.DataDir, "audit-hmac.key")
	if b, err := os.ReadFile(p); err == nil {
		k, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) < 16 {
			return nil, fmt.Errorf("audit key %s is corrupt: delete it only if the audit log is new, or set PLATBOT_AUDIT_KEY", p)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read audit key: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write audit key: %w", err)
	}
	return k, nil
}

// openStore opens the database with the audit key and the audit chain's
// key (see auditchain.go).
func openStore(ctx context.Context, cfg *Config, log *slog.Logger, extra ...store.Option) (*store.Store, error) {
	key, err := auditKey(cfg)
	if err != nil {
		return nil, err
	}
	chain, err := loadChainKey(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(cfg.DB); dir != "." && !store.IsPostgres(cfg.DB) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	opts := append([]store.Option{store.WithAuditKey(key), store.WithChainKey(chain), store.WithLogger(log)}, extra...)
	st, err := store.Open(ctx, cfg.DB, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database (PLATBOT_DB): %w", err)
	}
	return st, nil
}

// buildApp wires everything that does not depend on the transport.
func buildApp(ctx context.Context, cfg *Config, log *slog.Logger) (*App, error) {
	if err := checkDefaults(cfg); err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bot.NewMetrics(reg)
	app := &App{Cfg: cfg, Log: log, Store: st, Registry: reg, Metrics: metrics}
	app.closers = append(app.closers, st.Close)
	el, err := newElector(cfg, st, log)
	if err != nil {
		app.Close()
		return nil, err
	}
	app.Leader = bot.NewLeadership(bot.LeadershipOptions{
		Elector: el, Identity: cfg.HA.identity(), Records: st, Registerer: reg, Logger: log,
	})

	feats, err := newFeatures(ctx, app)
	if err != nil {
		app.Close()
		return nil, err
	}
	app.feats = feats
	ropts := bot.RouterOptions{Audit: st, Queue: st, Logger: log, Version: version, Metrics: metrics}
	feats.routerOptions(&ropts)
	if ropts.Sealer, err = loadSealer(cfg, log); err != nil {
		app.Close()
		return nil, err
	}
	app.Router = bot.NewRouter(ropts)
	app.Router.Worker().SetConcurrency(workerConcurrency(cfg))
	app.Sched = bot.NewScheduler(app.Router.Worker(), log)
	app.leaderWork()
	if err := feats.register(ctx, app); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.startAnchoring(); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// Start runs what every replica does once messengers are bound: the
// features' Start (refreshing a restored catalog, watching Argo CD,
// checking integrations) and audit anchoring. Resuming interrupted work is
// the leader's (leaderWork).
func (a *App) Start(ctx context.Context) error {
	for _, f := range a.startup {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close releases everything, newest first.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.Log.Warn("close", "err", err)
		}
	}
}
