-- 0021: a morning report's mailing to one recipient is claimed before it
-- is mailed (store/migrations/0021_report_claims.sql).
ALTER TABLE report_deliveries ADD COLUMN claimed_at bigint;
ALTER TABLE report_deliveries ADD COLUMN claimed_epoch bigint NOT NULL DEFAULT 0;
