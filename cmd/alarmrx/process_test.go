package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// The alarmrx binary, built once for the tests that run it as a process.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the alarmrx binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "alarmrx-bin-")
		if err != nil {
			binErr = err
			return
		}
		// The directory is world-readable so that a test may run the
		// binary as another user (nobody) when the tests run as root.
		_ = os.Chmod(dir, 0o755)
		binPath = filepath.Join(dir, "alarmrx")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// serveConfig writes a configuration with its own free ports and data dir.
type serveConfig struct {
	dataDir          string
	httpPort, dcPort int
}

func (c serveConfig) write(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "alarmrx.yaml")
	must(t, os.WriteFile(path, []byte(fmt.Sprintf(`data_dir: %s
log: {level: info}
http: {listen: "127.0.0.1:%d"}
receivers:
  - number: 1
    name: start-up test
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "127.0.0.1:%d"}
`, c.dataDir, c.httpPort, c.dcPort)), 0o644))
	return path
}

// runServe runs `alarmrx serve` until it exits (it must, within limit) and
// returns its exit code and everything it wrote.
func runServe(t *testing.T, config string, limit time.Duration, asNobody bool) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--config", config)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("alarmrx serve still running after %s:\n%s", limit, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestStartupErrorsAreReported runs `alarmrx serve` against every start-up
// failure a new user meets: each must end the process with a non-zero
// status and exactly one error line naming the cause, never a panic.
func TestStartupErrorsAreReported(t *testing.T) {
	type setup struct {
		cfg serveConfig
		dir string
	}
	cases := []struct {
		name string
		// prepare arranges the failure; it may edit the configuration.
		prepare  func(t *testing.T, s *setup)
		asNobody bool
		want     string // in the error line
	}{
		{name: "http port in use", prepare: func(t *testing.T, s *setup) {
			s.cfg.httpPort = occupy(t)
		}, want: "listen tcp 127.0.0.1:%HTTP%: bind: address already in use"},
		{name: "listener port in use", prepare: func(t *testing.T, s *setup) {
			s.cfg.dcPort = occupy(t)
		}, want: "listen tcp 127.0.0.1:%DC%: bind: address already in use"},
		{name: "data dir read-only", asNobody: true, prepare: func(t *testing.T, s *setup) {
			must(t, os.MkdirAll(s.cfg.dataDir, 0o755))
			must(t, os.Chown(s.cfg.dataDir, 65534, 65534))
			must(t, os.Chmod(s.cfg.dataDir, 0o500))
		}, want: "data dir %DATA% is not writable: permission denied"},
		{name: "data dir is a file", prepare: func(t *testing.T, s *setup) {
			must(t, os.WriteFile(s.cfg.dataDir, []byte("not a directory"), 0o644))
		}, want: "data dir %DATA% is not a directory"},
		{name: "data dir under /proc", prepare: func(t *testing.T, s *setup) {
			s.cfg.dataDir = "/proc/alarmrx-test/data"
		}, want: "data dir /proc/alarmrx-test/data cannot be created"},
		{name: "corrupt database", prepare: func(t *testing.T, s *setup) {
			startAndStop(t, s.cfg, s.dir)
			// Page 3 is the first table's root: page 2 of a file with
			// incremental auto-vacuum is its pointer map.
			corruptPage(t, filepath.Join(s.cfg.dataDir, "alarmrx.db"), 3)
		}, want: "database %DATA%/alarmrx.db is not a usable SQLite database (database disk image is malformed): restore it from a backup"},
		{name: "not a database", prepare: func(t *testing.T, s *setup) {
			must(t, os.MkdirAll(s.cfg.dataDir, 0o700))
			must(t, os.WriteFile(filepath.Join(s.cfg.dataDir, "alarmrx.db"), bytes.Repeat([]byte("garbage!"), 1024), 0o600))
		}, want: "database %DATA%/alarmrx.db is not a usable SQLite database (file is not a database)"},
		{name: "database from a newer version", prepare: func(t *testing.T, s *setup) {
			startAndStop(t, s.cfg, s.dir)
			setUserVersion(t, filepath.Join(s.cfg.dataDir, "alarmrx.db"), 999)
		}, want: "has schema version 999, newer than this build's"},
		{name: "database deleted since the last run", prepare: func(t *testing.T, s *setup) {
			startAndStop(t, s.cfg, s.dir)
			for _, f := range []string{"alarmrx.db", "alarmrx.db-wal", "alarmrx.db-shm"} {
				_ = os.Remove(filepath.Join(s.cfg.dataDir, f))
			}
		}, want: "database %DATA%/alarmrx.db is missing, but this data dir has held one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.asNobody && os.Geteuid() != 0 {
				t.Skip("needs root to run the daemon as another user, whom the read-only mode binds")
			}
			dir := t.TempDir()
			// Let another user (nobody) reach the directory.
			must(t, os.Chmod(filepath.Dir(dir), 0o755))
			must(t, os.Chmod(dir, 0o755))
			s := &setup{dir: dir, cfg: serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}}
			tc.prepare(t, s)
			code, out := runServe(t, s.cfg.write(t, dir), 20*time.Second, tc.asNobody)
			want := strings.NewReplacer("%HTTP%", fmt.Sprint(s.cfg.httpPort), "%DC%", fmt.Sprint(s.cfg.dcPort),
				"%DATA%", s.cfg.dataDir).Replace(tc.want)
			if code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("the process panicked:\n%s", out)
			}
			var errorLines []string
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "\tERROR\t") || strings.HasPrefix(line, "alarmrx: ") {
					errorLines = append(errorLines, line)
				}
			}
			if len(errorLines) != 1 || !strings.Contains(errorLines[0], want) {
				t.Errorf("want one error line with %q, got %d:\n%s", want, len(errorLines), out)
			}
		})
	}
}

