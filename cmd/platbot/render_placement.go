package main

import (
	"errors"
	"log/slog"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/commands/placement/place"
	exampleplacement "github.com/platbot/platbot/examples/placement"
)

// renderPlacement is how `template render` places the new environments a
// golden path adds: with platbot.yaml's placement section, else with the
// embedded example (examples/placement/placement.yaml, which the shell's
// demo mode uses too), said as a warning. files reads the GitOps
// repository's Applications (nil: only the catalog's intent shows an
// environment a service already has).
func renderPlacement(cfg *Config, cat *catalog.Catalog, files placement.FileReader, log *slog.Logger) (*placement.Environments, error) {
	pc := placement.DefaultConfig()
	if err := cfg.Feature("placement", &pc); err != nil {
		return nil, err
	}
	pc.File = cfg.path
	if cfg.Placement.Kind == 0 {
		var err error
		if pc, err = placement.LoadFile(exampleplacement.Config, exampleplacement.File); err != nil {
			return nil, err
		}
		log.Warn("platbot.yaml has no placement section: new environments are placed with the example configuration", "file", exampleplacement.File)
	}
	envs, err := placement.NewEnvironments(pc, cat, files)
	if err != nil {
		var pe *place.Error
		if errors.As(err, &pe) {
			return nil, &ConfigError{File: pe.File, Line: pe.Line, Key: "placement", Msg: pe.Msg}
		}
		return nil, &ConfigError{File: cfg.path, Key: "placement", Msg: err.Error()}
	}
	return envs, nil
}
