// Package store keeps alarmrx's durable state in SQLite: every frame exactly
// as received, the signals decoded from it, and (later) the station's
// records. It knows nothing of sockets.
//
// Commits from many sessions go through one writer goroutine that batches
// them into a single transaction (group commit): each caller's Commit returns
// only after the transaction holding its rows has committed with the
// configured synchronous level (FULL by default, so the WAL is fsync'd). The
// receiver writes a positive reply only after that.
//
// The engine (store/sqlite) owns the connections, that writer, the
// migration runner, health and the file watch; this package owns the
// schema (migrations/, embedded and versioned with PRAGMA user_version)
// and what is written and read, and hands the engine its batches.
//
// With Options.SecretsKey, accounts' DC-09 keys and responding parties'
// passcodes are sealed at rest with AES-256-GCM (secrets.go); no other
// column is.
package store
