package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap/zaptest"
)

// sessionClock is the receiver's time in every session transcript.
var sessionClock = time.Date(2024, 1, 1, 12, 0, 41, 0, time.UTC)

// TestSessions replays the transcripts under testdata/sessions against the
// whole daemon over one TCP connection each: exact reply bytes, and the
// stored rows after each frame.
func TestSessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "sessions", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no session transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			cfg.HTTP.Listen = ""
			d, err := New(context.Background(), cfg, Options{Logger: zaptest.NewLogger(t),
				Now: func() time.Time { return sessionClock }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			defer func() { cancel(); <-done }()
			c, err := net.Dial("tcp", d.Addrs()[0].TCP)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			replaySession(t, file, c, bufio.NewReader(c), d.Store())
		})
	}
}

func replaySession(t *testing.T, file string, c net.Conn, br *bufio.Reader, st *store.Store) {
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for n, line := range strings.Split(string(content), "\n") {
		where := fmt.Sprintf("%s:%d", filepath.Base(file), n+1)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, arg := line[0], strings.TrimSpace(line[1:])
		switch op {
		case '>':
			b, err := strconv.Unquote(arg)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if _, err := c.Write([]byte(b)); err != nil {
				t.Fatalf("%s: write: %v", where, err)
			}
		case '<':
			want, err := strconv.Unquote(arg)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			got := readReply(t, c, br, want == "")
			if got != want {
				t.Fatalf("%s: reply %q, want %q", where, got, want)
			}
		case '=':
			checkStored(t, where, arg, st)
		default:
			t.Fatalf("%s: unknown line kind %q", where, op)
		}
	}
}

// readReply reads one reply frame (LF … CR). When none is expected it waits
// a moment to make sure none comes.
func readReply(t *testing.T, c net.Conn, br *bufio.Reader, expectNone bool) string {
	t.Helper()
	wait := 3 * time.Second
	if expectNone {
		wait = 300 * time.Millisecond
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	b, err := br.ReadBytes('\r')
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && len(b) == 0 {
			return ""
		}
		t.Fatalf("reading reply: %v (got %q)", err, b)
	}
	return string(b)
}

// checkStored compares key=value pairs with the newest stored signal;
// "signals" and "rejected" count signals and rejected frames.
func checkStored(t *testing.T, where, spec string, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	sigs, err := st.Signals(ctx, store.SignalFilter{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	var newest map[string]any
	if len(sigs) > 0 {
		b, _ := json.Marshal(sigs[len(sigs)-1])
		_ = json.Unmarshal(b, &newest)
	}
	for _, kv := range strings.Fields(spec) {
		k, want, _ := strings.Cut(kv, "=")
		var got string
		switch k {
		case "signals":
			got = strconv.Itoa(len(sigs))
		case "rejected":
			fr, err := st.Frames(ctx, store.FrameFilter{Status: store.StatusRejected})
			if err != nil {
				t.Fatal(err)
			}
			got = strconv.Itoa(len(fr))
		default:
			if newest == nil {
				t.Fatalf("%s: no signal stored, want %s", where, kv)
			}
			got = fmt.Sprint(newest[k])
		}
		if got != want {
			t.Errorf("%s: %s = %s, want %s", where, k, got, want)
		}
	}
}
