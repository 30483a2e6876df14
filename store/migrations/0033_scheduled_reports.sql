-- 0033: the station reports mailed on a schedule (report.scheduled). One
-- row per schedule and period ("2026-12-01" of a daily one), claimed
-- before its mail is sent in a transaction that checks the report job's
-- lease, as a morning report's delivery is: a node that took the job over
-- finds a claim whose outcome was never recorded, and does not mail that
-- period again. A failed send gives its claim back for the next pass.
CREATE TABLE scheduled_report_runs (
    schedule       TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    claimed_at     INTEGER,
    claimed_epoch  INTEGER NOT NULL DEFAULT 0,
    sent_at        INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (schedule, period)
);
