package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap/zaptest"
)

// TestNewFailsCleanly: when New cannot finish (here the data directory is a
// file, so the store cannot open), it returns the error and closes what it
// had opened, rather than panicking in its cleanup.
func TestNewFailsCleanly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := New(context.Background(), testConfig(t, file), Options{Logger: zaptest.NewLogger(t)})
	if err == nil {
		d.closeAll()
		t.Fatal("New succeeded with a file as data directory")
	}
	if d != nil {
		t.Errorf("New returned a daemon with its error %v", err)
	}
}
