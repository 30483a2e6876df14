-- 0009: a customer's own time zone for its morning report (empty: the time
-- zone of its first site), and who created and last changed a site, whose
-- notes office staff may edit in the portal.
ALTER TABLE customers ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN created_by TEXT NOT NULL DEFAULT 'station';
ALTER TABLE sites ADD COLUMN updated_by TEXT NOT NULL DEFAULT 'station';
