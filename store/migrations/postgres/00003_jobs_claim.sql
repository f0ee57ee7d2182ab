-- The claim order of queued jobs, as store/migrations/00003_jobs_claim.sql
-- describes it.

-- +goose Up
CREATE INDEX jobs_claim ON jobs (state, (kind LIKE 'bot.%') DESC, run_at, id);

-- +goose Down
DROP INDEX jobs_claim;
