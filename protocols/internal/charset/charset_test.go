package charset

import (
	"io"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		c    Charset
		want string
	}{
		{"K\xe4llare", Latin1, "Källare"},
		{"\x80 \x93q\x94", Windows1252, "€ “q”"},
		{"\x80", Latin1, "\u0080"},
		{"\x81", Windows1252, "\u0081"}, // undefined: its C1 code point
		{"plain", Windows1252, "plain"},
		{"\xc3\xa4", UTF8, "\xc3\xa4"},
	} {
		if got := string(Decode([]byte(tc.in), tc.c)); got != tc.want {
			t.Errorf("Decode(%q, %s) = %q, want %q", tc.in, tc.c.Name(), got, tc.want)
		}
	}
	for label, want := range map[string]Charset{"UTF-8": UTF8, " latin1 ": Latin1, "US-ASCII": Latin1, "Windows-1252": Windows1252} {
		if got, ok := Lookup(label); !ok || got != want {
			t.Errorf("Lookup(%q) = %v %v, want %v", label, got, ok, want)
		}
	}
	if _, ok := Lookup("Shift_JIS"); ok {
		t.Error("Shift_JIS looked up")
	}
	if Rune(0x80) != '€' || Rune('a') != 'a' || Rune(0xe4) != 'ä' {
		t.Error("Rune")
	}
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		c    Charset
		want string
	}{
		{"K\xe4llare \x80", Windows1252, "Källare €"},
		{"K\xe4llare", Latin1, "Källare"},
		{"K\xc3\xa4llare", UTF8, "K\xc3\xa4llare"},
	} {
		r, err := Reader(strings.NewReader(tc.in), tc.c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tc.want {
			t.Errorf("Reader(%q, %s) read %q, %v; want %q", tc.in, tc.c.Name(), got, err, tc.want)
		}
	}
}
