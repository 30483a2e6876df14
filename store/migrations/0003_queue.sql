-- 0003: the operator queue (automation-research.md §6.3), station users and
-- the audit log.
--
-- An incident is what an operator works: alarm signals of one account open
-- it or join the one open incident of that account. Its priority is the best
-- (lowest) of its signals and never goes down. Every operator step is an
-- append-only row in incident_actions. Times are Unix nanoseconds (UTC).

CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,
    account_key       TEXT    NOT NULL,   -- "id:<account id>" or "unknown:<receiver>/<account>"
    account_id        INTEGER,
    site_id           INTEGER,
    receiver          INTEGER NOT NULL,
    account           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,   -- alarm | unknown_account | runaway
    title             TEXT    NOT NULL,
    priority          INTEGER NOT NULL,
    status            TEXT    NOT NULL,   -- open | resolved
    opened_at         INTEGER NOT NULL,   -- receipt time of the first signal
    last_signal_at    INTEGER NOT NULL,
    signal_count      INTEGER NOT NULL DEFAULT 0,
    restored          INTEGER NOT NULL DEFAULT 0, -- 1 once a restore arrived after the last alarm
    claimed_by        INTEGER,            -- user id; NULL when unclaimed
    claimed_at        INTEGER,
    first_claimed_at  INTEGER,
    last_activity_at  INTEGER,            -- the claimer's last step; the claim lapses after queue.claim_timeout
    held_until        INTEGER,            -- on hold until then; NULL when not held
    resolved_at       INTEGER,
    resolved_by       INTEGER,
    resolution_code   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX incidents_open ON incidents (priority, opened_at) WHERE status = 'open';
CREATE UNIQUE INDEX incidents_one_open ON incidents (account_key) WHERE status = 'open';
CREATE INDEX incidents_account ON incidents (account_id, opened_at);

CREATE TABLE incident_signals (
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    signal_id       INTEGER NOT NULL REFERENCES signals (id),
    role            TEXT    NOT NULL,     -- alarm | restore | repeat (runaway, auto-logged)
    PRIMARY KEY (incident_id, signal_id)
);

CREATE TABLE incident_actions (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    at              INTEGER NOT NULL,
    user_id         INTEGER,              -- NULL for the system
    user_name       TEXT    NOT NULL,     -- kept as it was, should the user be renamed
    action          TEXT    NOT NULL,     -- opened | signal | priority_raised | claimed | taken_over | released | claim_lapsed | held | hold_expired | note | called | dispatched | resolved | runaway
    detail          TEXT    NOT NULL DEFAULT '' -- JSON
);
CREATE INDEX incident_actions_incident ON incident_actions (incident_id, id);

-- How each signal was handled: queued (opened or joined an incident),
-- attached (a restore joined its incident), logged (log-only category),
-- test (on-test scope), repeat (runaway, auto-logged).
ALTER TABLE signals ADD COLUMN handling TEXT NOT NULL DEFAULT 'logged';

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL UNIQUE,
    full_name       TEXT    NOT NULL DEFAULT '',
    role            TEXT    NOT NULL,     -- admin | supervisor | operator
    password_hash   TEXT    NOT NULL,     -- bcrypt
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash      TEXT    PRIMARY KEY,  -- SHA-256 of the cookie value; the value itself is never stored
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    remote_addr     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    user_id         INTEGER,
    user_name       TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    target          TEXT    NOT NULL DEFAULT '',
    detail          TEXT    NOT NULL DEFAULT '',
    remote_addr     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
