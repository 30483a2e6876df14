package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BackupOptions pace a backup and report its progress (sqlite.BackupOptions).
type BackupOptions = sqlite.BackupOptions

// BackupResult says what a backup wrote.
type BackupResult struct {
	Path          string
	Bytes         int64
	SchemaVersion int
	// Projected is how many journal entries (frames acknowledged but not
	// yet built into the database when the backup began) the backup built
	// into its copy.
	Projected int64
	Took      time.Duration
}

// ErrBackup: a backup or restore could not be made or is refused; the
// error says why.
var ErrBackup = errors.New("store: backup")

// Backup writes a consistent copy of the SQLite store in dataDir to the
// new file dest while a daemon may be running on it and acknowledging
// panels. What a frame's ACK waited for is the journal, so the copy holds
// every frame acknowledged before the backup began:
//
//  1. the journal is copied first (sqlite.BackupFile: one snapshot), then
//     the database, each in paced steps that never block the daemon's
//     writers. An entry projected between the two snapshots is in the
//     database's copy; one not yet projected by then is in the journal's.
//  2. The copies are opened as a store in a scratch directory beside dest,
//     which builds the journal's remaining entries into the database, as
//     a start-up would, and checks the file (quick_check).
//  3. The database alone is moved to dest: one file, whole or absent.
//
// copyOpts are the station's store options (daemon.StoreOptions: the
// secrets key, the outputs' outbox, the action plans…), so that the copy
// opens as the daemon opens the store and builds the journal's frames as
// it would; Backup sets the engine, the registry and the checks itself.
func Backup(ctx context.Context, dataDir, dest string, o BackupOptions, copyOpts Options) (*BackupResult, error) {
	began := time.Now()
	src := filepath.Join(dataDir, FileName)
	if _, err := os.Stat(dest); err == nil {
		return nil, fmt.Errorf("%w: %s exists: give a new file", ErrBackup, dest)
	}
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBackup, src, err)
	}
	work, err := os.MkdirTemp(filepath.Dir(dest), ".alarmrx-backup-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBackup, err)
	}
	defer os.RemoveAll(work)
	jsrc := filepath.Join(dataDir, JournalFileName)
	if _, err := os.Stat(jsrc); err == nil {
		if err := sqlite.BackupFile(ctx, jsrc, filepath.Join(work, JournalFileName), BackupOptions{Pause: -1}); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %v", ErrBackup, jsrc, err)
	}
	copyPath := filepath.Join(work, FileName)
	if err := sqlite.BackupFile(ctx, src, copyPath, o); err != nil {
		return nil, err
	}

	pending, err := unprojected(ctx, copyPath, filepath.Join(work, JournalFileName))
	if err != nil {
		return nil, err
	}
	// The copy as a store of its own: its start-up projects what the
	// journal's copy holds beyond the database's cursor.
	if copyOpts.Logger == nil {
		copyOpts.Logger = zap.NewNop()
	}
	copyOpts.Logger = copyOpts.Logger.Named("backup")
	copyOpts.Driver, copyOpts.DSN, copyOpts.NodeID = DriverSQLite, "", ""
	copyOpts.Registerer, copyOpts.OutboxQueued = prometheus.NewRegistry(), nil
	copyOpts.IntegrityCheck, copyOpts.NoUpgradeBackup = sqlite.CheckAtOpen, true
	s, err := Open(ctx, copyPath, copyOpts)
	if err != nil {
		return nil, fmt.Errorf("%w: the copy: %w", ErrBackup, err)
	}
	if err := s.Settle(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%w: the copy: %w", ErrBackup, err)
	}
	res := &BackupResult{Path: dest, SchemaVersion: SchemaVersion(), Projected: pending}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("%w: the copy: %w", ErrBackup, err)
	}
	if err := syncFile(copyPath); err != nil {
		return nil, err
	}
	// A link, not a rename: it fails, rather than replaces, a file that
	// appeared at dest since the check above.
	if err := os.Link(copyPath, dest); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBackup, err)
	}
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return nil, err
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBackup, err)
	}
	res.Bytes, res.Took = fi.Size(), time.Since(began)
	return res, nil
}

