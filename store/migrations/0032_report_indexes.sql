-- 0032: the operator-activity report reads the steps operators took
-- within a range: an index on when each was taken, so a month's report
-- reads that month's steps, not every step kept.
CREATE INDEX incident_actions_at ON incident_actions (at);
-- The on-test report walks the periods newest first.
CREATE INDEX on_tests_starts ON on_tests (starts_at);
