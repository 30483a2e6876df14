package output

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

func TestRecordEventCarriesReceiveTime(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 7, 48, 0, time.UTC)
	it := store.OutboxItem{ReceivedAt: at, Receiver: 1, Line: 3, Account: "ABC1234", Event: protocols.Event{
		Format: protocols.FormatSIA, Code: "BA", Qualifier: protocols.QualifierNew, Zone: "017", Address: "017",
		AddressKind: protocols.AddressZone, Partition: "1",
		Modifiers: []protocols.Modifier{{Name: "media_portal", Value: "https://x/y?a=1&b=2"}, {Name: "attr_camera", Value: "ch2"}},
	}}
	rec, err := surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec); got != "S01003[#ABC1234|Nri1/da11-30-26/ti09:07:48/BA017]\x14" {
		t.Fatalf("record %q", got)
	}
	// A panel's own time stays.
	it.Event.Modifiers = []protocols.Modifier{{Name: "ti", Value: "08:00:00"}}
	rec, _ = surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if !strings.Contains(string(rec), "ti08:00:00") || strings.Contains(string(rec), "09:07:48") {
		t.Fatalf("record %q", rec)
	}
}

// TestUndeliverableWaitsForTheStore: an undeliverable signal the store does
// not take yet stays pending and holds the line (nothing overtakes it, it
// is never skipped); once settled, the next signal goes out. An incident
// step has no record either and is settled the same way.
func TestUndeliverableWaitsForTheStore(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "12345", "999"), store.OutboxItem{ID: 2, Kind: "incident", IncidentID: 7}, cidItem(3, "4321", "130"))
	ob.failSettle = 2
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: time.Second})
	a := dialAutomation(t, s)
	if rec := a.next(); rec != "501001 184321E13001001" {
		t.Fatalf("record %q", rec)
	}
	ob.mu.Lock()
	settled := len(ob.undeliverable)
	reason := ob.undeliverable[1]
	ob.mu.Unlock()
	if settled != 2 || !strings.Contains(reason, "not 12345 (5)") || testutil.ToFloat64(s.mUndeliverable) != 2 {
		t.Fatalf("undeliverable %v (counted %v) when the next record went out", ob.undeliverable, testutil.ToFloat64(s.mUndeliverable))
	}
	a.answer(surgard.ACK)
	ob.await(t, "record 3 marked delivered", 5*time.Second, func() bool { return slices.Equal(ob.delivered, []int64{3}) })
}

// runSurgard runs a Sur-Gard output named "automation" on 127.0.0.1:0
// over ob until the test ends. Unset options get a test's values: no
// heartbeat, a 10 ms poll.
func runSurgard(t *testing.T, ob Outbox, o SurgardOptions) *Surgard {
	t.Helper()
	o.Name, o.TCP, o.Outbox, o.Registerer = "automation", "127.0.0.1:0", ob, prometheus.NewRegistry()
	if o.Logger == nil {
		o.Logger = zaptest.NewLogger(t)
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = time.Hour
	}
	if o.Poll == 0 {
		o.Poll = 10 * time.Millisecond
	}
	s, err := NewSurgard(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// fakeAutomation is automation software at the other end of a Sur-Gard
// output: it connects, reads records up to DC4 and answers each with ACK,
// NAK or nothing at all.
type fakeAutomation struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dialAutomation(t *testing.T, s *Surgard) *fakeAutomation {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &fakeAutomation{t: t, c: c, rd: bufio.NewReader(c)}
}

// next reads the next record, without its DC4.
func (a *fakeAutomation) next() string {
	a.t.Helper()
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rec, err := a.rd.ReadString(surgard.DC4)
	if err != nil {
		a.t.Fatalf("no record: %v", err)
	}
	return strings.TrimSuffix(rec, string(rune(surgard.DC4)))
}

func (a *fakeAutomation) answer(b byte) {
	a.t.Helper()
	if _, err := a.c.Write([]byte{b}); err != nil {
		a.t.Fatal(err)
	}
}

// dropped waits for the output to close the connection, failing on
// anything else: a record, or nothing within 5 s.
func (a *fakeAutomation) dropped() {
	a.t.Helper()
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := a.rd.ReadByte(); !errors.Is(err, io.EOF) {
		a.t.Fatalf("read %#x, %v; want the connection closed by the output", b, err)
	}
}

// TestSurgardDeliversInOrder: records go out one at a time, each after the
// one before it was acknowledged, in outbox order; a signal no record
// carries is settled as undeliverable between them, and a signal stored
// meanwhile follows.
func TestSurgardDeliversInOrder(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "4321", "130"), cidItem(2, "12345", "999"), cidItem(3, "4321", "110"))
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: time.Second})
	a := dialAutomation(t, s)
	if rec := a.next(); rec != "501001 184321E13001001" {
		t.Fatalf("first record %q", rec)
	}
	ob.add(cidItem(4, "4321", "131"))
	a.answer(surgard.ACK)
	for _, want := range []string{"501001 184321E11001001", "501001 184321E13101001"} {
		if rec := a.next(); rec != want {
			t.Fatalf("record %q, want %q", rec, want)
		}
		a.answer(surgard.ACK)
	}
	ob.await(t, "every record delivered", 5*time.Second, func() bool { return len(ob.delivered) == 3 })
	// The counter follows the outbox's mark: the output counts a delivery
	// once the store recorded it, a moment after.
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(s.mDelivered) != 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	ob.mu.Lock()
	delivered, undeliverable := slices.Clone(ob.delivered), len(ob.undeliverable)
	ob.mu.Unlock()
	if !slices.Equal(delivered, []int64{1, 3, 4}) || undeliverable != 1 {
		t.Fatalf("delivered %v, %d undeliverable; want 1, 3, 4 and item 2 undeliverable", delivered, undeliverable)
	}
	if d, u, r := testutil.ToFloat64(s.mDelivered), testutil.ToFloat64(s.mUndeliverable), testutil.ToFloat64(s.mRetries); d != 3 || u != 1 || r != 0 {
		t.Fatalf("counted %v delivered, %v undeliverable, %v retries", d, u, r)
	}
}

