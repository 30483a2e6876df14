-- 0017: the projection's cursor.
--
-- A frame is acknowledged once its journal entry is committed, in the
-- journal: a database of its own beside this one (journal.db, schema in
-- store/journaldb), written by a writer of its own, so that acknowledging
-- frames never waits for the transactions of this database. The frames
-- row, its signals, incidents, station events and outbox rows are derived
-- from the entries in large batches by the store's projection, which
-- records here, in the same transaction, the id of the last entry it
-- projected [design.md §2 rule 5]: a crash at any point leaves each entry
-- projected (its id at most the cursor; the journal forgets it) or not
-- (projected at the next start), never both, never neither.

CREATE TABLE projection (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    cursor  INTEGER NOT NULL
);
INSERT INTO projection (id, cursor) VALUES (1, coalesce((SELECT max(id) FROM frames), 0));
