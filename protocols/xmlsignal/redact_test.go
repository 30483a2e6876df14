package xmlsignal

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
)

const cut = "…[rest not kept: not well-formed]"

// redactCases are the evidence copies Redact must make, byte for byte; the
// fuzz targets start from them. "topsecret" marks what must go.
var redactCases = []struct {
	name, in, want string
}{
	{"empty", "", ""},
	{"no passkey", `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>1</MessageId><Source>s</Source></Header></AlarmMessage>`,
		`<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>1</MessageId><Source>s</Source></Header></AlarmMessage>`},
	{"element", `<Header><Source>s</Source><Passkey>topsecret</Passkey></Header>`,
		`<Header><Source>s</Source><Passkey>[redacted]</Passkey></Header>`},
	{"CDATA", `<H><Passkey><![CDATA[top<secret>]]></Passkey></H>`, `<H><Passkey>[redacted]</Passkey></H>`},
	{"text, entities and CDATA", `<H><Passkey>top&amp;<![CDATA[sec]]>&#x72;et</Passkey></H>`, `<H><Passkey>[redacted]</Passkey></H>`},
	{"spaces in the tags", "<H><Passkey >topsecret</Passkey\n\t></H>", "<H><Passkey >[redacted]</Passkey\n\t></H>"},
	{"prefix with its namespace", `<H><s:Passkey xmlns:s="urn:alarmrx:signal:1">topsecret</s:Passkey></H>`,
		`<H><s:Passkey xmlns:s="urn:alarmrx:signal:1">[redacted]</s:Passkey></H>`},
	{"unbound prefix", `<a:Passkey>topsecret</a:Passkey>`, `<a:Passkey>[redacted]</a:Passkey>`},
	{"letter case", `<H><PASSKEY>topsecret</PASSKEY><passKey>topsecret</passKey></H>`,
		`<H><PASSKEY>[redacted]</PASSKEY><passKey>[redacted]</passKey></H>`},
	{"KELVIN SIGN folds to k", "<H><pass\u212aey>topsecret</pass\u212aey></H>", "<H><pass\u212aey>[redacted]</pass\u212aey></H>"},
	{"LONG S is no XML name", "<H><pa\u017f\u017fkey>topsecret</pa\u017f\u017fkey></H>", "<H>" + cut},
	{"nested markup", `<H><Passkey>to<b x="psec">ret</b><!--c--><?p i?></Passkey><Zone>1</Zone></H>`,
		`<H><Passkey>[redacted]</Passkey><Zone>1</Zone></H>`},
	{"nested passkeys", `<Passkey>top<Passkey>secret</Passkey></Passkey>`, `<Passkey>[redacted]</Passkey>`},
	{"deep", `<a><b><c><d><e><Passkey>topsecret</Passkey></e></d></c></b></a>`,
		`<a><b><c><d><e><Passkey>[redacted]</Passkey></e></d></c></b></a>`},
	{"attribute", `<Header passkey="topsecret" id='1'/>`, `<Header passkey="[redacted]" id='1'/>`},
	{"attribute with prefix, quotes and spaces", "<Header x:PassKey = 'top\"secret'\ny=\"z\"></Header>",
		"<Header x:PassKey = '[redacted]'\ny=\"z\"></Header>"},
	{"attribute on the passkey element", `<Passkey passkey="topsecret">topsecret</Passkey>`,
		`<Passkey passkey="[redacted]">[redacted]</Passkey>`},
	{"attribute values holding > and /", `<H a="1>2/" passkey="top>/secret">x</H>`, `<H a="1>2/" passkey="[redacted]">x</H>`},
	{"empty passkeys stay empty", `<H passkey=""><Passkey/><Passkey></Passkey></H>`, `<H passkey=""><Passkey/><Passkey></Passkey></H>`},
	{"look-alike names are kept", `<H><PasskeyHint>hint</PasskeyHint><MyPasskey>x</MyPasskey><Text>passkey: none</Text><Attr name="passkey">v</Attr></H>`,
		`<H><PasskeyHint>hint</PasskeyHint><MyPasskey>x</MyPasskey><Text>passkey: none</Text><Attr name="passkey">v</Attr></H>`},
	{"commented-out passkey", `<H><!-- <Passkey>topsecret</Passkey> --><!-- other --></H>`, `<H><!--[redacted]--><!-- other --></H>`},
	{"DTD default", `<!DOCTYPE H [<!ATTLIST H passkey CDATA "topsecret">]><H/>`, `<!DOCTYPE[redacted]><H/>`},
	{"processing instruction", `<H><?passkey topsecret?><?x passkey=topsecret?></H>`, `<H><?passkey[redacted]?><?x[redacted]?></H>`},
	{"processing instruction holding a passkey element (fuzz)", `<?A000<Passkey>topsecret</Passkey>00?><H>PAsskeY0</H>`,
		`<?A000[redacted]?><H>PAsskeY0</H>`},
	{"declaration without a keyword (fuzz)", `<!0<Passkey>topsecret</Passkey>0<0"0">0><A/>`, cut},
	{"byte order mark", "\ufeff<H><Passkey>topsecret</Passkey></H>\n", "\ufeff<H><Passkey>[redacted]</Passkey></H>\n"},

	{"not well-formed: cut where it fails", `<H><Source>s</Source><Text>a & b</Text><Passkey>topsecret</Passkey></H>`,
		`<H><Source>s</Source><Text>` + cut},
	{"not well-formed inside the passkey", `<H><Source>s</Source><Passkey>top<secret</Passkey></H>`, `<H><Source>s</Source>` + cut},
	{"cut off inside the passkey", `<H><Passkey>topsecret`, `<H>` + cut},
	{"cut off in a passkey attribute", `<H><S passkey="topsecret`, `<H>` + cut},
	{"unquoted attribute", `<H passkey=topsecret>`, cut},
	{"end tags crossed", `<H><Passkey>topsecret</H></Passkey>`, `<H>` + cut},
	{"unknown entity", `<H><Passkey>topsecret&bogus;</Passkey></H>`, `<H>` + cut},
	{"text after the root", `<H><Passkey>topsecret</Passkey></H>{"passkey":"topsecret"}`, `<H><Passkey>[redacted]</Passkey></H>` + cut},
	{"JSON array at the XML endpoint", `[{"passkey":"topsecret"}]`, cut},
	{"single-byte charset read byte for byte", `<?xml version="1.0" encoding="ISO-8859-1"?><H><Passkey>topsecret</Passkey></H>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><H><Passkey>[redacted]</Passkey></H>`},
	{"declared encoding the reader lacks", `<?xml version="1.0" encoding="Shift_JIS"?><H><Passkey>topsecret</Passkey></H>`, cut},
	{"UTF-16", utf16LE(`<H><Passkey>topsecret</Passkey></H>`), cut},
	{"invalid UTF-8", "<H><T>\xff</T><Passkey>topsecret</Passkey></H>", "<H><T>" + cut},

	{"JSON", `{"header":{"source":"s","passkey":"top\"secret"}}`, `{"header":{"source":"s","passkey":"[redacted]"}}`},
	{"JSON escape in the key", `{"header":{"pass\u006bey":"topsecret"}}`, `{"header":{"pass\u006bey":"[redacted]"}}`},
	{"JSON letter case, escapes and spaces", `{"PASS\u004BEY" : "top\u0073ecret" , "a":1}`, `{"PASS\u004BEY" : "[redacted]" , "a":1}`},
	{"JSON KELVIN SIGN and LONG S", `{"pass\u212Aey":"topsecret","pass` + "\u212a" + `ey":"topsecret","pa\u017fskey":"topsecret"}`,
		`{"pass\u212Aey":"[redacted]","pass` + "\u212a" + `ey":"[redacted]","pa\u017fskey":"[redacted]"}`},
	{"JSON values of any type", `{"passkey":12345678,"x":{"passkey":{"a":["topsecret"]}},"y":[{"Passkey":true},{"passkey":null},{"passkey":[1,{}]}]}`,
		`{"passkey":"[redacted]","x":{"passkey":"[redacted]"},"y":[{"Passkey":"[redacted]"},{"passkey":"[redacted]"},{"passkey":"[redacted]"}]}`},
	{"JSON values that say passkey are no keys", `{"source":"passkey","list":["passkey","plain"],"o":{"k":"passkey"}}`,
		`{"source":"passkey","list":["passkey","plain"],"o":{"k":"passkey"}}`},
	{"JSON empty passkey", `{"passkey":""}`, `{"passkey":""}`},
	{"JSON white space around", "\n  {\"passkey\":\"topsecret\"}\n", "\n  {\"passkey\":\"[redacted]\"}\n"},
	{"JSON two objects", `{"a":1} {"passkey":"topsecret"}`, `{"a":1} {"passkey":"[redacted]"}`},
	{"JSON cut off in the value", `{"source":"s","passkey":"topsec`, `{"source":"s"` + cut},
	{"JSON bad escape in the value", `{"source":"s","passkey":"top\xsecret"}`, `{"source":"s"` + cut},
	{"JSON not well-formed after the value", `{"passkey":"topsecret",}`, `{"passkey":"[redacted]"` + cut},
	{"JSON object not closed", `{"passkey":"topsecret"`, `{"passkey":"[redacted]"` + cut},
}

