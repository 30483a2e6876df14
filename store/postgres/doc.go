// Package postgres is the store's PostgreSQL engine, for stations that run several alarmrx nodes on one database: the connections (pgx through database/sql, every one committing with synchronous_commit on), the migration runner (a baseline equal to SQLite's schema version, then one file per SQLite migration, serialised across nodes by an advisory lock), the SQL dialect, and which of the database's errors are storage failures, conflicts to retry or broken constraints.
// The group-commit writer is store/engine's, embedded in DB, as the SQLite engine embeds it; the domain parts' SQL is the same on both.
// It must not import store or any domain part of it.
package postgres
