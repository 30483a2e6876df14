package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeNotifiesSystemd: `alarmrx serve` under a Type=notify service
// (NOTIFY_SOCKET set, a real unixgram socket) says READY=1 once it
// answers, so /-/ready is 200 when systemd marks it started, and
// STOPPING=1 on SIGTERM before it exits cleanly.
func TestServeNotifiesSystemd(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	config := cfg.write(t, dir)
	sockPath := filepath.Join(dir, "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	must(t, err)
	defer sock.Close()
	read := func(within time.Duration) string {
		t.Helper()
		buf := make([]byte, 256)
		must(t, sock.SetReadDeadline(time.Now().Add(within)))
		n, err := sock.Read(buf)
		if err != nil {
			return "(nothing: " + err.Error() + ")"
		}
		return string(buf[:n])
	}

	cmd := exec.Command(binary(t), "serve", "--config", config)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sockPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			_ = cmd.Process.Kill()
			<-done
		}
	}()

	if got := read(30 * time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1\n%s", got, out.String())
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort))
	if err != nil {
		t.Fatalf("ready notified, but /-/ready: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ready notified, but /-/ready answered %d", resp.StatusCode)
	}
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	if got := read(10 * time.Second); got != "STOPPING=1" {
		t.Fatalf("after SIGTERM %q, want STOPPING=1\n%s", got, out.String())
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", out.String())
	}
}
