// Package engine is what the store's engines share: the group-commit writer (one connection every change goes through, in one order; batches of a Batcher; the projection of what a batch derives, by a Projector), its Tx of prepared statements, health, retries of transactions the database refused for a conflict of its own, and injected faults.
// An engine (store/sqlite, store/postgres) opens the connections, says which of its errors are storage failures (IsStorageFailure) and whether it is fenced, and embeds a Writer.
// It must not import store, an engine or a driver.
package engine
