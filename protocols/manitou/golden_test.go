package manitou

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files and frame fixtures from the case table")

var (
	// goldenDir holds one file per case: the frame Go-quoted, a separator
	// line, then what Decode made of it (error text and/or the Message as
	// indented JSON) and the reply, Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "manitou")
	// fixtureDir holds every case's frame as raw bytes, for other packages'
	// tests and as fuzz seeds.
	fixtureDir = filepath.Join("..", "..", "testdata", "manitou")
)

func TestGolden(t *testing.T) {
	if *update {
		files := make(map[string][]byte, len(frameCases))
		for _, tc := range frameCases {
			files[tc.name] = []byte(tc.raw)
		}
		golden.Rewrite(t, fixtureDir, ".frame", files)
	}
	cases := make([]golden.Case, 0, len(frameCases)+len(encodeCases))
	for _, tc := range frameCases {
		cases = append(cases, golden.Case{File: tc.name, Input: tc.raw})
	}
	// The sending side's examples share the directory, as encode_*.txt.
	for _, tc := range encodeCases {
		cases = append(cases, golden.Case{File: tc.name, Input: tc.input(t)})
	}
	golden.Run(t, goldenDir, *update, cases, func(t *testing.T, name, raw string) string {
		if strings.HasPrefix(name, "encode_") {
			return renderEncodeGolden(t, name, raw)
		}
		tc, ok := caseByName(name)
		if !ok {
			t.Fatalf("golden file %s has no case in the table (go test -update removes it)", name)
		}
		if raw != tc.raw {
			t.Fatalf("golden file %s holds %q, the case %q", name, raw, tc.raw)
		}
		return renderGolden(t, tc)
	})
}

// TestFixtures: testdata/manitou holds each case's frame, byte for byte.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.frame"))
	if err != nil || len(files) != len(frameCases) {
		t.Fatalf("%d fixtures in %s for %d cases (run go test -update): %v", len(files), fixtureDir, len(frameCases), err)
	}
	for _, file := range files {
		tc, ok := caseByName(strings.TrimSuffix(filepath.Base(file), ".frame"))
		b, err := os.ReadFile(file)
		if !ok || err != nil || string(b) != tc.raw {
			t.Errorf("%s does not hold its case's frame (%v)", file, err)
		}
	}
}

func renderGolden(t *testing.T, tc frameCase) string {
	t.Helper()
	c := codecFor(tc)
	m, err := c.Decode([]byte(tc.raw), testNow)
	var b bytes.Buffer
	if tc.auth {
		b.WriteString("auth: passkey " + strconv.Quote(testPasskey) + "\n")
	}
	if tc.max > 0 {
		b.WriteString("max_frame_bytes: " + strconv.Itoa(tc.max) + "\n")
	}
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
	}
	if m != nil {
		b.WriteString(golden.JSON(t, viewMessage(m)))
	}
	b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, testNow))) + "\n")
	return b.String()
}

type messageView struct {
	Protocol  string
	Kind      string
	Account   string
	Receiver  string
	Line      string
	Sequence  string
	Timestamp string `json:",omitempty"`
	Events    []golden.Event
	Detail    any
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Receiver: m.Receiver, Line: m.Line,
		Sequence: m.Sequence, Detail: m.Detail, Events: golden.ViewEvents(m.Events)}
	if !m.Timestamp.IsZero() {
		v.Timestamp = m.Timestamp.Format(time.RFC3339)
	}
	return v
}

// input describes an encode case's call, the first line of its golden
// file.
func (tc encodeCase) input(t *testing.T) string {
	t.Helper()
	switch {
	case !tc.heartbeat:
		var js bytes.Buffer
		enc := json.NewEncoder(&js)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(golden.ViewEvent(tc.ev)); err != nil {
			t.Fatal(err)
		}
		ev := strings.TrimSpace(js.String())
		return "EncodeSignal(seq=" + strconv.Quote(tc.seq) + ", account=" + strconv.Quote(tc.account) + ", event=" + ev + ")"
	case tc.sender != "" || tc.passkey != "":
		return "EncodeHeartbeatAuth(seq=" + strconv.Quote(tc.seq) + ", sender=" + strconv.Quote(tc.sender) + ", passkey=" + strconv.Quote(tc.passkey) + ")"
	}
	return "EncodeHeartbeat(seq=" + strconv.Quote(tc.seq) + ")"
}

// renderEncodeGolden shows what an encode case writes (Go-quoted), what
// Decode makes of it, the reply and how ParseReply reads that reply.
func renderEncodeGolden(t *testing.T, name, input string) string {
	t.Helper()
	var tc encodeCase
	for _, c := range encodeCases {
		if c.name == name {
			tc = c
		}
	}
	if tc.name == "" {
		t.Fatalf("golden file %s has no case in the table (go test -update removes it)", name)
	}
	if input != tc.input(t) {
		t.Fatalf("golden file %s holds %q, the case %q", name, input, tc.input(t))
	}
	var b bytes.Buffer
	out, err := tc.encode()
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		return b.String()
	}
	b.WriteString("encoded: " + strconv.Quote(string(out)) + "\n")
	c := tc.decoder()
	m, derr := c.Decode(out, testNow)
	if derr != nil {
		b.WriteString("decode error: " + derr.Error() + "\n")
	}
	b.WriteString(golden.JSON(t, viewMessage(m)))
	reply := c.Reply(m, derr, testNow)
	b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
	pr, perr := ParseReply(reply)
	if perr != nil {
		b.WriteString("parse reply error: " + perr.Error() + "\n")
	}
	b.WriteString("parsed reply: " + strings.TrimSpace(golden.JSON(t, pr)) + "\n")
	return b.String()
}
