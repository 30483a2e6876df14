-- 0007: the morning report (design.md §9). report_email is the customer's
-- e-mail notification contact (addresses separated by commas); a report is
-- written once per customer and night, then mailed: the unique index keeps
-- it once across restarts, sent_at says it went out.
ALTER TABLE customers ADD COLUMN report_email TEXT NOT NULL DEFAULT '';

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    night           TEXT    NOT NULL,   -- the report's morning, YYYY-MM-DD in the customer's time zone
    window_from     INTEGER NOT NULL,
    window_to       INTEGER NOT NULL,
    recipients      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    html            TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    UNIQUE (customer_id, night)
);
