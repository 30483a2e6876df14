-- 0020: what several nodes on one PostgreSQL database share, created on
-- SQLite too so that both engines keep one schema (a single SQLite node
-- leaves these tables empty).
--
-- dedupe_keys: the duplicate-detection and idempotency keys of the frames
-- acknowledged within the dedupe window, written in the journal's own
-- transaction: a retransmission that reaches another node after a
-- failover meets its key there and is answered as a duplicate; the
-- database, not a node's memory, decides which copy is stored.
CREATE TABLE dedupe_keys (
    key       TEXT PRIMARY KEY NOT NULL,
    frame_id  INTEGER NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX dedupe_keys_at ON dedupe_keys (at);

-- leases: which node runs each singleton job (supervision, an output's
-- delivery, the morning report, the queue sweeps, retention) and until
-- when, by the database's clock. epoch grows at each change of holder:
-- the fencing token a job's writes are checked against.
CREATE TABLE leases (
    job          TEXT PRIMARY KEY NOT NULL,
    holder       TEXT NOT NULL,
    epoch        INTEGER NOT NULL,
    acquired_at  INTEGER NOT NULL,
    renewed_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

-- nodes: the nodes sharing the database, with their last heartbeat (the
-- database's clock), for /api/v1/cluster.
CREATE TABLE nodes (
    id            TEXT PRIMARY KEY NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    http_addr     TEXT NOT NULL DEFAULT '',
    version       TEXT NOT NULL DEFAULT ''
);

-- supervision.last_test: the last periodic test of an account, beside the
-- last message of any kind (last_seen). Every node writes its check-ins
-- here within a second, so that the node running supervision, which may
-- not have received them, neither raises a failure for an account another
-- node heard nor misses the restore of one that failed.
ALTER TABLE supervision ADD COLUMN last_test INTEGER NOT NULL DEFAULT 0;
