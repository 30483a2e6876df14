package daemon

import (
	"bufio"
	"io"
	"net"
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

// surgardLine is a legacy receiver's end of a Sur-Gard link: a TCP
// connection or a pseudo-terminal.
type surgardLine struct {
	t  *testing.T
	rw interface {
		io.ReadWriter
		SetReadDeadline(time.Time) error
	}
	rd *bufio.Reader
}

func dialSurgard(t *testing.T, r *running) *surgardLine {
	t.Helper()
	c, err := net.Dial("tcp", r.addr("surgard-in", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &surgardLine{t: t, rw: c, rd: bufio.NewReader(c)}
}

// send writes one record (DC4 added) and reads the one-byte answer; 0
// means no answer within the wait.
func (l *surgardLine) send(record string, wait time.Duration) byte {
	l.t.Helper()
	if _, err := l.rw.Write([]byte(record + "\x14")); err != nil {
		l.t.Fatal(err)
	}
	_ = l.rw.SetReadDeadline(time.Now().Add(wait))
	b, err := l.rd.ReadByte()
	if err != nil {
		return 0
	}
	return b
}

func TestSurgardOverTCP(t *testing.T) {
	r := startDaemon(t, surgardConfig(t, nil))
	site := newSite(t, r)
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site}, nil)
	c := dialSurgard(t, r)
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
		if got := c.send(tc.record, 2*time.Second); got != tc.want {
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
	c := dialSurgard(t, r)
	r.d.store.InjectFault(func() error { return errStoreDown })
	if got := c.send("501100 181234E13001017", time.Second); got != 0 {
		t.Fatalf("record answered %#x while the store fails, want silence", got)
	}
	if got := c.send("101000           @    ", time.Second); got != 0 {
		t.Fatalf("heartbeat answered %#x while the store fails, want silence", got)
	}
	// The store recovers: the receiver's retransmission is ACKed and stored.
	r.d.store.InjectFault(nil)
	if got := c.send("501100 181234E13001017", 2*time.Second); got != 0x06 {
		t.Fatalf("after recovery answered %#x", got)
	}
	if got := signals(t, r, "account=1234"); len(got) != 1 {
		t.Fatalf("stored %d signals, want the one retransmitted after recovery", len(got))
	}
}

// errStoreDown stands for a disk that refuses writes.
var errStoreDown = sqlite3.Error{Code: sqlite3.ErrFull}

func hasKind(list []store.Incident, kind string, restored bool) bool {
	for _, in := range list {
		if in.Kind == kind && in.Restored == restored {
			return true
		}
	}
	return false
}

// waitFor checks ok every 50 ms until it holds, failing the test if it
// does not within limit. It is for state a test can look at but not wait
// on: files another process makes (socat's ptys), and what the daemon's
// own loops do on their tickers (sweeps, supervision, output delivery),
// which the daemon offers no signal of. The limit bounds a failure; it is
// no guess at how long things take.
func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		<-tick.C
	}
}
