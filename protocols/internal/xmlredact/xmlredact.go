// Package xmlredact takes the secrets out of the evidence copy of an XML
// or JSON message: the passkey, password or authentication code a sender
// puts in the message itself (xmlsignal's Header/Passkey, Manitou's
// Heartbeat Passkey, SOS Access's authentication). It finds them by
// parsing, the way the decoders read the message, not by matching
// strings, so that no spelling a decoder accepts slips through.
//
//   - XML: every element whose local name is one of the names in any
//     letter case, in any namespace or with any prefix, at any depth, has
//     its whole content (text, entities, CDATA sections, nested markup)
//     replaced by "[redacted]"; every attribute so named has its value
//     replaced. A comment, directive or processing instruction that
//     mentions a name (a commented-out element, a DTD default) has its
//     text replaced too.
//   - JSON: every object member whose key, unescaped, is one of the names
//     in any letter case ("pass\u006bey", "PASSKEY": encoding/json matches
//     them all), at any depth, has its value, of whatever type, replaced by
//     "[redacted]".
//
// Every other byte is kept exactly as received; an empty secret stays
// empty, so the evidence shows that none was sent. A message that does not
// parse is kept only up to the token where parsing failed, and never with
// any part of a secret open at that point, followed by NotKept.
//
// A message in which no spelling of a name can occur (MayHold) has nothing
// to remove: callers return it as it is, without parsing it, well-formed or
// not. That is the common case and costs one scan and no allocation.
package xmlredact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols/internal/charset"
)

const (
	// Redacted takes the place of a secret in the evidence copy.
	Redacted = "[redacted]"
	// NotKept ends the evidence copy of a message that does not parse: what
	// follows the point of failure cannot be known to hold no secret.
	NotKept = "…[rest not kept: not well-formed]"
)

// Secrets are the names that mark a secret, in any letter case.
type Secrets struct {
	names    []string // lower-case ASCII
	shortest int
}

// New returns the Secrets named names: lower-case ASCII letters, each at
// least four long (a shorter name would send most messages to the parser).
func New(names ...string) Secrets {
	s := Secrets{names: names}
	for _, n := range names {
		if len(n) < 4 || strings.ToLower(n) != n || strings.IndexFunc(n, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
			panic("xmlredact: secret names are lower-case ASCII letters, four or more: " + n)
		}
		if s.shortest == 0 || len(n) < s.shortest {
			s.shortest = len(n)
		}
	}
	return s
}

// Redact is the evidence copy of raw: raw itself when it cannot hold a
// secret (MayHold), JSON's redaction for a body starting with "{", else
// XML's. The result may share memory with raw. It is pure and never
// panics.
func (s Secrets) Redact(raw []byte) []byte {
	switch {
	case !s.MayHold(raw):
		return raw
	case isJSON(raw):
		return s.JSON(raw)
	}
	return s.XML(raw)
}

func isJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// MayHold reports whether raw could name a secret in a form the XML or
// JSON readers accept, or in another character encoding; false proves that
// it cannot. In every character set a name's letters are ASCII bytes, or
// come with NULs (UTF-16, UTF-32), or are all non-ASCII bytes (EBCDIC). So
// false needs: raw is valid UTF-8 with no control byte but TAB, LF and CR,
// no run of non-ASCII bytes as long as the shortest name, no name in any
// ASCII letter case, no JSON "\u" escape (JSON's only escape that yields a
// letter, RFC 8259 §7) and none of the non-ASCII runes that a decoder's
// lower-casing or folding reads as an ASCII letter (foldsToASCII). XML names cannot be escaped at all [XML 1.0 §2.3].
// Text in European languages has short runs of non-ASCII bytes ("–", "ü")
// and keeps the fast path; longer runs are parsed.
func (s Secrets) MayHold(raw []byte) bool {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte(`\u`)) ||
		slices.ContainsFunc(foldsToASCII, func(r string) bool { return bytes.Contains(raw, []byte(r)) }) {
		return true
	}
	run := 0
	for i, b := range raw {
		switch {
		case b >= 0x80:
			if run++; run == s.shortest {
				return true
			}
			continue
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r':
			return true
		case s.startsName(raw[i:]):
			return true
		}
		run = 0
	}
	return false
}

