package output

import (
	"bufio"
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// lineDialect is a dialect of the tests' own: "SIG seq account code\n"
// and "HB seq\n", answered "ACK seq\n", "NAK seq\n" (send again) or
// "REF seq\n" (refused for good). The real dialects' round trips are
// their packages' tests and the daemon's end-to-end tests.
type lineDialect struct{}

func (lineDialect) EncodeSignal(seq, account string, ev protocols.Event, _ time.Time) ([]byte, error) {
	return []byte("SIG " + seq + " " + account + " " + ev.Code + "\n"), nil
}

func (lineDialect) EncodeHeartbeat(seq string, _ time.Time) []byte { return []byte("HB " + seq + "\n") }

func (lineDialect) SplitReply(data []byte, atEOF bool) (int, []byte, error) {
	return bufio.ScanLines(data, atEOF)
}

func (lineDialect) ParseReply(frame []byte) (protocols.PeerReply, error) {
	verb, seq, _ := strings.Cut(string(frame), " ")
	r := protocols.PeerReply{Seq: seq, Text: verb}
	switch verb {
	case "ACK":
		r.OK = true
	case "NAK":
		r.Retry = true
	case "REF":
	default:
		return r, errNoAnswer
	}
	return r, nil
}

// automation is one endpoint: it answers each message with what answer
// says, and keeps what it received.
type automation struct {
	t      *testing.T
	ln     net.Listener
	mu     sync.Mutex
	got    []string
	answer func(msg string) string // "" says nothing
}

func newAutomation(t *testing.T, answer func(string) string) *automation {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &automation{t: t, ln: ln, answer: answer}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go a.serve(c)
		}
	}()
	return a
}

func (a *automation) serve(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		msg := sc.Text()
		a.mu.Lock()
		a.got = append(a.got, msg)
		answer := a.answer
		a.mu.Unlock()
		if r := answer(msg); r != "" {
			_, _ = c.Write([]byte(r + "\n"))
		}
	}
}

func (a *automation) messages() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

func (a *automation) setAnswer(f func(string) string) {
	a.mu.Lock()
	a.answer = f
	a.mu.Unlock()
}

// reply answers verb with the message's sequence.
func reply(verb string) func(string) string {
	return func(msg string) string {
		f := strings.Fields(msg)
		if len(f) < 2 {
			return ""
		}
		return verb + " " + f[1]
	}
}

