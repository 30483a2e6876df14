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
	gc := make([]golden.Case, 0, len(cases))
	for _, tc := range cases {
		gc = append(gc, golden.Case{File: tc.name, Input: tc.raw})
	}
	golden.Run(t, goldenDir, *update, gc, func(t *testing.T, name, raw string) string {
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
