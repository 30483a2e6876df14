-- 0016: polls are evidence per account, not a row each.
--
-- A poll (a DC-09 NULL, a link test, a heartbeat) carries no event: it
-- checks its account in and is acknowledged without a frames row
-- [design.md §2 rule 5]. What is kept of polls is, per receiver, account
-- and listener, the first and the last one seen and how many came between:
-- the receiver coalesces them in memory and writes them here on a short
-- interval. account is as stored (the receiver's prefix applied); '' for a
-- link test that names no account (a Sur-Gard receiver heartbeat).
-- account_id is what the account resolved to when the last poll came,
-- NULL when it was unknown; it is not a reference: an account deleted
-- later leaves its evidence until retention prunes it.

CREATE TABLE poll_evidence (
    receiver     INTEGER NOT NULL,
    account      TEXT    NOT NULL,
    listener     TEXT    NOT NULL,
    account_id   INTEGER,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    polls        INTEGER NOT NULL,
    transport    TEXT    NOT NULL,
    remote_addr  TEXT    NOT NULL,
    protocol     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    raw          BLOB    NOT NULL,
    PRIMARY KEY (receiver, account, listener)
) WITHOUT ROWID;
CREATE INDEX poll_evidence_last_at ON poll_evidence (last_at);
