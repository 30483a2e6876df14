-- 0020: what several nodes on one database share (SQLite's 0020 has the
-- same tables, which a single node leaves empty).
--
-- dedupe_keys: the duplicate-detection and idempotency keys of the frames
-- acknowledged within the dedupe window, written in the journal's own
-- transaction: a retransmission that reaches another node after a
-- failover meets its key there and is answered as a duplicate; the
-- database, not a node's memory, decides which copy is stored.
CREATE TABLE dedupe_keys (
    key       text    PRIMARY KEY,
    frame_id  bigint  NOT NULL,
    at        bigint  NOT NULL
);
CREATE INDEX dedupe_keys_at ON dedupe_keys (at);

-- leases: which node runs each singleton job and until when, by the
-- database's clock; epoch grows at each change of holder: the fencing
-- token a job's writes are checked against.
CREATE TABLE leases (
    job          text    PRIMARY KEY,
    holder       text    NOT NULL,
    epoch        bigint  NOT NULL,
    acquired_at  bigint  NOT NULL,
    renewed_at   bigint  NOT NULL,
    expires_at   bigint  NOT NULL
);

-- nodes: the nodes sharing the database, with their last heartbeat (the
-- database's clock), for /api/v1/cluster.
CREATE TABLE nodes (
    id            text    PRIMARY KEY,
    started_at    bigint  NOT NULL,
    heartbeat_at  bigint  NOT NULL,
    http_addr     text    NOT NULL DEFAULT '',
    version       text    NOT NULL DEFAULT ''
);

-- supervision.last_test: the last periodic test of an account, beside the
-- last message of any kind (last_seen). Every node writes its check-ins
-- here within a second, so that the node running supervision, which may
-- not have received them, neither raises a failure for an account another
-- node heard nor misses the restore of one that failed.
ALTER TABLE supervision ADD COLUMN last_test bigint NOT NULL DEFAULT 0;
