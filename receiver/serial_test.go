package receiver

import (
	"bufio"
	"os"
	"testing"

	"github.com/alarmrx/alarmrx/internal/ptytest"
	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// openPeer opens the far end of a pty pair, where the sender sits.
func openPeer(t *testing.T, path string) (*os.File, *bufio.Reader) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f, bufio.NewReader(f)
}

func serialListener(device string) func(*Options) {
	return func(o *Options) {
		o.Listeners = []ListenerOptions{{Name: "line", Codec: lineCodec{}, Receiver: 1, Line: 1, MaxFrameBytes: 64,
			Serial: &serialport.Config{Device: device, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}}}
	}
}

// startSerial runs a receiver with one serial listener on a pty pair and
// returns it once the port is open, with the sender's end and the device.
func startSerial(t *testing.T, sink *memSink) (*harness, *os.File, *bufio.Reader, string) {
	t.Helper()
	peer, device, _ := ptytest.Pair(t)
	h := start(t, sink, serialListener(device))
	f, br := openPeer(t, peer)
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.serialOpen.WithLabelValues("line")) == 1 })
	return h, f, br, device
}

// TestSerialShutdownFinishesCommitInFlight: SIGTERM while a record from a
// serial line is being committed keeps the port open until its ACK is
// written, so the sender does not send it again.
func TestSerialShutdownFinishesCommitInFlight(t *testing.T) {
	sink := &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	h, f, br, _ := startSerial(t, sink)
	if _, err := f.Write([]byte("1234,0001,BA\n")); err != nil {
		t.Fatal(err)
	}
	shutdownDuringCommit(t, h, sink, func() {}, func() string { return readLine(t, f, br) })
}

// TestSerialPanicIsRecoveredAndReopened: a codec panic on a serial line is
// counted, the port reopened, and the next record served.
func TestSerialPanicIsRecoveredAndReopened(t *testing.T) {
	h, f, br, _ := startSerial(t, &memSink{})
	if _, err := f.Write([]byte("1,0001,panic\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.panics) == 1 })
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.serialOpen.WithLabelValues("line")) == 1 })
	if _, err := f.Write([]byte("1,0002,BA\n")); err != nil {
		t.Fatal(err)
	}
	if got := readLine(t, f, br); got != "ACK 0002\n" {
		t.Fatalf("after a panic: reply %q", got)
	}
}

// TestSerialReloadHandsTheLineOver: a reload that binds a serial listener
// anew (its line changed) while a record is being committed lets the old
// session answer it before the new listener opens the device: one reader
// at a time, so no record is split between two. The next record is the new
// listener's.
func TestSerialReloadHandsTheLineOver(t *testing.T) {
	sink := &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	h, f, br, device := startSerial(t, sink)
	if _, err := f.Write([]byte("1234,0001,BA\n")); err != nil {
		t.Fatal(err)
	}
	<-sink.entered
	moved := ListenerOptions{Name: "line", Codec: lineCodec{}, Receiver: 1, Line: 2, MaxFrameBytes: 64,
		Serial: &serialport.Config{Device: device, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}}
	ch, err := h.r.Reload([]ListenerOptions{moved}, QueueRules{})
	if err != nil || len(ch.Replaced) != 1 {
		t.Fatalf("reload: %+v, %v", ch, err)
	}
	sink.entered = nil
	close(sink.gate)
	if got := readLine(t, f, br); got != "ACK 0001\n" {
		t.Fatalf("the record in flight during the reload: %q", got)
	}
	waitFor(t, func() bool { return testutil.ToFloat64(h.r.m.serialOpen.WithLabelValues("line")) == 1 })
	if _, err := f.Write([]byte("1234,0002,BA\n")); err != nil {
		t.Fatal(err)
	}
	if got := readLine(t, f, br); got != "ACK 0002\n" {
		t.Fatalf("the first record after the reload: %q", got)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.lines) != 2 || sink.lines[0] != 1 || sink.lines[1] != 2 {
		t.Fatalf("lines of the stored records %v, want [1 2]", sink.lines)
	}
}
