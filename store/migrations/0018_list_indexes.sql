-- 0018: every list is served by an index, with fewer B-trees written per
-- frame (store/queryplan_test.go explains each list query with each filter
-- combination the API sends).
--
-- The lists are in id order. A time bound is read as an id bound through
-- frames_received_at (store/query.go sinceFrame, sinceSignal), so an index
-- that serves a filter is one on the filter alone: its entries are then in
-- rowid order, and a LIMIT stops the walk without a sort.

-- The dedupe seed ranges over frames_received_at; no query reads this one.
DROP INDEX frames_dedupe;

-- A signal's received_at is its frame's, and the signals of a time range
-- are found through frames_received_at and the (frame_id, idx) index:
-- one time index for both tables.
DROP INDEX signals_received_at;

-- GET /api/v1/signals?account= names the account alone (the receiver is
-- optional), which (receiver, account, received_at) could not serve.
DROP INDEX signals_account;
CREATE INDEX signals_account ON signals (account);

-- account_id: in id order; an unknown account's signal has none, and no
-- entry.
DROP INDEX signals_account_id;
CREATE INDEX signals_account_id ON signals (account_id) WHERE account_id IS NOT NULL;

-- No query looks signals up by on_test_id; the lists ask for test = 1.
DROP INDEX signals_on_test;
CREATE INDEX signals_test ON signals (test) WHERE test = 1;

-- resolution=unknown and resolution=claimed: the few signals not resolved
-- at receipt. A resolved signal takes no entry.
CREATE INDEX signals_unresolved ON signals (resolution) WHERE resolution <> 'resolved';

-- GET /api/v1/frames?account= (the evidence of an account's frames,
-- rejected ones included).
CREATE INDEX frames_account ON frames (account);
