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
		}}, Options{Logger: zaptest.NewLogger(t)})
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

// TestBackupKeepsTheStationsOptions: a store whose keys are sealed
// (secrets key) and whose signals feed an output is backed up with its
// own options, so the copy opens at all, and the frames still only in
// the journal get their outbox rows in it as the daemon would have given
// them; and a backup file with an unmerged WAL beside it is restored
// whole.
func TestBackupKeepsTheStationsOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Driver: DriverSQLite, Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		SecretsKey: secretsKey1, Outbox: []OutboxTarget{{Name: "automation"}}, ProjectDelay: 5 * time.Second}
	src, err := Open(ctx, filepath.Join(dir, FileName), opts)
	must(t, err)
	defer src.Close()
	newSecretsFixture(t, src)
	for i := range 20 {
		rec := testReceipt("#1234|NBA01")
		rec.DedupeKey = strconv.Itoa(i)
		msg := testMessage("1234", fmt.Sprintf("%04d", i))
		rec.Resolutions = []Resolution{src.Resolve(1, "1234", &msg.Events[0], rec.ReceivedAt)}
		_, err := src.Commit(ctx, msg, rec)
		must(t, err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	copyOpts := opts
	copyOpts.ProjectDelay = 0
	res, err := Backup(ctx, dir, backup, BackupOptions{}, copyOpts)
	if err != nil {
		t.Fatalf("backup of a store with sealed keys: %v", err)
	}
	if res.Projected == 0 {
		t.Fatal("no frame was only in the journal: the outbox case proves nothing")
	}
	restored := t.TempDir()
	_, err = Restore(ctx, restored, backup, time.Now())
	must(t, err)
	s, err := Open(ctx, filepath.Join(restored, FileName), Options{Driver: DriverSQLite, Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), SecretsKey: secretsKey1})
	must(t, err)
	var signals, outbox int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signals`).Scan(&signals))
	must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&outbox))
	must(t, s.Close())
	if signals != 20 || outbox != 20 {
		t.Fatalf("the restored store holds %d signals and %d outbox rows, want 20 of each", signals, outbox)
	}

	// A backup file whose last writes are still in its WAL.
	walFile := filepath.Join(t.TempDir(), "wal.db")
	b, err := os.ReadFile(backup)
	must(t, err)
	must(t, os.WriteFile(walFile, b, 0o600))
	db, err := sql.Open("sqlite3", "file:"+walFile+"?_journal_mode=WAL")
	must(t, err)
	db.SetMaxOpenConns(1)
	_, err = db.Exec("PRAGMA wal_autocheckpoint = 0; CREATE TABLE wal_only (x); INSERT INTO wal_only VALUES (1)")
	must(t, err)
	// The files as they are while the writer still has them open: the
	// table is in the WAL only.
	held := filepath.Join(t.TempDir(), "held.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(walFile + suffix)
		must(t, err)
		must(t, os.WriteFile(held+suffix, b, 0o600))
	}
	must(t, db.Close())
	restored = t.TempDir()
	_, err = Restore(ctx, restored, held, time.Now())
	must(t, err)
	rdb, err := sql.Open("sqlite3", "file:"+filepath.Join(restored, FileName)+"?mode=ro")
	must(t, err)
	defer rdb.Close()
	var x int
	if err := rdb.QueryRow(`SELECT x FROM wal_only`).Scan(&x); err != nil || x != 1 {
		t.Fatalf("what the backup's WAL held was not restored: %v", err)
	}
}