// TestSecondInstanceIsRefused starts two daemons on one data dir: the
// second must exit at once naming the first one's pid, and the first must
// keep serving.
func TestSecondInstanceIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	first := exec.Command(binary(t), "serve", "--config", cfg.write(t, dir))
	must(t, first.Start())
	t.Cleanup(func() { _ = first.Process.Kill(); _ = first.Wait() })
	waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort), 20*time.Second)

	other := t.TempDir()
	second := serveConfig{dataDir: cfg.dataDir, httpPort: freePort(t), dcPort: freePort(t)}
	code, out := runServe(t, second.write(t, other), 10*time.Second, false)
	want := fmt.Sprintf("data dir %s is in use by pid %d", cfg.dataDir, first.Process.Pid)
	if code == 0 || !strings.Contains(out, want) {
		t.Fatalf("second instance: exit %d, want non-zero and %q:\n%s", code, want, out)
	}
	waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort), 5*time.Second)
}

// occupy binds a TCP port on 127.0.0.1 for the rest of the test.
func occupy(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// startAndStop runs the daemon until it is ready and stops it cleanly, so
// that the data dir holds a complete database.
func startAndStop(t *testing.T, cfg serveConfig, dir string) {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--config", cfg.write(t, dir))
	must(t, cmd.Start())
	waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort), 20*time.Second)
	must(t, cmd.Process.Signal(os.Interrupt))
	must(t, cmd.Wait())
}

// corruptPage breaks the b-tree page header of page n (1-based) of a
// SQLite file, as a failing disk would.
func corruptPage(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte{0x00, 0xFF, 0xFF, 0xFF, 0xFF}, int64(n-1)*4096)
	must(t, err)
}

// setUserVersion sets the schema version field of a SQLite header (offset
// 60, big-endian), as a newer alarmrx would have left it.
func setUserVersion(t *testing.T, path string, v uint32) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}, 60)
	must(t, err)
}

// TestCheckConfigReportsDataDir: check-config names a data dir that is a
// file, or that the service's user may not write (run as nobody, since
// root may write anywhere).
func TestCheckConfigReportsDataDir(t *testing.T) {
	dir := t.TempDir()
	must(t, os.Chmod(filepath.Dir(dir), 0o755))
	must(t, os.Chmod(dir, 0o755))
	file := filepath.Join(dir, "file")
	must(t, os.WriteFile(file, nil, 0o644))
	cfg := serveConfig{dataDir: file, httpPort: freePort(t), dcPort: freePort(t)}
	code, _, errs := runCmd(t, "check-config", "--config", cfg.write(t, dir))
	if want := "data dir " + file + " is not a directory"; code != 1 || !strings.Contains(errs, want) {
		t.Errorf("data dir is a file: exit %d, %q; want 1 and %q", code, errs, want)
	}
	if os.Geteuid() != 0 {
		t.Skip("the read-only case needs root to run check-config as another user")
	}
	ro := filepath.Join(dir, "ro")
	must(t, os.Mkdir(ro, 0o755))
	must(t, os.Chmod(ro, 0o555))
	cfg.dataDir = ro
	cmd := exec.Command(binary(t), "check-config", "--config", cfg.write(t, dir))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if want := "data dir " + ro + " is not writable: permission denied"; err == nil || !strings.Contains(string(out), want) {
		t.Errorf("read-only data dir: %v, %q; want an error with %q", err, out, want)
	}
	must(t, os.Chmod(ro, 0o755))
	cmd = exec.Command(binary(t), "check-config", "--config", cfg.write(t, dir))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "is not writable") {
		t.Errorf("a directory of root's, mode 0755, for nobody: %v %q", err, out)
	}
}

