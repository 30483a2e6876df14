package sos

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

var update = flag.Bool("update", false, "rewrite the golden files and message fixtures from the case table")

var (
	// goldenDir holds one file per case: the message Go-quoted, a
	// separator line, then what Decode made of it (error text and/or the
	// Message as indented JSON), the reply and the evidence, Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "sos")
	// fixtureDir holds every case's message as raw bytes, for other
	// packages' tests and as fuzz seeds.
	fixtureDir = filepath.Join("..", "..", "testdata", "sos")
)

func TestGolden(t *testing.T) {
	if *update {
		files := make(map[string][]byte, len(decodeCases))
		for _, tc := range decodeCases {
			files[tc.name] = []byte(tc.raw)
		}
		golden.Rewrite(t, fixtureDir, ".xml", files)
	}
	cases := make([]golden.Case, 0, len(decodeCases))
	for _, tc := range decodeCases {
		cases = append(cases, golden.Case{File: tc.name, Input: tc.raw})
	}
	golden.Run(t, goldenDir, *update, cases, func(t *testing.T, name, raw string) string {
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

// TestFixtures: testdata/sos holds each case's message, byte for byte.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.xml"))
	if err != nil || len(files) != len(decodeCases) {
		t.Fatalf("%d fixtures in %s for %d cases (run go test -update): %v", len(files), fixtureDir, len(decodeCases), err)
	}
	for _, file := range files {
		tc, ok := caseByName(strings.TrimSuffix(filepath.Base(file), ".xml"))
		b, err := os.ReadFile(file)
		if !ok || err != nil || string(b) != tc.raw {
			t.Errorf("%s does not hold its case's message (%v)", file, err)
		}
	}
}

func renderGolden(t *testing.T, tc decodeCase) string {
	t.Helper()
	c := codecFor(tc)
	m, err := c.Decode([]byte(tc.raw), testNow)
	var b bytes.Buffer
	b.WriteString("now: " + testNow.Format(time.RFC3339Nano) + "\n")
	if tc.auth {
		b.WriteString("auth: receiver " + testReceiver + ", transmittercode " + testCode + "\n")
	}
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		b.WriteString("status: " + strconv.Itoa(StatusFor(err)) + "\n")
	}
	if m != nil {
		b.WriteString(golden.JSON(t, viewMessage(m)))
	}
	b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, testNow))) + "\n")
	b.WriteString("evidence: " + strconv.Quote(string(c.Redact([]byte(tc.raw)))) + "\n")
	return b.String()
}

// messageView is protocols.Message with enumerations by name.
type messageView struct {
	Protocol  string
	Kind      string
	Account   string
	Receiver  string
	Sequence  string
	Timestamp string `json:",omitempty"`
	Events    []golden.Event
	Detail    any
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Receiver: m.Receiver,
		Sequence: m.Sequence, Detail: m.Detail, Events: golden.ViewEvents(m.Events)}
	if !m.Timestamp.IsZero() {
		v.Timestamp = m.Timestamp.Format(time.RFC3339)
	}
	return v
}
