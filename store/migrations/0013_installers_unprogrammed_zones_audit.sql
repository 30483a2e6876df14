-- 0013: the installer and technician of each system (seed 000: installers
-- install systems; a site may hold systems of several installers).
--
-- An account names the installer that installed it and the technician
-- responsible for it, both optional; without one, the site's installer
-- stands for the system. Deleting an installer or technician clears them.
ALTER TABLE accounts ADD COLUMN installer_id INTEGER REFERENCES installers (id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN technician_id INTEGER REFERENCES technicians (id) ON DELETE SET NULL;
-- An installer's technicians see the sites of its systems (portal scope),
-- and the foreign keys find an installer's or technician's rows.
CREATE INDEX accounts_installer ON accounts (installer_id);
CREATE INDEX accounts_technician ON accounts (technician_id);
CREATE INDEX sites_installer ON sites (installer_id);

-- Zones that signal but are not programmed (seed 002: zones the panel
-- knows and the station does not are "listed out separately"): per account
-- and zone number (as zones store it), the first and last signal and how
-- many. Kept off the acknowledgement path: a job folds the signals stored
-- since its cursor (projections) into it, in batches, the cursor written
-- in the same transaction, so that nothing is counted twice or missed.
-- Adding the zone deletes its row.
CREATE TABLE unprogrammed_zones (
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    zone            TEXT    NOT NULL,
    first_at        INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    signals         INTEGER NOT NULL,
    last_signal_id  INTEGER NOT NULL,
    PRIMARY KEY (account_id, zone)
) WITHOUT ROWID;

CREATE TABLE projections (
    name            TEXT    PRIMARY KEY,
    signal_id       INTEGER NOT NULL    -- the last signal folded in
);
INSERT INTO projections (name, signal_id) VALUES ('unprogrammed_zones', 0);

-- The audit log holds a change's before and after: JSON objects of the
-- record's fields that changed (every field on create and delete), each
-- secret (DC-09 key, passcode, password) as "changed", never its value.
ALTER TABLE audit_log ADD COLUMN before_json TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN after_json TEXT NOT NULL DEFAULT '';
