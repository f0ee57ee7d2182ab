-- Migration 0002 of the payouts-db database: add payouts.
--
-- Migrations run once each, in file-name order, inside a transaction.
-- Never edit a migration that has run anywhere: add a new one (see README.md).

CREATE TABLE IF NOT EXISTS payouts (
    id         BIGSERIAL PRIMARY KEY,
    payment_id TEXT        NOT NULL,
    amount     BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
