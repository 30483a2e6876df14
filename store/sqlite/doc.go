// Package sqlite is the store's SQLite engine: the data directory and its lock, the connections, the group-commit writer, the migration runner, health, the file watch and injected faults; the SQL dialect (Dialect: placeholders as written, the scalar min and max; the writer prepares every statement through the engine's dialect) and the driver's error codes are known here.
// It must not import store or any domain part of it: what a batch holds is the caller's (a Batcher), and the migrations are handed in, so that another engine can stand behind the same surface.
package sqlite