// TestSurgardResendsAfterNAK: a NAK gets the same record again, recorded
// as an attempt and counted as a retry; the record is delivered only when
// acknowledged.
func TestSurgardResendsAfterNAK(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "4321", "130"))
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: time.Second, Retries: 3})
	a := dialAutomation(t, s)
	first := a.next()
	a.answer(surgard.NAK)
	if again := a.next(); again != first {
		t.Fatalf("after NAK %q, want %q again", again, first)
	}
	ob.mu.Lock()
	delivered, attempts := len(ob.delivered), slices.Clone(ob.attempts[1])
	ob.mu.Unlock()
	if delivered != 0 || !slices.Equal(attempts, []string{ErrNAK.Error()}) {
		t.Fatalf("after a NAK: %d delivered, attempts %q", delivered, attempts)
	}
	a.answer(surgard.ACK)
	ob.await(t, "record delivered", 5*time.Second, func() bool { return slices.Equal(ob.delivered, []int64{1}) })
	if r := testutil.ToFloat64(s.mRetries); r != 1 {
		t.Fatalf("%v retries counted, want 1", r)
	}
}

// TestSurgardDropsSilentAutomation: a connection that answers none of the
// retries of a record is dropped and the output reported absent; the
// record stays and is the first the next connection gets, and its ACK
// reports the automation back.
func TestSurgardDropsSilentAutomation(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "4321", "130"), cidItem(2, "4321", "110"))
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: 100 * time.Millisecond, Retries: 2})
	silent := dialAutomation(t, s)
	first := silent.next()
	if again := silent.next(); again != first {
		t.Fatalf("retry %q, want %q", again, first)
	}
	silent.dropped()
	ob.mu.Lock()
	delivered, changes := len(ob.delivered), slices.Clone(ob.changes)
	ob.mu.Unlock()
	if delivered != 0 || !slices.Equal(changes, []bool{false}) || testutil.ToFloat64(s.mUp) != 0 {
		t.Fatalf("after silence: %d delivered, changes %v, up %v; want nothing delivered and the output absent",
			delivered, changes, testutil.ToFloat64(s.mUp))
	}

	a := dialAutomation(t, s)
	for _, want := range []string{first, "501001 184321E11001001"} {
		if rec := a.next(); rec != want {
			t.Fatalf("after reconnecting %q, want %q", rec, want)
		}
		a.answer(surgard.ACK)
	}
	ob.await(t, "both delivered, the output back", 5*time.Second, func() bool {
		return slices.Equal(ob.delivered, []int64{1, 2}) && slices.Equal(ob.changes, []bool{false, true})
	})
	if testutil.ToFloat64(s.mUp) != 1 {
		t.Fatal("output not up after the ACK")
	}
}

