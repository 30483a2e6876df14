package xmlsignal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
)

var _ protocols.Redactor = (*Codec)(nil)

const (
	// redacted takes the place of a passkey in the evidence copy.
	redacted = "[redacted]"
	// notKept ends the evidence copy of a message that does not parse: what
	// follows the point of failure cannot be known to hold no passkey.
	notKept = "…[rest not kept: not well-formed]"
	// passkeyName is the name that marks a secret, in any letter case.
	passkeyName = "passkey"
)

// Redact returns the copy of a message the receiver keeps as evidence
// (protocols.Redactor): the bytes as received, less every passkey (the
// sender's secret, Header/Passkey on TCP [design.md §6, §7]). It finds
// the passkeys by parsing, the way the decoders read the message, not by
// matching strings, so that no spelling a decoder accepts slips through.
//
//   - XML: every element whose local name is "passkey" in any letter case,
//     in any namespace or with any prefix, at any depth, has its whole
//     content (text, entities, CDATA sections, nested markup) replaced by
//     "[redacted]"; every attribute so named has its value replaced. A
//     comment, directive or processing instruction that mentions a passkey
//     (a commented-out element, a DTD default) has its text replaced too.
//   - JSON (a body starting with "{"): every object member whose key,
//     unescaped, is "passkey" in any letter case ("pass\u006bey", "PASSKEY":
//     encoding/json matches them all to Header.Passkey), at any depth, has
//     its value, of whatever type, replaced by "[redacted]".
//
// Every other byte is kept exactly as received; an empty passkey stays
// empty, as in configs.Redacted, so the evidence shows that none was sent.
// A message that does not parse is kept only up to the token where parsing
// failed, and never with any part of a passkey element or value open at
// that point, followed by "…[rest not kept: not well-formed]".
//
// A message in which no spelling of a passkey can occur (see
// mayHoldPasskey) has nothing to remove and is returned as it is, without
// being parsed, well-formed or not: that is the common case (senders that
// authenticate in an HTTP header) and costs one scan and no allocation.
// The result may share memory with raw. Redact is pure and never panics.
func (c *Codec) Redact(raw []byte) []byte {
	switch {
	case !mayHoldPasskey(raw):
		return raw
	case isJSON(raw):
		return redactJSON(raw)
	}
	return redactXML(raw)
}

// mayHoldPasskey reports whether raw could name a passkey in a form the XML
// or JSON readers accept, or in another character encoding; false proves
// that it cannot. In every character set the seven letters are ASCII
// bytes, or come with NULs (UTF-16, UTF-32), or are all non-ASCII bytes
// (EBCDIC). So false needs: raw is valid UTF-8 with no control byte but TAB,
// LF and CR, no run of seven or more non-ASCII bytes, no "passkey" in any
// ASCII letter case, no JSON "\u" escape (JSON's only escape that yields a
// letter, RFC 8259 §7) and no KELVIN SIGN or LONG S (the only non-ASCII
// runes that fold to a letter of the name, as strings.EqualFold and
// encoding/json fold). XML names cannot be escaped at all [XML 1.0 §2.3].
// Text in European languages has short runs of non-ASCII bytes ("–", "ü")
// and keeps the fast path; longer runs are parsed.
func mayHoldPasskey(raw []byte) bool {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte(`\u`)) ||
		bytes.Contains(raw, []byte("\u212a")) || bytes.Contains(raw, []byte("\u017f")) {
		return true
	}
	run := 0
	for i, b := range raw {
		switch {
		case b >= 0x80:
			if run++; run == len(passkeyName) {
				return true
			}
			continue
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r':
			return true
		case b|0x20 == passkeyName[0] && hasFoldPrefix(raw[i:], passkeyName):
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

// isPasskey reports whether an XML qualified name names a passkey: its
// local part (after the last ':'; a stray leading or trailing
// ':' is ignored) is "passkey" under Unicode case folding.
func isPasskey(name string) bool {
	local := strings.Trim(name, ":")
	if i := strings.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	return strings.EqualFold(local, passkeyName)
}

// span is a byte range [start, end) of the input.
type span struct{ start, end int64 }

// splice copies raw[:keep] with every cut replaced by with, then notKept
// when truncated. Cuts are in order and do not overlap; one that reaches
// past keep moves keep back to its start, so that no part of it is kept.
// Nothing cut and nothing truncated returns raw itself.
func splice(raw []byte, cuts []span, with string, keep int64, truncated bool) []byte {
	if len(cuts) == 0 && !truncated {
		return raw
	}
	out := make([]byte, 0, int(keep)+len(cuts)*len(with)+len(notKept))
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
		out = append(out, notKept...)
	}
	return out
}

// redactXML walks the tokens of an XML message with encoding/xml, as Parse
// reads it (Strict), and cuts the passkeys out by the byte offsets the
// decoder reports.
func redactXML(raw []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	var cuts []span
	depth := 0
	// open is the depth of the passkey element being read (0: none), at the
	// offset of its start tag; its content starts at content.
	open := 0
	var openAt, content int64
	for {
		at := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return splice(raw, cuts, redacted, int64(len(raw)), false)
		}
		if err != nil {
			if open > 0 {
				at = openAt // [never any part of an open passkey]
			}
			return splice(raw, cuts, redacted, at, true)
		}
		end := d.InputOffset()
		switch tok := tok.(type) {
		case xml.CharData:
			// [XML 1.0 §2.1] Outside the root element only white space may
			// stand (and a byte order mark first); anything else, a JSON
			// array sent to the XML endpoint say, is not read as XML.
			if depth == 0 && !isXMLBlank(tok, at == 0) {
				return splice(raw, cuts, redacted, at, true)
			}
		case xml.StartElement:
			depth++
			if open > 0 {
				continue // inside a passkey: all of it goes
			}
			name, values, empty, ok := lexStartTag(raw[at:end])
			if !ok {
				return splice(raw, cuts, redacted, at, true)
			}
			for _, v := range values {
				cuts = append(cuts, span{at + v.start, at + v.end})
			}
			// [XML 1.0 §3.1] An empty-element tag has no content to cut.
			if !empty && isPasskey(name) {
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
			// Markup that is no element but mentions a passkey (a
			// commented-out element, a DTD default) loses its text, and
			// stays markup: "<!--" … "-->" [XML 1.0 §2.5], "<!" keyword …
			// ">" [§2.8], "<?" target … "?>" [§2.6].
			if open > 0 || !containsFold(raw[at:end], passkeyName) {
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
					return splice(raw, cuts, redacted, at, true)
				}
				inner = span{at + 2 + int64(n), end - 1}
			case xml.ProcInst:
				inner = span{at + 2 + int64(len(tok.Target)), end - 2}
				if !bytes.HasPrefix(raw[at+2:], []byte(tok.Target)) {
					return splice(raw, cuts, redacted, at, true)
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
// the non-empty values of attributes named passkey, and whether it is an
// empty-element tag. ok is false for anything else, which the caller
// treats as a parse failure: nothing is kept that was not understood.
func lexStartTag(tag []byte) (name string, values []span, empty, ok bool) {
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
		if end > 0 && isPasskey(string(attr)) {
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

// redactJSON walks the tokens of a JSON message with encoding/json and cuts
// the value of every passkey member [RFC 8259 §4] by the byte offsets the
// decoder reports.
func redactJSON(raw []byte) []byte {
	const with = `"` + redacted + `"`
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
			if !strings.EqualFold(key, passkeyName) {
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
