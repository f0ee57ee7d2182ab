package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/platbot/platbot/commands/catalog"
	examplerepos "github.com/platbot/platbot/examples/repos"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// exampleRepos is the example services' own repositories (examples/repos)
// when the catalog is the example catalog they belong to; nil otherwise.
func exampleRepos(cfg *Config) ([]examplerepos.Repo, error) {
	ccfg, err := catalogConfig(cfg)
	if err != nil {
		return nil, err
	}
	if len(ccfg.Locations) == 0 || slices.ContainsFunc(ccfg.Locations, func(l catalog.LocationConfig) bool { return !underExamples(l) }) {
		return nil, nil
	}
	repos, err := examplerepos.All()
	if err != nil {
		return nil, fmt.Errorf("demo mode: %w", err)
	}
	return repos, nil
}

// seedExampleRepos creates, in demo mode on the example catalog, each
// example service's repository that does not exist yet as a local git
// repository under dir (<dir>/<owner>/<name>, where golden paths find a
// service's repository when no GitHub is configured), its files the first
// commit of main. A repository that exists is never changed; outside demo
// mode nothing is created.
func seedExampleRepos(ctx context.Context, cfg *Config, dir string, log *slog.Logger) error {
	if !cfg.Demo.on {
		return nil
	}
	repos, err := exampleRepos(cfg)
	if err != nil || len(repos) == 0 {
		return err
	}
	for _, r := range repos {
		target := filepath.Join(dir, r.Owner, r.Name)
		if _, err := os.Stat(target); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("example repository %s: %w", r.Slug(), err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("example repository %s: %w", r.Slug(), err)
		}
		// Made in a temporary folder and moved into place, so an
		// interrupted start never leaves a repository without its files.
		tmp, err := os.MkdirTemp(filepath.Dir(target), "."+r.Name+".seed-")
		if err != nil {
			return fmt.Errorf("example repository %s: %w", r.Slug(), err)
		}
		files := make([]gitlocal.File, 0, len(r.Files))
		for _, p := range slices.Sorted(maps.Keys(r.Files)) {
			files = append(files, gitlocal.File{Path: p, Content: r.Files[p]})
		}
		_, err = gitlocal.Open(ctx, tmp, gitlocal.Options{
			Base: "main", Seed: files, Logger: log,
			SeedMessage: "Initialize " + r.Slug() + " with the example service (" + examplerepos.Dir + ")",
		})
		if err == nil {
			err = os.Rename(tmp, target)
		}
		if err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("example repository %s: %w", r.Slug(), err)
		}
		log.Info("demo mode: created the example service's repository", "repo", r.Slug(), "dir", target)
	}
	return nil
}
