-- 0031: incidents by when they opened, for the reports (store/migrations/0031_incidents_opened.sql).
CREATE INDEX incidents_opened ON incidents (opened_at);
