package receiver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lineCodec is a toy protocol for testing the receiver apart from any real
// codec: a frame is "account,sequence,code\n"; the reply is "ACK seq\n" or
// "NAK reason\n"; code "crc" is silence, "bad" a syntax error.
type lineCodec struct{}

func (lineCodec) Name() string { return "line" }

func (lineCodec) Split(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		if data[0] == '#' { // garbage marker: skip the line without a frame
			return i + 1, nil, nil
		}
		return i + 1, data[:i+1], nil
	}
	return 0, nil, nil
}

func (lineCodec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	parts := strings.Split(strings.TrimSpace(string(frame)), ",")
	if len(parts) != 3 {
		return nil, protocols.Reject("line", protocols.ReasonSyntax, errors.New("need 3 fields"))
	}
	m := &protocols.Message{Protocol: "line", Kind: "EV", Account: parts[0], Sequence: parts[1]}
	switch parts[2] {
	case "crc":
		return nil, protocols.Reject("line", protocols.ReasonCRC, nil)
	case "bad":
		return m, protocols.Reject("line", protocols.ReasonSyntax, nil)
	case "null":
		return m, nil
	case "panic":
		panic("codec bug")
	}
	m.Events = []protocols.Event{{Format: protocols.FormatSIA, Account: parts[0], Code: parts[2],
		Category: protocols.CategoryBurglary}}
	return m, nil
}

func (lineCodec) Reply(m *protocols.Message, outcome error, _ time.Time) []byte {
	if outcome == nil {
		return []byte("ACK " + m.Sequence + "\n")
	}
	r := protocols.ReasonOf(outcome)
	if r == protocols.ReasonCRC {
		return nil
	}
	return []byte("NAK " + r.String() + "\n")
}

// memSink records commits; gate, when set, holds each commit until released.
type memSink struct {
	mu      sync.Mutex
	frames  []*protocols.Message
	status  []string
	lines   []int // each frame's receipt's line
	fail    error
	gate    chan struct{}
	entered chan struct{}
}

func (s *memSink) Commit(ctx context.Context, msg *protocols.Message, rec store.Receipt) (int64, error) {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.frames = append(s.frames, msg)
	s.status = append(s.status, rec.Status)
	s.lines = append(s.lines, rec.Line)
	return int64(len(s.frames)), nil
}

func (s *memSink) count(status string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.status {
		if st == status {
			n++
		}
	}
	return n
}

