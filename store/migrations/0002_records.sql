-- 0002: the station's records (design.md §4) and what signals resolve to.
--
-- An account number is unique within its receiver and may repeat on another
-- receiver [automation-research.md §4.1]. Numbers are stored normalised
-- (upper-case, 0-9 A-Z, receiver prefix applied), so the unique index is on
-- the stored text itself. Times are Unix nanoseconds (UTC).

CREATE TABLE receivers (
    number          INTEGER PRIMARY KEY CHECK (number BETWEEN 1 AND 99),
    name            TEXT    NOT NULL,
    account_prefix  TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE customers (
    id              INTEGER PRIMARY KEY,
    parent_id       INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    name            TEXT    NOT NULL,
    billing_name    TEXT    NOT NULL DEFAULT '',
    billing_email   TEXT    NOT NULL DEFAULT '',
    billing_phone   TEXT    NOT NULL DEFAULT '',
    notes           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX customers_parent ON customers (parent_id);

CREATE TABLE installers (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    phone           TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE technicians (
    id              INTEGER PRIMARY KEY,
    installer_id    INTEGER NOT NULL REFERENCES installers (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    phone           TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX technicians_installer ON technicians (installer_id);

CREATE TABLE sites (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    installer_id    INTEGER REFERENCES installers (id) ON DELETE SET NULL,
    name            TEXT    NOT NULL,
    address         TEXT    NOT NULL DEFAULT '',
    time_zone       TEXT    NOT NULL DEFAULT 'UTC',
    notes           TEXT    NOT NULL DEFAULT '',
    identifier      TEXT    NOT NULL UNIQUE,   -- main phone number or an assigned random number (design.md §9)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX sites_customer ON sites (customer_id);

CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    receiver             INTEGER NOT NULL REFERENCES receivers (number) ON DELETE RESTRICT,
    number               TEXT    NOT NULL,    -- normalised, receiver prefix applied
    site_id              INTEGER NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    system_type          TEXT    NOT NULL DEFAULT 'intrusion',
    dc09_key             TEXT    NOT NULL DEFAULT '', -- secret; never listed by the API
    dc09_key_format      TEXT    NOT NULL DEFAULT '',
    supervision_seconds  INTEGER NOT NULL DEFAULT 0,  -- 0: not supervised
    test_seconds         INTEGER NOT NULL DEFAULT 0,  -- 0: no periodic test expected
    notes                TEXT    NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX accounts_receiver_number ON accounts (receiver, number);
CREATE INDEX accounts_site ON accounts (site_id);

CREATE TABLE zones (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number          TEXT    NOT NULL,          -- as the panel sends it, leading zeros trimmed
    description     TEXT    NOT NULL,
    type            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (account_id, number)
);

CREATE TABLE responding_parties (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,          -- order on the call list, 1 first
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL DEFAULT 'keyholder',
    phones          TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    passcode        TEXT    NOT NULL DEFAULT '', -- secret; never listed by the API
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX responding_parties_site ON responding_parties (site_id, position);

CREATE TABLE authorities (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,          -- police | fire | medical
    name            TEXT    NOT NULL,
    phones          TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX authorities_site ON authorities (site_id);

-- On-test periods [automation-research.md §4.3]. scope: account | zones |
-- categories; zones and categories are JSON arrays. ended_at is set when the
-- period ends, by expiry or by hand.
CREATE TABLE on_tests (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope           TEXT    NOT NULL,
    zones           TEXT    NOT NULL DEFAULT '[]',
    categories      TEXT    NOT NULL DEFAULT '[]',
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    authorised_by   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    warned_at       INTEGER,
    ended_at        INTEGER,
    end_reason      TEXT    NOT NULL DEFAULT '' -- expired | ended
);
CREATE INDEX on_tests_account ON on_tests (account_id, starts_at);
CREATE INDEX on_tests_open ON on_tests (ends_at) WHERE ended_at IS NULL;

-- Events the station itself raises: unknown account, on-test transitions.
CREATE TABLE station_events (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    receiver        INTEGER NOT NULL DEFAULT 0,
    account         TEXT    NOT NULL DEFAULT '',
    account_id      INTEGER,
    on_test_id      INTEGER,
    detail          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX station_events_at ON station_events (at);
CREATE INDEX station_events_account ON station_events (account_id, at);

-- What each signal resolved to. account_id and site_id stay NULL for an
-- unknown account until the account is added and its signals claimed.
ALTER TABLE signals ADD COLUMN account_id INTEGER;
ALTER TABLE signals ADD COLUMN site_id INTEGER;
ALTER TABLE signals ADD COLUMN resolution TEXT NOT NULL DEFAULT 'unknown'; -- resolved | unknown | claimed
ALTER TABLE signals ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signals ADD COLUMN on_test_id INTEGER;
ALTER TABLE signals ADD COLUMN zone_description TEXT NOT NULL DEFAULT '';
CREATE INDEX signals_account_id ON signals (account_id, received_at);
CREATE INDEX signals_on_test ON signals (on_test_id) WHERE on_test_id IS NOT NULL;
