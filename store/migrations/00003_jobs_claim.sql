-- The order in which ClaimJobs takes queued jobs (store/jobs.go):
-- interactive kinds ("bot.*") first, then by run_at and id. With this index
-- a claim reads the next jobs of a backlog in order instead of sorting every
-- due job on each claim.

-- +goose Up
CREATE INDEX jobs_claim ON jobs (state, (kind LIKE 'bot.%') DESC, run_at, id);

-- +goose Down
DROP INDEX jobs_claim;
