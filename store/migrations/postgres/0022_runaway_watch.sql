-- 0022: the runaway detector's state, changed only by the projection
-- (store/migrations/0022_runaway_watch.sql).
CREATE TABLE runaway_watch (
    key      text    PRIMARY KEY,
    times    text    NOT NULL,
    tripped  integer NOT NULL,
    last_at  bigint  NOT NULL
);
CREATE INDEX runaway_watch_last_at ON runaway_watch (last_at);
