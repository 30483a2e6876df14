package microkey

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
	// goldenDir holds one file per case: the input Go-quoted, a separator
	// line, the frames Split finds in it, what Decode made of the input
	// (error text and/or the Message as indented JSON) and the reply,
	// Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "microkey")
	// fixtureDir holds every case's input as raw bytes, for other
	// packages' tests and as fuzz seeds.
	fixtureDir = filepath.Join("..", "..", "testdata", "microkey")
)

func TestGolden(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	cases := make([]golden.Case, 0, len(frameCases)+len(encodeCases))
	for _, tc := range frameCases {
		cases = append(cases, golden.Case{File: tc.name, Input: tc.raw})
	}
	for _, tc := range encodeCases {
		cases = append(cases, golden.Case{File: encodePrefix + tc.name, Input: tc.input(t)})
	}
	golden.Run(t, goldenDir, *update, cases, func(t *testing.T, name, raw string) string {
		if en, ok := strings.CutPrefix(name, encodePrefix); ok {
			tc, ok := encodeCaseByName(en)
			if !ok {
				t.Fatalf("golden file %s has no encode case in the table (go test -update removes it)", name)
			}
			if raw != tc.input(t) {
				t.Fatalf("golden file %s holds %q, the case %q", name, raw, tc.input(t))
			}
			return renderEncodeGolden(t, tc)
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

// TestFixtures: testdata/microkey holds each case's input, byte for byte.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.frame"))
	if err != nil || len(files) != len(frameCases) {
		t.Fatalf("%d fixtures in %s for %d cases (run go test -update): %v", len(files), fixtureDir, len(frameCases), err)
	}
	for _, file := range files {
		tc, ok := caseByName(strings.TrimSuffix(filepath.Base(file), ".frame"))
		b, err := os.ReadFile(file)
		if !ok || err != nil || string(b) != tc.raw {
			t.Errorf("%s does not hold its case's input (%v)", file, err)
		}
	}
}

func writeFixtures(t *testing.T) {
	t.Helper()
	files := make(map[string][]byte, len(frameCases))
	for _, tc := range frameCases {
		files[tc.name] = []byte(tc.raw)
	}
	golden.Rewrite(t, fixtureDir, ".frame", files)
}

func renderGolden(t *testing.T, tc frameCase) string {
	t.Helper()
	c := New(tc.opts)
	var b bytes.Buffer
	if tc.opts.MaxFrameBytes > 0 {
		b.WriteString("max_frame_bytes: " + strconv.Itoa(tc.opts.MaxFrameBytes) + "\n")
	}
	f := splitChunks(c, []byte(tc.raw))
	b.WriteString("split: " + strconv.Itoa(len(f.frames)) + " frame(s)\n")
	for _, fr := range f.frames {
		b.WriteString("  " + strconv.Quote(fr) + "\n")
	}
	m, err := c.Decode([]byte(tc.raw), defaultNow)
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		b.WriteString("nak_text: " + ErrorText(err) + "\n")
	}
	if m != nil {
		b.WriteString(golden.JSON(t, viewMessage(m)))
	}
	b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, defaultNow))) + "\n")
	return b.String()
}

// encodePrefix names the golden files of the sending side: one per
// encode case, beside the decode cases' files.
const encodePrefix = "encode_"

// input is the encode case's call as one line of JSON, the golden file's
// input.
func (tc encodeCase) input(t *testing.T) string {
	t.Helper()
	call := struct {
		Call    string
		Seq     string
		Account string `json:",omitempty"`
		At      string
		Event   *golden.Event `json:",omitempty"`
	}{Call: "EncodeSignal", Seq: tc.seq, Account: tc.account, At: tc.at.Format(time.RFC3339)}
	if tc.heartbeat {
		call.Call = "EncodeHeartbeat"
	} else {
		ev := golden.ViewEvent(tc.ev)
		call.Event = &ev
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(call); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// renderEncodeGolden shows the package written, the frames Split finds in
// it, what Decode makes of it, the ACK and what ParseReply reads in it.
func renderEncodeGolden(t *testing.T, tc encodeCase) string {
	t.Helper()
	var b bytes.Buffer
	out, err := tc.encode()
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		return b.String()
	}
	b.WriteString("package: " + strconv.Quote(string(out)) + "\n")
	c := New(Options{})
	f := splitChunks(c, out)
	b.WriteString("split: " + strconv.Itoa(len(f.frames)) + " frame(s)\n")
	m, err := c.Decode(out, defaultNow)
	if err != nil {
		b.WriteString("decode error: " + err.Error() + "\n")
	}
	if m != nil {
		b.WriteString(golden.JSON(t, viewMessage(m)))
	}
	reply := c.Reply(m, err, defaultNow)
	b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
	r, err := ParseReply(bytes.Trim(reply, "\r\n"))
	if err != nil {
		b.WriteString("parse reply error: " + err.Error() + "\n")
	}
	b.WriteString("peer reply: " + golden.JSON(t, r))
	return b.String()
}

// messageView is protocols.Message with enumerations by name.
type messageView struct {
	Protocol   string
	Kind       string
	Account    string
	Line       string
	Sequence   string
	Events     []golden.Event
	Deviations []string
	Detail     any
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Line: m.Line, Sequence: m.Sequence,
		Deviations: []string{}, Detail: m.Detail, Events: golden.ViewEvents(m.Events)}
	for _, d := range m.Deviations {
		v.Deviations = append(v.Deviations, d.String())
	}
	return v
}
