package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/alarmrx/alarmrx/store/engine"
)

// migrations are the files of fsys, from version 1.
func migrations(fsys fs.FS) ([]engine.Migration, error) { return engine.Migrations(fsys, false) }

// SchemaVersion is the schema version the migrations in fsys produce, 0
// when they are not a valid sequence.
func SchemaVersion(fsys fs.FS) int {
	ms, err := migrations(fsys)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies every migration of fsys newer than the database's
// user_version, each in its own transaction together with the version bump.
// A database newer than the migrations is refused rather than written to.
func migrate(ctx context.Context, db *sql.DB, path string, fsys fs.FS) error {
	ms, err := migrations(fsys)
	if err != nil {
		return err
	}
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return openError(path, fmt.Errorf("read schema version: %w", err))
	}
	if current > len(ms) {
		return dirErrorf(ErrSchemaNewer, "database %s has schema version %d, newer than this build's %d: "+
			"run the alarmrx version that wrote it, or restore a backup made by this version", path, current, len(ms))
	}
	for _, m := range ms[current:] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		// PRAGMA takes no bound parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
	}
	return nil
}
