-- 0019: indexes for retention (configs store.retention). Each kind is
-- pruned oldest first, a small batch per transaction, and every pruning
-- query and every foreign-key check its deletes cause must find its rows
-- by an index: without one, each batch would read the whole table on the
-- writer that the acknowledgements wait for.
--
-- Rejected frames by age: frames_rejected orders them by id, and a scan of
-- it for "older than" reads them all when none is old enough yet.
CREATE INDEX frames_rejected_at ON frames (received_at) WHERE status = 'rejected';
-- Closed incidents by the time they were closed; open ones take no entry.
CREATE INDEX incidents_closed ON incidents (resolved_at) WHERE status <> 'open';
-- Settled outbox rows (delivered or undeliverable) by age; pending ones
-- take no entry.
CREATE INDEX outbox_settled ON outbox (created_at) WHERE delivered_at IS NOT NULL OR undeliverable_at IS NOT NULL;
-- The references to signals, incidents and frames, looked up by the parent:
-- "is this signal in an incident, does a pending outbox row carry it" when
-- picking what may go, and SQLite's foreign-key check on every delete.
-- An outbox row carries a signal or an incident: each index leaves out the
-- rows without one ("x = ?" still finds the partial index).
CREATE INDEX incident_signals_signal ON incident_signals (signal_id);
CREATE INDEX outbox_signal ON outbox (signal_id) WHERE signal_id IS NOT NULL;
CREATE INDEX outbox_incident ON outbox (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX message_ids_frame ON message_ids (frame_id);
