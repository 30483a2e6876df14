-- 0024: action plans made through the API: what an operator must do for
-- an incident, step by step (steps: a JSON array, checked by store/plan).
-- A plan applies to the station, a site or an account (scope_id 0 for the
-- station), for any event, a category or one code (match_value fire,
-- SIA/BA); the built-in plans and the configuration's are not stored.
-- An incident's steps are not copied here: their states are read from its
-- action log, so that a call logged or a dispatch made completes its step
-- whichever plan applies by then.
CREATE TABLE action_plans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never given again (audit targets name them), as on PostgreSQL
    scope        TEXT    NOT NULL,
    scope_id     INTEGER NOT NULL,
    match_kind   TEXT    NOT NULL,
    match_value  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    steps        TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (scope, scope_id, match_kind, match_value)
);
