-- 0012: account prefixes applied by rule, identifiers compared without the
-- punctuation of phone numbers, signals listed by site.
--
-- Each receiver states how its senders send account numbers: 'add' (without
-- the receiver's prefix, which is always put in front) or 'expect' (with it
-- already: taken as sent). The configuration sets it at every start-up.
ALTER TABLE receivers ADD COLUMN account_prefix_mode TEXT NOT NULL DEFAULT 'add';

-- identifier_key is an identifier in the form it is compared in: without
-- space, tab, + - . ( ) / and upper-cased (ASCII), so that "+1 312 555 0101"
-- and "13125550101" are one identifier. store.IdentifierKey computes the same
-- form; the identifier itself stays as entered, for display.
ALTER TABLE sites ADD COLUMN identifier_key TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN identifier_key TEXT NOT NULL DEFAULT '';
ALTER TABLE installers ADD COLUMN identifier_key TEXT NOT NULL DEFAULT '';
UPDATE sites SET identifier_key = upper(replace(replace(replace(replace(replace(replace(replace(replace(
    identifier, ' ', ''), char(9), ''), '+', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''));
UPDATE customers SET identifier_key = upper(replace(replace(replace(replace(replace(replace(replace(replace(
    identifier, ' ', ''), char(9), ''), '+', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''));
UPDATE installers SET identifier_key = upper(replace(replace(replace(replace(replace(replace(replace(replace(
    identifier, ' ', ''), char(9), ''), '+', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''));

-- Identifiers entered before this version may differ only in punctuation
-- ("312-555-0101" on one site, "3125550101" on another). The first holder
-- keeps the key (sites before customers before installers, then the oldest);
-- the others keep an empty key, log in with their identifier exactly as
-- written, and are named in a warning at every start-up until one of them
-- gets another identifier.
UPDATE sites SET identifier_key = '' WHERE identifier_key <> ''
    AND id NOT IN (SELECT min(id) FROM sites WHERE identifier_key <> '' GROUP BY identifier_key);
UPDATE customers SET identifier_key = '' WHERE identifier_key <> ''
    AND (id NOT IN (SELECT min(id) FROM customers WHERE identifier_key <> '' GROUP BY identifier_key)
      OR identifier_key IN (SELECT identifier_key FROM sites WHERE identifier_key <> ''));
UPDATE installers SET identifier_key = '' WHERE identifier_key <> ''
    AND (id NOT IN (SELECT min(id) FROM installers WHERE identifier_key <> '' GROUP BY identifier_key)
      OR identifier_key IN (SELECT identifier_key FROM sites WHERE identifier_key <> '')
      OR identifier_key IN (SELECT identifier_key FROM customers WHERE identifier_key <> ''));
CREATE UNIQUE INDEX sites_identifier_key ON sites (identifier_key) WHERE identifier_key <> '';
CREATE UNIQUE INDEX customers_identifier_key ON customers (identifier_key) WHERE identifier_key <> '';
CREATE UNIQUE INDEX installers_identifier_key ON installers (identifier_key) WHERE identifier_key <> '';

-- GET /api/v1/signals?site_id= pages through one site's signals by id, both
-- ways, without reading other sites' rows. Unknown accounts' signals have no
-- site and take no entry.
CREATE INDEX signals_site ON signals (site_id, id) WHERE site_id IS NOT NULL;
