package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

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

// migrate applies every migration of opts.Migrations newer than the
// database's user_version, each in its own transaction together with the
// version bump, and logs each. A database newer than the migrations is
// refused rather than written to. Before it changes an existing database's
// schema it copies the file (UpgradeBackupName, beside it; BackupFile),
// so that the former alarmrx can be put back with its database, unless
// opts.NoUpgradeBackup.
func migrate(ctx context.Context, db *sql.DB, path string, opts Options) error {
	ms, err := migrations(opts.Migrations)
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
	if current == len(ms) {
		return nil
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if current > 0 {
		fields := []zap.Field{zap.String("database", path), zap.Int("from", current), zap.Int("to", len(ms))}
		if opts.NoUpgradeBackup {
			log.Warn("upgrading the database's schema without a copy first (no upgrade backup)", fields...)
		} else {
			now := time.Now
			if opts.Now != nil {
				now = opts.Now
			}
			copyPath := filepath.Join(filepath.Dir(path), UpgradeBackupName(filepath.Base(path), current, now()))
			began := time.Now()
			if err := BackupFile(ctx, path, copyPath, BackupOptions{Pause: -1, PagesPerStep: 4096}); err != nil {
				_ = os.Remove(copyPath)
				return fmt.Errorf("store: the copy before upgrading %s from schema version %d (skip it with --no-backup): %w", path, current, err)
			}
			log.Info("database copied before its schema upgrade: keep it until the new version has run a while",
				append(fields, zap.String("copy", copyPath), zap.Duration("took", time.Since(began)))...)
		}
	}
	for _, m := range ms[current:] {
		began := time.Now()
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
		if current > 0 {
			log.Info("schema migration applied", zap.String("database", filepath.Base(path)), zap.String("migration", m.Name),
				zap.Int("version", m.Version), zap.Duration("took", time.Since(began)))
		}
	}
	if current == 0 {
		log.Info("schema created", zap.String("database", filepath.Base(path)), zap.Int("version", len(ms)))
	}
	return nil
}

// UpgradeBackupName is the name of the copy migrate takes of the database
// file name at schema version from: alarmrx.db.before-upgrade-v31-20261203T125000Z.
func UpgradeBackupName(name string, from int, at time.Time) string {
	return fmt.Sprintf("%s.before-upgrade-v%d-%s", name, from, at.UTC().Format("20060102T150405Z"))
}
