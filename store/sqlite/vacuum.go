package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// AutoVacuum modes, as PRAGMA auto_vacuum reports them.
const (
	AutoVacuumNone        = 0
	AutoVacuumFull        = 1
	AutoVacuumIncremental = 2
)

// initNewFile gives the empty file just created its first page with
// incremental auto-vacuum, so that retention can shrink it later. The mode
// can only be chosen before the first page is written: switching to WAL
// writes it, and from then on only a VACUUM changes the mode. The driver
// sets auto_vacuum before journal_mode on a connection it opens, so one
// connection of this DSN does it. It is not in the pools' DSN: on a file
// that already has the mode, setting it again writes the header at every
// connection, a write before the integrity check of a file that may be
// damaged.
func initNewFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_auto_vacuum=incremental&_journal_mode=WAL")
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	defer db.Close()
	var mode int
	if err := db.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return openError(path, err)
	}
	if mode != AutoVacuumIncremental {
		return fmt.Errorf("store: create %s: auto_vacuum is %d, not incremental", path, mode)
	}
	return nil
}

// AutoVacuum returns the database's auto_vacuum mode. Files created by
// this engine have AutoVacuumIncremental; files created before it have
// AutoVacuumNone until a VACUUM (with alarmrx stopped) converts them.
func (db *DB) AutoVacuum(ctx context.Context) (int, error) {
	var mode int
	if err := db.rdb.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return 0, fmt.Errorf("store: auto_vacuum: %w", err)
	}
	return mode, nil
}

// FreePages returns the pages on the database's free list, as the last
// commit left them.
func (db *DB) FreePages(ctx context.Context) (int64, error) {
	var n int64
	if err := db.rdb.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: freelist_count: %w", err)
	}
	return n, nil
}

// IncrementalVacuum gives at most pages free pages back to the file
// system, in one transaction on the writer, and returns how many it
// freed. The step is bounded so that the writer, which the
// acknowledgements wait for, is never held long; the file shrinks on disk
// at the next checkpoint. On a database without incremental auto-vacuum it
// frees nothing.
func (db *DB) IncrementalVacuum(ctx context.Context, pages int) (freed int64, err error) {
	if pages <= 0 {
		return 0, nil
	}
	err = db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var before, after int64
		if err := tx.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&before); err != nil {
			return err
		}
		if before == 0 {
			return nil
		}
		// The pragma frees one page per step of its statement: Exec steps
		// once, so the rows are read to the end. PRAGMA takes no bound
		// parameter; pages is our own integer.
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", pages))
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&after); err != nil {
			return err
		}
		freed = before - after
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: incremental vacuum: %w", err)
	}
	return freed, nil
}

// FileBytes is the size on disk of the database file and its write-ahead
// log; a file that cannot be read counts 0.
func (db *DB) FileBytes() int64 { return fileBytes(db.path) }

// fileBytes is the size on disk of the database at path and its WAL.
func fileBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// Compact rewrites the database at path, with alarmrx stopped, into a file
// with incremental auto-vacuum and no free pages: the one-off step that
// lets a database created before incremental auto-vacuum shrink as
// retention prunes it. It takes the data directory's lock (a running
// alarmrx refuses it), refuses a missing or damaged database, and returns
// the size on disk (database and WAL) before and after. It rewrites the
// whole file: it needs free space about the database's size, and takes
// about as long as copying it.
func Compact(ctx context.Context, path string) (before, after int64, err error) {
	// The file is looked at before the lock is taken: taking it creates
	// the lock file, which marks the directory as one that held a
	// database.
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, 0, dirErrorf(ErrDatabaseMissing, "database %s is missing: nothing to compact", path)
	case err != nil:
		return 0, 0, dirErrorf(ErrDataDir, "database %s: %v", path, errReason(err))
	case !fi.Mode().IsRegular():
		return 0, 0, dirErrorf(ErrDatabaseDamaged, "database %s is not a regular file", path)
	}
	lock, err := lockDataDir(filepath.Dir(path))
	if err != nil {
		return 0, 0, err
	}
	defer lock.release()
	before = fileBytes(path)
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		return before, 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the pragma below holds for its connection only
	if err := db.PingContext(ctx); err != nil {
		return before, 0, openError(path, err)
	}
	if err := quickCheck(ctx, db, path); err != nil {
		return before, 0, err
	}
	// auto_vacuum changes on a file with tables only through VACUUM, which
	// takes the mode set on its connection.
	for _, q := range []string{"PRAGMA auto_vacuum = INCREMENTAL", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return before, 0, fmt.Errorf("store: compact %s: %s: %w", path, q, err)
		}
	}
	var mode int
	if err := db.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return before, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	if mode != AutoVacuumIncremental {
		return before, 0, fmt.Errorf("store: compact %s: auto_vacuum is %d after VACUUM, not incremental", path, mode)
	}
	if err := db.Close(); err != nil {
		return before, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	return before, fileBytes(path), nil
}
