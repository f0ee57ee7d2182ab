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
)

func cmdServe(ctx context.Context, cfg *Config, args []string, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr :8080]", stderr)
	addr := fs.String("addr", cfg.Addr, "HTTP listen address (PLATBOT_ADDR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.Addr = *addr
	log := newLogger(cfg, stderr, slog.LevelInfo)
	app, err := buildApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return app.Serve(ctx, ln)
}

// Serve runs the HTTP server, the worker, the scheduler and (when
// configured) Socket Mode until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	var ready atomic.Bool
	mux := http.NewServeMux()
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	socket, err := a.mountTransports(ctx, mux)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	if err := a.Start(ctx); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { a.Router.Worker().Run(ctx); close(done) }()
	a.Sched.Start(ctx)
	if socket != nil {
		go func() {
			if err := socket(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("socket mode: %w", err)
			}
		}()
	}
	ready.Store(true)
	a.Log.Info("platbot serving", "addr", ln.Addr().String(), "version", version)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	ready.Store(false)
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.Log.Warn("http shutdown", "err", err)
	}
	<-done
	return runErr
}
