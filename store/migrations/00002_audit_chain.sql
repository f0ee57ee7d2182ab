-- The audit chain's keying record (see store/audit.go and docs/audit.md).
-- Rows up to boundary_seq were chained with unkeyed SHA-256 (the chain as
-- it was before keying); rows after it are chained with HMAC-SHA256 under a
-- key kept outside the database. The row is created pending (mac = '');
-- the first store opened with a chain key seals it at the head as it is
-- then, and a sealed record is never changed again. mac is an HMAC over
-- the boundary, its hash, the key id and the time, so moving the boundary
-- needs the key.

-- +goose Up
CREATE TABLE audit_chain (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    boundary_seq  INTEGER NOT NULL,
    boundary_hash TEXT    NOT NULL,
    key_id        TEXT    NOT NULL DEFAULT '',
    sealed        TEXT    NOT NULL DEFAULT '',
    mac           TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_chain (id, boundary_seq, boundary_hash) VALUES (1, 0, '');

-- +goose Down
DROP TABLE audit_chain;
