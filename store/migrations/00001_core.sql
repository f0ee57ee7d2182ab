-- Core schema: job queue, audit log (hash chain + head), generic records and
-- time series points. Times are TEXT in a fixed-width UTC form
-- (2006-01-02T15:04:05.000000000Z) so they sort and compare as strings;
-- JSON is TEXT. Versions 00002 and later belong to other features.

-- +goose Up
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL DEFAULT 'null',
    dedupe_key   TEXT    NOT NULL DEFAULT '',
    run_at       TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    lease_owner  TEXT    NOT NULL DEFAULT '',
    lease_until  TEXT    NOT NULL DEFAULT '',
    last_error   TEXT    NOT NULL DEFAULT '',
    created      TEXT    NOT NULL,
    updated      TEXT    NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key) WHERE dedupe_key <> '';
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
CREATE INDEX jobs_state_lease ON jobs (state, lease_until);

CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    decision   TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_actor ON audit (actor_id, seq);

-- The newest seq and hash, written in the same transaction as the rows, so
-- deleting the newest rows is detectable.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- +goose StatementEnd

CREATE TABLE records (
    kind    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    state   TEXT    NOT NULL DEFAULT '',
    owner   TEXT    NOT NULL DEFAULT '',
    key     TEXT    NOT NULL DEFAULT '',
    data    TEXT    NOT NULL DEFAULT 'null',
    version INTEGER NOT NULL DEFAULT 1,
    created TEXT    NOT NULL,
    updated TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_kind_state ON records (kind, state);
CREATE INDEX records_kind_owner ON records (kind, owner);
CREATE INDEX records_kind_key ON records (kind, key);
CREATE INDEX records_kind_updated ON records (kind, updated);

CREATE TABLE points (
    series TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (series, key, at)
);

-- +goose Down
DROP TABLE points;
DROP TABLE records;
DROP TRIGGER audit_no_delete;
DROP TRIGGER audit_no_update;
DROP TABLE audit_head;
DROP TABLE audit;
DROP TABLE jobs;