type harness struct {
	r      *Receiver
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, sink Sink, mod func(*Options)) *harness {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts := Options{
		Listeners: []ListenerOptions{{
			Name: "test", Codec: lineCodec{}, Receiver: 1, Line: 1,
			TCP: "127.0.0.1:0", UDP: "127.0.0.1:0", MaxFrameBytes: 64,
		}},
		Sink: sink, Logger: zaptest.NewLogger(t), Registerer: reg,
		CommitTimeout: 2 * time.Second, ShutdownGrace: 2 * time.Second,
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{r: r, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- r.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

func dialTCP(t *testing.T, h *harness) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", h.r.Addrs()[0].TCP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

// readLine reads one reply line, within 3 s, from a connection or a pty.
func readLine(t *testing.T, c interface{ SetReadDeadline(time.Time) error }, br *bufio.Reader) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	s, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading reply: %v (got %q)", err, s)
	}
	return s
}

func TestACKOnlyAfterCommit(t *testing.T) {
	sink := &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	if _, err := c.Write([]byte("1234,0001,BA\n")); err != nil {
		t.Fatal(err)
	}
	<-sink.entered // the commit has started and is held
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if b, err := br.ReadByte(); err == nil {
		t.Fatalf("reply byte %q arrived before the commit finished", b)
	}
	close(sink.gate)
	if got := readLine(t, c, br); got != "ACK 0001\n" {
		t.Fatalf("reply = %q", got)
	}
}

func TestStoreFailureAnswersNegatively(t *testing.T) {
	sink := &memSink{fail: fmt.Errorf("%w: disk full", store.ErrUnavailable)}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1234,0001,BA\n"))
	if got := readLine(t, c, br); got != "NAK store\n" {
		t.Fatalf("reply = %q, want NAK store", got)
	}
	if v := testutil.ToFloat64(h.r.m.framesRejected.WithLabelValues("test", "line", "store")); v != 1 {
		t.Errorf("rejected{reason=store} = %v", v)
	}
	if v := testutil.ToFloat64(h.r.m.replies.WithLabelValues("line", "nak")); v != 1 {
		t.Errorf("replies{kind=nak} = %v", v)
	}
}

func TestSeveralFramesPerReadAndSplitAcrossReads(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1,0001,BA\n1,0002,BA\n1,00"))
	if got := readLine(t, c, br) + readLine(t, c, br); got != "ACK 0001\nACK 0002\n" {
		t.Fatalf("replies = %q", got)
	}
	// The two replies prove the first write was read: this one is a read
	// of its own, and the buffered "1,00" must join it.
	_, _ = c.Write([]byte("03,BA\n"))
	if got := readLine(t, c, br); got != "ACK 0003\n" {
		t.Fatalf("reply = %q", got)
	}
	if n := sink.count(store.StatusAccepted); n != 3 {
		t.Fatalf("stored %d frames, want 3", n)
	}
}

func TestDuplicateIsAcknowledgedAndStoredOnce(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	for range 3 {
		_, _ = c.Write([]byte("1234,9995,BA\n"))
		if got := readLine(t, c, br); got != "ACK 9995\n" {
			t.Fatalf("reply = %q", got)
		}
	}
	// Same sequence, different content: a new event, stored.
	_, _ = c.Write([]byte("1234,9995,BR\n"))
	readLine(t, c, br)
	if n := sink.count(store.StatusAccepted); n != 2 {
		t.Fatalf("stored %d frames, want 2", n)
	}
	if v := testutil.ToFloat64(h.r.m.duplicates.WithLabelValues("test")); v != 2 {
		t.Errorf("duplicates = %v, want 2", v)
	}
}

func TestBadInputRepliesAndCounts(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1,0001,crc\n#garbage\n1,0002,bad\n"))
	if got := readLine(t, c, br); got != "NAK syntax\n" {
		t.Fatalf("reply = %q (bad CRC must get no reply)", got)
	}
	for reason, want := range map[string]float64{"crc": 1, "syntax": 1, "garbage": 1} {
		if v := testutil.ToFloat64(h.r.m.framesRejected.WithLabelValues("test", "line", reason)); v != want {
			t.Errorf("rejected{reason=%s} = %v, want %v", reason, v, want)
		}
	}
	// Both are kept as evidence (within the quota): a station asks about
	// frames with a bad CRC too.
	if n := sink.count(store.StatusRejected); n != 2 {
		t.Errorf("rejected frames stored = %d, want 2 (the CRC and the syntax one)", n)
	}
}

// TestRejectedFramesWithinQuota: refused input from one source is kept as
// rows up to its budget for the minute and only counted after it; another
// source has its own budget, and the total budget caps them all.
func TestRejectedFramesWithinQuota(t *testing.T) {
	sink := &memSink{}
	reg := prometheus.NewRegistry()
	quota := evidence.NewQuota(3, 5, reg)
	// One minute of the quota's clock: the budgets are per minute.
	at := time.Date(2026, 12, 1, 9, 0, 30, 0, time.UTC)
	h := start(t, sink, func(o *Options) { o.Evidence, o.Now = quota, func() time.Time { return at } })
	send := func(src string, n int) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", h.r.Addrs()[0].TCP)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for i := range n {
			_, _ = fmt.Fprintf(c, "1,%04d,bad\n", i)
			readLine(t, c, br)
		}
	}
	send("127.0.0.1", 10)
	if n := sink.count(store.StatusRejected); n != 3 {
		t.Fatalf("kept %d rejected frames from one source, want its budget of 3", n)
	}
	send("127.0.0.2", 10)
	if n := sink.count(store.StatusRejected); n != 5 {
		t.Fatalf("kept %d rejected frames from two sources, want the total budget of 5", n)
	}
	want := `
# HELP alarmrx_evidence_dropped_total Refused inputs only counted, not kept, because a budget was used up: per source address (source) or for all sources (total).
# TYPE alarmrx_evidence_dropped_total counter
alarmrx_evidence_dropped_total{kind="frame",reason="source"} 7
alarmrx_evidence_dropped_total{kind="frame",reason="total"} 8
alarmrx_evidence_dropped_total{kind="login",reason="source"} 0
alarmrx_evidence_dropped_total{kind="login",reason="total"} 0
# HELP alarmrx_evidence_kept_total Refused inputs kept as evidence rows (rejected frames, failed logins), by kind.
# TYPE alarmrx_evidence_kept_total counter
alarmrx_evidence_kept_total{kind="frame"} 5
alarmrx_evidence_kept_total{kind="login"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "alarmrx_evidence_dropped_total", "alarmrx_evidence_kept_total"); err != nil {
		t.Error(err)
	}
	if v := testutil.ToFloat64(h.r.m.framesRejected.WithLabelValues("test", "line", "syntax")); v != 20 {
		t.Errorf("every refused frame is counted: %v, want 20", v)
	}
}

func TestOverlongFrameClosesConnection(t *testing.T) {
	h := start(t, &memSink{}, nil)
	c, br := dialTCP(t, h)
	_, _ = c.Write(bytes.Repeat([]byte("x"), 200))
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	// The codec's refusal for an overlong frame arrives, then the close.
	if got, err := br.ReadString('\n'); got != "NAK too_long\n" || err != nil {
		t.Fatalf("reply %q, %v; want the refusal", got, err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection still open after an over-long frame")
	}
	waitFor(t, func() bool {
		return testutil.ToFloat64(h.r.m.connsClosed.WithLabelValues("test", "too_long")) == 1
	})
}

func TestIdleConnectionIsClosed(t *testing.T) {
	h := start(t, &memSink{}, func(o *Options) {
		o.Listeners[0].ReadTimeout = 100 * time.Millisecond
	})
	c, br := dialTCP(t, h)
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("idle connection not closed")
	}
	waitFor(t, func() bool {
		return testutil.ToFloat64(h.r.m.connsClosed.WithLabelValues("test", "idle")) == 1
	})
}

// TestSlowlorisIsCutOff: bytes trickled in without ever completing a frame
// do not keep a connection open past the read timeout.
func TestSlowlorisIsCutOff(t *testing.T) {
	h := start(t, &memSink{}, func(o *Options) {
		o.Listeners[0].ReadTimeout = 300 * time.Millisecond
		o.Listeners[0].IdleTimeout = 300 * time.Millisecond
	})
	c, _ := dialTCP(t, h)
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if _, err := c.Write([]byte("1")); err != nil {
			break // closed by the receiver
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, func() bool {
		return testutil.ToFloat64(h.r.m.connsClosed.WithLabelValues("test", "idle")) == 1
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("trickling connection lived %v", took)
	}
}

func TestMaxConnsRefusesExtraConnections(t *testing.T) {
	h := start(t, &memSink{}, func(o *Options) { o.Listeners[0].MaxConns = 1 })
	c1, br1 := dialTCP(t, h)
	_, _ = c1.Write([]byte("1,0001,BA\n"))
	readLine(t, c1, br1) // c1 is tracked now
	c2, br2 := dialTCP(t, h)
	_ = c2.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br2.ReadByte(); err == nil {
		t.Fatal("second connection served past max_conns")
	}
	// The refusal is counted as the connection is closed; the client may
	// see the close first.
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.connsRefused.WithLabelValues("test", "max_conns")) == 1 })
}

// TestMaxConnsPerIPLeavesRoomForOthers: one address holding its share of
// idle connections is refused more, while another address is still served
// (a client holding every slot locked every panel out).
func TestMaxConnsPerIPLeavesRoomForOthers(t *testing.T) {
	h := start(t, &memSink{}, func(o *Options) { o.Listeners[0].MaxConns = 64; o.Listeners[0].MaxConnsPerIP = 2 })
	addr := h.r.Addrs()[0].TCP
	dialFrom := func(src string) (net.Conn, *bufio.Reader) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c, bufio.NewReader(c)
	}
	served := func(c net.Conn, br *bufio.Reader, seq string) bool {
		_, _ = c.Write([]byte("1," + seq + ",BA\n"))
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := br.ReadString('\n')
		return err == nil
	}
	for i := range 2 {
		c, br := dialFrom("127.0.0.1")
		if !served(c, br, fmt.Sprintf("%04d", i+1)) {
			t.Fatalf("connection %d from 127.0.0.1 not served", i+1)
		}
	}
	c, br := dialFrom("127.0.0.1")
	if served(c, br, "0003") {
		t.Fatal("a third connection from 127.0.0.1 was served past max_conns_per_ip 2")
	}
	c, br = dialFrom("127.0.0.2")
	if !served(c, br, "0004") {
		t.Fatal("127.0.0.2 was locked out by 127.0.0.1's connections")
	}
	waitFor(t, func() bool {
		return testutil.ToFloat64(h.r.m.connsRefused.WithLabelValues("test", "max_conns_per_ip")) == 1
	})
	if v := testutil.ToFloat64(h.r.m.connsRefused.WithLabelValues("test", "max_conns")); v != 0 {
		t.Errorf("refused at max_conns: %v", v)
	}
}

// TestAllowedSources: a listener with allowed_sources serves its sources
// and closes a connection from any other address at once, counted; a
// datagram from outside is dropped unanswered (no reflection), counted.
func TestAllowedSources(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, func(o *Options) {
		o.Listeners[0].AllowedSources = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("10.0.0.0/8")}
	})
	addr := h.r.Addrs()[0].TCP
	exchange := func(src, seq string) (string, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		_, _ = c.Write([]byte("1," + seq + ",BA\n"))
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		return bufio.NewReader(c).ReadString('\n')
	}
	if reply, err := exchange("127.0.0.2", "0001"); err != nil || reply != "ACK 0001\n" {
		t.Fatalf("127.0.0.2 (allowed): %q, %v", reply, err)
	}
	if reply, err := exchange("127.0.0.1", "0002"); err == nil {
		t.Fatalf("127.0.0.1 (not allowed) was answered %q", reply)
	}
	u, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.1")}, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(h.r.Addrs()[0].UDP)))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_, _ = u.Write([]byte("1,0003,BA\n"))
	_ = u.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := u.Read(make([]byte, 64)); err == nil {
		t.Fatalf("a datagram from 127.0.0.1 (not allowed) was answered (%d bytes)", n)
	}
	waitFor(t, func() bool {
		return testutil.ToFloat64(h.r.m.connsRefused.WithLabelValues("test", "allowed_sources")) == 2
	})
	if n := sink.count(store.StatusAccepted); n != 1 {
		t.Fatalf("%d frames stored, want the allowed source's 1", n)
	}
}

func TestUDPRepliesToSource(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, nil)
	c, err := net.Dial("udp", h.r.Addrs()[0].UDP)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("4321,0007,FA\n"))
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "ACK 0007\n" {
		t.Fatalf("udp reply = %q, %v", buf[:n], err)
	}
	if sink.count(store.StatusAccepted) != 1 {
		t.Fatal("udp frame not stored")
	}
}

// TestShutdownFinishesCommitInFlight: once shutdown begins, the listener
// accepts no more connections, but Run waits for the frame being committed
// and its ACK is written before the connection closes.
func TestShutdownFinishesCommitInFlight(t *testing.T) {
	sink := &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	h := start(t, sink, nil)
	addr := h.r.Addrs()[0].TCP
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1234,0001,BA\n"))
	shutdownDuringCommit(t, h, sink, func() {
		waitFor(t, func() bool {
			c2, err := net.Dial("tcp", addr)
			if err == nil {
				_ = c2.Close()
			}
			return err != nil
		})
	}, func() string { return readLine(t, c, br) })
}

// shutdownDuringCommit stops the receiver while the sink holds a frame's
// commit and checks that Run waits for it: stopping, then whatever
// shuttingDown checks, then the commit is released, and the frame's reply
// (read by reply) must be its ACK before Run returns.
func shutdownDuringCommit(t *testing.T, h *harness, sink *memSink, shuttingDown func(), reply func() string) {
	t.Helper()
	<-sink.entered
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	waitFor(t, func() bool { return !h.r.running.Load() })
	shuttingDown()
	select {
	case <-stopped:
		t.Fatal("Run returned while a frame was being committed")
	default:
	}
	close(sink.gate) // the commit completes during shutdown
	if got := reply(); got != "ACK 0001\n" {
		t.Fatalf("reply during shutdown = %q", got)
	}
	<-stopped
	if sink.count(store.StatusAccepted) != 1 {
		t.Fatal("in-flight frame lost at shutdown")
	}
}

// TestAccountPrefixAppliedToStoredMessageNotReply: the listener's rule
// makes the stored account (prefix 9: with add, 123 is 9123 and 9123 is
// 99123; with expect, numbers are taken as sent), while the reply echoes
// the account as received.
func TestAccountPrefixAppliedToStoredMessageNotReply(t *testing.T) {
	for _, c := range []struct {
		mode    store.PrefixMode
		want    string // stored accounts of 123, then 9123
		missing float64
	}{
		{store.PrefixAdd, "9123/9123 99123", 0},
		{"", "9123/9123 99123", 0}, // add is the default
		{store.PrefixExpect, "123/123 9123", 1},
	} {
		name := string(c.mode)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			sink := &memSink{}
			h := start(t, sink, func(o *Options) {
				o.Listeners[0].AccountPrefix = "9"
				o.Listeners[0].AccountPrefixMode = c.mode
			})
			conn, br := dialTCP(t, h)
			_, _ = conn.Write([]byte("123,0001,BA\n9123,0002,BA\n"))
			if got := readLine(t, conn, br) + readLine(t, conn, br); got != "ACK 0001\nACK 0002\n" {
				t.Fatalf("replies %q", got)
			}
			sink.mu.Lock()
			got := sink.frames[0].Account + "/" + sink.frames[0].Events[0].Account + " " + sink.frames[1].Account
			sink.mu.Unlock()
			if got != c.want {
				t.Errorf("stored accounts = %s, want %s", got, c.want)
			}
			if v := testutil.ToFloat64(h.r.m.prefixMissing.WithLabelValues("test")); v != c.missing {
				t.Errorf("alarmrx_account_prefix_missing_total = %v, want %v", v, c.missing)
			}
		})
	}
}

// TestSenderPrefixModeOverridesListener: a message whose sender states its
// own mode (an XML sender on a TCP listener) gets that rule.
func TestSenderPrefixModeOverridesListener(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, func(o *Options) {
		o.Listeners[0].AccountPrefix = "ABC"
		o.Listeners[0].PrefixModeOf = func(m *protocols.Message) (store.PrefixMode, bool) {
			if strings.HasPrefix(m.Account, "ABC") {
				return store.PrefixExpect, true // stands in for an XML sender that sends the prefix
			}
			return "", false
		}
	})
	conn, br := dialTCP(t, h)
	_, _ = conn.Write([]byte("1234,0001,BA\nABC77,0002,BA\n"))
	readLine(t, conn, br)
	readLine(t, conn, br)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if got := sink.frames[0].Account + " " + sink.frames[1].Account; got != "ABC1234 ABC77" {
		t.Errorf("stored accounts = %s", got)
	}
}

func TestPanicInSessionIsRecoveredAndCounted(t *testing.T) {
	sink := &memSink{}
	h := start(t, sink, nil)
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1,0001,panic\n"))
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("session survived its panic with the connection open")
	}
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.panics) == 1 })
	// The daemon goes on serving other panels.
	c2, br2 := dialTCP(t, h)
	_, _ = c2.Write([]byte("1,0002,BA\n"))
	if got := readLine(t, c2, br2); got != "ACK 0002\n" {
		t.Fatalf("after a panic: reply %q", got)
	}
}

func TestMetricsLint(t *testing.T) {
	h := start(t, &memSink{}, nil)
	problems, err := testutil.GatherAndLint(h.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkIns records what the receiver tells supervision.
type checkIns struct {
	mu   sync.Mutex
	seen []CheckIn
}

func (c *checkIns) CheckIn(ci CheckIn) {
	c.mu.Lock()
	c.seen = append(c.seen, ci)
	c.mu.Unlock()
}

func (c *checkIns) list() []CheckIn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CheckIn(nil), c.seen...)
}

// oneAccount resolves account 1234 on receiver 1 to account id 42.
type oneAccount struct{}

func (oneAccount) Resolve(receiver int, number string, _ *protocols.Event, _ time.Time) store.Resolution {
	if receiver == 1 && number == "1234" {
		return store.Resolution{AccountID: 42}
	}
	return store.Resolution{}
}

// TestOnlyStoredFramesCheckIn: a frame the codec refuses or the store
// cannot take proves nothing; a stored one checks its account in by the
// time it is answered, and a link test (no events) too.
func TestOnlyStoredFramesCheckIn(t *testing.T) {
	sink := &memSink{}
	ci := &checkIns{}
	h := start(t, sink, func(o *Options) { o.CheckIns = ci; o.Resolver = oneAccount{} })
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1234,0001,bad\n"))
	if got := readLine(t, c, br); got != "NAK syntax\n" {
		t.Fatalf("reply %q", got)
	}
	sink.mu.Lock()
	sink.fail = errors.New("disk full")
	sink.mu.Unlock()
	_, _ = c.Write([]byte("1234,0002,BA\n"))
	if got := readLine(t, c, br); got != "NAK store\n" {
		t.Fatalf("reply %q", got)
	}
	if got := ci.list(); len(got) != 0 {
		t.Fatalf("refused frames checked in: %+v", got)
	}
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	_, _ = c.Write([]byte("1234,0003,BA\n1234,0004,null\n5678,0005,BA\n"))
	for _, want := range []string{"ACK 0003\n", "ACK 0004\n", "ACK 0005\n"} {
		if got := readLine(t, c, br); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
	}
	got := ci.list()
	if len(got) != 2 || got[0].AccountID != 42 || got[0].Number != "1234" || got[0].Receiver != 1 || got[0].Test ||
		got[1].AccountID != 42 {
		t.Fatalf("check-ins %+v, want account 42 twice (the alarm, the link test), not the unknown 5678", got)
	}
}

// linkLog records link changes; gate, while open, holds each write.
type linkLog struct {
	mu      sync.Mutex
	changes []string
	gate    chan struct{}
}

func (l *linkLog) LinkChanged(ctx context.Context, listener string, receiver int, up bool, at time.Time) error {
	<-l.gate
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, fmt.Sprintf("%s r%d up=%v", listener, receiver, up))
	return nil
}

func (l *linkLog) list() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.changes, ", ")
}

// TestLinkRecordsNeverDelayTheACK: while the store is slow to record a
// supervised link's failure, the record that brings the link back is
// answered at once; both changes are recorded afterwards, in order.
func TestLinkRecordsNeverDelayTheACK(t *testing.T) {
	links := &linkLog{gate: make(chan struct{})}
	h := start(t, &memSink{}, func(o *Options) {
		o.Listeners[0].HeartbeatTimeout = 100 * time.Millisecond
		o.Links = links
	})
	up := func() float64 { return testutil.ToFloat64(h.r.m.linkUp.WithLabelValues("test")) }
	waitFor(t, func() bool { return up() == 0 }) // silent past the timeout: failed, its record held
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1,0001,BA\n"))
	if got := readLine(t, c, br); got != "ACK 0001\n" {
		t.Fatalf("reply %q while the link's failure was being recorded", got)
	}
	if up() != 1 {
		t.Fatal("the record did not bring the link up")
	}
	if got := links.list(); got != "" {
		t.Fatalf("recorded %q before the store answered", got)
	}
	close(links.gate)
	waitFor(t, func() bool { return links.list() == "test r1 up=false, test r1 up=true" })
}

// pollBook records polls; fail, when set, is what RecordPoll returns.
type pollBook struct {
	mu    sync.Mutex
	polls []store.Poll
	fail  error
}

func (b *pollBook) RecordPoll(p store.Poll) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p.Raw = append([]byte(nil), p.Raw...)
	b.polls = append(b.polls, p)
	return b.fail
}

// TestPollsAreAnsweredWithoutACommit: a message with no event is ACKed
// with no commit, its account checked in and its poll kept, a repeat of
// the same sequence included (polls skip the dedupe); while the poll book
// refuses (the store is unhealthy) polls get the store's negative answer.
func TestPollsAreAnsweredWithoutACommit(t *testing.T) {
	sink := &memSink{}
	ci := &checkIns{}
	book := &pollBook{}
	h := start(t, sink, func(o *Options) { o.CheckIns = ci; o.Resolver = oneAccount{}; o.Polls = book })
	c, br := dialTCP(t, h)
	_, _ = c.Write([]byte("1234,0001,null\n1234,0001,null\n5678,0002,null\n"))
	for _, want := range []string{"ACK 0001\n", "ACK 0001\n", "ACK 0002\n"} {
		if got := readLine(t, c, br); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
	}
	if n := sink.count(store.StatusAccepted) + sink.count(store.StatusRejected); n != 0 {
		t.Fatalf("polls committed %d frames, want none", n)
	}
	book.mu.Lock()
	polls := book.polls
	book.mu.Unlock()
	if len(polls) != 3 || polls[0].Account != "1234" || polls[0].AccountID != 42 || polls[0].Listener != "test" ||
		polls[0].Transport != "tcp" || polls[0].Kind != "EV" || string(polls[0].Raw) != "1234,0001,null\n" ||
		polls[2].Account != "5678" || polls[2].AccountID != 0 {
		t.Fatalf("polls kept %+v", polls)
	}
	if got := ci.list(); len(got) != 2 || got[0].AccountID != 42 || got[1].AccountID != 42 {
		t.Fatalf("check-ins %+v, want account 42 twice, not the unknown 5678", got)
	}
	if v := testutil.ToFloat64(h.r.m.polls.WithLabelValues("test", pollKnown)); v != 2 {
		t.Fatalf("known polls = %v, want 2", v)
	}
	book.mu.Lock()
	book.fail = store.ErrUnavailable
	book.mu.Unlock()
	_, _ = c.Write([]byte("1234,0003,null\n"))
	if got := readLine(t, c, br); got != "NAK store\n" {
		t.Fatalf("poll on an unhealthy store: reply %q", got)
	}
	if got := ci.list(); len(got) != 2 {
		t.Fatalf("a refused poll checked in: %+v", got)
	}
}
