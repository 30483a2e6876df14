-- 0005: the outbox of the automation outputs (design.md §8). A row is
-- written per signal and output in the signal's own transaction, so that
-- every stored signal reaches each output at least once, in order, across
-- restarts; delivered_at is set when the output acknowledged it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    target          TEXT    NOT NULL,
    signal_id       INTEGER NOT NULL REFERENCES signals (id),
    created_at      INTEGER NOT NULL,   -- the signal's receive time
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox (target, id) WHERE delivered_at IS NULL;
