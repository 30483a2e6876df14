package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

var testMigrations = fstest.MapFS{
	"0001_items.sql": {Data: []byte(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);`)},
	"0002_notes.sql": {Data: []byte(`CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);`)},
}

func testOptions(t *testing.T, fsys fstest.MapFS) Options {
	return Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Synchronous: "full",
		BusyTimeout: 5 * time.Second, BatchMax: 64, PendingMax: 1024, FileCheckInterval: time.Second, Migrations: fsys}
}

// items is a engine.Batcher that inserts each item (a name) into items; a name
// already there fails its batch as a constraint would.
type items struct {
	committed atomic.Int64
	released  atomic.Int64 // items counted (Committed) before their callers were released
}

func (*items) Statements() []string { return []string{`INSERT INTO items (name) VALUES (?)`} }

func (b *items) WriteBatch(ctx context.Context, tx *engine.Tx, list []any, ids []int64) error {
	st, err := tx.Stmt(ctx, `INSERT INTO items (name) VALUES (?)`)
	if err != nil {
		return err
	}
	for i, it := range list {
		res, err := st.ExecContext(ctx, it.(string))
		if err != nil {
			return err
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

func (b *items) Committed(list []any) {
	b.committed.Add(1)
	b.released.Add(int64(len(list)))
}

func (b *items) Released([]any) {}

func openStarted(t *testing.T, path string, b engine.Batcher) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, testOptions(t, testMigrations))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(context.Background(), b); err != nil {
		db.Abort()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func count(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommit: concurrent submits share transactions, each caller gets
// its own id, and what done does before release is visible to every
// released caller.
func TestGroupCommit(t *testing.T) {
	b := &items{}
	db := openStarted(t, filepath.Join(t.TempDir(), FileName), b)
	const n = 300
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ids[i], errs[i] = db.Submit(context.Background(), fmt.Sprint("item ", i))
			if errs[i] == nil && b.released.Load() < 1 {
				errs[i] = errors.New("released before Committed counted")
			}
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] == 0 || seen[ids[i]] {
			t.Fatalf("item %d: id %d", i, ids[i])
		}
		seen[ids[i]] = true
	}
	if got := count(t, db, "items"); got != n {
		t.Fatalf("%d rows, want %d", got, n)
	}
	if c := b.committed.Load(); c >= n || c < 1 {
		t.Errorf("%d transactions for %d submits: no batching happened", c, n)
	}
}

// TestOneBadItemFailsAlone: a row refused by a constraint fails only its
// own submit; the store stays healthy.
func TestOneBadItemFailsAlone(t *testing.T) {
	db := openStarted(t, filepath.Join(t.TempDir(), FileName), &items{})
	ctx := context.Background()
	if _, err := db.Submit(ctx, "taken"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Submit(ctx, "taken"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("duplicate: err = %v, want ErrUnavailable", err)
	}
	if ok, why := db.Healthy(); !ok {
		t.Fatalf("unhealthy after a refused row: %s", why)
	}
	if _, err := db.Submit(ctx, "free"); err != nil {
		t.Fatal(err)
	}
}

// TestInjectedFault: a failing disk fails every write with ErrUnavailable
// and makes the store unhealthy until a write succeeds again.
func TestInjectedFault(t *testing.T) {
	db := openStarted(t, filepath.Join(t.TempDir(), FileName), &items{})
	ctx := context.Background()
	var failing atomic.Bool
	failing.Store(true)
	db.InjectFault(func() error {
		if failing.Load() {
			return errors.New("database or disk is full")
		}
		return nil
	})
	if _, err := db.Submit(ctx, "a"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("submit on a failing disk: %v", err)
	}
	if ok, _ := db.Healthy(); ok {
		t.Fatal("healthy after a failed commit")
	}
	if err := db.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping = %v", err)
	}
	if got := count(t, db, "items"); got != 0 {
		t.Fatalf("a failed commit left %d rows", got)
	}
	failing.Store(false)
	if _, err := db.Submit(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.Healthy(); !ok {
		t.Fatal("not healthy after a successful commit")
	}
}

// TestWriteThen: a change of its own commits, then its after runs on the
// writer before the caller returns; a failing change rolls back and does
// not run after.
func TestWriteThen(t *testing.T) {
	db := openStarted(t, filepath.Join(t.TempDir(), FileName), &items{})
	ctx := context.Background()
	ran := false
	err := db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (note) VALUES ('one')`)
		return err
	}, func() { ran = true })
	if err != nil || !ran {
		t.Fatalf("write: %v, after ran %v", err, ran)
	}
	ran = false
	refused := errors.New("refused")
	err = db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notes (note) VALUES ('two')`); err != nil {
			return err
		}
		return refused
	}, func() { ran = true })
	if !errors.Is(err, refused) || ran {
		t.Fatalf("refused write: %v, after ran %v", err, ran)
	}
	if got := count(t, db, "notes"); got != 1 {
		t.Fatalf("%d notes, want 1", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(context.Context, *sql.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

// TestMigrations: the runner applies only what a database lacks, refuses a
// gap in the versions, and refuses a database newer than its migrations.
func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	ctx := context.Background()
	first := fstest.MapFS{"0001_items.sql": testMigrations["0001_items.sql"]}
	db, err := Open(ctx, path, testOptions(t, first))
	if err != nil {
		t.Fatal(err)
	}
	db.Abort()
	// The upgrade copies the version-1 file first, beside it.
	at := time.Date(2026, 12, 3, 12, 50, 0, 0, time.UTC)
	o := testOptions(t, testMigrations)
	o.Now = func() time.Time { return at }
	db, err = Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.Read().QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil || v != 2 {
		t.Fatalf("version %d, %v", v, err)
	}
	db.Abort()
	copied := filepath.Join(filepath.Dir(path), FileName+".before-upgrade-v1-20261203T125000Z")
	if got := UpgradeBackupName(FileName, 1, at); got != filepath.Base(copied) {
		t.Fatalf("UpgradeBackupName %q", got)
	}
	cdb, err := OpenReadOnly(ctx, copied)
	if err != nil {
		t.Fatalf("no copy before the upgrade: %v", err)
	}
	if err := cdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != 1 {
		t.Fatalf("the copy's version %d, %v; want 1", v, err)
	}
	_ = cdb.Close()
	// With NoUpgradeBackup, none; an open without a schema change, none.
	second := filepath.Join(t.TempDir(), FileName)
	db, err = Open(ctx, second, testOptions(t, first))
	must(t, err)
	db.Abort()
	o = testOptions(t, testMigrations)
	o.NoUpgradeBackup = true
	db, err = Open(ctx, second, o)
	must(t, err)
	db.Abort()
	db, err = Open(ctx, second, testOptions(t, testMigrations))
	must(t, err)
	db.Abort()
	if m, _ := filepath.Glob(second + ".before-upgrade-*"); len(m) != 0 {
		t.Fatalf("copies %v without a schema change or with NoUpgradeBackup", m)
	}
	if SchemaVersion(testMigrations) != 2 {
		t.Fatalf("SchemaVersion %d", SchemaVersion(testMigrations))
	}

	gap := fstest.MapFS{"0001_items.sql": testMigrations["0001_items.sql"], "0003_x.sql": {Data: []byte(`SELECT 1;`)}}
	if _, err := Open(ctx, path, testOptions(t, gap)); err == nil || !strings.Contains(err.Error(), "expected version 2") {
		t.Fatalf("gap: %v", err)
	}
	if SchemaVersion(gap) != 0 {
		t.Fatal("a gap has a schema version")
	}
	if _, err := Open(ctx, path, testOptions(t, first)); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("older build: %v", err)
	}
}

// TestPendingCommit: a caller that stops waiting for a queued item gets a
// *engine.PendingCommit (no acknowledgement may follow), and its Wait tells the
// outcome once the writer reached the item.
func TestPendingCommit(t *testing.T) {
	db := openStarted(t, filepath.Join(t.TempDir(), FileName), &items{})
	inWrite, release := make(chan struct{}), make(chan struct{})
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- db.Write(context.Background(), func(context.Context, *sql.Tx) error {
			close(inWrite)
			<-release // the writer is busy until the test lets it go
			return nil
		})
	}()
	<-inWrite
	ctx, cancel := context.WithCancel(context.Background())
	type outcome struct {
		id  int64
		err error
	}
	got := make(chan outcome, 1)
	go func() {
		id, err := db.Submit(ctx, "queued")
		got <- outcome{id, err}
	}()
	cancel()
	o := <-got
	var pc *engine.PendingCommit
	if !errors.As(o.err, &pc) || !errors.Is(o.err, ErrUnavailable) || !errors.Is(o.err, ErrOutcomeUnknown) || !errors.Is(o.err, context.Canceled) {
		t.Fatalf("submit with its wait ended: %d, %v", o.id, o.err)
	}
	close(release)
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	id, err := pc.Wait()
	if err != nil || id == 0 {
		t.Fatalf("Wait: %d, %v", id, err)
	}
	if again, err := pc.Wait(); again != id || err != nil {
		t.Fatalf("second Wait: %d, %v", again, err)
	}
	if got := count(t, db, "items"); got != 1 {
		t.Fatalf("%d rows, want 1", got)
	}
}

// TestReadBarrier: every read of Read passes the barrier first, except a
// read whose context is marked AsProjected.
func TestReadBarrier(t *testing.T) {
	db := openStarted(t, filepath.Join(t.TempDir(), "test.db"), &items{})
	var waits atomic.Int64
	db.SetReadBarrier(func(context.Context) { waits.Add(1) })
	ctx := context.Background()
	var n int
	if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT name FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	if got := waits.Load(); got != 2 {
		t.Fatalf("barrier passed %d times for two reads, want 2", got)
	}
	if err := db.Read().QueryRowContext(engine.AsProjected(ctx), `SELECT count(*) FROM items`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := waits.Load(); got != 2 {
		t.Fatalf("barrier passed %d times after a read AsProjected, want still 2", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