func startPeer(t *testing.T, box *memOutbox, o PeerOptions) *Peer {
	t.Helper()
	o.Name, o.Dialect, o.Outbox = "automation", lineDialect{}, box
	o.Logger, o.Registerer = zaptest.NewLogger(t), prometheus.NewRegistry()
	o.Poll = 10 * time.Millisecond
	p, err := NewPeer(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// TestPeerDeliversInOrderAndFailsOver: signals go out in order, each
// message carrying its outbox id as its sequence; the primary's NAKs make
// it send again, and after the retries the backup gets the message and
// the ones after it; a refusal for good lists the signal as undeliverable
// with the peer's answer, and the next one goes on; failback returns to
// the primary once it answers again.
func TestPeerDeliversInOrderAndFailsOver(t *testing.T) {
	primary := newAutomation(t, reply("ACK"))
	backup := newAutomation(t, reply("ACK"))
	box := newMemOutbox(cidItem(1, "1234", "130"), cidItem(2, "1234", "131"))
	startPeer(t, box, PeerOptions{Endpoints: []string{primary.ln.Addr().String(), backup.ln.Addr().String()},
		AckTimeout: 2 * time.Second, Retries: 2, Heartbeat: time.Hour, Failback: 300 * time.Millisecond})
	box.await(t, "both delivered by the primary", 5*time.Second, func() bool { return slices.Equal(box.delivered, []int64{1, 2}) })
	if got := primary.messages(); !slices.Equal(got, []string{"SIG 1 1234 130", "SIG 2 1234 131"}) {
		t.Fatalf("primary received %q", got)
	}

	// The primary NAKs everything: 3 is sent twice (the retries), then
	// the backup takes it.
	primary.setAnswer(reply("NAK"))
	box.add(cidItem(3, "1234", "132"))
	box.await(t, "3 delivered by the backup", 5*time.Second, func() bool { return slices.Contains(box.delivered, 3) })
	if n := strings.Count(strings.Join(primary.messages(), "\n"), "SIG 3 "); n != 2 {
		t.Fatalf("the primary got 3 %d times, want the 2 retries: %q", n, primary.messages())
	}
	if got := backup.messages(); !slices.Equal(got, []string{"SIG 3 1234 132"}) {
		t.Fatalf("backup received %q", got)
	}

	// The backup refuses 4 for good: undeliverable, and 5 goes on.
	backup.setAnswer(func(msg string) string {
		if strings.HasPrefix(msg, "SIG 4 ") {
			return reply("REF")(msg)
		}
		return reply("ACK")(msg)
	})
	box.add(cidItem(4, "1234", "133"), cidItem(5, "1234", "134"))
	box.await(t, "4 refused, 5 delivered", 5*time.Second, func() bool {
		return box.undeliverable[4] != "" && slices.Contains(box.delivered, 5)
	})
	if !strings.Contains(box.undeliverable[4], "refused") || !strings.Contains(box.undeliverable[4], "REF") {
		t.Fatalf("undeliverable reason %q", box.undeliverable[4])
	}

	// The primary answers again: failback, and 6 goes to it.
	primary.setAnswer(reply("ACK"))
	time.Sleep(400 * time.Millisecond) // past Failback: the wall clock is the failback's
	box.add(cidItem(6, "1234", "135"))
	box.await(t, "6 delivered", 5*time.Second, func() bool { return slices.Contains(box.delivered, 6) })
	if got := primary.messages(); got[len(got)-1] != "SIG 6 1234 135" {
		t.Fatalf("6 did not go to the primary after failback: primary %q, backup %q", got, backup.messages())
	}
	if !slices.Equal(box.delivered, []int64{1, 2, 3, 5, 6}) {
		t.Fatalf("delivered %v", box.delivered)
	}
}

// TestPeerAbsentAndHeartbeats: an idle output sends heartbeats; with no
// endpoint reachable the automation is recorded absent, and present again
// once it answers.
func TestPeerAbsentAndHeartbeats(t *testing.T) {
	a := newAutomation(t, reply("ACK"))
	addr := a.ln.Addr().String()
	box := newMemOutbox()
	startPeer(t, box, PeerOptions{Endpoints: []string{addr}, AckTimeout: 200 * time.Millisecond, Retries: 1,
		Heartbeat: 50 * time.Millisecond, Failback: time.Hour})
	waitUntil(t, func() bool { return len(a.messages()) >= 2 })
	for _, m := range a.messages() {
		if !strings.HasPrefix(m, "HB ") {
			t.Fatalf("idle output sent %q", m)
		}
	}
	// Silence: the heartbeats get no answer, the automation is absent.
	a.setAnswer(func(string) string { return "" })
	box.await(t, "absent", 5*time.Second, func() bool { return slices.Contains(box.changes, false) })
	a.setAnswer(reply("ACK"))
	box.add(cidItem(7, "1234", "130"))
	box.await(t, "present again and delivered", 5*time.Second, func() bool {
		return slices.Contains(box.delivered, 7) && box.changes[len(box.changes)-1]
	})
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	for range 500 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 5 s")
}

// TestPeerBacksOffWhenEveryEndpointNAKs: a peer that NAKs everything gets
// the retries, then waits before each next round, longer each time, and
// the output is recorded absent: no tight loop of resends.
func TestPeerBacksOffWhenEveryEndpointNAKs(t *testing.T) {
	a := newAutomation(t, reply("NAK"))
	box := newMemOutbox(cidItem(1, "1234", "130"))
	p := startPeer(t, box, PeerOptions{Endpoints: []string{a.ln.Addr().String()}, AckTimeout: time.Second, Retries: 2,
		Heartbeat: time.Hour, Failback: time.Hour})
	box.await(t, "absent", 5*time.Second, func() bool { return slices.Contains(box.changes, false) })
	time.Sleep(1500 * time.Millisecond)
	// Rounds of 2 sends, with waits of 1 s, 2 s… between them: a handful
	// of sends in these seconds, not thousands.
	if n := len(a.messages()); n < 2 || n > 8 {
		t.Fatalf("%d sends to an endpoint that NAKs everything", n)
	}
	if v := testutilValue(p.mFailovers); v != 0 {
		t.Fatalf("failovers %v with one endpoint", v)
	}
}

// TestPeerFailoverIsCountedAndHeartbeatNAKIsNoFailure: failing over after
// the retries counts in alarmrx_output_failovers_total; a heartbeat the
// peer NAKs (a keep-alive of an account it does not know) proves it there
// and moves nothing.
func TestPeerFailoverIsCountedAndHeartbeatNAKIsNoFailure(t *testing.T) {
	primary := newAutomation(t, reply("NAK"))
	backup := newAutomation(t, func(msg string) string {
		if strings.HasPrefix(msg, "HB ") {
			return reply("NAK")(msg)
		}
		return reply("ACK")(msg)
	})
	box := newMemOutbox(cidItem(1, "1234", "130"))
	p := startPeer(t, box, PeerOptions{Endpoints: []string{primary.ln.Addr().String(), backup.ln.Addr().String()},
		AckTimeout: time.Second, Retries: 1, Heartbeat: 50 * time.Millisecond, Failback: time.Hour})
	box.await(t, "delivered by the backup", 5*time.Second, func() bool { return slices.Contains(box.delivered, 1) })
	if v := testutilValue(p.mFailovers); v != 1 {
		t.Fatalf("failovers %v, want the one after the primary's NAK", v)
	}
	waitUntil(t, func() bool { return strings.Count(strings.Join(backup.messages(), "\n"), "HB ") >= 3 })
	if v := testutilValue(p.mFailovers); v != 1 {
		t.Fatalf("failovers %v after heartbeats the backup NAKs, want still 1", v)
	}
	if slices.Contains(box.changes, false) {
		t.Fatalf("absent recorded: %v", box.changes)
	}
}

func testutilValue(c prometheus.Counter) float64 { return testutil.ToFloat64(c) }
