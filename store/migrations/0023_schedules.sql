-- 0023: open/close schedules, the holiday calendars, and what supervision
-- keeps to judge openings and closings against them.
--
-- An account's schedule has weekly windows and temporary days (one-off
-- dates that override the week; a day with one row of opens -1 is closed
-- all day), per area: area '' is the account's, for panels that report no
-- areas and for the areas without windows of their own. Times are minutes
-- after local midnight, in the site's time zone. updated_at is when the
-- schedule took effect: no deadline before it is raised.
CREATE TABLE schedules (
    account_id           INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    open_grace_seconds   INTEGER NOT NULL,
    close_grace_seconds  INTEGER NOT NULL,
    updated_by           TEXT    NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE TABLE schedule_windows (
    account_id  INTEGER NOT NULL REFERENCES schedules (account_id) ON DELETE CASCADE,
    area        TEXT    NOT NULL,
    weekday     INTEGER NOT NULL,          -- 0 Sunday … 6 Saturday
    opens       INTEGER NOT NULL,
    closes      INTEGER NOT NULL
);
CREATE INDEX schedule_windows_account ON schedule_windows (account_id);
CREATE TABLE schedule_days (
    account_id  INTEGER NOT NULL REFERENCES schedules (account_id) ON DELETE CASCADE,
    area        TEXT    NOT NULL,
    day         TEXT    NOT NULL,          -- 2006-01-02, the site's calendar
    opens       INTEGER NOT NULL,          -- -1: closed all day
    closes      INTEGER NOT NULL
);
CREATE INDEX schedule_days_account ON schedule_days (account_id);
-- Holidays: customer_id 0 is the station's calendar; a customer's apply to
-- its sites and to the sites of the customers under it.
CREATE TABLE holidays (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never given again (audit targets name them), as on PostgreSQL
    customer_id  INTEGER NOT NULL,
    day          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (customer_id, day)
);
-- The openings and closings of scheduled accounts, written by the
-- projection in its transaction, taken and deleted by supervision, which
-- reads on from the last id it judged: AUTOINCREMENT, so that an id is
-- never given again after the rows above it were deleted.
CREATE TABLE schedule_transitions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL,
    area        TEXT    NOT NULL,           -- the partition as received
    opening     INTEGER NOT NULL,           -- 1 an opening, 0 a closing
    at          INTEGER NOT NULL,
    signal_id   INTEGER NOT NULL
);
-- Each area's last known state, and how far supervision has checked the
-- deadlines (one row, id 1): what a restart continues from. book_version
-- grows with every change of a schedule or a holiday, so that supervision
-- reloads them when it moved.
CREATE TABLE schedule_states (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    area        TEXT    NOT NULL,
    opened      INTEGER NOT NULL,           -- 1 open, 0 closed
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, area)
);
CREATE TABLE schedule_clock (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    evaluated_through  INTEGER NOT NULL,
    book_version       INTEGER NOT NULL
);
INSERT INTO schedule_clock (id, evaluated_through, book_version) VALUES (1, 0, 0);
