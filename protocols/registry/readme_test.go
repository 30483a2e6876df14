package registry

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestREADMETable: the README's "Supported protocols" table names exactly
// the registry's protocols, in its order, with their transports and
// replies, so that adding a protocol without its row (or changing one
// without the other) fails here.
func TestREADMETable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tableProblems(string(readme)) {
		t.Error("README: " + p)
	}
}

// TestREADMETableDrift: the check notices a missing row, a wrong
// transport, a changed reply and a table broken by a blank line.
func TestREADMETableDrift(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, c := range []struct{ name, old, new string }{
		{"transport", "| `dc09` | tcp, udp |", "| `dc09` | tcp |"},
		{"reply", "silence on a bad CRC |", "silence |"},
		{"row", "| `xmlsignal` |", "| — |"},
		{"unknown", "| `surgard` |", "| `sg` |"},
		{"blank line", "\n| Sur-Gard", "\n\n| Sur-Gard"},
	} {
		if !strings.Contains(text, c.old) {
			t.Fatalf("%s: the README has no %q", c.name, c.old)
		}
		if len(tableProblems(strings.Replace(text, c.old, c.new, 1))) == 0 {
			t.Errorf("%s: drift not noticed", c.name)
		}
	}
}

// tableProblems checks the first table of the README's "## Supported
// protocols" section against the registry. Rows whose `protocol:` is "—"
// are event formats carried inside a listener protocol.
func tableProblems(readme string) []string {
	_, section, ok := strings.Cut(readme, "\n## Supported protocols\n")
	if !ok {
		return []string{`no "## Supported protocols" section`}
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var table []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "|") {
			table = append(table, line)
		} else if len(table) > 0 {
			break // the table ends at its first line that is not a row
		}
	}
	if len(table) < 3 {
		return []string{"no table in the Supported protocols section"}
	}
	header := cells(table[0])
	nameCol, transportsCol, repliesCol := slices.Index(header, "`protocol:`"),
		slices.Index(header, "transports"), slices.Index(header, "replies")
	if nameCol < 0 || transportsCol < 0 || repliesCol < 0 {
		return []string{fmt.Sprintf("the table needs the columns `protocol:`, transports and replies: %q", header)}
	}

	var problems, names []string
	for _, line := range table[2:] {
		r := cells(line)
		if len(r) != len(header) {
			problems = append(problems, fmt.Sprintf("a row has %d cells, the header %d: %q", len(r), len(header), line))
			continue
		}
		if r[nameCol] == "—" {
			continue
		}
		name := strings.Trim(r[nameCol], "`")
		names = append(names, name)
		p, ok := Lookup(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("protocol %q is not in the registry", name))
			continue
		}
		var want []string
		for _, tr := range p.Transports {
			want = append(want, string(tr))
		}
		if got := plain(r[transportsCol]); got != strings.Join(want, ", ") {
			problems = append(problems, fmt.Sprintf("%s: transports %q, the registry's %q", name, got, strings.Join(want, ", ")))
		}
		if got := plain(r[repliesCol]); got != p.Replies {
			problems = append(problems, fmt.Sprintf("%s: replies\n\t%q\nthe registry's\n\t%q", name, got, p.Replies))
		}
	}
	if !slices.Equal(names, Names()) {
		problems = append(problems, fmt.Sprintf("the table lists protocols %q, the registry %q", names, Names()))
	}
	return problems
}

// cells splits a Markdown table row on its unescaped pipes.
func cells(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteString(`\|`)
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	out = append(out, strings.TrimSpace(cur.String()))
	// The leading and trailing pipes leave an empty cell on each side.
	return out[1 : len(out)-1]
}

// plain drops the code marks of a cell: the README may set a reply or a
// transport in code, the registry keeps plain text.
func plain(cell string) string { return strings.ReplaceAll(cell, "`", "") }
