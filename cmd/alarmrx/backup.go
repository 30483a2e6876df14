package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// backupCmd is `alarmrx backup [--config FILE] DEST`: an online,
// consistent copy of the SQLite store while the daemon runs
// (store.Backup), with its progress on stderr.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	path := fs.String("config", "", "configuration file naming the data dir (default: the embedded example)")
	pages := fs.Int("pages-per-step", 256, "pages copied per step (4 KiB each)")
	pause := fs.Duration("pause", 20*time.Millisecond, "rest between two steps, which leaves the disk to the daemon's commits (0: none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx backup [--config FILE] [--pages-per-step N] [--pause D] DEST\n\n"+
			"Writes a consistent copy of the SQLite store to the new file DEST while alarmrx runs\n"+
			"and keeps acknowledging: every frame acknowledged before the backup began is in it.\n"+
			"Restore it with alarmrx restore. (PostgreSQL: use pg_dump or pg_basebackup.)")
		fs.PrintDefaults()
	}
	dest, cfg, err := fileArgument(fs, args, path)
	if err != nil {
		return err
	}
	if *pages < 1 || *pause < 0 {
		return usageError{errors.New("--pages-per-step must be at least 1 and --pause not negative")}
	}
	if *pause == 0 {
		*pause = -1 // BackupOptions: no pause (0 is its default)
	}
	last := time.Time{}
	progress := func(done, total int) {
		if now := time.Now(); now.Sub(last) >= time.Second || done == total {
			last = now
			fmt.Fprintf(stderr, "backup: %d%% (%d of %d pages)\n", 100*done/max(total, 1), done, total)
		}
	}
	// The copy opens with the station's store options (its secrets key,
	// outputs and rules), as the daemon opens the store.
	so, err := daemon.StoreOptions(cfg, zap.NewNop(), nil)
	if err != nil {
		return err
	}
	res, err := store.Backup(ctx, cfg.DataDir, dest, store.BackupOptions{PagesPerStep: *pages, Pause: *pause, Progress: progress}, so)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes, schema version %d, %d acknowledged frames built in from the journal, in %v\n",
		res.Path, res.Bytes, res.SchemaVersion, res.Projected, res.Took.Round(time.Millisecond))
	return nil
}

// restoreCmd is `alarmrx restore [--config FILE] BACKUP`, with alarmrx
// stopped (store.Restore).
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	path := fs.String("config", "", "configuration file naming the data dir (default: the embedded example)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx restore [--config FILE] BACKUP\n\n"+
			"With alarmrx stopped, makes BACKUP (from alarmrx backup) the data dir's database, after\n"+
			"checking its integrity and version; the former files are kept in before-restore-<time>.")
		fs.PrintDefaults()
	}
	src, cfg, err := fileArgument(fs, args, path)
	if err != nil {
		return err
	}
	res, err := store.Restore(ctx, cfg.DataDir, src, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s (%d bytes, schema version %d)\n", res.Path, src, res.Bytes, res.SchemaVersion)
	if res.Aside != "" {
		fmt.Fprintf(stdout, "the former database and journal are kept in %s\n", res.Aside)
	}
	return nil
}

// fileArgument parses a command's flags and its one file argument, and
// loads the configuration; a PostgreSQL store is refused (its own tools
// back it up).
func fileArgument(fs *flag.FlagSet, args []string, config *string) (string, *configs.Config, error) {
	arg, err := parseOneArg(fs, args, "give one file")
	if err != nil {
		return "", nil, err
	}
	cfg, err := configs.Load(*config)
	if err != nil {
		return "", nil, err
	}
	if cfg.Store.Driver == store.DriverPostgres {
		return "", nil, errors.New("the store is PostgreSQL (store.driver postgres): back it up with pg_dump or pg_basebackup (README: Back up and restore)")
	}
	file, err := filepath.Abs(arg)
	if err != nil {
		return "", nil, err
	}
	return file, cfg, nil
}
