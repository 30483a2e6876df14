package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Separator divides the input from the expected result.
const Separator = "\n----------\n"

// Case is one golden file: File is its name without ".txt".
type Case struct {
	File  string
	Input string
}

// Run checks every golden file in dir against render, one subtest per file,
// and fails for a case that has no file. With update it first rewrites dir
// from cases, removing stale files.
func Run(t *testing.T, dir string, update bool, cases []Case, render func(t *testing.T, file, input string) string) {
	t.Helper()
	if update {
		write(t, dir, cases, render)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in %s (run go test -update): %v", dir, err)
	}
	seen := make(map[string]bool)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			quoted, want, ok := strings.Cut(string(content), Separator)
			if !ok {
				t.Fatalf("%s: no %q separator", path, strings.TrimSpace(Separator))
			}
			input, err := strconv.Unquote(quoted)
			if err != nil {
				t.Fatalf("%s: first line is not a Go-quoted string: %v", path, err)
			}
			if got := render(t, name, input); got != want {
				t.Errorf("%s: result differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
	for _, c := range cases {
		if !seen[c.File] {
			t.Errorf("case %s has no golden file (go test -update writes it)", c.File)
		}
	}
}

func write(t *testing.T, dir string, cases []Case, render func(t *testing.T, file, input string) string) {
	t.Helper()
	files := make(map[string][]byte, len(cases))
	for _, c := range cases {
		files[c.File] = []byte(strconv.Quote(c.Input) + Separator + render(t, c.File, c.Input))
	}
	Rewrite(t, dir, ".txt", files)
}

// Rewrite replaces every file ending in ext in dir with files (name without
// ext → content), creating dir when needed.
func Rewrite(t *testing.T, dir, ext string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name+ext), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// JSON renders v as the indented JSON of a golden file.
func JSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Event is protocols.Event with its enumerations by name, so golden files
// read without a legend.
type Event struct {
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

// ViewEvent returns the golden view of ev.
func ViewEvent(ev protocols.Event) Event {
	v := Event{
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

// ViewEvents returns the golden views of evs (never nil).
func ViewEvents(evs []protocols.Event) []Event {
	out := make([]Event, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ViewEvent(ev))
	}
	return out
}
