-- 0015: customers as complete records, notes on logged signals, morning
-- report recipients by contact and portal user, and office staff rights
-- over stored reports.
--
-- A customer's postal address is where it is invoiced: a JSON object
-- (line1, line2, postal_code, city, region, country; store.PostalAddress),
-- '' when none was given. Its contacts have roles (billing, primary,
-- viewer, technical) and may be marked as recipients of the morning
-- report, each with its own e-mail address; so may the portal users of the
-- customer's scope (portal_report_recipients). customers.report_email is
-- kept, and used only while nobody is marked.
ALTER TABLE customers ADD COLUMN address TEXT NOT NULL DEFAULT '';

CREATE TABLE customer_contacts (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    roles           TEXT    NOT NULL DEFAULT '[]', -- JSON array: billing | primary | viewer | technical
    email           TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    report          INTEGER NOT NULL DEFAULT 0,    -- 1: receives the morning report at email
    notes           TEXT    NOT NULL DEFAULT '',
    created_by      TEXT    NOT NULL DEFAULT 'station',
    updated_by      TEXT    NOT NULL DEFAULT 'station',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id, id);
-- An import finds a contact by its customer and e-mail address.
CREATE UNIQUE INDEX customer_contacts_email ON customer_contacts (customer_id, lower(email)) WHERE email <> '';

CREATE TABLE portal_report_recipients (
    portal_user_id  INTEGER PRIMARY KEY REFERENCES portal_users (id) ON DELETE CASCADE,
    email           TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- An operator's note on a signal that is in no incident (an opening, a
-- closing, a test): who wrote it and when. Append-only, like the action log
-- of an incident.
CREATE TABLE signal_notes (
    id              INTEGER PRIMARY KEY,
    signal_id       INTEGER NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    user_id         INTEGER,
    user_name       TEXT    NOT NULL,
    note            TEXT    NOT NULL
);
CREATE INDEX signal_notes_signal ON signal_notes (signal_id, id);

-- A report is mailed to each recipient on its own (each mail carries the
-- recipient's own unsubscribe link); a delivery row per recipient says
-- which went out, so that a retry after a failure sends only the rest.
CREATE TABLE report_deliveries (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,              -- contact | portal_user | report_email
    recipient_id    INTEGER NOT NULL DEFAULT 0,    -- the contact or portal user; 0 for report_email
    name            TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL,
    sent_at         INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    UNIQUE (report_id, address)
);

-- A mailed report cannot be changed: its client's office staff (right
-- reports) annotate it, and (right reports.delete) delete the stored copy,
-- whose content is then erased while the row stays as a tombstone, so that
-- the night's report is not written and mailed again.
ALTER TABLE reports ADD COLUMN annotation TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN created_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE reports ADD COLUMN updated_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE reports ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN deleted_at INTEGER;
ALTER TABLE reports ADD COLUMN deleted_by TEXT NOT NULL DEFAULT '';
UPDATE reports SET updated_at = created_at;
