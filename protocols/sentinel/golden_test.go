package sentinel

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

var update = flag.Bool("update", false, "rewrite the golden files and line fixtures from the case table")

var (
	// goldenDir holds one file per case: the stream Go-quoted, a separator
	// line, then for each frame Split gave what Decode made of it (error
	// text and/or the Message as indented JSON) and the reply, Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "sentinel")
	// fixtureDir holds every case's stream as raw bytes, for other
	// packages' tests and as fuzz seeds.
	fixtureDir = filepath.Join("..", "..", "testdata", "sentinel")
)

func TestGolden(t *testing.T) {
	if *update {
		files := make(map[string][]byte, len(cases))
		for _, tc := range cases {
			files[tc.name] = []byte(tc.raw)
		}
		golden.Rewrite(t, fixtureDir, ".line", files)
	}
	gc := make([]golden.Case, 0, len(cases)+len(encodeCases))
	for _, tc := range cases {
		gc = append(gc, golden.Case{File: tc.name, Input: tc.raw})
	}
	for _, tc := range encodeCases {
		gc = append(gc, golden.Case{File: encodePrefix + tc.name, Input: tc.input(t)})
	}
	golden.Run(t, goldenDir, *update, gc, func(t *testing.T, name, raw string) string {
		if en, ok := strings.CutPrefix(name, encodePrefix); ok {
			tc, ok := encodeCaseByName(en)
			if !ok {
				t.Fatalf("golden file %s has no encode case in the table (go test -update removes it)", name)
			}
			if in := tc.input(t); raw != in {
				t.Fatalf("golden file %s holds %q, the case %q", name, raw, in)
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

// TestFixtures: testdata/sentinel holds each case's stream, byte for byte.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.line"))
	if err != nil || len(files) != len(cases) {
		t.Fatalf("%d fixtures in %s for %d cases (run go test -update): %v", len(files), fixtureDir, len(cases), err)
	}
	for _, file := range files {
		tc, ok := caseByName(strings.TrimSuffix(filepath.Base(file), ".line"))
		b, err := os.ReadFile(file)
		if !ok || err != nil || string(b) != tc.raw {
			t.Errorf("%s does not hold its case's stream (%v)", file, err)
		}
	}
}

func renderGolden(t *testing.T, tc lineCase) string {
	t.Helper()
	c := New(Options{MaxFrameBytes: tc.max})
	var b bytes.Buffer
	frames, err := splitStream(c, []byte(tc.raw))
	for i, f := range frames {
		b.WriteString("frame " + strconv.Itoa(i+1) + ": " + strconv.Quote(f) + "\n")
		m, err := c.Decode([]byte(f), time.Time{})
		if err != nil {
			b.WriteString("error: " + err.Error() + "\n")
		}
		if m != nil {
			b.WriteString(golden.JSON(t, viewMessage(m)))
		}
		b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, time.Time{}))) + "\n")
	}
	if len(frames) == 0 && err == nil {
		b.WriteString("no frame: nothing to answer\n")
	}
	if err != nil {
		b.WriteString("split error: " + err.Error() + "\n")
		b.WriteString("reply: " + strconv.Quote(string(c.Reply(nil, err, time.Time{}))) + "\n")
	}
	return b.String()
}

// messageView is protocols.Message with enumerations by name.
type messageView struct {
	Protocol  string
	Kind      string
	Account   string
	Sequence  string
	Timestamp string `json:",omitempty"`
	Events    []golden.Event
	Detail    any
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Sequence: m.Sequence,
		Events: golden.ViewEvents(m.Events), Detail: m.Detail}
	if !m.Timestamp.IsZero() {
		v.Timestamp = m.Timestamp.Format(time.RFC3339)
	}
	return v
}

// encodePrefix names the golden files of the sending side, one per encode
// case, beside the decode cases' files in the same directory (one
// golden.Run covers both lists, so -update keeps both).
const encodePrefix = "encode_"

// input is the encode case's call as one line of JSON: the golden file's
// input.
func (tc encodeCase) input(t *testing.T) string {
	t.Helper()
	type call struct {
		Heartbeat bool `json:",omitempty"`
		Seq       string
		Account   string        `json:",omitempty"`
		Event     *golden.Event `json:",omitempty"`
		At        string
	}
	c := call{Heartbeat: tc.heartbeat, Seq: tc.seq, Account: tc.account, At: encodeAt.Format(time.RFC3339)}
	if !tc.heartbeat {
		ev := golden.ViewEvent(tc.ev)
		c.Event = &ev
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// renderEncodeGolden shows what the call wrote, Go-quoted, what our Split
// and Decode make of it and our reply, as ParseReply reads it.
func renderEncodeGolden(t *testing.T, tc encodeCase) string {
	t.Helper()
	out, err := tc.encode()
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var b bytes.Buffer
	b.WriteString("wire: " + strconv.Quote(string(out)) + "\n")
	c := New(Options{})
	frames, _ := splitStream(c, out)
	for _, f := range frames {
		m, err := c.Decode([]byte(f), time.Time{})
		if err != nil {
			b.WriteString("decode error: " + err.Error() + "\n")
		}
		if m != nil {
			b.WriteString(golden.JSON(t, viewMessage(m)))
		}
		reply := c.Reply(m, err, time.Time{})
		r, perr := ParseReply(reply)
		b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
		if perr != nil {
			b.WriteString("parse error: " + perr.Error() + "\n")
		} else {
			b.WriteString(golden.JSON(t, r))
		}
	}
	return b.String()
}
