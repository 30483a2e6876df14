-- 0004: idempotency keys of messages that carry their own id (the native
-- XML/JSON MessageId). Written in the message's own transaction, so a
-- sender's retry after a crash or a lost answer is recognised.
CREATE TABLE message_ids (
    key             TEXT    PRIMARY KEY,   -- "xml:<sender>:<MessageId>"
    frame_id        INTEGER NOT NULL REFERENCES frames (id),
    at              INTEGER NOT NULL
);
