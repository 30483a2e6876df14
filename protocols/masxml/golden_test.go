package masxml

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files and sample messages from the case table")

var (
	// goldenDir holds one file per case: the input Go-quoted, a separator
	// line, then what Decode made of it (error text and/or the Message as
	// indented JSON) and the reply, Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "masxml")
	// sampleDir holds every case's input as raw bytes, for other packages'
	// tests and as fuzz seeds.
	sampleDir = filepath.Join("..", "..", "testdata", "masxml")
)

func TestGolden(t *testing.T) {
	if *update {
		files := make(map[string][]byte, len(cases))
		for _, tc := range cases {
			files[tc.name] = []byte(tc.raw)
		}
		golden.Rewrite(t, sampleDir, ".xml", files)
	}
	gc := make([]golden.Case, 0, len(cases)+len(encodeCases)+1)
	for _, tc := range cases {
		gc = append(gc, golden.Case{File: tc.name, Input: tc.raw})
	}
	// The sending side: one file per encoded example, prefixed "encode_".
	for _, tc := range encodeCases {
		gc = append(gc, golden.Case{File: encodePrefix + tc.name, Input: encodeInput(t, tc)})
	}
	gc = append(gc, golden.Case{File: encodePrefix + "heartbeat", Input: encodeInput(t, heartbeatCase)})
	golden.Run(t, goldenDir, *update, gc, func(t *testing.T, name, raw string) string {
		if strings.HasPrefix(name, encodePrefix) {
			return renderEncode(t, name, raw)
		}
		tc, ok := caseByName(name)
		if !ok {
			t.Fatalf("golden file %s has no case in the table (go test -update removes it)", name)
		}
		if raw != tc.raw {
			t.Fatalf("golden file %s holds %q, the case %q", name, raw, tc.raw)
		}
		return render(t, tc)
	})
}

// TestSamples: testdata/masxml holds each case's input, byte for byte.
func TestSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sampleDir, "*.xml"))
	if err != nil || len(files) != len(cases) {
		t.Fatalf("%d samples in %s for %d cases (run go test -update): %v", len(files), sampleDir, len(cases), err)
	}
	for _, file := range files {
		tc, ok := caseByName(strings.TrimSuffix(filepath.Base(file), ".xml"))
		b, err := os.ReadFile(file)
		if !ok || err != nil || string(b) != tc.raw {
			t.Errorf("%s does not hold its case's input (%v)", file, err)
		}
	}
}

func render(t *testing.T, tc testCase) string {
	t.Helper()
	c := tc.codec()
	var b bytes.Buffer
	if tc.max != 0 {
		b.WriteString("max_frame_bytes: " + strconv.Itoa(tc.max) + "\n")
	}
	for i, in := range tc.inputs() {
		if tc.stream {
			b.WriteString("frame " + strconv.Itoa(i+1) + ": " + strconv.Quote(in) + "\n")
		}
		m, err := c.Decode([]byte(in), testNow)
		if err != nil {
			b.WriteString("error: " + err.Error() + "\n")
		}
		if m != nil {
			b.WriteString(golden.JSON(t, viewMessage(m)))
		}
		b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, testNow))) + "\n")
	}
	return b.String()
}

const encodePrefix = "encode_"

// heartbeatCase stands for EncodeHeartbeat in the golden files.
var heartbeatCase = encodeCase{name: "heartbeat", seq: "42"}

// encodeView is an encode case's input as its golden file shows it.
type encodeView struct {
	Seq     string
	Account string        `json:",omitempty"`
	Options EncodeOptions `json:",omitzero"`
	Event   *golden.Event `json:",omitempty"`
}

func encodeInput(t *testing.T, tc encodeCase) string {
	t.Helper()
	v := encodeView{Seq: tc.seq, Account: tc.account, Options: tc.opts}
	if tc.name != heartbeatCase.name {
		ev := golden.ViewEvent(tc.ev)
		v.Event = &ev
	}
	return golden.JSON(t, v)
}

// renderEncode shows what was sent, what the receiving Decode made of it,
// the reply it sends and how the sender reads that reply.
func renderEncode(t *testing.T, name, input string) string {
	t.Helper()
	tc := heartbeatCase
	if name != encodePrefix+heartbeatCase.name {
		var ok bool
		for _, e := range encodeCases {
			if encodePrefix+e.name == name {
				tc, ok = e, true
			}
		}
		if !ok {
			t.Fatalf("golden file %s has no encode case in the table (go test -update removes it)", name)
		}
	}
	if input != encodeInput(t, tc) {
		t.Fatalf("golden file %s holds %q, the case %q", name, input, encodeInput(t, tc))
	}
	var enc []byte
	var err error
	if tc.name == heartbeatCase.name {
		enc = tc.opts.EncodeHeartbeat(tc.seq, encodeAt)
	} else {
		enc, err = tc.opts.EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
	}
	var b bytes.Buffer
	if err != nil {
		b.WriteString("encode error: " + err.Error() + "\n")
		return b.String()
	}
	b.WriteString("sent: " + strconv.Quote(string(enc)) + "\n")
	c := New(Options{})
	m, derr := c.Decode(enc, encodeAt)
	if derr != nil {
		b.WriteString("decode error: " + derr.Error() + "\n")
	}
	b.WriteString(golden.JSON(t, viewMessage(m)))
	reply := c.Reply(m, derr, encodeAt)
	b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
	r, perr := ParseReply(reply)
	if perr != nil {
		b.WriteString("parse reply error: " + perr.Error() + "\n")
	}
	b.WriteString("parsed reply: " + golden.JSON(t, r))
	return b.String()
}

// messageView is protocols.Message with enumerations by name, so the golden
// files read without a legend.
type messageView struct {
	Protocol string
	Kind     string
	Account  string
	Sequence string
	Sender   string
	Events   []golden.Event
	Detail   any
}

func viewMessage(m *protocols.Message) messageView {
	return messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Sequence: m.Sequence,
		Sender: Sender(m), Events: golden.ViewEvents(m.Events), Detail: m.Detail}
}
