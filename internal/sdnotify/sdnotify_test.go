package sdnotify

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestNotify: a state reaches a real unixgram socket named by
// NOTIFY_SOCKET, by path and in the abstract namespace; without the
// variable nothing is sent and nothing fails.
func TestNotify(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Fatalf("without NOTIFY_SOCKET: sent %v, %v", sent, err)
	}
	for _, c := range []struct{ name, env, listen string }{
		{"path", filepath.Join(t.TempDir(), "notify"), ""},
		{"abstract", "@alarmrx-sdnotify-test", "\x00alarmrx-sdnotify-test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			listen := c.listen
			if listen == "" {
				listen = c.env
			}
			sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: listen, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			t.Setenv("NOTIFY_SOCKET", c.env)
			if sent, err := Notify(Ready); !sent || err != nil {
				t.Fatalf("sent %v, %v", sent, err)
			}
			buf := make([]byte, 64)
			_ = sock.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := sock.Read(buf)
			if err != nil || string(buf[:n]) != "READY=1" {
				t.Fatalf("received %q, %v", buf[:n], err)
			}
		})
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "nobody-listens"))
	if sent, err := Notify(Stopping); sent || err == nil {
		t.Fatalf("to a socket nobody listens on: sent %v, %v", sent, err)
	}
}
