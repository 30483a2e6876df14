package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// TestCompactCommand: compact refuses a data dir without a database and
// rewrites one that is there, saying what it did.
func TestCompactCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "alarmrx.yaml")
	must(t, os.WriteFile(cfg, []byte("data_dir: "+data+"\n"), 0o600))
	must(t, os.MkdirAll(data, 0o700))
	if code, _, errs := runCmd(t, "compact", "--config", cfg); code != 1 || !strings.Contains(errs, "is missing: nothing to compact") {
		t.Fatalf("compact without a database: exit %d %s", code, errs)
	}
	s, err := store.Open(context.Background(), filepath.Join(data, store.FileName),
		store.Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	must(t, err)
	must(t, s.Close())
	code, out, errs := runCmd(t, "compact", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "compacted "+filepath.Join(data, store.FileName)+": ") {
		t.Fatalf("compact: exit %d %s%s", code, out, errs)
	}
}