// unprojected counts the journal copy's entries beyond the database
// copy's projection cursor: the frames the copy's start-up builds.
func unprojected(ctx context.Context, dbPath, journalPath string) (int64, error) {
	if _, err := os.Stat(journalPath); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	db, err := sqlite.OpenReadOnly(ctx, dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var cursor int64
	if err := db.QueryRowContext(ctx, `SELECT cursor FROM projection WHERE id = 1`).Scan(&cursor); err != nil {
		return 0, fmt.Errorf("%w: the copy: %v", ErrBackup, err)
	}
	jdb, err := sqlite.OpenReadOnly(ctx, journalPath)
	if err != nil {
		return 0, err
	}
	defer jdb.Close()
	var n int64
	if err := jdb.QueryRowContext(ctx, `SELECT count(*) FROM journal WHERE id > ?`, cursor).Scan(&n); err != nil {
		return 0, fmt.Errorf("%w: the journal's copy: %v", ErrBackup, err)
	}
	return n, nil
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Path          string // the restored database
	SchemaVersion int    // the backup's; a start migrates an older one
	Bytes         int64
	// Aside is the directory the data dir's former database files were
	// moved to ("" when it held none).
	Aside string
}

// Restore makes the backup file src the database of dataDir. It refuses
// while a daemon holds the data dir (the instance lock), a backup that
// fails SQLite's integrity check, and one a newer alarmrx wrote. The data
// dir's former files (the database with its WAL and the journal) are
// kept, moved together to before-restore-<time> in the data dir; the
// journal is not restored with them: its entries are the former
// database's, and the next start begins a new one.
func Restore(ctx context.Context, dataDir, src string, now time.Time) (*RestoreResult, error) {
	target := filepath.Join(dataDir, FileName)
	if a, b := absPath(src), absPath(target); a == b {
		return nil, fmt.Errorf("%w: %s is the data dir's database itself", ErrBackup, src)
	}
	version, err := checkBackup(ctx, src)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBackup, err)
	}
	release, err := sqlite.LockDataDir(dataDir)
	if err != nil {
		if errors.Is(err, ErrDataDirInUse) {
			return nil, fmt.Errorf("%w: stop alarmrx first (a restore replaces the database it has open)", err)
		}
		return nil, err
	}
	defer release()

	res := &RestoreResult{Path: target, SchemaVersion: version}
	aside := filepath.Join(dataDir, "before-restore-"+now.UTC().Format("20060102T150405Z"))
	for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm",
		JournalFileName, JournalFileName + "-wal", JournalFileName + "-shm"} {
		p := filepath.Join(dataDir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if res.Aside == "" {
			if err := os.Mkdir(aside, 0o700); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBackup, err)
			}
			res.Aside = aside
		}
		if err := os.Rename(p, filepath.Join(aside, name)); err != nil {
			return nil, fmt.Errorf("%w: keeping %s: %v", ErrBackup, p, err)
		}
	}
	kept := ""
	if res.Aside != "" {
		kept = "; the former files are in " + res.Aside
	}
	// Through SQLite's backup, not a file copy: a backup file with a WAL
	// beside it (one that was never checkpointed) is read whole.
	part := target + ".restoring"
	_ = os.Remove(part)
	if err := sqlite.BackupFile(ctx, src, part, BackupOptions{Pause: -1, PagesPerStep: 4096}); err != nil {
		_ = os.Remove(part)
		return nil, fmt.Errorf("%w%s", err, kept)
	}
	if err := syncFile(part); err != nil {
		return nil, fmt.Errorf("%w%s", err, kept)
	}
	if err := os.Rename(part, target); err != nil {
		return nil, fmt.Errorf("%w: %v%s", ErrBackup, err, kept)
	}
	if err := syncFile(dataDir); err != nil {
		return nil, err
	}
	// Run as root (sudo), the new files would be root's, which the
	// service's user cannot open: they take the data dir's owner.
	if os.Geteuid() == 0 {
		if fi, err := os.Stat(dataDir); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				for _, p := range []string{target, res.Aside} {
					if p != "" {
						_ = os.Chown(p, int(st.Uid), int(st.Gid))
					}
				}
			}
		}
	}
	if fi, err := os.Stat(target); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}

// checkBackup opens a backup read-only and returns its schema version: it
// must pass SQLite's integrity check and be alarmrx's, of this version or
// an older one.
func checkBackup(ctx context.Context, path string) (int, error) {
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrBackup, path, err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&check); err != nil || check != "ok" {
		if err == nil {
			err = errors.New(check)
		}
		return 0, fmt.Errorf("%w: %s fails SQLite's integrity check: %v (%w)", ErrBackup, path, err, ErrDatabaseDamaged)
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrBackup, path, err)
	}
	var cursor int64
	if err := db.QueryRowContext(ctx, "SELECT cursor FROM projection WHERE id = 1").Scan(&cursor); err != nil {
		if errors.Is(err, sql.ErrNoRows) || version == 0 {
			return 0, fmt.Errorf("%w: %s is no alarmrx database", ErrBackup, path)
		}
		return 0, fmt.Errorf("%w: %s is no alarmrx database: %v", ErrBackup, path, err)
	}
	if want := SchemaVersion(); version > want {
		return 0, fmt.Errorf("%w: %s has schema version %d, newer than this alarmrx's %d: restore it with the version that wrote it (%w)",
			ErrBackup, path, version, want, ErrSchemaNewer)
	}
	return version, nil
}

// syncFile fsyncs a file or a directory (so that a rename in it lasts).
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBackup, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrBackup, path, err)
	}
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return filepath.Clean(a)
	}
	return filepath.Clean(p)
}
