-- 0011: undeliverable outbox rows. An output that has no way to carry a
-- signal (a Sur-Gard output and a Contact ID code with no SIA twin from an
-- account that is neither 4 nor 10 digits) settles its row as
-- undeliverable, with the reason, instead of delivered: the row leaves the
-- pending set, stays listed (GET /api/v1/outputs/{name}/undeliverable) and
-- raises an "output_undeliverable" incident for the output. A row is
-- pending while both delivered_at and undeliverable_at are NULL.
ALTER TABLE outbox ADD COLUMN undeliverable_at INTEGER;
ALTER TABLE outbox ADD COLUMN undeliverable_reason TEXT NOT NULL DEFAULT '';

DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (target, id) WHERE delivered_at IS NULL AND undeliverable_at IS NULL;
CREATE INDEX outbox_undeliverable ON outbox (target, id) WHERE undeliverable_at IS NOT NULL;

-- incident_signals.role gains 'undeliverable': the signals an
-- output_undeliverable incident lists.
