package xmlsignal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

func seeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(exampleDir, "*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range badCases {
		f.Add([]byte(tc.body))
	}
}

// FuzzDecode: Decode never panics; a refused message is an xmlsignal
// FrameError with a message to answer; every answer is well-formed XML or
// JSON with a known code.
func FuzzDecode(f *testing.F) {
	seeds(f)
	c := New(4096)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := c.Decode(body, time.Time{})
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name {
				t.Fatalf("%v is not an xmlsignal FrameError", err)
			}
		}
		if m == nil {
			t.Fatal("no message")
		}
		reply := c.Reply(m, err, time.Time{})
		var r Response
		if IsJSON(reply) {
			if jerr := json.Unmarshal(reply, &r); jerr != nil {
				t.Fatalf("reply %q: %v", reply, jerr)
			}
		} else if xerr := xml.Unmarshal(reply, &r); xerr != nil {
			t.Fatalf("reply %q: %v", reply, xerr)
		}
		if _, ok := codeText[r.Status.Code]; !ok {
			t.Fatalf("unknown code %d", r.Status.Code)
		}
		if err == nil && len(m.Events) != len(m.Detail.(*Message).Signals) {
			t.Fatalf("%d events for %d signals", len(m.Events), len(m.Detail.(*Message).Signals))
		}
	})
}

// FuzzSplit: framing a stream never breaks the SplitFunc contract.
func FuzzSplit(f *testing.F) {
	seeds(f)
	c := New(512)
	f.Fuzz(func(t *testing.T, data []byte) {
		for len(data) > 0 {
			adv, frame, err := c.Split(data, false)
			if err != nil {
				if !errors.Is(err, protocols.ErrFrameTooLong) {
					t.Fatalf("split: %v", err)
				}
				return
			}
			if adv < 0 || adv > len(data) || len(frame) > adv {
				t.Fatalf("advance %d frame %d of %d", adv, len(frame), len(data))
			}
			if adv == 0 {
				return
			}
			data = data[adv:]
		}
	})
}

// plantedSecret is what FuzzRedact plants as a passkey.
const plantedSecret = "Zq7plantedXw4"

// plantForms put plantedSecret in a passkey, each as a reader takes it.
var plantForms = []string{
	"<Passkey>" + plantedSecret + "</Passkey>",
	"<a:Passkey ><![CDATA[" + plantedSecret + "]]></a:Passkey\n>",
	`<H passkey='` + plantedSecret + `'/>`,
	`"pass\u006bey":"` + plantedSecret + `",`,
	`{"PASSKEY": ["` + plantedSecret + `"]}`,
}

// FuzzRedact: Redact never panics; no secret that a reader of the input
// takes for a passkey (see passkeyOracle) is in the copy, for inputs as
// they come and with plantedSecret planted at a fuzzed place in a fuzzed
// form; an input without a passkey that parses to its end is kept byte for
// byte; a copy that was not cut short parses, and is kept as it is by a
// second Redact.
func FuzzRedact(f *testing.F) {
	seeds(f)
	for _, tc := range redactCases {
		f.Add([]byte(tc.in))
	}
	c := New(0)
	f.Fuzz(func(t *testing.T, in []byte) {
		check := func(in []byte) {
			out := c.Redact(in)
			o := passkeyOracle(in)
			for _, w := range secretWords(in, o) {
				if bytes.Contains(out, []byte(w)) {
					t.Fatalf("Redact(%q) = %q keeps the secret %q", in, out, w)
				}
			}
			if !o.found && o.wellFormed && !bytes.Equal(out, in) {
				t.Fatalf("Redact(%q) = %q, want the input unchanged", in, out)
			}
			if o.wellFormed && !bytes.HasSuffix(out, []byte(notKept)) {
				if again := redactParsed(out); !bytes.Equal(again, out) {
					t.Fatalf("Redact(%q) = %q, but Redact of that = %q", in, out, again)
				}
			}
		}
		check(in)
		// Plant the secret: the form and the place come from the input.
		if len(in) > 0 {
			form := plantForms[int(in[0])%len(plantForms)]
			at := int(in[len(in)-1]) * len(in) / 256
			planted := append(append(append([]byte(nil), in[:at]...), form...), in[at:]...)
			check(planted)
		}
	})
}

// oracle is what a plain reading of a message finds: whether it names a
// passkey at all, whether it parses to its end, and where the passkeys are.
type oracle struct {
	found, wellFormed bool
	// secret are byte ranges of the input that hold nothing but passkeys:
	// passkey element content, passkey member values, and markup that
	// mentions a passkey.
	secret []span
	// attrs are passkey attribute values as decoded, with the range of
	// their start tag and the other names and values in it.
	attrs []oracleAttr
}

type oracleAttr struct {
	tag    span
	value  string
	others []string
}

