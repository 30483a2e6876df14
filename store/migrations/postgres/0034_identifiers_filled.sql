-- 0034: every site, customer and installer has an identifier
-- (store/migrations/0034_identifiers_filled.sql says why and how). The
-- code that writes a PostgreSQL database always draws one, but a store
-- copied from a SQLite station before this version (alarmrx store copy)
-- brought that station's empty ones along.
CREATE TEMP TABLE identifier_fill_start (
    start  bigint  NOT NULL,
    at     bigint  NOT NULL
);
INSERT INTO identifier_fill_start (start, at) VALUES (
    floor(random() * 900000000)::bigint,
    (extract(epoch FROM now()) * 1000000000)::bigint);

CREATE TEMP TABLE identifier_fill (
    kind        text    NOT NULL,   -- site | customer | installer
    id          bigint  NOT NULL,
    was         text    NOT NULL,
    identifier  text    NOT NULL,
    PRIMARY KEY (kind, id)
);
WITH RECURSIVE
    need (kind, id, was, n) AS (
        SELECT kind, id, identifier, row_number() OVER (ORDER BY ord, id) FROM (
            SELECT 'site' AS kind, 1 AS ord, id, identifier FROM sites WHERE trim(identifier) = ''
            UNION ALL SELECT 'customer', 2, id, identifier FROM customers WHERE trim(identifier) = ''
            UNION ALL SELECT 'installer', 3, id, identifier FROM installers WHERE trim(identifier) = '') AS empty),
    taken (v) AS (
        SELECT identifier FROM sites UNION SELECT identifier_key FROM sites
        UNION SELECT identifier FROM customers UNION SELECT identifier_key FROM customers
        UNION SELECT identifier FROM installers UNION SELECT identifier_key FROM installers),
    step (k) AS (
        SELECT CAST(1 AS bigint) WHERE EXISTS (SELECT 1 FROM need)
        UNION ALL
        SELECT k + 1 FROM step WHERE k < (SELECT count(*) FROM need) + (SELECT count(*) FROM taken)),
    free (v, n) AS (
        SELECT v, row_number() OVER (ORDER BY k) FROM (
            SELECT k, CAST(100000000 + (k * 282475249 + (SELECT start FROM identifier_fill_start)) % 900000000 AS text) AS v
            FROM step) AS walk
        WHERE NOT EXISTS (SELECT 1 FROM taken WHERE taken.v = walk.v))
INSERT INTO identifier_fill (kind, id, was, identifier)
    SELECT need.kind, need.id, need.was, free.v FROM need JOIN free ON free.n = need.n;

UPDATE sites SET
    identifier = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'site' AND f.id = sites.id),
    identifier_key = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'site' AND f.id = sites.id),
    updated_at = (SELECT at FROM identifier_fill_start),
    updated_by = 'upgrade'
    WHERE id IN (SELECT id FROM identifier_fill WHERE kind = 'site');
UPDATE customers SET
    identifier = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'customer' AND f.id = customers.id),
    identifier_key = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'customer' AND f.id = customers.id),
    updated_at = (SELECT at FROM identifier_fill_start)
    WHERE id IN (SELECT id FROM identifier_fill WHERE kind = 'customer');
UPDATE installers SET
    identifier = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'installer' AND f.id = installers.id),
    identifier_key = (SELECT f.identifier FROM identifier_fill f WHERE f.kind = 'installer' AND f.id = installers.id),
    updated_at = (SELECT at FROM identifier_fill_start)
    WHERE id IN (SELECT id FROM identifier_fill WHERE kind = 'installer');
INSERT INTO audit_log (at, user_id, user_name, action, target, detail, remote_addr)
    SELECT (SELECT at FROM identifier_fill_start), NULL, 'upgrade', 'identifier.regenerate', f.kind || ':' || f.id,
        '{"after":"' || f.identifier || '","before":"' || f.was || '"}', ''
    FROM identifier_fill f ORDER BY CASE f.kind WHEN 'site' THEN 1 WHEN 'customer' THEN 2 ELSE 3 END, f.id;

DROP TABLE identifier_fill;
DROP TABLE identifier_fill_start;
