package receiver

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// newTestPipeline returns the pipeline of the harness's listener, for
// tests that drive a stage or a session without a socket.
func newTestPipeline(t *testing.T, sink Sink) (*harness, *pipeline) {
	t.Helper()
	h := start(t, sink, nil)
	waitFor(t, func() bool { return h.r.running.Load() })
	return h, h.r.byName("test")
}

// TestSessionEnds: why a session ends, over a loopback TCP connection: the sender
// closing mid-frame (its bytes counted as garbage), silence past the first
// read deadline, an overlong stream closing the session (TCP) or being
// dropped while the session reads on (serial).
func TestSessionEnds(t *testing.T) {
	_, p := newTestPipeline(t, &memSink{})
	run := func(s *session, peer func(c net.Conn)) sessionEnd {
		a, b := tcpPair(t)
		s.c, s.p, s.readSize, s.stopping = a, p, 64, func() bool { return false }
		if s.maxFrame == 0 {
			s.maxFrame = 16
		}
		done := make(chan sessionEnd, 1)
		go func() { done <- s.serve(); _ = a.Close() }()
		peer(b)
		end := <-done
		_ = b.Close()
		return end
	}
	garbage := func() float64 {
		return testutil.ToFloat64(p.r.m.framesRejected.WithLabelValues("test", "line", protocols.ReasonGarbage.String()))
	}

	before := garbage()
	end := run(&session{transport: "tcp", remote: "peer"}, func(c net.Conn) {
		_, _ = c.Write([]byte("1,1,BA\n"))
		if got := readLine(t, c, bufio.NewReader(c)); got != "ACK 1\n" {
			t.Errorf("reply %q", got)
		}
		_, _ = c.Write([]byte("1,2"))
		_ = c.Close()
	})
	if end.cause != "eof" || !end.served || garbage() != before+1 {
		t.Errorf("closed mid-frame: %+v, garbage +%v", end, garbage()-before)
	}

	end = run(&session{transport: "tcp", remote: "peer", firstRead: 50 * time.Millisecond}, func(c net.Conn) {
		_, _ = io.ReadAll(c) // silent until the session gives up
	})
	if end.cause != "idle" || end.served {
		t.Errorf("silent sender: %+v", end)
	}

	end = run(&session{transport: "tcp", remote: "peer", overlong: overlongClose}, func(c net.Conn) {
		_, _ = c.Write([]byte("0123456789abcdefXYZ"))
		_, _ = io.ReadAll(c)
	})
	if end.cause != "too_long" {
		t.Errorf("overlong tcp stream: %+v", end)
	}

	tooLong := func() float64 {
		return testutil.ToFloat64(p.r.m.framesRejected.WithLabelValues("test", "line", protocols.ReasonTooLong.String()))
	}
	end = run(&session{transport: "serial", remote: "/dev/ttyS0", overlong: overlongResync}, func(c net.Conn) {
		n := tooLong()
		_, _ = c.Write([]byte("0123456789abcdefXYZ"))
		// The next record is written once the overlong bytes were dropped,
		// so that the two are not read as one.
		waitFor(t, func() bool { return tooLong() == n+1 })
		_, _ = c.Write([]byte("1,3,BA\n"))
		if got := readLine(t, c, bufio.NewReader(c)); got != "ACK 3\n" {
			t.Errorf("after an overlong record: reply %q", got)
		}
		_ = c.Close()
	})
	if end.cause != "eof" || !end.served {
		t.Errorf("overlong serial record: %+v", end)
	}
}

// tcpPair is a connected pair of TCP connections on 127.0.0.1.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if server, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	return server, client
}

// TestPipelineStages drives frames through the stages without a socket:
// a refused frame is kept as rejected and answered by the codec, a
// retransmission of a stored frame is answered without a second commit, a
// frame whose commit failed is stored when it comes again, and a synthetic
// message is stored with no reply.
func TestPipelineStages(t *testing.T) {
	sink := &memSink{}
	h, p := newTestPipeline(t, sink)
	meta := frameMeta{transport: "tcp", remoteAddr: "peer", receivedAt: time.Now()}

	if reply, err := p.process([]byte("1,0001,bad\n"), meta); string(reply) != "NAK syntax\n" || protocols.ReasonOf(err) != protocols.ReasonSyntax {
		t.Fatalf("refused frame: %q %v", reply, err)
	}
	if sink.count(store.StatusRejected) != 1 {
		t.Fatal("refused frame not kept as rejected")
	}

	for range 2 {
		if reply, err := p.process([]byte("1,0002,BA\n"), meta); string(reply) != "ACK 0002\n" || err != nil {
			t.Fatalf("frame: %q %v", reply, err)
		}
	}
	if sink.count(store.StatusAccepted) != 1 {
		t.Fatalf("stored %d copies of a retransmitted frame", sink.count(store.StatusAccepted))
	}

	sink.mu.Lock()
	sink.fail = errStoreTest
	sink.mu.Unlock()
	if reply, _ := p.process([]byte("1,0003,BA\n"), meta); string(reply) != "NAK store\n" {
		t.Fatalf("failed commit answered %q", reply)
	}
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	if reply, _ := p.process([]byte("1,0003,BA\n"), meta); string(reply) != "ACK 0003\n" {
		t.Fatalf("retransmission after a failed commit answered %q", reply)
	}
	if sink.count(store.StatusAccepted) != 2 {
		t.Fatal("the retransmission of a frame never stored was not stored")
	}

	msg := &protocols.Message{Protocol: SyntheticProtocol, Kind: "supervision", Account: "1",
		Events: []protocols.Event{{Format: protocols.FormatSIA, Account: "1", Code: "YS"}}}
	if err := h.r.Raise(Synthetic{Receiver: 1, Origin: "supervision", Raw: []byte("supervision YS #1"), Message: msg, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if sink.count(store.StatusAccepted) != 3 {
		t.Fatal("synthetic message not stored")
	}
	if err := h.r.Raise(Synthetic{Receiver: 9, Message: msg}); err == nil {
		t.Fatal("a synthetic message for a receiver with no listener was taken")
	}
}

var errStoreTest = io.ErrShortWrite
