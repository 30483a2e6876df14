-- 0027: disaster modes (storms): while one is on for the station, a
-- receiver or a line, the signals of its categories (and, with
-- unknown_accounts, the unknown accounts' signals) join one incident of
-- the mode instead of one each; fire, hold-up and medical never do. auto:
-- switched on by the rate of incidents, and off again after a quiet time
-- (last_grouped_at).
CREATE TABLE disaster_modes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT, -- never given again: a mode's incident is keyed by it
    scope            TEXT    NOT NULL,  -- station | receiver | line
    receiver         INTEGER NOT NULL,  -- 0 for the station
    line             INTEGER NOT NULL,  -- 0 unless scope is line
    categories       TEXT    NOT NULL,  -- comma-separated
    unknown_accounts INTEGER NOT NULL,
    reason           TEXT    NOT NULL,
    auto             INTEGER NOT NULL,
    started_by       TEXT    NOT NULL,
    started_at       INTEGER NOT NULL,
    last_grouped_at  INTEGER NOT NULL,
    UNIQUE (scope, receiver, line)
);
