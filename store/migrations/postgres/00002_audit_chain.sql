-- The audit chain's keying record, as store/migrations/00002_audit_chain.sql
-- describes it.

-- +goose Up
CREATE TABLE audit_chain (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    boundary_seq  BIGINT  NOT NULL,
    boundary_hash TEXT    NOT NULL,
    key_id        TEXT    NOT NULL DEFAULT '',
    sealed        TEXT    NOT NULL DEFAULT '',
    mac           TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_chain (id, boundary_seq, boundary_hash) VALUES (1, 0, '');

-- +goose Down
DROP TABLE audit_chain;
