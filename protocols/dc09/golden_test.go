package dc09

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
)

var update = flag.Bool("update", false, "rewrite the golden files and frame fixtures from the case table")

var (
	// goldenDir holds one file per case: the frame Go-quoted, a separator
	// line, then what Decode made of it (error text and/or the Message as
	// indented JSON) and the reply, Go-quoted.
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "dc09")
	// fixtureDir holds every case's frame as raw bytes, for other packages'
	// tests and as fuzz seeds.
	fixtureDir = filepath.Join("..", "..", "testdata", "dc09")
)

const goldenSeparator = "\n----------\n"

func TestGolden(t *testing.T) {
	if *update {
		writeGolden(t)
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in %s (run go test -update): %v", goldenDir, err)
	}
	seen := make(map[string]bool)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			tc, ok := caseByName(name)
			if !ok {
				t.Fatalf("%s has no case in the table (go test -update removes it)", file)
			}
			content, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			quoted, want, ok := strings.Cut(string(content), goldenSeparator)
			if !ok {
				t.Fatalf("%s: no %q separator", file, strings.TrimSpace(goldenSeparator))
			}
			raw, err := strconv.Unquote(quoted)
			if err != nil {
				t.Fatalf("%s: first line is not a Go-quoted string: %v", file, err)
			}
			if raw != tc.raw {
				t.Fatalf("%s holds %q, the case %q", file, raw, tc.raw)
			}
			if got := renderGolden(t, tc); got != want {
				t.Errorf("%s: result differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
	for _, tc := range frameCases {
		if !seen[tc.name] {
			t.Errorf("case %s has no golden file (go test -update writes it)", tc.name)
		}
	}
}

// TestFixtures: testdata/dc09 holds each case's frame, byte for byte.
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

func writeGolden(t *testing.T) {
	t.Helper()
	for _, dir := range []string{goldenDir, fixtureDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, pattern := range []string{filepath.Join(goldenDir, "*.txt"), filepath.Join(fixtureDir, "*.frame")} {
		stale, _ := filepath.Glob(pattern)
		for _, f := range stale {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range frameCases {
		content := strconv.Quote(tc.raw) + goldenSeparator + renderGolden(t, tc)
		if err := os.WriteFile(filepath.Join(goldenDir, tc.name+".txt"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fixtureDir, tc.name+".frame"), []byte(tc.raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// renderGolden decodes the case's frame at its receiver clock and renders
// the error, the Message and the reply.
func renderGolden(t *testing.T, tc frameCase) string {
	t.Helper()
	c, err := codecFor(tc)
	if err != nil {
		t.Fatal(err)
	}
	now := tc.clock()
	m, err := c.Decode([]byte(tc.raw), now)
	var b bytes.Buffer
	b.WriteString("now: " + now.Format(time.RFC3339) + "\n")
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
	}
	if m != nil {
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(viewMessage(m)); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("reply: " + strconv.Quote(string(c.Reply(m, err, now))) + "\n")
	return b.String()
}

// messageView is protocols.Message with enumerations by name, so the golden
// files read without a legend.
type messageView struct {
	Protocol   string
	Kind       string
	Account    string
	Receiver   string
	Line       string
	Sequence   string
	Encrypted  bool
	Timestamp  string `json:",omitempty"`
	Events     []eventView
	Deviations []string
	Detail     any
}

type eventView struct {
	Format      string
	Account     string
	Code        string
	Qualifier   string
	Partition   string
	Address     string
	AddressKind string
	Zone        string
	User        string
	Text        string
	Known       bool
	Description string
	Category    string
	PanelTime   string               `json:",omitempty"`
	Modifiers   []protocols.Modifier `json:",omitempty"`
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{
		Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Receiver: m.Receiver, Line: m.Line,
		Sequence: m.Sequence, Encrypted: m.Encrypted, Events: []eventView{}, Deviations: []string{}, Detail: m.Detail,
	}
	if !m.Timestamp.IsZero() {
		v.Timestamp = m.Timestamp.Format(time.RFC3339)
	}
	for _, d := range m.Deviations {
		v.Deviations = append(v.Deviations, d.String())
	}
	for _, ev := range m.Events {
		e := eventView{
			Format: ev.Format, Account: ev.Account, Code: ev.Code, Qualifier: ev.Qualifier.String(),
			Partition: ev.Partition, Address: ev.Address, AddressKind: ev.AddressKind.String(),
			Zone: ev.Zone, User: ev.User, Text: ev.Text, Known: ev.Known,
			Description: ev.Description, Category: ev.Category.String(), Modifiers: ev.Modifiers,
		}
		if !ev.PanelTime.IsZero() {
			e.PanelTime = ev.PanelTime.Format(time.RFC3339)
		}
		v.Events = append(v.Events, e)
	}
	return v
}
