package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
)

// ErrFileLost: the database file was deleted or replaced while the store
// had it open. Commits stop until a restart; nothing is acknowledged into a
// file that no longer has a name.
var ErrFileLost = errors.New("store: database file deleted or replaced")

// watchFile checks, every interval until the store closes, that the file at
// the database's path is still the file the store opened. SQLite keeps
// writing into an unlinked file without complaint, and a restart would
// then find an empty directory: both would lose what was acknowledged.
func (s *Store) watchFile(interval time.Duration) {
	defer close(s.watchDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopWatch:
			return
		case <-t.C:
		}
		if s.fence.Load() != nil {
			continue
		}
		if why := s.fileProblem(); why != "" {
			s.loseFile(why)
		}
	}
}

// fileProblem says what happened to the database file, "" when nothing.
func (s *Store) fileProblem() string {
	opened, err := s.dbFile.Stat()
	if err != nil {
		return fmt.Sprintf("the open database file cannot be examined: %v", err)
	}
	now, err := os.Stat(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "the database file " + s.path + " was deleted"
	case err != nil:
		return fmt.Sprintf("the database file %s cannot be examined: %v", s.path, errReason(err))
	case !os.SameFile(opened, now):
		return "the database file " + s.path + " was replaced by another file"
	}
	return ""
}

// loseFile fences the store: every commit fails from now on (so every
// protocol answers negatively and senders go to their backup receiver),
// readiness fails, and the metric and one loud log line say why. The
// still-open database is copied aside, so that what was acknowledged since
// the file vanished can be restored.
func (s *Store) loseFile(why string) {
	err := fmt.Errorf("%w: %s", ErrFileLost, why)
	if !s.fence.CompareAndSwap(nil, &err) {
		return
	}
	s.m.fileOK.Set(0)
	s.markUnhealthy(err)
	copyPath := filepath.Join(filepath.Dir(s.path),
		strings.TrimSuffix(FileName, ".db")+".recovered-"+time.Now().UTC().Format("20060102T150405Z")+".db")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// VACUUM INTO reads through the connection's open descriptors, which
	// still reach the unlinked file and its WAL.
	if _, cerr := s.rdb.ExecContext(ctx, "VACUUM INTO ?", copyPath); cerr != nil {
		s.log.Error("database file lost: acknowledgements stopped; the open database could not be copied aside: "+
			"restore the database from a backup and restart alarmrx",
			zap.String("why", why), zap.String("path", s.path), zap.NamedError("copy_error", cerr))
		return
	}
	_ = os.Chmod(copyPath, 0o600)
	s.log.Error("database file lost: acknowledgements stopped; the open database was copied aside: "+
		"stop alarmrx, move the copy to the database path (or restore a backup) and start alarmrx again",
		zap.String("why", why), zap.String("path", s.path), zap.String("copy", copyPath))
}

// fenceError is the error every commit gets once the file is lost, nil
// before.
func (s *Store) fenceError() error {
	if p := s.fence.Load(); p != nil {
		return storageFault{*p}
	}
	return nil
}
