package contactid

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

var update = flag.Bool("update", false, "rewrite the golden files from the case table")

// goldenDir holds one file per case: the input Go-quoted, a separator line,
// then the decoded result as indented JSON or the error text.
var goldenDir = filepath.Join("..", "..", "testdata", "golden", "contactid")

const goldenSeparator = "\n----------\n"

// Golden file names say which parser reads the input.
const (
	messagePrefix = "message_"
	payloadPrefix = "payload_"
)

func goldenName(tc parseCase) string {
	if tc.payload {
		return payloadPrefix + tc.name + ".txt"
	}
	return messagePrefix + tc.name + ".txt"
}

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
		name := filepath.Base(file)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			content, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			quoted, want, ok := strings.Cut(string(content), goldenSeparator)
			if !ok {
				t.Fatalf("%s: no %q separator", file, strings.TrimSpace(goldenSeparator))
			}
			input, err := strconv.Unquote(quoted)
			if err != nil {
				t.Fatalf("%s: first line is not a Go-quoted string: %v", file, err)
			}
			got := renderResult(t, input, strings.HasPrefix(name, payloadPrefix))
			if got != want {
				t.Errorf("%s: result differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
	for _, tc := range parseCases {
		if !seen[goldenName(tc)] {
			t.Errorf("case %s has no golden file (go test -update writes it)", tc.name)
		}
	}
}

func writeGolden(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale, _ := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range parseCases {
		content := strconv.Quote(tc.input) + goldenSeparator + renderResult(t, tc.input, tc.payload)
		if err := os.WriteFile(filepath.Join(goldenDir, goldenName(tc)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// renderResult runs the parser on input and renders what it returned.
func renderResult(t *testing.T, input string, payload bool) string {
	t.Helper()
	var result any
	if payload {
		account, ev, err := ParsePayload([]byte(input))
		if err != nil {
			return err.Error() + "\n"
		}
		result = struct {
			Account string
			Event   eventView
		}{account, viewEvent(ev)}
	} else {
		m, err := Parse([]byte(input))
		if err != nil {
			return err.Error() + "\n"
		}
		result = struct {
			Message messageView
			Event   eventView
		}{viewMessage(m), viewEvent(m.Event())}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(result); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// eventView is protocols.Event with its enumerations by name, so the golden
// files read without a legend.
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

func viewEvent(ev protocols.Event) eventView {
	v := eventView{
		Format: ev.Format, Account: ev.Account, Code: ev.Code, Qualifier: ev.Qualifier.String(),
		Partition: ev.Partition, Address: ev.Address, AddressKind: ev.AddressKind.String(),
		Zone: ev.Zone, User: ev.User, Text: ev.Text, Known: ev.Known,
		Description: ev.Description, Category: ev.Category.String(), Modifiers: ev.Modifiers,
	}
	if !ev.PanelTime.IsZero() {
		v.PanelTime = ev.PanelTime.Format(time.RFC3339)
	}
	return v
}

type messageView struct {
	Account, Type, Qualifier, Code, Group, Address, Checksum string
}

func viewMessage(m Message) messageView {
	return messageView{m.Account, m.Type, m.Qualifier.String(), m.Code, m.Group, m.Address, string(m.Checksum)}
}
