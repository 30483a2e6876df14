-- 0008: the client portal (design.md §9). Customers and installers get an
-- identifier like sites; portal users belong to one scope (a site, a
-- customer with everything below it, or an installer) and log in with the
-- scope's identifier, their user name and password, so that two clients
-- with the same user name and password never reach each other's data.
ALTER TABLE customers ADD COLUMN identifier TEXT NOT NULL DEFAULT '';
ALTER TABLE installers ADD COLUMN identifier TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX customers_identifier ON customers (identifier) WHERE identifier <> '';
CREATE UNIQUE INDEX installers_identifier ON installers (identifier) WHERE identifier <> '';

CREATE TABLE portal_users (
    id              INTEGER PRIMARY KEY,
    scope           TEXT    NOT NULL,      -- site:<id> | customer:<id> | installer:<id>
    kind            TEXT    NOT NULL,      -- manager | staff | technician
    username        TEXT    NOT NULL,
    full_name       TEXT    NOT NULL DEFAULT '',
    password_hash   TEXT    NOT NULL,
    rights          TEXT    NOT NULL DEFAULT '[]', -- staff: what they may change (call_list, zones, notes)
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (scope, username)
);

CREATE TABLE portal_sessions (
    token_hash      TEXT    PRIMARY KEY,
    portal_user_id  INTEGER NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    csrf_token      TEXT    NOT NULL,
    emulated_by     TEXT    NOT NULL DEFAULT '', -- the station user acting as the account manager
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);

-- Who created and last changed the records portal users may edit.
ALTER TABLE responding_parties ADD COLUMN created_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE responding_parties ADD COLUMN updated_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE zones ADD COLUMN created_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE zones ADD COLUMN updated_by TEXT NOT NULL DEFAULT 'station';
