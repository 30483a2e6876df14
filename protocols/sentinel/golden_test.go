package sentinel

import (
	"bytes"
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
