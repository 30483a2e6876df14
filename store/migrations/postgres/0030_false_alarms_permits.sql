-- 0030: false alarms and alarm permits (store/migrations/0030_false_alarms_permits.sql).
CREATE INDEX incidents_site_resolved ON incidents (site_id, resolved_at) WHERE status = 'resolved';
CREATE TABLE alarm_permits (
    site_id     bigint  PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    number      text    NOT NULL,
    expires     text    NOT NULL,
    warned_for  text    NOT NULL DEFAULT '',
    updated_by  text    NOT NULL,
    updated_at  bigint  NOT NULL
);
