package main

import (
	"context"
	"errors"
	"io"
	"net/http"
)

func cmdDigest(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	return errors.New("digest: not wired yet")
}

func cmdBench(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	return errors.New("bench: not wired yet")
}

func (a *App) mountTransports(ctx context.Context, mux *http.ServeMux) (func(context.Context) error, error) {
	return nil, nil
}
