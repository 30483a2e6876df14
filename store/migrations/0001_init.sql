-- 0001: frames and the signals they carry.
--
-- A frame is one protocol unit exactly as received (raw bytes) with where and
-- when it came from; a signal is one event decoded from an accepted frame.
-- Rejected frames (undecryptable, no key, timestamp outside the window…) are
-- kept as frames with status 'rejected' and never produce signals. Times are
-- Unix nanoseconds (UTC).

CREATE TABLE frames (
    id              INTEGER PRIMARY KEY,
    received_at     INTEGER NOT NULL,
    receiver        INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    listener        TEXT    NOT NULL,
    transport       TEXT    NOT NULL,          -- tcp | udp
    remote_addr     TEXT    NOT NULL,
    protocol        TEXT    NOT NULL,          -- dc09
    kind            TEXT    NOT NULL,          -- SIA-DCS | ADM-CID | NULL | …
    encrypted       INTEGER NOT NULL DEFAULT 0,
    account         TEXT    NOT NULL,          -- transmitter account as sent, receiver prefix applied
    frame_receiver  TEXT    NOT NULL DEFAULT '',
    frame_line      TEXT    NOT NULL DEFAULT '',
    sequence        TEXT    NOT NULL DEFAULT '',
    frame_time      INTEGER,                   -- the frame's own timestamp, NULL when it carried none
    status          TEXT    NOT NULL,          -- accepted | rejected
    reason          TEXT    NOT NULL DEFAULT '', -- rejection reason (protocols.Reason)
    deviations      TEXT    NOT NULL DEFAULT '', -- tolerated deviations, comma separated
    dedupe_key      TEXT    NOT NULL DEFAULT '',
    detail          TEXT    NOT NULL DEFAULT '', -- protocol extras as JSON (DC-09 extended data)
    raw             BLOB    NOT NULL
);
CREATE INDEX frames_received_at ON frames (received_at);
CREATE INDEX frames_dedupe ON frames (dedupe_key, received_at) WHERE dedupe_key <> '';

CREATE TABLE signals (
    id              INTEGER PRIMARY KEY,
    frame_id        INTEGER NOT NULL REFERENCES frames (id),
    idx             INTEGER NOT NULL,          -- position of the event in its frame
    received_at     INTEGER NOT NULL,
    receiver        INTEGER NOT NULL,
    account         TEXT    NOT NULL,          -- account the event names, receiver prefix applied
    format          TEXT    NOT NULL DEFAULT '', -- CID | SIA
    event_code      TEXT    NOT NULL DEFAULT '',
    qualifier       TEXT    NOT NULL DEFAULT '',
    partition       TEXT    NOT NULL DEFAULT '',
    zone            TEXT    NOT NULL DEFAULT '',
    user            TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL DEFAULT '',
    address_kind    TEXT    NOT NULL DEFAULT '',
    known           INTEGER NOT NULL DEFAULT 0,
    description     TEXT    NOT NULL DEFAULT '',
    category        TEXT    NOT NULL DEFAULT '',
    priority        INTEGER NOT NULL DEFAULT 0,
    text            TEXT    NOT NULL DEFAULT '',
    modifiers       TEXT    NOT NULL DEFAULT '', -- JSON array of {name, value}
    panel_time      INTEGER,
    UNIQUE (frame_id, idx)
);
CREATE INDEX signals_account ON signals (receiver, account, received_at);
CREATE INDEX signals_received_at ON signals (received_at);
