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

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// TestFilesArePrivate: a new data dir is 0700, and the database, its WAL
// and shared-memory files and the lock file are 0600 whatever the umask;
// an existing database with wider modes is narrowed.
func TestFilesArePrivate(t *testing.T) {
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
	path := filepath.Join(t.TempDir(), FileName)
	s, _ := openTest(t, path)
	for i := range 50 {
		if _, err := s.Commit(context.Background(), testMessage("1234", strconv.Itoa(1000+i)), testReceipt(strings.Repeat("x", 500))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, s.Close())
	before, err := os.ReadFile(path)
	must(t, err)
	// Break the page header of the signals table's pages: every b-tree page
	// after the schema pages is fair game; take page 5.
	damaged := append([]byte(nil), before...)
	copy(damaged[4*4096:], []byte{0x00, 0xFF, 0xFF, 0xFF})
	must(t, os.WriteFile(path, damaged, 0o600))
	_, err = Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if !errors.Is(err, ErrDatabaseDamaged) || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("open of a damaged database: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(damaged) {
		t.Error("the damaged database was changed")
	}
}