// passkeyOracle reads raw token by token, as simply as it can, and reports
// what Redact must remove. It shares the decoders with Redact, not the way
// of finding bytes.
func passkeyOracle(raw []byte) (o oracle) {
	if isJSON(raw) {
		return jsonOracle(raw)
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	depth, open := 0, 0
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			o.wellFormed = errors.Is(err, io.EOF)
			return o
		}
		end := d.InputOffset()
		if open > 0 {
			o.secret = append(o.secret, span{at, end})
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			names := []string{tok.Name.Local}
			var values []string
			for _, a := range tok.Attr {
				if isPasskey(a.Name.Local) {
					o.found = true
					values = append(values, a.Value)
					continue
				}
				names = append(names, a.Name.Space, a.Name.Local, a.Value)
			}
			for _, v := range values {
				o.attrs = append(o.attrs, oracleAttr{span{at, end}, v, names})
			}
			if open == 0 && isPasskey(tok.Name.Local) {
				o.found = true
				open = depth
			}
		case xml.EndElement:
			if open == depth {
				open = 0
				o.secret = o.secret[:len(o.secret)-1] // the end tag
			}
			depth--
		case xml.CharData:
			if depth == 0 && !isXMLBlank(tok, at == 0) {
				return o // text outside the root: not XML [XML 1.0 §2.1]
			}
		case xml.Comment, xml.Directive, xml.ProcInst:
			if containsFold(raw[at:end], passkeyName) {
				o.found = true
				// The markup stays: a directive's keyword, a target.
				keep := 0
				switch tok := tok.(type) {
				case xml.Directive:
					if keep = strings.IndexFunc(string(tok), func(r rune) bool { return !unicode.IsLetter(r) }); keep < 0 {
						keep = len(tok)
					}
				case xml.ProcInst:
					keep = len(tok.Target)
				}
				o.secret = append(o.secret, span{at + 2 + int64(keep), end})
			}
		}
	}
}

func jsonOracle(raw []byte) (o oracle) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	type level struct{ object, wantKey bool }
	var stack []level
	inside := 0 // depth of the containers of the passkey value being read
	valueAt := int64(-1)
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			o.wellFormed = errors.Is(err, io.EOF) && len(stack) == 0
			if valueAt >= 0 {
				o.secret = append(o.secret, span{valueAt, at})
			}
			return o
		}
		end := d.InputOffset()
		top := len(stack) - 1
		if s, ok := tok.(string); ok && top >= 0 && stack[top].object && stack[top].wantKey {
			stack[top].wantKey = false
			if valueAt < 0 && strings.EqualFold(s, passkeyName) {
				o.found = true
				valueAt = end
			}
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		opened := tok == json.Delim('{') || tok == json.Delim('[')
		if valueAt >= 0 {
			switch {
			case opened:
				inside++
			case tok == json.Delim('}') || tok == json.Delim(']'):
				inside--
			}
			if inside == 0 {
				o.secret = append(o.secret, span{valueAt, end})
				valueAt = -1
			}
		}
		if !opened {
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		}
	}
}

// secretWords are the words Redact's copy must not hold: runs of six or
// more letters and digits from the oracle's passkeys that occur just once in
// raw (so that the one occurrence is the passkey's) and are no part of the
// markers Redact writes.
func secretWords(raw []byte, o oracle) []string {
	var words []string
	add := func(text string, within []byte) {
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) < 6 || !bytes.Contains(within, []byte(w)) || bytes.Count(raw, []byte(w)) != 1 ||
				strings.Contains(redacted+notKept, w) {
				continue
			}
			words = append(words, w)
		}
	}
	for _, s := range o.secret {
		add(string(raw[s.start:s.end]), raw[s.start:s.end])
	}
	for _, a := range o.attrs {
		tag := raw[a.tag.start:a.tag.end]
		add(a.value, tag)
		// A word also in a name or another value of the tag is not the
		// passkey's alone.
		for i := len(words) - 1; i >= 0; i-- {
			for _, other := range a.others {
				if strings.Contains(other, words[i]) {
					words = append(words[:i], words[i+1:]...)
					break
				}
			}
		}
	}
	return words
}

// The oracle's view of the evidence copy, after xmlredact's.
const (
	redacted = xmlredact.Redacted
	notKept  = xmlredact.NotKept
)

// span is a byte range [start, end) of the input.
type span struct{ start, end int64 }

// The redaction under test, without its fast path, and its fast path.
var (
	redactXML      = secrets.XML
	redactJSON     = secrets.JSON
	mayHoldPasskey = secrets.MayHold
)

// passkeyName is the secret the oracle looks for.
const passkeyName = "passkey"

// containsFold reports whether b holds the lower-case ASCII word w in any
// ASCII letter case (the oracle's own, apart from xmlredact's).
func containsFold(b []byte, w string) bool {
	lower := bytes.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, b)
	return bytes.Contains(lower, []byte(w))
}

// isXMLBlank reports whether text is XML white space, after a byte order
// mark when it starts the document [XML 1.0 §2.3, §4.3.3].
func isXMLBlank(text []byte, first bool) bool {
	if first {
		text = bytes.TrimPrefix(text, []byte("\ufeff"))
	}
	return len(bytes.Trim(text, " \t\r\n")) == 0
}

// isPasskey reports whether an XML qualified name's local part is
// "passkey" under Unicode case folding.
func isPasskey(name string) bool {
	local := strings.Trim(name, ":")
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	return strings.EqualFold(local, "passkey")
}
