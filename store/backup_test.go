package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestBackupUnderLoadAndRestore: a backup taken while 16 committers keep
// acknowledging frames holds every frame acknowledged before it began,
// built into the database, those still in the journal only too; the
// committers are never refused meanwhile, and their commits never make
// the copy start again. Restored into a data dir, it
// opens as a store that holds them all and takes new frames after them.
// A restore is refused while a store holds the data dir, for a file that
// is no database, for one that fails the integrity check, and for one a
// newer alarmrx wrote; the data dir's former files are kept aside.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// The projection lags on purpose, so that the backup begins with
	// acknowledged frames in the journal only.
	src, err := Open(ctx, filepath.Join(dir, FileName), Options{Driver: DriverSQLite, Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), ProjectDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	var (
		mu         sync.Mutex
		acked      []int64 // acknowledged before the backup began
		began      atomic.Bool
		stop       atomic.Bool
		failures   atomic.Int64
		afterBegan atomic.Int64
		next       atomic.Int64
		wg         sync.WaitGroup
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := next.Add(1)
				acct := fmt.Sprintf("%04d", i%1000)
				rec := testReceipt("#" + acct + "|NBA01")
				rec.DedupeKey = strconv.FormatInt(i, 10)
				id, err := src.Commit(ctx, testMessage(acct, fmt.Sprintf("%04d", i%10000)), rec)
				if err != nil {
					failures.Add(1)
					continue
				}
				if began.Load() {
					afterBegan.Add(1)
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	// Some load first, so that the backup begins mid-stream.
	for next.Load() < 3000 {
		time.Sleep(5 * time.Millisecond)
	}
	began.Store(true)
	mu.Lock()
	before := append([]int64(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "alarmrx-backup.db")
	var steps, lastDone, restarts int
	res, err := Backup(ctx, dir, backup, BackupOptions{PagesPerStep: 16, Pause: time.Millisecond,
		Progress: func(done, total int) {
			steps++
			if done < lastDone {
				restarts++ // the copy began again: a commit invalidated it
			}
			lastDone = done
		}}, zaptest.NewLogger(t))
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if failures.Load() != 0 {
		t.Fatalf("%d commits were refused during the backup", failures.Load())
	}
	if restarts > 0 {
		t.Fatalf("the copy restarted %d times under the committers: its snapshot did not hold", restarts)
	}
	if afterBegan.Load() == 0 || steps < 2 {
		t.Fatalf("no commit ran beside the backup (%d after it began, %d steps): the test proves nothing", afterBegan.Load(), steps)
	}
	if res.SchemaVersion != SchemaVersion() || res.Bytes == 0 || res.Projected == 0 {
		t.Fatalf("backup result %+v", res)
	}
	t.Logf("backup of %d bytes in %v, %d steps, %d journal entries projected into the copy; %d frames acked before it, %d beside it",
		res.Bytes, res.Took, steps, res.Projected, len(before), afterBegan.Load())
	if _, err := os.Stat(filepath.Join(filepath.Dir(backup), JournalFileName)); err == nil {
		t.Fatal("the backup left a journal beside it: it must be one file")
	}

	// A store holds the data dir: refused.
	if _, err := Restore(ctx, dir, backup, time.Now()); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("restore beside a running store: %v", err)
	}

	// Restored into a data dir that held another database.
	restored := t.TempDir()
	other, err := Open(ctx, filepath.Join(restored, FileName), Options{Driver: DriverSQLite, Logger: zap.NewNop(),
		Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	must(t, other.Close())
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	rr, err := Restore(ctx, restored, backup, at)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Aside != filepath.Join(restored, "before-restore-20261203T120000Z") {
		t.Fatalf("former files kept in %q", rr.Aside)
	}
	if _, err := os.Stat(filepath.Join(rr.Aside, FileName)); err != nil {
		t.Fatalf("the former database is not kept: %v", err)
	}
	s, err := Open(ctx, filepath.Join(restored, FileName), Options{Driver: DriverSQLite, Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	have := map[int64]bool{}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM frames`)
	must(t, err)
	for rows.Next() {
		var id int64
		must(t, rows.Scan(&id))
		have[id] = true
	}
	must(t, rows.Err())
	missing := 0
	for _, id := range before {
		if !have[id] {
			missing++
		}
	}
	if missing > 0 || len(before) < 2000 {
		t.Fatalf("%d of the %d frames acknowledged before the backup are missing from it", missing, len(before))
	}
	id, err := s.Commit(ctx, testMessage("9999", "0001"), testReceipt("#9999|NBA01"))
	must(t, err)
	must(t, s.Settle(ctx))
	if have[id] {
		t.Fatalf("a new frame got id %d, which the restored database already holds", id)
	}
	must(t, s.Close())

	// Files that must not be restored.
	junk := filepath.Join(t.TempDir(), "junk.db")
	must(t, os.WriteFile(junk, []byte(strings.Repeat("not a database ", 500)), 0o600))
	if _, err := Restore(ctx, t.TempDir(), junk, time.Now()); !errors.Is(err, ErrBackup) {
		t.Fatalf("restore of a non-database: %v", err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	b, err := os.ReadFile(backup)
	must(t, err)
	for i := 8192; i < len(b) && i < 8192+4096*8; i++ {
		b[i] ^= 0x5a // pages 3 to 10 scrambled, the header left whole
	}
	must(t, os.WriteFile(damaged, b, 0o600))
	if _, err := Restore(ctx, t.TempDir(), damaged, time.Now()); !errors.Is(err, ErrDatabaseDamaged) {
		t.Fatalf("restore of a damaged file: %v", err)
	}
	newer := filepath.Join(t.TempDir(), "newer.db")
	b, err = os.ReadFile(backup)
	must(t, err)
	must(t, os.WriteFile(newer, b, 0o600))
	ndb, err := sql.Open("sqlite3", "file:"+newer)
	must(t, err)
	_, err = ndb.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1))
	must(t, err)
	must(t, ndb.Close())
	if _, err := Restore(ctx, t.TempDir(), newer, time.Now()); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("restore of a newer schema: %v", err)
	}
}
