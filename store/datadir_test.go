package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// TestFilesArePrivate: a new data dir is 0700, and the database, its WAL
// and shared-memory files and the lock file are 0600 whatever the umask;
// an existing database with wider modes is narrowed.
func TestFilesArePrivate(t *testing.T) {
	onSQLiteOnly(t)
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, FileName)
	s, _ := openTest(t, path)
	if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), testReceipt("raw")); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600,
		filepath.Join(dir, LockFileName): 0o600}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode(), mode)
		}
	}
	must(t, s.Close())
	must(t, os.Chmod(path, 0o644))
	s2, _ := openTest(t, path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened database mode %v, want 0600", fi.Mode().Perm())
	}
	_ = s2
}

// TestDataDirLock: a second Open of one data dir is refused with the first
// holder's pid, and the lock goes with Close.
func TestDataDirLock(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	s, _ := openTest(t, path)
	_, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "in use by pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second open: %v", err)
	}
	must(t, s.Close())
	s2, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	must(t, s2.Close())
}

// TestIntegrityCheck: a database whose pages are damaged is refused with
// ErrDatabaseDamaged, and never replaced or written to.
func TestIntegrityCheck(t *testing.T) {
	onSQLiteOnly(t)
	// Every b-tree page after the schema pages is fair game; take page 5.
	path, damaged := damagedStore(t, 5, "")
	_, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if !errors.Is(err, ErrDatabaseDamaged) || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("open of a damaged database: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(damaged) {
		t.Error("the damaged database was changed")
	}
}

// damagedStore writes a store of 50 frames and breaks the header of one
// of its pages: page (1-based), or when 0 the root page of the index named
// index. It returns the path and the damaged bytes.
func damagedStore(t *testing.T, page int, index string) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, _ := openTest(t, path)
	for i := range 50 {
		if _, err := s.Commit(context.Background(), testMessage("1234", strconv.Itoa(1000+i)), testReceipt(strings.Repeat("x", 500))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, s.Settle(context.Background()))
	if page == 0 {
		must(t, s.rdb.QueryRowContext(context.Background(), `SELECT rootpage FROM sqlite_master WHERE name = ?`, index).Scan(&page))
	}
	must(t, s.Close())
	before, err := os.ReadFile(path)
	must(t, err)
	damaged := append([]byte(nil), before...)
	copy(damaged[(page-1)*4096:], []byte{0x00, 0xFF, 0xFF, 0xFF})
	must(t, os.WriteFile(path, damaged, 0o600))
	return path, damaged
}

// TestIntegrityCheckAfterStart: with the check after the start, a damaged
// database opens and serves at once; when the check finds the damage,
// every commit is refused with ErrDatabaseDamaged (so panels get a NAK and
// go to their backup receiver), the store is unhealthy and the metric says
// damaged. A sound database's check passes and changes nothing.
func TestIntegrityCheckAfterStart(t *testing.T) {
	onSQLiteOnly(t)
	integrity := func(t *testing.T, reg prometheus.Gatherer, state string) float64 {
		m, err := gatherOne(reg, "alarmrx_store_integrity_check", "db", "store", "state", state)
		if err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	waitState := func(t *testing.T, reg prometheus.Gatherer, state string) {
		t.Helper()
		for range 1000 {
			if integrity(t, reg, state) == 1 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("the integrity check never reached %s", state)
	}
	t.Run("damaged", func(t *testing.T) {
		// An index the start does not read: the damage is found by the
		// check alone.
		path, _ := damagedStore(t, 0, "signals_account")
		reg := prometheus.NewRegistry()
		s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg,
			IntegrityCheck: IntegrityCheckAfterStart})
		if err != nil {
			t.Fatalf("open with the check after the start: %v", err)
		}
		defer s.Close()
		waitState(t, reg, "damaged")
		if ok, why := s.Healthy(); ok || !strings.Contains(why, "restore it from a backup") {
			t.Fatalf("Healthy() = %v, %q; want unhealthy, saying to restore a backup", ok, why)
		}
		_, err = s.Commit(context.Background(), testMessage("1234", "2001"), testReceipt("after the check"))
		if !errors.Is(err, ErrDatabaseDamaged) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("commit into a database found damaged: %v; want ErrDatabaseDamaged and ErrUnavailable", err)
		}
		if v := integrity(t, reg, "passed"); v != 0 {
			t.Fatalf("state passed = %v beside damaged", v)
		}
	})
	t.Run("sound", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, _ := openTest(t, path)
		must(t, s.Close())
		reg := prometheus.NewRegistry()
		s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg,
			IntegrityCheck: IntegrityCheckAfterStart})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		waitState(t, reg, "passed")
		if _, err := s.Commit(context.Background(), testMessage("1234", "2001"), testReceipt("after the check")); err != nil {
			t.Fatal(err)
		}
	})
}
