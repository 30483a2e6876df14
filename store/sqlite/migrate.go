package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the migrations in fsys (its *.sql files at the top)
// ordered by version. File names are NNNN_name.sql; the number is the
// schema version the file produces, and the versions run from 1 without a
// gap, so that every database reaches each version by the same files.
func migrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q: name must start with a positive version number", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %q: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

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
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		// PRAGMA takes no bound parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}
