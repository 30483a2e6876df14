package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/engine"
	"go.uber.org/zap"
)

// ErrFileLost: the database file was deleted or replaced while the store
// had it open. Commits stop until a restart; nothing is acknowledged into a
// file that no longer has a name.
var ErrFileLost = errors.New("store: database file deleted or replaced")

// watchFile checks, every interval until the database closes, that the file at
// the database's path is still the file the store opened. SQLite keeps
// writing into an unlinked file without complaint, and a restart would
// then find an empty directory: both would lose what was acknowledged.
func (db *DB) watchFile(interval time.Duration) {
	defer close(db.watchDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-db.stopWatch:
			return
		case <-t.C:
		}
		if db.fence.Load() != nil {
			continue
		}
		if why := db.fileProblem(); why != "" {
			db.loseFile(why)
		}
	}
}

// fileProblem says what happened to the database file, "" when nothing.
func (db *DB) fileProblem() string {
	opened, err := db.dbFile.Stat()
	if err != nil {
		return fmt.Sprintf("the open database file cannot be examined: %v", err)
	}
	now, err := os.Stat(db.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "the database file " + db.path + " was deleted"
	case err != nil:
		return fmt.Sprintf("the database file %s cannot be examined: %v", db.path, errReason(err))
	case !os.SameFile(opened, now):
		return "the database file " + db.path + " was replaced by another file"
	}
	return ""
}

// loseFile fences the store: every commit fails from now on (so every
// protocol answers negatively and senders go to their backup receiver),
// readiness fails, and the metric and one loud log line say why. The
// still-open database is copied aside, so that what was acknowledged since
// the file vanished can be restored.
func (db *DB) loseFile(why string) {
	err := fmt.Errorf("%w: %s", ErrFileLost, why)
	if !db.fenceWith(err) {
		return
	}
	db.m.fileOK.Set(0)
	copyPath := filepath.Join(filepath.Dir(db.path),
		strings.TrimSuffix(filepath.Base(db.path), ".db")+".recovered-"+time.Now().UTC().Format("20060102T150405Z")+".db")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// VACUUM INTO reads through the connection's open descriptors, which
	// still reach the unlinked file and its WAL.
	if _, cerr := db.rdb.ExecContext(ctx, "VACUUM INTO ?", copyPath); cerr != nil {
		db.log.Error("database file lost: acknowledgements stopped; the open database could not be copied aside: "+
			"restore the database from a backup and restart alarmrx",
			zap.String("why", why), zap.String("path", db.path), zap.NamedError("copy_error", cerr))
		return
	}
	_ = os.Chmod(copyPath, 0o600)
	db.log.Error("database file lost: acknowledgements stopped; the open database was copied aside: "+
		"stop alarmrx, move the copy to the database path (or restore a backup) and start alarmrx again",
		zap.String("why", why), zap.String("path", db.path), zap.String("copy", copyPath))
}

// Fenced is the error every commit gets once the file is lost, nil
// before.
func (db *DB) Fenced() error {
	if p := db.fence.Load(); p != nil {
		return engine.StorageFault{Err: *p}
	}
	return nil
}
