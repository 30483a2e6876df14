-- 0014: technician visits, and portal sessions opened at a record within
-- the user's scope.
--
-- A visit is an installer's technician coming to a site to install, service
-- or repair some of its systems (accounts) within a time window. Starting it
-- puts those systems on test until the window ends, one on-test period each
-- (visit_accounts.on_test_id); ending it takes them off; the on-test expiry
-- ends a visit whose window ran out.
CREATE TABLE visits (
    id                  INTEGER PRIMARY KEY,
    site_id             INTEGER NOT NULL REFERENCES sites (id),
    technician_user_id  INTEGER NOT NULL REFERENCES portal_users (id), -- a portal user of kind technician
    from_at             INTEGER NOT NULL,
    until_at            INTEGER NOT NULL,
    purpose             TEXT    NOT NULL,                     -- install | service | repair
    notes               TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'scheduled', -- scheduled | open | ended | cancelled
    end_reason          TEXT    NOT NULL DEFAULT '',          -- ended | expired (ended and cancelled visits)
    created_by          TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    started_by          TEXT    NOT NULL DEFAULT '',
    started_at          INTEGER,
    ended_by            TEXT    NOT NULL DEFAULT '',
    ended_at            INTEGER                               -- ended, expired or cancelled
);
CREATE INDEX visits_technician ON visits (technician_user_id, id);
CREATE INDEX visits_site ON visits (site_id, id);
CREATE INDEX visits_due ON visits (until_at) WHERE status IN ('scheduled', 'open');

CREATE TABLE visit_accounts (
    visit_id    INTEGER NOT NULL REFERENCES visits (id),
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    on_test_id  INTEGER REFERENCES on_tests (id),             -- the period the visit's start opened
    PRIMARY KEY (visit_id, account_id)
);

-- The record an emulated portal session was opened at (a site or customer
-- within the user's scope); '' is the user's own scope.
ALTER TABLE portal_sessions ADD COLUMN scope TEXT NOT NULL DEFAULT '';
