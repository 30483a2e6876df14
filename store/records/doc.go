// Package records owns the generic record table of the station's records (customers, sites, accounts, zones, contacts…): create, get, list, update and delete from a Table that states a kind's columns and rules, each change checked, audited with its fields before and after, and followed by its hooks, behind the narrow Engine it declares.
// It must not import the store or another domain part, only store/core and the engine's row helper; the kinds' tables, the account index and the resolution are the store's, and reach it only through a Table's hooks.
package records
