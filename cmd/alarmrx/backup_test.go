package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBackupAndRestoreCommands: `alarmrx backup` copies the store of a
// running `alarmrx serve` (its progress on stderr, the file on stdout);
// `alarmrx restore` is refused while the daemon holds the data dir, and
// once it stopped makes the backup the database, which holds every frame
// sent before the backup.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	config := cfg.write(t, dir)
	serve := runServeProcess(t, config)
	waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort), 30*time.Second)
	if code, out, errs := runCmd(t, "send", "--addr", "127.0.0.1:"+strconv.Itoa(cfg.dcPort), "--account", "1234",
		"--count", "40", "--interval", "0s"); code != 0 {
		t.Fatalf("send: %d\n%s%s", code, out, errs)
	}

	run := func(args ...string) (int, string, string) { return runBinary(t, binary(t), args...) }
	backup := filepath.Join(t.TempDir(), "station.db")
	code, out, errs := run("backup", "--config", config, backup)
	if code != 0 || !strings.HasPrefix(out, "backup "+backup+": ") || !strings.Contains(errs, "backup: 100% (") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := run("backup", "--config", config, backup); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("a backup onto an existing file: exit %d %s", code, errs)
	}
	code, _, errs = run("restore", "--config", config, backup)
	if code != 1 || !strings.Contains(errs, "is in use by pid "+strconv.Itoa(serve.cmd.Process.Pid)) || !strings.Contains(errs, "stop alarmrx first") {
		t.Fatalf("restore beside the daemon: exit %d %s", code, errs)
	}
	if err := serve.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, serve.out.String())
	}
	code, out, errs = run("restore", "--config", config, backup)
	if code != 0 || !strings.Contains(out, "restored ") || !strings.Contains(out, "before-restore-") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(cfg.dataDir, "alarmrx.db")+"?mode=ro")
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM signals WHERE account = '1234'`).Scan(&n))
	if n != 40 {
		t.Fatalf("the restored database holds %d of the 40 signals sent before the backup", n)
	}
}
