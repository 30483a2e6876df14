-- 0017: the journal, what a frame's acknowledgement waits for.
--
-- A frame is acknowledged once its journal entry is committed: the frame
-- as received, its decoded events, and what they resolved to at receipt
-- (the account, the site, the on-test period, the queue's handling). The
-- frames row, its signals, incidents, station events and outbox rows are
-- derived from the entry right after, in large batches, by the store's
-- projection, in a transaction that also deletes the entries it projected
-- [design.md §2 rule 5]: a crash at any point leaves each entry either in
-- the journal or projected, never both, never neither. id is the frame's
-- id once projected; entry is the store's own encoding (store/journal.go).

CREATE TABLE journal (
    id     INTEGER PRIMARY KEY,
    entry  BLOB NOT NULL
);
