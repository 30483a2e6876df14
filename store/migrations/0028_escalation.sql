-- 0028: when an incident left unclaimed past its priority's threshold
-- was escalated to the supervisors (once per incident).
ALTER TABLE incidents ADD COLUMN escalated_at INTEGER;