// TestSurgardUnrecordedAttemptIsLoggedOnce: when the store does not take
// the attempts, delivery goes on as before (resend, then delivered on the
// ACK), and the failures make one log line, not one per attempt.
func TestSurgardUnrecordedAttemptIsLoggedOnce(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "4321", "130"))
	ob.failAttempts = 3
	core, logs := observer.New(zapcore.WarnLevel)
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: time.Second, Retries: 5, Logger: zap.New(core)})
	a := dialAutomation(t, s)
	first := a.next()
	for range 3 {
		a.answer(surgard.NAK)
		if again := a.next(); again != first {
			t.Fatalf("after NAK %q, want %q", again, first)
		}
	}
	a.answer(surgard.ACK)
	ob.await(t, "record delivered", 5*time.Second, func() bool { return slices.Equal(ob.delivered, []int64{1}) })
	if n := logs.FilterMessageSnippet("attempt not recorded").Len(); n != 1 {
		t.Fatalf("%d log lines for 3 unrecorded attempts, want 1: %v", n, logs.All())
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if len(ob.attempts[1]) != 0 || ob.failAttempts != 0 {
		t.Fatalf("attempts %v, %d failures left", ob.attempts[1], ob.failAttempts)
	}
}

// TestWakeDeliversWithoutWaitingForThePoll: an idle output told that a
// signal was stored delivers it at once, however long its poll interval.
func TestWakeDeliversWithoutWaitingForThePoll(t *testing.T) {
	ob := newMemOutbox()
	s := runSurgard(t, ob, SurgardOptions{AckTimeout: time.Second, Poll: time.Hour})
	a := dialAutomation(t, s)
	// Once the output has read the empty outbox for the new connection,
	// it idles for its hour-long poll unless woken.
	ob.await(t, "the outbox read for the connection", 5*time.Second, func() bool { return ob.reads > 0 })
	ob.add(cidItem(1, "4321", "130"))
	s.Wake()
	if rec := a.next(); rec != "501001 184321E13001001" {
		t.Fatalf("record %q", rec)
	}
}

// TestSurgardRunsAgainAfterItStopped: the output's port is open while Run
// runs and closed after it (the node lost the output's lease), or after a
// Close before it; a later Run opens the same port again and goes on
// delivering from the outbox (the lease regained).
func TestSurgardRunsAgainAfterItStopped(t *testing.T) {
	ob := newMemOutbox(cidItem(1, "4321", "130"))
	s, err := NewSurgard(SurgardOptions{Name: "automation", TCP: "127.0.0.1:0", Outbox: ob, Registerer: prometheus.NewRegistry(),
		Logger: zaptest.NewLogger(t), Heartbeat: time.Hour, Poll: 10 * time.Millisecond, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	s.Close() // as after a lease lost
	refused := func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	}
	if !refused() {
		t.Fatal("the port is open after Close, before Run")
	}
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	for round, item := range []store.OutboxItem{cidItem(2, "4321", "131"), cidItem(3, "4321", "132")} {
		stop := run()
		var c net.Conn
		deadline := time.Now().Add(5 * time.Second)
		for c == nil {
			if c, err = net.Dial("tcp", addr); err != nil && time.Now().After(deadline) {
				t.Fatalf("round %d: the port does not open again: %v", round, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		a := &fakeAutomation{t: t, c: c, rd: bufio.NewReader(c)}
		if round == 0 {
			if rec := a.next(); rec != "501001 184321E13001001" {
				t.Fatalf("round %d: record %q", round, rec)
			}
			a.answer(surgard.ACK)
		}
		ob.add(item)
		want := map[int]string{0: "501001 184321E13101001", 1: "501001 184321E13201001"}[round]
		if rec := a.next(); rec != want {
			t.Fatalf("round %d: record %q, want %q", round, rec, want)
		}
		a.answer(surgard.ACK)
		ob.await(t, "the record marked delivered", 5*time.Second, func() bool { return slices.Contains(ob.delivered, item.ID) })
		stop()
		_ = c.Close()
		if !refused() {
			t.Fatalf("round %d: the port is still open after Run returned", round)
		}
	}
}

// TestSurgardStandbyBindsOnlyInRun: a standby output (several nodes) has
// its port closed from NewSurgard on, and open only while Run runs.
func TestSurgardStandbyBindsOnlyInRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s, err := NewSurgard(SurgardOptions{Name: "automation", TCP: addr, Standby: true, Outbox: newMemOutbox(),
		Registerer: prometheus.NewRegistry(), Logger: zaptest.NewLogger(t), Heartbeat: time.Hour, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Fatal("a standby output's port is open before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the port does not open in Run: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
