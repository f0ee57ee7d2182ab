package catalog

import (
	"context"
	"encoding/json"
	"time"

	"github.com/platbot/platbot/bot"
)

// JobRefresh is the job kind whose handler is RefreshJob, enqueued on
// Config.Refresh.
const JobRefresh = "catalog.refresh"

// resumeRefreshTimeout bounds the refresh Resume runs after a restore, so a
// slow location cannot hold up the start.
const resumeRefreshTimeout = 30 * time.Second

var _ bot.Feature = (*Catalog)(nil)

// Name is the feature's name and configuration section.
func (c *Catalog) Name() string { return "catalog" }

// Register adds the catalog's commands, the refresh job and its schedule
// (Config.Refresh). The catalog is a shared service too: other features
// read it through the interfaces they declare.
func (c *Catalog) Register(reg *bot.Registry) error {
	reg.Commands(c.Commands()...)
	reg.Job(JobRefresh, c.RefreshJob)
	reg.Unfurler(c.Unfurler(reg.Router()))
	return reg.Every(c.cfg.Refresh, nil, JobRefresh, nil)
}

// Resume refreshes a catalog served from a saved snapshot (Restored) from
// its locations, so edits made while the bot was down show up now rather
// than at the next scheduled refresh. A refresh that fails is logged and
// the saved snapshot stays served: it is not an error of the start.
func (c *Catalog) Resume(ctx context.Context) error {
	if !c.Restored() {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, resumeRefreshTimeout)
	defer cancel()
	if _, err := c.Refresh(rctx); err != nil {
		c.log.Warn("catalog: refresh at start failed; serving the saved snapshot", "err", err)
	}
	return nil
}

// RefreshJob is the bot.JobHandler of JobRefresh: one refresh, whose error
// the worker logs and retries (and LastRefreshError keeps).
func (c *Catalog) RefreshJob(ctx context.Context, _ json.RawMessage) error {
	_, err := c.Refresh(ctx)
	return err
}
