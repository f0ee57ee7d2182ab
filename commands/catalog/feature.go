package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

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

// Resume has nothing to resume: the catalog is loaded on every replica
// (Start).
func (c *Catalog) Resume(context.Context) error { return nil }

// Start refreshes a catalog served from a saved snapshot (Restored) from
// its locations, so edits made while the bot was down show up now rather
// than at the next scheduled refresh. Every replica serves its own copy, so
// every replica does this (bot.Starter). A refresh that fails is logged and
// the saved snapshot stays served: it is not an error of the start.
//
// It also keeps this replica's copy fresh on Config.Refresh: the scheduled
// JobRefresh runs on one replica's worker and refreshes that replica only,
// so every replica refreshes its own copy when the job has not done so
// (see replicaRefresh).
func (c *Catalog) Start(ctx context.Context) error {
	if c.Restored() {
		rctx, cancel := context.WithTimeout(ctx, resumeRefreshTimeout)
		if _, err := c.Refresh(rctx); err != nil {
			c.log.Warn("catalog: refresh at start failed; serving the saved snapshot", "err", err)
		}
		cancel()
	}
	sched, err := cron.ParseStandard(c.cfg.Refresh)
	if err != nil {
		return fmt.Errorf("catalog: refresh: bad cron spec %q: %w", c.cfg.Refresh, err)
	}
	go c.replicaRefresh(ctx, sched)
	return nil
}

// replicaGrace is how long after a scheduled refresh a replica waits for
// the job to have refreshed it before it refreshes itself.
const replicaGrace = 30 * time.Second

// replicaRefresh refreshes this replica's copy after each scheduled tick
// unless it was refreshed since (by the job, or a command), until ctx ends.
func (c *Catalog) replicaRefresh(ctx context.Context, sched cron.Schedule) {
	for {
		tick := sched.Next(c.now())
		wait := time.Until(tick.Add(replicaGrace))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if !c.Refreshed().Before(tick) {
			continue
		}
		if _, err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("catalog: refresh of this replica's copy failed; serving the last good state", "err", err)
		}
	}
}

// RefreshJob is the bot.JobHandler of JobRefresh: one refresh, whose error
// the worker logs and retries (and LastRefreshError keeps).
func (c *Catalog) RefreshJob(ctx context.Context, _ json.RawMessage) error {
	_, err := c.Refresh(ctx)
	return err
}