// hasFoldPrefix reports whether b starts with the lower-case ASCII word w in
// any ASCII letter case.
func hasFoldPrefix(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether b holds the lower-case ASCII word w in any
// ASCII letter case.
func containsFold(b []byte, w string) bool {
	for i := range b {
		if hasFoldPrefix(b[i:], w) {
			return true
		}
	}
	return false
}

// startsName reports whether b starts with one of the names in any ASCII
// letter case.
func (s Secrets) startsName(b []byte) bool {
	for _, n := range s.names {
		if b[0]|0x20 == n[0] && hasFoldPrefix(b, n) {
			return true
		}
	}
	return false
}

// containsName reports whether b holds one of the names in any ASCII
// letter case.
func (s Secrets) containsName(b []byte) bool {
	for _, n := range s.names {
		if containsFold(b, n) {
			return true
		}
	}
	return false
}

// isSecret reports whether an XML qualified name names a secret: its
// local part (after the last ':'; a stray leading or trailing ':' is
// ignored) is one of the names under Unicode case folding.
func (s Secrets) isSecret(name string) bool {
	local := strings.Trim(name, ":")
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	return s.isName(local)
}

// isName reports whether key is one of the names under Unicode case
// folding.
func (s Secrets) isName(key string) bool {
	// A decoder may lower-case a name (strings.ToLower, which reads İ as
	// i) or fold it (strings.EqualFold, which reads the KELVIN SIGN as k):
	// either spelling is a secret's.
	lower := strings.ToLower(key)
	for _, n := range s.names {
		if strings.EqualFold(key, n) || lower == n {
			return true
		}
	}
	return false
}

// foldsToASCII are the runes outside ASCII that a decoder's lower-casing
// or case folding reads as an ASCII letter: İ (i), the LONG S (s) and the
// KELVIN SIGN (k). A name holding one may still be a secret's.
// TestFoldsToASCII checks the list against the unicode tables.
var foldsToASCII = []string{"\u0130", "\u017f", "\u212a"}

// span is a byte range [start, end) of the input.
type span struct{ start, end int64 }

// splice copies raw[:keep] with every cut replaced by with, then NotKept
// when truncated. Cuts are in order and do not overlap; one that reaches
// past keep moves keep back to its start, so that no part of it is kept.
// Nothing cut and nothing truncated returns raw itself.
func splice(raw []byte, cuts []span, with string, keep int64, truncated bool) []byte {
	if len(cuts) == 0 && !truncated {
		return raw
	}
	out := make([]byte, 0, int(keep)+len(cuts)*len(with)+len(NotKept))
	var prev int64
	for _, c := range cuts {
		if c.start < prev || c.start >= keep {
			break
		}
		if c.end > keep {
			keep = c.start
			break
		}
		out = append(out, raw[prev:c.start]...)
		out = append(out, with...)
		prev = c.end
	}
	if keep > prev {
		out = append(out, raw[prev:keep]...)
	}
	if truncated {
		out = append(out, NotKept...)
	}
	return out
}

// XML walks the tokens of an XML message with encoding/xml, as a decoder
// reads it (Strict), and cuts the secrets out by the byte offsets the
// decoder reports.
func (s Secrets) XML(raw []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	d.CharsetReader = singleByte
	var cuts []span
	depth := 0
	// open is the depth of the secret element being read (0: none), at the
	// offset of its start tag; its content starts at content.
	open := 0
	var openAt, content int64
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return splice(raw, cuts, Redacted, int64(len(raw)), false)
		}
		if err != nil {
			if open > 0 {
				at = openAt // [never any part of an open secret]
			}
			return splice(raw, cuts, Redacted, at, true)
		}
		end := d.InputOffset()
		switch tok := tok.(type) {
		case xml.CharData:
			// [XML 1.0 §2.1] Outside the root element only white space may
			// stand (and a byte order mark first); anything else, a JSON
			// array sent to the XML endpoint say, is not read as XML.
			if depth == 0 && !isXMLBlank(tok, at == 0) {
				return splice(raw, cuts, Redacted, at, true)
			}
		case xml.StartElement:
			depth++
			if open > 0 {
				continue // inside a secret: all of it goes
			}
			name, values, empty, ok := s.lexStartTag(raw[at:end])
			if !ok {
				return splice(raw, cuts, Redacted, at, true)
			}
			for _, v := range values {
				cuts = append(cuts, span{at + v.start, at + v.end})
			}
			// [XML 1.0 §3.1] An empty-element tag has no content to cut.
			if !empty && s.isSecret(name) {
				open, openAt, content = depth, at, end
			}
		case xml.EndElement:
			if open == depth {
				if at > content {
					cuts = append(cuts, span{content, at})
				}
				open = 0
			}
			depth--
		case xml.Comment, xml.Directive, xml.ProcInst:
			// Markup that is no element but mentions a secret (a
			// commented-out element, a DTD default) loses its text, and
			// stays markup: "<!--" … "-->" [XML 1.0 §2.5], "<!" keyword …
			// ">" [§2.8], "<?" target … "?>" [§2.6].
			if open > 0 || !s.containsName(raw[at:end]) {
				continue
			}
			var inner span
			switch tok := tok.(type) {
			case xml.Comment:
				inner = span{at + 4, end - 3}
			case xml.Directive:
				// Every declaration starts with its keyword (DOCTYPE,
				// ENTITY…); one that does not is no XML.
				n := bytes.IndexFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) })
				if n < 0 {
					n = len(tok)
				}
				if n == 0 {
					return splice(raw, cuts, Redacted, at, true)
				}
				inner = span{at + 2 + int64(n), end - 1}
			case xml.ProcInst:
				inner = span{at + 2 + int64(len(tok.Target)), end - 2}
				if !bytes.HasPrefix(raw[at+2:], []byte(tok.Target)) {
					return splice(raw, cuts, Redacted, at, true)
				}
			}
			if inner.end > inner.start {
				cuts = append(cuts, inner)
			}
		}
	}
}