// redactParsed is Redact without its fast path.
func redactParsed(b []byte) []byte {
	if isJSON(b) {
		return redactJSON(b)
	}
	return redactXML(b)
}

// utf16LE encodes s as UTF-16, little endian, with a byte order mark.
func utf16LE(s string) string { return "\xff\xfe" + utf16In(binary.LittleEndian, s) }

func utf16In(order binary.AppendByteOrder, s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

func utf32In(order binary.AppendByteOrder, s string) string {
	var b []byte
	for _, r := range s {
		b = order.AppendUint32(b, uint32(r))
	}
	return string(b)
}

func TestRedact(t *testing.T) {
	c := New(0)
	for _, tc := range redactCases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(c.Redact([]byte(tc.in)))
			if got != tc.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if strings.Contains(got, "sec") {
				t.Fatalf("the secret is kept: %q", got)
			}
			// What Redact keeps whole still parses, and is kept whole again.
			if !strings.HasSuffix(got, cut) {
				if again := string(redactParsed([]byte(got))); again != got {
					t.Fatalf("redacting the copy again gives %q", again)
				}
			}
		})
	}
}

// TestRedactExamples: a message without a passkey is kept byte for byte;
// with one, only its value changes, and the copy still decodes.
func TestRedactExamples(t *testing.T) {
	c := New(0)
	files, _ := filepath.Glob(filepath.Join(exampleDir, "*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Redact(b); !bytes.Equal(got, b) {
			t.Errorf("%s changed:\n%s", file, got)
		}
		if filepath.Ext(file) != ".xml" {
			continue
		}
		// Force the slow path with a comment that mentions a passkey
		// nowhere near the header.
		with := bytes.Replace(b, []byte("<Source>chekt</Source>"), []byte("<Source>chekt</Source><Passkey >k-1</Passkey >"), 1)
		want := bytes.Replace(b, []byte("<Source>chekt</Source>"), []byte("<Source>chekt</Source><Passkey >[redacted]</Passkey >"), 1)
		if got := c.Redact(with); !bytes.Equal(got, want) {
			t.Errorf("%s with a passkey:\n%s", file, got)
		}
		if _, err := Parse(c.Redact(with)); err != nil {
			t.Errorf("%s: the copy does not parse: %v", file, err)
		}
	}
}

