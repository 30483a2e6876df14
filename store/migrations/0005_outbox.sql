-- 0005: the outbox of the automation outputs (design.md §8). A row is
-- written per signal (or incident update) and output in the change's own
-- transaction, so that each output gets every stored signal at least once,
-- in order, across restarts; delivered_at is set when the output
-- acknowledged it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    target          TEXT    NOT NULL,
    kind            TEXT    NOT NULL DEFAULT 'signal', -- signal | incident
    signal_id       INTEGER REFERENCES signals (id),
    incident_id     INTEGER REFERENCES incidents (id),
    action          TEXT    NOT NULL DEFAULT '',       -- for incidents: claimed, resolved, …
    created_at      INTEGER NOT NULL,   -- the signal's receive time, or the incident step's time
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox (target, id) WHERE delivered_at IS NULL;
