// Package identity owns the station users, their console sessions and the audit log's reading (the audit log is written by every part, through store/core), behind the narrow Engine it declares.
// It must not import the store or another domain part, only store/core and the engine's helpers (rows, constraint codes); portal users, scoped by the records, stay with them.
package identity
