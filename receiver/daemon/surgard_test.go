package daemon

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
	"github.com/mattn/go-sqlite3"
)

// surgardConfig adds a Sur-Gard listener (receiver 1, line 2) to the test
// configuration.
func surgardConfig(t *testing.T, edit func(*configs.Listener)) *configs.Config {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP = "surgard-in", "surgard", 2, "127.0.0.1:0"
	l.HeartbeatTimeout = 0
	if edit != nil {
		edit(&l)
	}
	cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// exchange writes one record (DC4 added) and reads the one-byte answer;
// 0 means no answer within the wait.
func exchange(t *testing.T, rw io.ReadWriter, rd *bufio.Reader, setDeadline func(time.Time), record string, wait time.Duration) byte {
	t.Helper()
	if _, err := rw.Write([]byte(record + "\x14")); err != nil {
		t.Fatal(err)
	}
	setDeadline(time.Now().Add(wait))
	b, err := rd.ReadByte()
	if err != nil {
		return 0
	}
	return b
}

func TestSurgardOverTCP(t *testing.T) {
	r := startDaemon(t, surgardConfig(t, nil))
	site := newSite(t, r)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site}, nil)
	c, err := net.Dial("tcp", r.addr("surgard-in", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	dl := func(d time.Time) { _ = c.SetReadDeadline(d) }
	for _, tc := range []struct {
		record string
		want   byte
	}{
		{"501100 181234E13001017", 0x06},
		{"101000           @    ", 0x06},
		{"S01100[#1234|Nri1/FA003]", 0x06},
		{"501100 181234X13001017", 0x15}, // bad qualifier: NAK
		{"9011 181234E12101001", 0x15},   // unsupported record type: NAK
	} {
		if got := exchange(t, c, rd, dl, tc.record, 2*time.Second); got != tc.want {
			t.Fatalf("%q answered %#x, want %#x", tc.record, got, tc.want)
		}
	}
	got := signals(t, r, "account=1234")
	if len(got) != 2 || got[0]["protocol"] != "surgard" || got[0]["event_code"] != "130" || got[0]["zone"] != "017" ||
		got[1]["event_code"] != "FA" || got[0]["resolution"] != "resolved" || got[0]["transport"] != "tcp" {
		t.Fatalf("stored signals: %v", got)
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Priority != 1 {
		t.Fatalf("queue: %+v", q.Queue)
	}
}

// TestSurgardStoreFailureIsSilence: while the store fails, neither records
// nor heartbeats are acknowledged, so the legacy receiver keeps them.
func TestSurgardStoreFailureIsSilence(t *testing.T) {
	r := startDaemon(t, surgardConfig(t, nil))
	c, err := net.Dial("tcp", r.addr("surgard-in", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	dl := func(d time.Time) { _ = c.SetReadDeadline(d) }
	r.d.store.InjectFault(func() error { return errStoreDown })
	if got := exchange(t, c, rd, dl, "501100 181234E13001017", time.Second); got != 0 {
		t.Fatalf("record answered %#x while the store fails, want silence", got)
	}
	if got := exchange(t, c, rd, dl, "101000           @    ", time.Second); got != 0 {
		t.Fatalf("heartbeat answered %#x while the store fails, want silence", got)
	}
	// The store recovers: the receiver's retransmission is ACKed and stored.
	r.d.store.InjectFault(nil)
	if got := exchange(t, c, rd, dl, "501100 181234E13001017", 2*time.Second); got != 0x06 {
		t.Fatalf("after recovery answered %#x", got)
	}
	if got := signals(t, r, "account=1234"); len(got) != 1 {
		t.Fatalf("stored %d signals, want the one retransmitted after recovery", len(got))
	}
}

// errStoreDown stands for a disk that refuses writes.
var errStoreDown = sqlite3.Error{Code: sqlite3.ErrFull}

// socatPair starts socat with a pair of linked pseudo-terminals and returns
// their paths: what one end writes, the other reads, like a null-modem
// cable between a legacy receiver and this machine.
func socatPair(t *testing.T) (a, b string, stop func()) {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		if os.Getenv("ALARMRX_SERIAL_TESTS") == "required" {
			t.Fatal("socat not found, and ALARMRX_SERIAL_TESTS=required")
		}
		t.Skip("socat not installed (apt-get install socat); .ci/run installs it")
	}
	dir := t.TempDir()
	a, b = filepath.Join(dir, "receiver"), filepath.Join(dir, "alarmrx")
	cmd := exec.Command("socat", "-d", "pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errA := os.Stat(a)
		_, errB := os.Stat(b)
		if errA == nil && errB == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("socat did not create the pty pair")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return a, b, stop
}

// TestSurgardOverSerial drives the real serial path through a socat pty
// pair: records are ACKed once stored, a malformed one NAKed; heartbeats
// keep the link up, silence fails it, a record restores it; the port
// disappearing and coming back is survived.
func TestSurgardOverSerial(t *testing.T) {
	recvEnd, ourEnd, stop := socatPair(t)
	cfg := surgardConfig(t, func(l *configs.Listener) {
		l.TCP = ""
		l.Serial = configs.Serial{Device: ourEnd, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}
		l.HeartbeatTimeout = 700 * time.Millisecond
	})
	r := startDaemon(t, cfg)

	port, err := os.OpenFile(recvEnd, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	rd := bufio.NewReader(port)
	dl := func(d time.Time) { _ = port.SetReadDeadline(d) }
	if got := exchange(t, port, rd, dl, "5011 181234E13001017", 5*time.Second); got != 0x06 {
		t.Fatalf("record answered %#x, want ACK", got)
	}
	if got := exchange(t, port, rd, dl, "5011 181234E1300", 2*time.Second); got != 0x15 {
		t.Fatalf("malformed record answered %#x, want NAK", got)
	}
	if got := signals(t, r, "account=1234"); len(got) != 1 || got[0]["transport"] != "serial" || got[0]["remote_addr"] != ourEnd {
		t.Fatalf("stored: %v", got)
	}

	// Silence: the link fails (one incident), then a heartbeat restores it.
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_link_failures_total", "listener", "surgard-in") == 1
	})
	if got := exchange(t, port, rd, dl, "1011           @    ", 2*time.Second); got != 0x06 {
		t.Fatalf("heartbeat answered %#x", got)
	}
	var evs struct {
		Items []store.StationEvent `json:"items"`
	}
	waitFor(t, 5*time.Second, func() bool {
		apiGet(t, r, "/api/v1/station-events?kind=link_restore", adminToken, &evs)
		return len(evs.Items) == 1
	})
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 2 || !hasKind(q.Queue, store.IncidentLinkFail, true) {
		t.Fatalf("queue: %+v", q.Queue)
	}

	// The port goes away and comes back at the same path: the listener
	// reopens it and serves again.
	stop()
	_ = port.Close()
	recvEnd2, ourEnd2, _ := socatPairAt(t, recvEnd, ourEnd)
	_ = ourEnd2
	port2, err := os.OpenFile(recvEnd2, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer port2.Close()
	rd2 := bufio.NewReader(port2)
	dl2 := func(d time.Time) { _ = port2.SetReadDeadline(d) }
	var got byte
	waitFor(t, 15*time.Second, func() bool {
		got = exchange(t, port2, rd2, dl2, "5011 181234E13001018", 500*time.Millisecond)
		return got == 0x06
	})
	waitFor(t, 5*time.Second, func() bool { return len(signals(t, r, "account=1234")) >= 2 })
}

// socatPairAt recreates a pty pair at the given paths.
func socatPairAt(t *testing.T, a, b string) (string, string, func()) {
	t.Helper()
	cmd := exec.Command("socat", "-d", "pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, 5*time.Second, func() bool {
		_, errA := os.Stat(a)
		_, errB := os.Stat(b)
		return errA == nil && errB == nil
	})
	return a, b, func() { _ = cmd.Process.Kill() }
}

func hasKind(list []store.Incident, kind string, restored bool) bool {
	for _, in := range list {
		if in.Kind == kind && in.Restored == restored {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
