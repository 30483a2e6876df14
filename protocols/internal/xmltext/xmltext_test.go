package xmltext

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"  door open  ", 100, "door open"},
		{"a\x00b\xffc", 100, "a\uFFFDb\uFFFDc"},
		{"Källare", 2, "K"}, // not half an ä
		{"line\none", 100, "line\none"},
		{"ab cd", 3, "ab"},
	} {
		if got := Clean(tc.in, tc.limit); got != tc.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader("<a>\n<Passkey>ABCDEFGHIJ&KLMNOPQ</Passkey></a>"))
	var err error
	for err == nil {
		_, err = d.Token()
	}
	if got := ErrorText(err); strings.Contains(got, "KLMNOPQ") || got != "not well-formed XML (line 2)" {
		t.Fatalf("ErrorText = %q", got)
	}
}

func TestQuoteLabel(t *testing.T) {
	for in, want := range map[string]string{
		"ISO-8859-1":                 `"ISO-8859-1"`,
		"1.1":                        `"1.1"`,
		"1<PassKey>secret</PassKey>": "(not a name)",
		"utf 8":                      "(not a name)",
		strings.Repeat("a", 40):      `"` + strings.Repeat("a", 32) + `"…`,
	} {
		if got := QuoteLabel(in); got != want {
			t.Errorf("QuoteLabel(%q) = %s, want %s", in, got, want)
		}
	}
}
