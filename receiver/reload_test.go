package receiver

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

func TestSameAddress(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"tcp 127.0.0.1:7000", "tcp 127.0.0.1:7000", true},
		{"tcp :7000", "tcp [::]:7000", true},
		{"tcp 0.0.0.0:7000", "tcp 10.0.0.5:7000", true},
		{"tcp 127.0.0.1:7000", "tcp 127.0.0.1:7001", false},
		{"tcp 127.0.0.1:7000", "udp 127.0.0.1:7000", false},
		{"tcp 127.0.0.1:7000", "tcp 10.0.0.5:7000", false},
		{"tcp nonsense", "tcp nonsense", false},
		{"tcp localhost:7000", "tcp 127.0.0.1:7000", true}, // /etc/hosts
		{"udp localhost:7000", "udp 127.0.0.1:7001", false},
	}
	for _, c := range cases {
		if got := sameAddress(c.a, c.b); got != c.want {
			t.Errorf("sameAddress(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestReloadFinishesFramesInFlight: datagrams and a TCP frame being
// committed when a reload replaces their listener at the same address, or
// removes another one, are still answered once their commits return;
// the replacement takes the UDP socket over and answers the next datagram
// on the same address, and the removed listener's port closes.
func TestReloadFinishesFramesInFlight(t *testing.T) {
	sink := &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 3)}
	h := start(t, sink, func(o *Options) {
		o.Listeners = append(o.Listeners, ListenerOptions{Name: "gone", Codec: lineCodec{}, Receiver: 1, Line: 9,
			UDP: "127.0.0.1:0", MaxFrameBytes: 64})
	})
	addrs := h.r.Addrs()
	tcpAddr, udpAddr, goneAddr := addrs[0].TCP, addrs[0].UDP, addrs[1].UDP
	udp := func(addr string) net.Conn {
		t.Helper()
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	answer := func(c net.Conn) string {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil {
			return err.Error()
		}
		return string(buf[:n])
	}
	u1, u2 := udp(udpAddr), udp(goneAddr)
	c, br := dialTCP(t, h)
	_, _ = u1.Write([]byte("4321,0001,FA\n"))
	_, _ = u2.Write([]byte("4322,0002,FA\n"))
	_, _ = c.Write([]byte("4323,0003,FA\n"))
	for range 3 {
		<-sink.entered
	}

	// The listener moves to line 2 at the same addresses (bound anew);
	// "gone" is removed. Both while the three commits wait.
	ch, err := h.r.Reload([]ListenerOptions{{Name: "test", Codec: lineCodec{}, Receiver: 1, Line: 2,
		TCP: tcpAddr, UDP: udpAddr, MaxFrameBytes: 64}}, QueueRules{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.Replaced, []string{"test"}) || !slices.Equal(ch.Removed, []string{"gone"}) {
		t.Fatalf("changes %+v", ch)
	}
	sink.entered = nil
	close(sink.gate)
	if got := answer(u1); got != "ACK 0001\n" {
		t.Fatalf("the datagram in flight on the replaced listener: %q", got)
	}
	if got := answer(u2); got != "ACK 0002\n" {
		t.Fatalf("the datagram in flight on the removed listener: %q", got)
	}
	if got := readLine(t, c, br); got != "ACK 0003\n" {
		t.Fatalf("the TCP frame in flight on the replaced listener: %q", got)
	}
	_, _ = u1.Write([]byte("4321,0004,FA\n"))
	if got := answer(u1); got != "ACK 0004\n" {
		t.Fatalf("a datagram to the replaced listener's address after the reload: %q", got)
	}
	c2, br2 := dialTCP(t, h)
	_, _ = c2.Write([]byte("4323,0005,FA\n"))
	if got := readLine(t, c2, br2); got != "ACK 0005\n" {
		t.Fatalf("a TCP frame to the replaced listener's address after the reload: %q", got)
	}
	waitFor(t, func() bool {
		pc, err := net.ListenPacket("udp", goneAddr) // free once the removed listener closed it
		if err == nil {
			_ = pc.Close()
		}
		return err == nil
	})
	if n := sink.count(store.StatusAccepted); n != 5 {
		t.Fatalf("%d frames stored, want 5", n)
	}
}
