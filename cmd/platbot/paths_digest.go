package main

import (
	"context"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/scorecard"
)

// pathsDrift is the golden paths' drift section of a team's weekly
// scorecard digest (commands/paths/drift.go): the scorecard feature is
// built before the golden paths, so it asks for them when a digest runs.
type pathsDrift struct{ f *features }

func (d pathsDrift) DigestSection(ctx context.Context, team string) ([]bot.Block, string, bool) {
	if d.f.paths == nil {
		return nil, "", false
	}
	return d.f.paths.DigestSection(ctx, team)
}

var _ scorecard.DigestContributor = pathsDrift{}
