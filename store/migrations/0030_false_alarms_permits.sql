-- 0030: false alarms and alarm permits. Incidents resolved with a false
-- alarm code are counted per site over a rolling year (the index); a site's
-- alarm permit (many cities require one) is kept with its expiry, and
-- warned_for is the expiry a warning was raised for (once).
CREATE INDEX incidents_site_resolved ON incidents (site_id, resolved_at) WHERE status = 'resolved';
CREATE TABLE alarm_permits (
    site_id     INTEGER PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    number      TEXT    NOT NULL,
    expires     TEXT    NOT NULL,   -- 2006-01-02
    warned_for  TEXT    NOT NULL DEFAULT '',
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);
