package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/alarmrx/alarmrx/store/engine"
)

// ErrSchemaNewer: the database was written by a newer alarmrx; this build
// never writes to it.
var ErrSchemaNewer = engine.ErrSchemaNewer

// migrateLock is the key of the advisory lock that serialises migrators
// (two nodes starting together on one database): "alarmrx_" in ASCII.
// Advisory locks are per database, so databases on one server do not wait
// for each other.
const migrateLock int64 = 0x616c61726d72785f

// migrations are the files of fsys, a baseline first.
func migrations(fsys fs.FS) ([]engine.Migration, error) { return engine.Migrations(fsys, true) }

// SchemaVersion is the schema version the migrations in fsys produce (the
// highest file number), 0 when they are not a valid sequence.
func SchemaVersion(fsys fs.FS) int {
	ms, err := migrations(fsys)
	if err != nil {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Migrate applies every migration in fsys (NNNN_name.sql files at its top)
// newer than the database's version, and returns the version the database
// then has (on an error, the last one known). A fresh database starts with
// the first file, the baseline. The version is the one row of table
// schema_version, created when missing.
//
// Each file is applied in a transaction of its own together with the
// version bump, so that a failing file leaves the database at the version
// before it. Each transaction first takes an advisory lock (migrateLock)
// and only then reads the version: concurrent migrators take turns, and
// the later ones find the work done. A file must not hold transaction
// control statements; it may hold several statements (without bound
// parameters, pgx runs the text in the simple protocol, which allows that).
//
// A database newer than the files is refused, with an error wrapping
// ErrSchemaNewer, rather than written to. The session's statement_timeout
// does not apply (ctx bounds the wait for the lock and the migrations), and
// Migrate needs one connection at a time.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS) (version int, err error) {
	ms, err := migrations(fsys)
	if err != nil {
		return 0, err
	}
	for {
		v, done, err := migrateStep(ctx, db, ms)
		if err != nil || done {
			return v, err
		}
	}
}

// migrateStep applies the next pending migration of ms, if any, in one
// transaction. It returns the database's version afterwards and whether
// there was nothing left to do.
func migrateStep(ctx context.Context, db *sql.DB, ms []engine.Migration) (version int, done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: migrate: %w", err)
	}
	defer func() {
		if err != nil || done {
			_ = tx.Rollback()
		}
	}()
	// The session's statement_timeout bounds the store's queries, not the
	// wait for another node's migration nor a migration's own statements:
	// ctx bounds those.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return 0, false, fmt.Errorf("store: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return 0, false, fmt.Errorf("store: migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return 0, false, fmt.Errorf("store: migrate: create schema_version: %w", err)
	}
	var rows, current int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(version), 0) FROM schema_version`).Scan(&rows, &current); err != nil {
		return 0, false, fmt.Errorf("store: migrate: read schema version: %w", err)
	}
	base, latest := ms[0].Version, ms[len(ms)-1].Version
	switch {
	case rows > 1:
		return 0, false, fmt.Errorf("store: migrate: table schema_version holds %d rows, not one", rows)
	case current > latest:
		return current, false, &schemaError{sentinel: ErrSchemaNewer, msg: fmt.Sprintf(
			"store: database has schema version %d, newer than this build's %d: "+
				"run the alarmrx version that wrote it, or restore a backup made by this version", current, latest)}
	case current == latest:
		return current, true, nil // rolled back: nothing was written
	case rows == 1 && current < base:
		return current, false, fmt.Errorf("store: database has schema version %d, older than this build's baseline %d: "+
			"no migration leads from it", current, base)
	}
	next := ms[0]
	if rows == 1 {
		next = ms[current-base+1]
	}
	if _, err := tx.ExecContext(ctx, next.SQL); err != nil {
		return current, false, fmt.Errorf("store: migration %s: %w", next.Name, err)
	}
	bump := `UPDATE schema_version SET version = $1`
	if rows == 0 {
		bump = `INSERT INTO schema_version (version) VALUES ($1)`
	}
	if _, err := tx.ExecContext(ctx, bump, next.Version); err != nil {
		return current, false, fmt.Errorf("store: migration %s: set version: %w", next.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return current, false, fmt.Errorf("store: migration %s: commit: %w", next.Name, err)
	}
	return next.Version, false, nil
}

// schemaError is a sentinel with its reason, read as one line.
type schemaError struct {
	sentinel error
	msg      string
}

func (e *schemaError) Error() string { return e.msg }
func (e *schemaError) Unwrap() error { return e.sentinel }
