package main

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// startReceive runs "alarmrx receive" until the test ends, on the
// address its --listen flag gives, else on a free port; it returns the
// address and what it printed.
func startReceive(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	addr := ""
	if i := slices.Index(args, "--listen"); i >= 0 && i+1 < len(args) {
		addr = args[i+1]
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		_ = ln.Close()
		args = append([]string{"--listen", addr}, args...)
	}
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"receive"}, args...), strings.NewReader(""), out, &syncBuffer{}, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr, out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("alarmrx receive did not listen")
	return "", nil
}

// TestSendAndReceiveInEachDialect: "alarmrx send --format F" sends a
// signal as a cloud would and "alarmrx receive --format F" takes it as an
// automation platform's receiver would: the receiver prints the signal's
// account, code, zone and media link, the sender prints ACCEPTED; a
// receiver answering as if its store failed gets RETRY, and send fails.
func TestSendAndReceiveInEachDialect(t *testing.T) {
	for _, format := range dialectFormats() {
		t.Run(format, func(t *testing.T) {
			extra, recv := []string{}, []string{"--format", format}
			switch format {
			case "sos":
				extra = []string{"--passkey", "hxp4x9nnwxjatv8", "--receiver", "42"}
			case "native":
				// The native schema's TCP senders authenticate in the message.
				extra = []string{"--sender", "cms-a", "--passkey", "native-passkey-0123"}
				recv = append(recv, extra...)
			}
			addr, printed := startReceive(t, recv...)
			args := append([]string{"send", "--format", format, "--addr", addr, "--account", "1234", "--code", "R130",
				"--zone", "7", "--media", "https://v.example/clip/1", "--json"}, extra...)
			code, out, errs := runCmd(t, args...)
			var reply struct{ Reply string }
			if code != 0 || json.Unmarshal([]byte(out), &reply) != nil || reply.Reply != "ACCEPTED" {
				t.Fatalf("send: exit %d %s %s", code, out, errs)
			}
			var got struct {
				Kind   string
				Events []map[string]string
			}
			if err := json.Unmarshal([]byte(printed.String()), &got); err != nil || got.Kind != "signals" || len(got.Events) != 1 {
				t.Fatalf("receive printed %q (%v)", printed.String(), err)
			}
			zone := "7"
			if format == "native" {
				zone = "007" // the native schema reads a Contact ID zone as its three digits
			}
			if ev := got.Events[0]; ev["account"] != "1234" || ev["code"] != "130" || ev["qualifier"] != "restore" || ev["zone"] != zone {
				t.Fatalf("received event %v", ev)
			}

			nakAddr, _ := startReceive(t, append(recv, "--nak")...)
			code, out, _ = runCmd(t, append([]string{"send", "--format", format, "--addr", nakAddr, "--account", "1234"}, extra...)...)
			if code != 1 || !strings.HasPrefix(out, "RETRY ") {
				t.Fatalf("send to a receiver whose store fails: exit %d %q (want RETRY, exit 1)", code, out)
			}
		})
	}
}