// TestMayHoldPasskeyIsSafe proves the fast path: every spelling of the
// name that the readers could take for a passkey — every letter case, the
// runes that fold to its letters, JSON escapes, and the encodings whose
// letters are other bytes — sends Redact to the parser.
func TestMayHoldPasskeyIsSafe(t *testing.T) {
	// The only non-ASCII runes that fold to a letter of "passkey".
	for _, l := range passkeyName {
		for r := unicode.SimpleFold(l); r != l; r = unicode.SimpleFold(r) {
			if r > unicode.MaxASCII && r != '\u212a' && r != '\u017f' {
				t.Errorf("%q folds to %q and is not looked for", r, l)
			}
		}
	}
	ebcdic := map[rune]byte{'p': 0x97, 'a': 0x81, 's': 0xA2, 'k': 0x92, 'e': 0x85, 'y': 0xA8,
		'P': 0xD7, 'A': 0xC1, 'S': 0xE2, 'K': 0xD2, 'E': 0xC5, 'Y': 0xE8} // code page 037
	for mask := 0; mask < 1<<len(passkeyName); mask++ {
		v := []rune(passkeyName)
		for i := range v {
			if mask&(1<<i) != 0 {
				v[i] = unicode.ToUpper(v[i])
			}
		}
		name := string(v)
		var eb []byte
		for _, r := range v {
			eb = append(eb, ebcdic[r])
		}
		forms := map[string]string{
			"ASCII":        name,
			"UTF-16LE":     utf16In(binary.LittleEndian, name),
			"UTF-16BE":     utf16In(binary.BigEndian, name),
			"UTF-32LE":     utf32In(binary.LittleEndian, name),
			"UTF-32BE":     utf32In(binary.BigEndian, name),
			"EBCDIC":       string(eb),
			"JSON escape":  `pass\u` + "006b" + `ey`,
			"KELVIN SIGN":  "pass\u212aey",
			"LONG S":       "pa\u017fskey",
			"with a NUL":   "p\x00asskey",
			"mixed escape": `\u0070` + name[1:],
			"fullwidth":    strings.Map(func(r rune) rune { return r - 'a' + '\uff41' }, passkeyName),
		}
		for form, b := range forms {
			if !mayHoldPasskey([]byte("<x>" + b + "</x>")) {
				t.Errorf("%s %q takes the fast path", form, b)
			}
		}
	}
	if mayHoldPasskey(readExample(t, "chekt-style.xml")) || mayHoldPasskey(readExample(t, "chekt-style.json")) {
		t.Error("the examples hold no passkey and should take the fast path")
	}
}

func TestRedactIsCheapWithoutPasskey(t *testing.T) {
	c := New(0)
	b := readExample(t, "chekt-style.xml")
	if n := testing.AllocsPerRun(100, func() { _ = c.Redact(b) }); n != 0 {
		t.Fatalf("%v allocations for a message without a passkey", n)
	}
}
