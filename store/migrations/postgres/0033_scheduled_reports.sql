-- 0033: the station reports mailed on a schedule
-- (store/migrations/0033_scheduled_reports.sql).
CREATE TABLE scheduled_report_runs (
    schedule       text    NOT NULL,
    period         text    NOT NULL,
    claimed_at     bigint,
    claimed_epoch  bigint  NOT NULL DEFAULT 0,
    sent_at        bigint,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text    NOT NULL DEFAULT '',
    PRIMARY KEY (schedule, period)
);
