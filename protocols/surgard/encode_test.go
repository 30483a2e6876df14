package surgard

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
)

func cidEvent(code string, q protocols.Qualifier, group, zone string) protocols.Event {
	return protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: q, Partition: group, Zone: zone, Address: zone}
}

// TestEncodeUnknownCodeLossless: a Contact ID code the tables do not know
// still has its record when the account fits one: the XYZ field carries
// any code as it is.
func TestEncodeUnknownCodeLossless(t *testing.T) {
	h := Head{Receiver: 1, Line: 1}
	for _, tc := range []struct{ account, want string }{
		{"4321", "501001 184321E99901021\x14"},
		{"1234567890", "Q01001 581234567890E99901021\x14"},
	} {
		got, err := Encode(h, tc.account, cidEvent("999", protocols.QualifierNew, "01", "021"))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.account, got, err, tc.want)
		}
	}
}

// TestEncodeNoRecord: events no record carries as they are get
// ErrNoRecord with the reason, never a record with a changed account or
// event.
func TestEncodeNoRecord(t *testing.T) {
	h := Head{Receiver: 1, Line: 1}
	for _, tc := range []struct {
		name, account string
		ev            protocols.Event
		reason        string
	}{
		{"3-digit account, CID 102 has no SIA twin", "ABC", cidEvent("102", protocols.QualifierNew, "01", "022"),
			"Contact ID 102 has no SIA code for the SIA record (S), and the Contact ID records (5, Q) take accounts of exactly 4 or 10 digits, not ABC (3)"},
		{"5-digit account, unknown CID 999", "12345", cidEvent("999", protocols.QualifierNew, "01", "021"), "not 12345 (5)"},
		{"7-digit account, unknown CID 999", "ABC1234", cidEvent("999", protocols.QualifierNew, "00", "017"), "not ABC1234 (7)"},
		{"non-hex 4-char account", "XY12", cidEvent("999", protocols.QualifierNew, "01", "001"), `account "XY12" is not hexadecimal`},
		{"SIA event of a non-hex account", "SITE42", protocols.Event{Format: protocols.FormatSIA, Code: "BA", Zone: "1", Address: "1",
			AddressKind: protocols.AddressZone}, `account "SITE42" is not 1 to 16 hex digits`},
		{"SIA event, address not decimal", "1234", protocols.Event{Format: protocols.FormatSIA, Code: "BA", Address: "01A"}, "no DC-03 form"},
		{"another format", "1234", protocols.Event{Format: "X", Code: "1"}, `format "X"`},
	} {
		rec, err := Encode(h, tc.account, tc.ev)
		if !errors.Is(err, ErrNoRecord) || rec != nil {
			t.Errorf("%s: %q, %v; want ErrNoRecord", tc.name, rec, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: reason %q lacks %q", tc.name, err, tc.reason)
		}
	}
}

// TestEncodeTextIsASCII: the SIA text field reaches the line in 7-bit
// ASCII, transliterated.
func TestEncodeTextIsASCII(t *testing.T) {
	ev := protocols.Event{Format: protocols.FormatSIA, Code: "BA", Qualifier: protocols.QualifierNew, Zone: "017", Address: "017",
		AddressKind: protocols.AddressZone, Text: "Tür offen – Küche, Straße 5 “Süd” 東"}
	got, err := Encode(Head{Receiver: 2, Line: 3}, "1234", ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := "S02003[#1234|NBA017^Tur offen - Kuche, Strasse 5 \"Sud\" ?^]\x14"; string(got) != want {
		t.Fatalf("record %q, want %q", got, want)
	}
	// A Contact ID event converted to SIA for a 3-digit account, too.
	ev = cidEvent("130", protocols.QualifierNew, "01", "017")
	ev.Text = "Fenêtre"
	got, err = Encode(Head{Receiver: 2, Line: 3}, "123", ev)
	if err != nil || string(got) != "S02003[#123|Nri01/BA017^Fenetre^]\x14" {
		t.Fatalf("record %q, %v", got, err)
	}
}

func TestASCII(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain ASCII 0-9 ^|[]", "plain ASCII 0-9 ^|[]"},
		{"", ""},
		{"é è ê ë É", "e e e e E"},
		{"ß Straße", "ss Strasse"},
		{"ü ö ä Ü Ö Ä", "u o a U O A"},
		{"Æsir æ Œuvre œ Ø ø Å å", "AEsir ae OEuvre oe O o A a"},
		{"Þór þ ð Ð", "THor th d D"},
		{"ñ Ñ ç Ç ÿ ý", "n N c C y y"},
		{"Łódź Gdańsk Kraków żółć", "Lodz Gdansk Krakow zolc"},
		{"Čeština Škoda Žižkov ř ů", "Cestina Skoda Zizkov r u"},
		{"İstanbul ığ ş Ş ğ", "Istanbul ig s S g"},
		{"Őrség ű Ĳssel ſ", "Orseg u IJssel s"},
		{"București ș ț Ș Ț", "Bucuresti s t S T"},
		{"a – b — c ‐ d − e", "a - b - c - d - e"},
		{"‘x’ “y” „z“ ‹a› «b»", `'x' "y" "z" <a> "b"`},
		{"wait… • 5 €", "wait... * 5 EUR"},
		{"e\u0301 (combining) zero\u200bwidth soft\u00adhyphen", "e (combining) zerowidth softhyphen"},
		{"non\u00a0breaking", "non breaking"},
		{"東京 Ωμέγα ☃ 🚨", "?? ????? ? ?"},
		{"bad \xff byte", "bad ? byte"},
	} {
		got := ASCII(tc.in)
		if got != tc.want {
			t.Errorf("ASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= utf8.RuneSelf {
				t.Errorf("ASCII(%q) = %q has byte %#x", tc.in, got, got[i])
			}
		}
	}
}

// TestASCIITables: every letter of U+00C0–U+017F has a spelling, in ASCII,
// and the tables line up with the code points.
func TestASCIITables(t *testing.T) {
	for r := rune(0xC0); r <= 0x17F; r++ {
		got := ASCII(string(r))
		if got == "" || got == "?" || !isASCII(got) {
			t.Errorf("U+%04X %c → %q", r, r, got)
		}
	}
	for r, want := range map[rune]string{0xC0: "A", 0xD7: "x", 0xDF: "ss", 0xF7: "/", 0xFF: "y", 0x100: "A", 0x111: "d",
		0x131: "i", 0x138: "k", 0x141: "L", 0x149: "n", 0x152: "OE", 0x17D: "Z", 0x17F: "s"} {
		if got := ASCII(string(r)); got != want {
			t.Errorf("U+%04X %c → %q, want %q", r, r, got, want)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzEncodeASCII: whatever the text and account, a record is 7-bit ASCII
// and ends in DC4, or there is none and the error is ErrNoRecord.
func FuzzEncodeASCII(f *testing.F) {
	f.Add("1234", "BA", "017", "Tür – Küche")
	f.Add("ABC", "130", "022", "東京")
	f.Add("12345", "999", "021", "\xff\xfe")
	f.Fuzz(func(t *testing.T, account, code, zone, text string) {
		for _, format := range []string{protocols.FormatSIA, protocols.FormatContactID} {
			ev := protocols.Event{Format: format, Code: code, Qualifier: protocols.QualifierNew, Zone: zone, Address: zone,
				AddressKind: protocols.AddressZone, Text: text}
			rec, err := Encode(Head{Receiver: 1, Line: 1}, account, ev)
			if err != nil {
				if !errors.Is(err, ErrNoRecord) {
					t.Fatalf("error %v is not ErrNoRecord", err)
				}
				continue
			}
			if !isASCII(string(rec)) || rec[len(rec)-1] != DC4 || strings.IndexByte(string(rec[:len(rec)-1]), DC4) >= 0 {
				t.Fatalf("record %q", rec)
			}
		}
	})
}
