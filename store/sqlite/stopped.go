package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// OpenStopped opens the database at path for a command that changes it
// with alarmrx stopped (keys rotate): it takes the data directory's
// instance lock (a running alarmrx refuses it with ErrDataDirInUse, naming
// its pid), refuses a missing database and one that fails its quick_check,
// and returns a pool of one read-write connection, with the settings the
// daemon's writer has (WAL, synchronous FULL, immediate transactions,
// foreign keys). close closes the database and gives the lock back.
//
// Run as root (sudo), the -wal and -shm files SQLite creates get the
// database file's owner: the service's user must be able to open them.
func OpenStopped(ctx context.Context, path string) (db *sql.DB, close func() error, err error) {
	// The file is looked at before the lock is taken: taking it creates
	// the lock file, which marks the directory as one that held a
	// database.
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, dirErrorf(ErrDatabaseMissing, "database %s does not exist", path)
	case err != nil:
		return nil, nil, dirErrorf(ErrDataDir, "database %s: %v", path, errReason(err))
	case !fi.Mode().IsRegular():
		return nil, nil, dirErrorf(ErrDatabaseDamaged, "database %s is not a regular file", path)
	}
	lock, err := lockDataDir(filepath.Dir(path))
	if err != nil {
		return nil, nil, err
	}
	db, err = sql.Open("sqlite3", dsn(path, Options{BusyTimeout: 5 * time.Second, Synchronous: "full"}, false))
	if err != nil {
		lock.release()
		return nil, nil, openError(path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	closeAll := func() error {
		err := db.Close()
		lock.release()
		return err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = closeAll()
		return nil, nil, openError(path, err)
	}
	if os.Geteuid() == 0 {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			for _, p := range []string{path + "-wal", path + "-shm"} {
				_ = os.Chown(p, int(st.Uid), int(st.Gid)) // absent: nothing to give
			}
		}
	}
	if err := quickCheck(ctx, db, path); err != nil {
		_ = closeAll()
		return nil, nil, err
	}
	return db, closeAll, nil
}
