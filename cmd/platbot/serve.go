package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/platbot/platbot/store"
)

func cmdServe(ctx context.Context, cfg *Config, args []string, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr :8080]", stderr)
	addr := fs.String("addr", cfg.Addr, "HTTP listen address (PLATBOT_ADDR)")
	demo := fs.Bool("demo", cfg.Demo.on, "serve the example data under examples/, every message labelled as demo data (PLATBOT_DEMO=1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.Addr = *addr
	cfg.Demo.on = *demo
	if err := checkServeSources(cfg); err != nil {
		return err
	}
	if store.IsPostgres(cfg.DB) {
		if err := sharedKeys(cfg); err != nil {
			return err
		}
	}
	lock, err := lockDB(cfg.DB, "serve")
	if err != nil {
		return err
	}
	defer lock.Release()
	log := newLogger(cfg, stderr, slog.LevelInfo)
	app, err := buildApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := checkElector(ctx, app.Leader.Elector()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	var opsLn net.Listener
	if cfg.MetricsAddr != "" {
		if opsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (PLATBOT_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
	}
	return app.ServeWith(ctx, ln, opsLn)
}

// Serve runs the HTTP server, the worker, the scheduler and (when
// configured) Socket Mode until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	return a.ServeWith(ctx, ln, nil)
}

// ServeWith is Serve with a separate listener for operations (metricsLn,
// from PLATBOT_METRICS_ADDR): it serves /metrics, /healthz and /readyz, and
// the main listener then serves no /metrics — the Slack-facing address
// need not expose them — but keeps /healthz and /readyz for existing
// probes. With metricsLn nil the main listener serves all three.
func (a *App) ServeWith(ctx context.Context, ln, metricsLn net.Listener) error {
	var ready atomic.Bool
	health := func(mux *http.ServeMux) {
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "ok")
		})
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			if !ready.Load() {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			if err := a.Store.Ping(r.Context()); err != nil {
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ready")
		})
	}
	metrics := promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	health(mux)
	servers := []*http.Server{newHTTPServer(mux)}
	listeners := []net.Listener{ln}
	if metricsLn == nil {
		mux.Handle("GET /metrics", metrics)
	} else {
		ops := http.NewServeMux()
		health(ops)
		ops.Handle("GET /metrics", metrics)
		servers = append(servers, newHTTPServer(ops))
		listeners = append(listeners, metricsLn)
	}
	socket, err := a.mountTransports(ctx, mux)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4)
	for i, srv := range servers {
		go func() {
			if err := srv.Serve(listeners[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http server on %s: %w", listeners[i].Addr(), err)
			}
		}()
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { a.Router.Worker().Run(ctx); close(done) }()
	// Every replica campaigns; the leader runs the schedules and resumes
	// interrupted work (ha.go). Run returns once leadership is given up.
	led := make(chan struct{})
	go func() { a.Leader.Run(ctx); close(led) }()
	if socket != nil {
		go func() {
			if err := socket(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("socket mode: %w", err)
			}
		}()
	}
	ready.Store(true)
	if metricsLn != nil {
		a.Log.Info("platbot serving", "addr", ln.Addr().String(), "metrics_addr", metricsLn.Addr().String(), "version", version)
	} else {
		a.Log.Info("platbot serving", "addr", ln.Addr().String(), "version", version)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	ready.Store(false)
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			a.Log.Warn("http shutdown", "err", err)
		}
	}
	<-done
	<-led
	return runErr
}

// newHTTPServer bounds how long a client may take: a slow client cannot
// hold a connection (and an entry point's slot) longer than ReadTimeout.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
