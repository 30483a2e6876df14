package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
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

	serve := runServeProcess(t, config, "NOTIFY_SOCKET="+sockPath)
	if got := read(30 * time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1\n%s", got, serve.out.String())
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort))
	if err != nil {
		t.Fatalf("ready notified, but /-/ready: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ready notified, but /-/ready answered %d", resp.StatusCode)
	}
	// A reload (systemctl reload: SIGHUP) is announced with the monotonic
	// time systemd matches it by, and ended with READY=1.
	must(t, serve.cmd.Process.Signal(syscall.SIGHUP))
	if got := read(10 * time.Second); !regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$`).MatchString(got) {
		t.Fatalf("at SIGHUP %q, want RELOADING=1 and MONOTONIC_USEC\n%s", got, serve.out.String())
	}
	if got := read(10 * time.Second); got != "READY=1" {
		t.Fatalf("after the reload %q, want READY=1\n%s", got, serve.out.String())
	}
	if err := serve.stop(); err != nil {
		t.Fatalf("exit: %v\n%s", err, serve.out.String())
	}
	if got := read(time.Second); got != "STOPPING=1" {
		t.Fatalf("after SIGTERM %q, want STOPPING=1\n%s", got, serve.out.String())
	}
}
