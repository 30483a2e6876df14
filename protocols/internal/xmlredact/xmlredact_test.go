package xmlredact

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestNames: every name given is a secret, as an element, an attribute or
// a JSON key, in any letter case; other names are kept. The engine's
// finer cases are xmlsignal's (redact_test.go, FuzzRedact).
func TestNames(t *testing.T) {
	s := New("authentication", "passkey")
	for _, tc := range []struct{ in, want string }{
		{`<alarmrequest><authentication>hxp4x9nnwxjatv8</authentication><reference>1</reference></alarmrequest>`,
			`<alarmrequest><authentication>[redacted]</authentication><reference>1</reference></alarmrequest>`},
		{`<Heartbeat Passkey="s3cret" Id="7"/>`, `<Heartbeat Passkey="[redacted]" Id="7"/>`},
		{`<a><AUTHENTICATION>x</AUTHENTICATION><b passkey='y'>z</b></a>`, `<a><AUTHENTICATION>[redacted]</AUTHENTICATION><b passkey='[redacted]'>z</b></a>`},
		{`{"authentication":"x","passkey":1,"other":"k"}`, `{"authentication":"[redacted]","passkey":"[redacted]","other":"k"}`},
		{`<a><auth>kept</auth></a>`, `<a><auth>kept</auth></a>`},
		{`<a><authentication>open`, `<a>` + NotKept},
		// A single-byte charset is read byte for byte: the evidence is the
		// bytes as received, less the secret.
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><alarmrequest><authentication>hxp4x9nnwxjatv8</authentication><sectiontext>K\xf6k</sectiontext></alarmrequest>",
			"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><alarmrequest><authentication>[redacted]</authentication><sectiontext>K\xf6k</sectiontext></alarmrequest>"},
		{"<?xml version='1.0' encoding='windows-1252'?><a passkey='s\x80cret'>\x93q\x94</a>", "<?xml version='1.0' encoding='windows-1252'?><a passkey='[redacted]'>\x93q\x94</a>"},
		{"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a><passkey>x</passkey></a>", NotKept},
	} {
		if got := string(s.Redact([]byte(tc.in))); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if s.MayHold([]byte(`<alarmrequest><reference>1</reference></alarmrequest>`)) {
		t.Error("a message naming no secret takes the parser")
	}
}

func TestNewRefusesShortOrUpperNames(t *testing.T) {
	for _, name := range []string{"key", "Passkey", "pass-key"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%q) did not panic", name)
				}
			}()
			New(name)
		}()
	}
}

// TestFoldsToASCII: foldsToASCII holds every rune outside ASCII that
// strings.ToLower or case folding reads as an ASCII letter.
func TestFoldsToASCII(t *testing.T) {
	var want []string
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		folds := unicode.ToLower(r) < 0x80
		for f := unicode.SimpleFold(r); f != r && !folds; f = unicode.SimpleFold(f) {
			folds = f < 0x80
		}
		if folds {
			want = append(want, string(r))
		}
	}
	if !slices.Equal(foldsToASCII, want) {
		t.Fatalf("foldsToASCII = %q, the unicode tables give %q", foldsToASCII, want)
	}
	// A name spelled with İ, as strings.ToLower reads "authentication".
	s := New("authentication")
	in := "<alarmrequest><authent\u0130cation>ABCDEFGHIJKLMNO</authent\u0130cation></alarmrequest>"
	if got := string(s.Redact([]byte(in))); strings.Contains(got, "ABCDEFGHIJKLMNO") {
		t.Fatalf("Redact kept a secret named with İ: %q", got)
	}
}
