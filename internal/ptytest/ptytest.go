package ptytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Pair starts socat with a linked pair of pseudo-terminals and returns their
// paths and a function that stops socat (also run at cleanup). Without socat
// the test is skipped, or fails when ALARMRX_SERIAL_TESTS=required (CI).
func Pair(t testing.TB) (a, b string, stop func()) {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		if os.Getenv("ALARMRX_SERIAL_TESTS") == "required" {
			t.Fatal("socat not found, and ALARMRX_SERIAL_TESTS=required")
		}
		t.Skip("socat not installed (apt-get install socat); .ci/run installs it")
	}
	dir := t.TempDir()
	a, b = filepath.Join(dir, "a"), filepath.Join(dir, "b")
	return a, b, At(t, a, b)
}

// At starts socat with a pty pair linked at the two paths and waits until
// both exist; the returned function (also run at cleanup) stops it.
func At(t testing.TB, a, b string) func() {
	t.Helper()
	cmd := exec.Command("socat", "-d", "pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errA := os.Stat(a)
		_, errB := os.Stat(b)
		if errA == nil && errB == nil {
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("socat did not create %s and %s within 5 s", a, b)
		}
		time.Sleep(20 * time.Millisecond) // socat's ptys appear on their own; nothing to wait on
	}
}
