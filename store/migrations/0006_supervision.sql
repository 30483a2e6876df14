-- 0006: supervision state of accounts (protocols.md §5.2). failed and
-- test_late survive restarts, so that a restart neither invents a restore
-- nor forgets a failure; last_seen is written from time to time for the
-- record (after a restart every account gets a full interval anyway).
CREATE TABLE supervision (
    account_id      INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_seen       INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    test_late       INTEGER NOT NULL DEFAULT 0
);
