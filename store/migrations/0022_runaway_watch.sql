-- 0022: the runaway detector's state on several nodes, kept in the store
-- and changed only by the projection, so that the signals of one panel
-- decide alike whichever node received them and whichever node projects
-- them (several nodes project one at a time). A single SQLite node keeps
-- the state in its process and leaves the table empty. One row per watched signal
-- (receiver, account, code, zone): the receipt times inside the window
-- (Unix nanoseconds, comma-separated, oldest first), whether it tripped,
-- and its last receipt, by which idle rows are pruned.
CREATE TABLE runaway_watch (
    key      TEXT PRIMARY KEY NOT NULL,
    times    TEXT NOT NULL,
    tripped  INTEGER NOT NULL,
    last_at  INTEGER NOT NULL
);
CREATE INDEX runaway_watch_last_at ON runaway_watch (last_at);
