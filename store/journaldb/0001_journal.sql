-- 0001: the journal: one entry per acknowledged frame, until the store's
-- projection has built the frame's rows in the database beside this one
-- (its projection table holds the last id projected; entries up to it are
-- deleted here afterwards). id is the frame's id; entry is the store's own
-- encoding (store/journalcodec.go).

CREATE TABLE journal (
    id     INTEGER PRIMARY KEY,
    entry  BLOB NOT NULL
);
