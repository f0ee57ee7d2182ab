-- Migration 0001 of the payouts-db database: the initial schema.
--
-- Migrations run once each, in file-name order, inside a transaction.
-- Never edit a migration that has run anywhere: add a new one (see README.md).

CREATE TABLE IF NOT EXISTS example (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
