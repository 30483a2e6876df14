// Package store keeps alarmrx's durable state in SQLite: every frame exactly
// as received, the signals decoded from it, and the station's records. It
// knows nothing of sockets, and must not import the receiver, the daemon or
// configs.
//
// Commits from many sessions go through one writer goroutine that batches
// them into a single transaction (group commit): each caller's Commit returns
// only after the transaction holding its frame's journal entry (journal.go:
// the frame, its decoded events, what they resolved to) has committed with
// the configured synchronous level (FULL by default, so the WAL is fsync'd).
// The receiver writes a positive reply only after that. The projection then
// builds the frames row, signals, incidents, station events and outbox rows
// from the entries, in batches on the same writer, deleting the entries in
// the same transaction; the engine's readers wait for it, so a read sees
// every frame acknowledged before it. Polls (no event) are no commit at all:
// their evidence is coalesced per account and written on an interval
// (polls.go).
//
// The engine (store/sqlite) owns the connections, that writer, the
// migration runner, health and the file watch; this package owns the
// schema (migrations/, embedded and versioned with PRAGMA user_version)
// and hands the engine its batches. It is also the assembly: Open opens
// the engine and builds the domain parts on it, and Store embeds them, so
// that one *Store satisfies the narrow interfaces its callers declare.
// The parts that stand on their own are store/identity (station users,
// sessions, the audit log), store/ontest (on-test periods, station
// events), store/reports (morning reports), store/outbox (the outputs'
// outbox and its undeliverable rows), store/queue (the incidents, the
// operator steps on them, signal notes and the queue's in-transaction
// incident writer) and store/records (the station's record kinds on the
// generic record table, their identifiers, the receivers' prefix rules,
// the system types and the account index that resolves signals); they
// share store/core and import neither this package nor each other. The
// record kinds' names stay here as aliases, and Store embeds
// *records.Kinds: its tables (Customers, Sites, Accounts, …) and lookups
// are the store's. The CSV import, the receivers' sync, portal users and visits,
// secrets at rest, and the queue's and sites' subscriber hubs live here,
// with the commit path and the projection: it calls the parts'
// in-transaction writers (outbox.Batch, queue.Tx) on the
// projection's *engine.Tx, which runs each statement prepared once on the
// writer's connection.
// The engine's SQL dialect (core.Dialect) rebinds every query's
// placeholders at the connection and renders the few constructs that
// differ between engines.
//
// With Options.SecretsKey, accounts' DC-09 keys and responding parties'
// passcodes are sealed at rest with AES-256-GCM (secrets.go); no other
// column is.
//
// Retention (retention.go) deletes each kind of record past its period in
// small batches through the writer, in an order and with rules that keep
// whatever a kept record references (an open incident's signals and
// frames, a pending outbox row's signal), and then has the engine give the
// freed pages back by incremental vacuum; Prune is one round, which the
// daemon runs on an interval.
package store
