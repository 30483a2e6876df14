-- 0031: the reports read the incidents opened within a range (response
-- times, operator activity): an index on when each opened, so a month's
-- report reads that month's incidents, not every incident kept.
CREATE INDEX incidents_opened ON incidents (opened_at);
