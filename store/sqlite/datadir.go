package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/alarmrx/alarmrx/store/engine"
)

// LockFileName is the instance lock in the data directory. Its presence
// also tells that the directory has held a database: a missing database
// next to it is a lost one, never a first start.
const LockFileName = "alarmrx.lock"

// Data directory errors. Open wraps them with the path.
var (
	// ErrDataDirInUse: another alarmrx holds the data directory's lock.
	ErrDataDirInUse = errors.New("store: data dir in use")
	// ErrDataDir: the data directory cannot hold the database (not a
	// directory, not writable, cannot be created).
	ErrDataDir = errors.New("store: data dir unusable")
	// ErrDatabaseMissing: the data directory has held a database, and it
	// is gone. It is never replaced silently by an empty one.
	ErrDatabaseMissing = errors.New("store: database missing")
	// ErrDatabaseDamaged: the database file is not a usable SQLite
	// database, or fails its integrity check.
	ErrDatabaseDamaged = errors.New("store: database damaged")
	// ErrSchemaNewer: the database was written by a newer alarmrx; this
	// build never writes to it.
	ErrSchemaNewer = engine.ErrSchemaNewer
)

// dirError is an ErrDataDir with its reason, read as one line.
type dirError struct {
	sentinel error
	msg      string
}

func (e *dirError) Error() string { return e.msg }
func (e *dirError) Unwrap() error { return e.sentinel }

func dirErrorf(sentinel error, format string, args ...any) error {
	return &dirError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// CheckDataDir reports why dir cannot hold alarmrx's database, without
// changing anything: it must be a directory the process may write, or
// not exist yet under a parent it may write. check-config calls it.
func CheckDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := existingParent(dir)
		if err := writable(parent); err != nil {
			return dirErrorf(ErrDataDir, "data dir %s does not exist and cannot be created in %s: %v", dir, parent, err)
		}
		return nil
	case err != nil:
		return dirErrorf(ErrDataDir, "data dir %s: %v", dir, errReason(err))
	case !fi.IsDir():
		return dirErrorf(ErrDataDir, "data dir %s is not a directory", dir)
	}
	if err := writable(dir); err != nil {
		return dirErrorf(ErrDataDir, "data dir %s is not writable: %v", dir, err)
	}
	return nil
}

// existingParent is the nearest ancestor of dir that exists.
func existingParent(dir string) string {
	p := filepath.Clean(dir)
	for {
		next := filepath.Dir(p)
		if next == p {
			return p
		}
		p = next
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
}

// writable asks the kernel whether the process may create files in dir
// (access(2) with W_OK|X_OK; for root it still catches a read-only mount).
func writable(dir string) error {
	if err := syscall.Access(dir, 0x2|0x1); err != nil {
		return err
	}
	return nil
}

// errReason is an *fs.PathError's reason alone: the path is already in the
// message.
func errReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// prepareDataDir creates dir (0700) when it is missing and checks that it
// is a writable directory, by creating a file in it: access(2) cannot see
// every way a write fails (a read-only mount seen by root, /proc).
func prepareDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return dirErrorf(ErrDataDir, "data dir %s cannot be created: %v", dir, errReason(err))
		}
	case err != nil:
		return dirErrorf(ErrDataDir, "data dir %s: %v", dir, errReason(err))
	case !fi.IsDir():
		return dirErrorf(ErrDataDir, "data dir %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".alarmrx-write-check-*")
	if err != nil {
		return dirErrorf(ErrDataDir, "data dir %s is not writable: %v", dir, errReason(err))
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return dirErrorf(ErrDataDir, "data dir %s is not writable: %v", dir, errReason(err))
	}
	return nil
}

// dirLock is the exclusive instance lock on a data directory: an flock(2)
// on its lock file, held for as long as the file stays open, released by
// the kernel when the process ends however it ends. The file itself stays.
type dirLock struct {
	f *os.File
	// existed tells that the lock file was there before: the directory
	// has held a database.
	existed bool
}

// lockDataDir takes the instance lock of dir. A second alarmrx on the same
// directory gets ErrDataDirInUse with the holder's pid: two instances on
// one store would both run the outputs (webhooks sent twice, reports
// mailed twice).
func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFileName)
	_, statErr := os.Stat(path)
	existed := statErr == nil
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, dirErrorf(ErrDataDir, "data dir %s: lock file: %v", dir, errReason(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, dirErrorf(ErrDataDirInUse, "data dir %s is in use by pid %s", dir, lockHolder(path))
		}
		return nil, dirErrorf(ErrDataDir, "data dir %s: lock %s: %v", dir, path, err)
	}
	// The lock is ours: say who holds it, for the next one to report.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
		_ = f.Sync()
	}
	_ = f.Chmod(0o600)
	return &dirLock{f: f, existed: existed}, nil
}

// release gives the lock up. The file stays: it marks the directory as
// one that holds a database.
func (l *dirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// prepareDatabaseFile makes sure the database file exists with mode 0600
// before SQLite opens it: SQLite gives its -wal and -shm files the mode of
// the database file, so all three stay private to the service's user.
// A missing database in a directory that held one is refused.
func prepareDatabaseFile(path string, dirHeldOne bool) (created bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return false, dirErrorf(ErrDatabaseDamaged, "database %s is not a regular file", path)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
				if err := os.Chmod(p, 0o600); err != nil {
					return false, dirErrorf(ErrDataDir, "database %s: chmod 0600: %v", p, errReason(err))
				}
			}
		}
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, dirErrorf(ErrDataDir, "database %s: %v", path, errReason(err))
	case dirHeldOne:
		return false, dirErrorf(ErrDatabaseMissing,
			"database %s is missing, but this data dir has held one (%s is there): restore the database from a backup, "+
				"or remove %s to start with an empty database", path, LockFileName, filepath.Join(filepath.Dir(path), LockFileName))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, dirErrorf(ErrDataDir, "database %s cannot be created: %v", path, errReason(err))
	}
	if err := f.Close(); err != nil {
		return false, dirErrorf(ErrDataDir, "database %s cannot be created: %v", path, errReason(err))
	}
	return true, nil
}

// LockDataDir takes dir's instance lock, as a daemon does, for a command
// that must not run beside one (restore); ErrDataDirInUse names the
// holder's pid. The release gives it back.
func LockDataDir(dir string) (release func(), err error) {
	l, err := lockDataDir(dir)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}

// DataDirHolder reports whether an alarmrx holds dir's instance lock now,
// and its pid as the lock file says, without taking the lock for long and
// without creating the file (which would mark dir as one that has held a
// database).
func DataDirHolder(dir string) (pid string, held bool, err error) {
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return lockHolder(path), true, nil
		}
		return "", false, err
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return "", false, nil
}

// lockHolder is the pid the lock file at path names ("pid N", written by
// its holder), or "unknown".
func lockHolder(path string) string {
	b, _ := os.ReadFile(path)
	pid := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b)), "pid"))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}
