-- 0028: unattended incidents escalated (store/migrations/0028_escalation.sql).
ALTER TABLE incidents ADD COLUMN escalated_at bigint;
