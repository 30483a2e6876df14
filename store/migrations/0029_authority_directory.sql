-- 0029: the station's authority directory: police, fire, medical and guard
-- agencies with the postal (zip) codes they serve, from which a site's
-- authorities are added by its postal code.
CREATE TABLE authority_directory (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never given again (audit targets name them), as on PostgreSQL
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    phones        TEXT    NOT NULL,   -- JSON array
    postal_codes  TEXT    NOT NULL,   -- JSON array, normalised (upper case, no spaces)
    updated_by    TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE authority_postal_codes (
    directory_id  INTEGER NOT NULL REFERENCES authority_directory (id) ON DELETE CASCADE,
    postal_code   TEXT    NOT NULL,
    PRIMARY KEY (postal_code, directory_id)
);
