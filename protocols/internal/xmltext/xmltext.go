// Package xmltext makes a value fit for an XML dialect's message, as the
// decoders take it back: the sending sides of the XML dialects share it.
package xmltext

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Char reports a character XML 1.0 allows [XML 1.0 §2.2, Char].
func Char(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune
}

// Valid replaces what XML 1.0 cannot carry (and invalid UTF-8) by U+FFFD;
// a value that needs nothing is returned as it is.
func Valid(s string) string {
	ok := utf8.ValidString(s)
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'
	}
	if ok && !strings.ContainsAny(s, "\uFFFE\uFFFF") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if Char(r) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// Cut bounds s to n bytes at a character boundary, space at the cut
// dropped.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n])
}

// Clean is Valid, trimmed and cut to limit bytes: a text field as the
// decoders read it back (they trim it).
func Clean(s string, limit int) string { return Cut(strings.TrimSpace(Valid(s)), limit) }

// QuoteLabel quotes an XML declaration's version or encoding value for an
// error text, cut to 32 bytes, when it is made of the characters a name
// may have there [XML 1.0 §2.8 VersionNum, §4.3.3 EncName]. Anything else
// may be the message's own text run into the declaration, a secret among
// it, and is not repeated.
func QuoteLabel(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "(not a name)"
		}
	}
	if len(s) > 32 {
		return strconv.Quote(s[:32]) + "…"
	}
	return strconv.Quote(s)
}

// ErrorText is err as a decoder of a message that may carry a secret
// words it: encoding/xml's syntax errors quote the text where they stop
// ("invalid character entity &KLMNOPQ"), which may be part of a passkey,
// so only their line is said.
func ErrorText(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not well-formed XML (line %d)", se.Line)
	}
	return err.Error()
}

// Escape writes s to b as XML character data or an attribute value.
func Escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}
