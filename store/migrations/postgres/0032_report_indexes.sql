-- 0032: incident steps by when they were taken, for the operator-activity
-- report, and on-test periods by when they start, for the on-test report
-- (store/migrations/0032_report_indexes.sql). And an account's
-- signals in id order: SQLite's signals_account_id holds the rowid after
-- the account, PostgreSQL's index does not, so the last signal of each
-- account (the accounts-not-heard-from report) and an account's history
-- newest first are read from this one.
CREATE INDEX incident_actions_at ON incident_actions (at);
CREATE INDEX on_tests_starts ON on_tests (starts_at);
DROP INDEX signals_account_id;
CREATE INDEX signals_account_id ON signals (account_id, id) WHERE account_id IS NOT NULL;
