-- 0034: every site, customer and installer has an identifier. Its portal
-- users log in with it (design.md §9), and no record is found by an empty
-- one. Customers and installers got the column in 0008 with '' for the
-- rows already there, and a record draws its random 9-digit identifier
-- only when it is created or changed (store/records assignIdentifier): a
-- customer of a station older than 0008 that nobody edited since had none,
-- and its portal users could not log in.
--
-- Each record still without one (empty, or spaces only) gets a 9-digit
-- number that no record holds as its identifier or its key, as both, and
-- an audit entry identifier.regenerate by "upgrade" with the identifier
-- before and after, as a regeneration through the API writes. The numbers
-- walk the 9-digit range from a random start by a step coprime with its
-- size (7^10 against 9·10^8 = 2^8·3^2·5^8), so no two of them are equal;
-- those already held are skipped, and as many steps as there are records
-- with or without identifiers always leave enough. The two helper tables
-- are temporary (in the connection's temp database: the store's file gains
-- no pages to free) and dropped at the end. store/migrations/postgres/0034
-- does the same.
CREATE TEMP TABLE identifier_fill_start (
    start  INTEGER NOT NULL,
    at     INTEGER NOT NULL
);
INSERT INTO identifier_fill_start (start, at) VALUES (
    (random() % 900000000 + 900000000) % 900000000,
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000);

CREATE TEMP TABLE identifier_fill (
    kind        TEXT    NOT NULL,   -- site | customer | installer
    id          INTEGER NOT NULL,
    was         TEXT    NOT NULL,
    identifier  TEXT    NOT NULL,
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
        SELECT 1 WHERE EXISTS (SELECT 1 FROM need)
        UNION ALL
        SELECT k + 1 FROM step WHERE k < (SELECT count(*) FROM need) + (SELECT count(*) FROM taken)),
    free (v, n) AS (
        SELECT v, row_number() OVER (ORDER BY k) FROM (
            SELECT k, CAST(100000000 + (k * 282475249 + (SELECT start FROM identifier_fill_start)) % 900000000 AS TEXT) AS v
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
