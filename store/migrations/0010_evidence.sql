-- 0010: bounded evidence of refused input, and the station's own settings.
--
-- Rejected frames and failed logins come from anyone who can reach a port:
-- they are pruned oldest first past a total (evidence.max_bytes, and a row
-- cap for failed logins), and these partial indexes find them without a
-- scan of every frame or audit row.
CREATE INDEX frames_rejected ON frames (id) WHERE status = 'rejected';
CREATE INDEX audit_log_login_failed ON audit_log (id) WHERE action IN ('login.failed', 'portal.login.failed');

-- Settings the station generates once and keeps (the key that signs
-- device cookies, so that a restart does not forget trusted browsers).
CREATE TABLE settings (
    name            TEXT    PRIMARY KEY,
    value           BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);