// lexStartTag reads a start tag as the decoder accepted it [XML 1.0 §3.1]:
//
//	'<' Name (S Name S? '=' S? ('"' [^"]* '"' | "'" [^']* "'"))* S? '/'? '>'
//
// and returns the element's qualified name, the spans (relative to tag) of
// the non-empty values of attributes named as a secret, and whether it is an
// empty-element tag. ok is false for anything else, which the caller
// treats as a parse failure: nothing is kept that was not understood.
func (s Secrets) lexStartTag(tag []byte) (name string, values []span, empty, ok bool) {
	n := len(tag)
	if n < 3 || tag[0] != '<' || tag[n-1] != '>' {
		return "", nil, false, false
	}
	stop := func(c byte) bool { return isXMLSpace(c) || c == '/' || c == '>' || c == '=' }
	i := 1
	for i < n && !stop(tag[i]) {
		i++
	}
	name = string(tag[1:i])
	if name == "" {
		return "", nil, false, false
	}
	for {
		for i < n && isXMLSpace(tag[i]) {
			i++
		}
		switch {
		case i == n-1: // the closing '>'
			return name, values, false, true
		case i == n-2 && tag[i] == '/':
			return name, values, true, true
		case i >= n:
			return "", nil, false, false
		}
		a := i
		for i < n && !stop(tag[i]) {
			i++
		}
		attr := tag[a:i]
		for i < n && isXMLSpace(tag[i]) {
			i++
		}
		if len(attr) == 0 || i >= n || tag[i] != '=' {
			return "", nil, false, false
		}
		i++
		for i < n && isXMLSpace(tag[i]) {
			i++
		}
		if i >= n || (tag[i] != '"' && tag[i] != '\'') {
			return "", nil, false, false
		}
		q := tag[i]
		i++
		end := bytes.IndexByte(tag[i:], q)
		if end < 0 {
			return "", nil, false, false
		}
		if end > 0 && s.isSecret(string(attr)) {
			values = append(values, span{int64(i), int64(i + end)})
		}
		i += end + 1
	}
}

// isXMLBlank reports whether text is XML white space, after a byte order
// mark when it starts the document [XML 1.0 §2.3, §4.3.3].
func isXMLBlank(text []byte, first bool) bool {
	if first {
		text = bytes.TrimPrefix(text, []byte("\ufeff"))
	}
	for _, c := range text {
		if !isXMLSpace(c) {
			return false
		}
	}
	return true
}

// isXMLSpace reports XML white space [XML 1.0 §2.3 S].
func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// JSON walks the tokens of a JSON message with encoding/json and cuts the
// value of every member named as a secret [RFC 8259 §4] by the byte
// offsets the decoder reports.
func (s Secrets) JSON(raw []byte) []byte {
	const with = `"` + Redacted + `"`
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // any number is a token, however large
	var cuts []span
	// Each open object or array; an object wants a key next or a value.
	type level struct{ object, wantKey bool }
	var stack []level
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				// A value still open at the end is not well-formed either.
				return splice(raw, cuts, with, at, true)
			}
			return splice(raw, cuts, with, int64(len(raw)), false)
		}
		if err != nil {
			return splice(raw, cuts, with, at, true)
		}
		top := len(stack) - 1
		if key, ok := tok.(string); ok && top >= 0 && stack[top].object && stack[top].wantKey {
			if !s.isName(key) {
				stack[top].wantKey = false
				continue
			}
			keyEnd := d.InputOffset()
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				return splice(raw, cuts, with, at, true) // the key goes too
			}
			end := d.InputOffset()
			start := end - int64(len(v))
			if start < keyEnd || !bytes.Equal(raw[start:end], v) || !isColon(raw[keyEnd:start]) {
				return splice(raw, cuts, with, at, true)
			}
			if string(v) != `""` {
				cuts = append(cuts, span{start, end})
			}
			continue // the object wants its next key
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value has ended: its object wants the next key.
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
}

// isColon reports whether b is the name separator: one ':' with optional
// white space around it [RFC 8259 §2].
func isColon(b []byte) bool {
	b = bytes.Trim(b, " \t\r\n")
	return len(b) == 1 && b[0] == ':'
}

// singleByte reads a message declared in a single-byte charset the
// dialects use (ISO-8859-1, Windows-1252, ASCII: SOS Access messages are
// ISO-8859-1) byte for byte, each byte at or above 0x80 read as an ASCII
// letter: the decoder's offsets stay the offsets of the input, which the
// cuts are made by, and a name's letters stay name characters. What is
// cut is decided by markup and by ASCII names, which the mapping leaves as
// they are. Any other charset is refused, and the message is kept only up
// to its declaration.
func singleByte(label string, in io.Reader) (io.Reader, error) {
	if c, ok := charset.Lookup(label); ok && c != charset.UTF8 {
		return asciiMapped{in}, nil
	}
	return nil, errors.New("xmlredact: charset " + label + " not read")
}

type asciiMapped struct{ r io.Reader }

func (a asciiMapped) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for i := range p[:n] {
		if p[i] >= 0x80 {
			p[i] = 'x'
		}
	}
	return n, err
}