// TestHangupReloadsAndPipeDoesNotKill sends SIGHUP (an SRE's reload) and
// SIGPIPE to `alarmrx serve`. A SIGHUP reads the file again: a listener
// added to it starts listening while the first one's panel stays
// connected and ACKed, and an invalid file is refused with the reason,
// the daemon running on with alarmrx_config_last_reload_successful 0.
// SIGPIPE is logged and ignored; SIGTERM still shuts down cleanly.
func TestHangupReloadsAndPipeDoesNotKill(t *testing.T) {
	dir := t.TempDir()
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	path := cfg.write(t, dir)
	cmd := exec.Command(binary(t), "serve", "--config", path)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := fmt.Sprintf("http://127.0.0.1:%d", cfg.httpPort)
	waitReadyURL(t, base+"/-/ready", 20*time.Second)
	// One at a time: the kernel merges a signal sent while the same one is
	// still pending.
	logged := func(text string, n int) {
		t.Helper()
		if !out.await(text, n, 5*time.Second) {
			t.Fatalf("%q not logged %d times:\n%s", text, n, out.String())
		}
	}
	pnl, err := panel.Dial(context.Background(), panel.Options{Network: "tcp", Addr: fmt.Sprintf("127.0.0.1:%d", cfg.dcPort),
		Timeout: 5 * time.Second})
	must(t, err)
	t.Cleanup(func() { _ = pnl.Close() })
	send := func(p *panel.Panel, seq string) {
		t.Helper()
		f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: "1234", Data: []byte("#1234|NBA" + seq[2:]),
			Timestamp: time.Now().UTC().Truncate(time.Second), HasTimestamp: true}
		rep, err := p.Send(context.Background(), f)
		if err != nil || rep.Token != "ACK" {
			t.Fatalf("frame %s: %v %+v", seq, err, rep)
		}
	}
	send(pnl, "0001")

	// The file gains a second listener.
	second := freePort(t)
	data, err := os.ReadFile(path)
	must(t, err)
	grown := string(data) + fmt.Sprintf("      - {name: dc09-second, protocol: dc09, line: 2, tcp: \"127.0.0.1:%d\"}\n", second)
	must(t, os.WriteFile(path, []byte(grown), 0o644))
	must(t, cmd.Process.Signal(syscall.SIGHUP))
	logged("configuration reloaded", 1)
	if !strings.Contains(out.String(), `"listeners_added": ["dc09-second"]`) {
		t.Fatalf("the reload does not name the added listener:\n%s", out.String())
	}
	other, err := panel.Dial(context.Background(), panel.Options{Network: "tcp", Addr: fmt.Sprintf("127.0.0.1:%d", second),
		Timeout: 5 * time.Second})
	must(t, err)
	defer other.Close()
	send(other, "0002")
	send(pnl, "0003") // the first listener's connection was kept

	must(t, cmd.Process.Signal(syscall.SIGPIPE))
	logged("signal received and ignored", 1)

	// An invalid file changes nothing.
	must(t, os.WriteFile(path, []byte(strings.Replace(grown, "line: 2", "line: 5000", 1)), 0o644))
	must(t, cmd.Process.Signal(syscall.SIGHUP))
	logged("configuration reload failed", 1)
	waitReadyURL(t, base+"/-/ready", 2*time.Second)
	send(other, "0004")
	send(pnl, "0005")
	resp, err := http.Get(base + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "\nalarmrx_config_last_reload_successful 0\n") {
		t.Fatalf("after a failed reload the metrics say:\n%s", grepLines(string(body), "alarmrx_config_last_reload"))
	}
	if !strings.Contains(out.String(), `"signal": "broken pipe"`) {
		t.Errorf("no line for SIGPIPE:\n%s", out.String())
	}
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "alarmrx stopped") {
		t.Errorf("no graceful shutdown:\n%s", out.String())
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// syncBuffer is a bytes.Buffer a process may write while a test reads it,
// or waits for what it writes.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced by each Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

// await reports whether text was written n times within limit, woken by
// each write.
func (s *syncBuffer) await(text string, n int, limit time.Duration) bool {
	timeout := time.After(limit)
	for {
		s.mu.Lock()
		if strings.Count(s.b.String(), text) >= n {
			s.mu.Unlock()
			return true
		}
		if s.written == nil {
			s.written = make(chan struct{})
		}
		w := s.written
		s.mu.Unlock()
		select {
		case <-w:
		case <-timeout:
			return false
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is an `alarmrx serve` process a test started (runServeProcess).
type served struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *bytes.Buffer // what it wrote, stdout and stderr
	done   chan error
	exited bool
}

// runServeProcess starts `alarmrx serve --config config` with env added to the
// test's environment; a process the test did not stop is killed when it
// ends.
func runServeProcess(t *testing.T, config string, env ...string) *served {
	t.Helper()
	s := &served{t: t, cmd: exec.Command(binary(t), "serve", "--config", config), out: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	must(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if !s.exited {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// stop sends SIGTERM and waits up to 30 s for the process to end; it
// returns how it exited (nil: status 0).
func (s *served) stop() error {
	s.t.Helper()
	must(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		s.exited = true
		return err
	case <-time.After(30 * time.Second):
		s.t.Fatalf("alarmrx serve still running 30 s after SIGTERM\n%s", s.out.String())
		return nil
	}
}
