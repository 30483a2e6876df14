-- 0025: temporary instructions: what an operator must know about a site
-- or one of its accounts until a date ("dog on premises until 5 Dec"),
-- shown above the action plan of its incidents until they expire.
CREATE TABLE instructions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never given again (audit targets name them), as on PostgreSQL
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    account_id  INTEGER REFERENCES accounts (id) ON DELETE CASCADE, -- NULL: the whole site
    text        TEXT    NOT NULL,
    until_at    INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX instructions_site ON instructions (site_id, until_at);
