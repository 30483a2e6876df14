package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-sqlite3"
)

// BackupOptions pace an online backup.
type BackupOptions struct {
	// PagesPerStep is how many pages one step copies (default 256: 1 MiB
	// of 4 KiB pages); Pause is the rest between two steps (default 20 ms),
	// which leaves the disk to the daemon's commits: at most about 50 MB/s,
	// which costs the acknowledgements nothing measurable (BENCHMARKS.md).
	PagesPerStep int
	Pause        time.Duration
	// Progress, if set, is told after each step how many pages are copied
	// of how many.
	Progress func(done, total int)
}

// BackupFile copies the database at src, which a daemon may be writing,
// to a new file dst, page by page through SQLite's online backup API, in
// paced steps. The source is read inside one read transaction held for
// the whole copy: WAL gives it one snapshot, so the writer is never
// blocked and the copy is the database as it was when the backup began,
// not restarted each time the daemon commits (which is why a plain
// sqlite3 .backup of a busy store never ends). dst must not exist.
func BackupFile(ctx context.Context, src, dst string, o BackupOptions) error {
	if o.PagesPerStep <= 0 {
		o.PagesPerStep = 256
	}
	if o.Pause < 0 {
		o.Pause = 0
	} else if o.Pause == 0 {
		o.Pause = 20 * time.Millisecond
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("store: backup: %s exists", dst)
	}
	sdb, err := OpenReadOnly(ctx, src)
	if err != nil {
		return err
	}
	defer sdb.Close()
	sconn, err := sdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer sconn.Close()
	// The snapshot: a deferred transaction takes it at its first read, and
	// keeps it until it ends, across the backup's steps.
	if _, err := sconn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("store: backup: %s: %w", src, err)
	}
	defer func() { _, _ = sconn.ExecContext(context.Background(), "ROLLBACK") }()
	var n int
	if err := sconn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("store: backup: %s: %w", src, err)
	}

	f, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	_ = f.Close()
	ddb, err := sql.Open("sqlite3", "file:"+dst+"?_txlock=immediate")
	if err != nil {
		return err
	}
	defer ddb.Close()
	dconn, err := ddb.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()

	return dconn.Raw(func(d any) error {
		dc, ok := d.(*sqlite3.SQLiteConn)
		if !ok {
			return errors.New("store: backup: the destination is not a go-sqlite3 connection")
		}
		return sconn.Raw(func(s any) error {
			sc, ok := s.(*sqlite3.SQLiteConn)
			if !ok {
				return errors.New("store: backup: the source is not a go-sqlite3 connection")
			}
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return fmt.Errorf("store: backup: %w", err)
			}
			for {
				done, err := b.Step(o.PagesPerStep)
				if err != nil {
					_ = b.Close()
					return fmt.Errorf("store: backup: %s: %w", src, err)
				}
				if o.Progress != nil {
					total := b.PageCount()
					o.Progress(total-b.Remaining(), total)
				}
				if done {
					break
				}
				select {
				case <-ctx.Done():
					_ = b.Close()
					return ctx.Err()
				case <-time.After(o.Pause):
				}
			}
			if err := b.Finish(); err != nil {
				return fmt.Errorf("store: backup: %w", err)
			}
			return nil
		})
	})
}
