-- 0021: a morning report's mailing to one recipient is claimed before it
-- is mailed, in a transaction that also checks the report job's lease
-- (several nodes): a node that took the job over finds a claim whose
-- outcome was never recorded, and does not mail that recipient again.
-- claimed_epoch is the lease's epoch at the claim (0 on a single node).
ALTER TABLE report_deliveries ADD COLUMN claimed_at INTEGER;
ALTER TABLE report_deliveries ADD COLUMN claimed_epoch INTEGER NOT NULL DEFAULT 0;
