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
