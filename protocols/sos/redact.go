package sos

import (
	"bytes"
	"regexp"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

// secrets: the transmitter's password travels in the clear in every
// request's <authentication> [S7].
var secrets = xmlredact.New("authentication")

// encodingDecl finds the encoding pseudo-attribute's value in an XML
// declaration.
var encodingDecl = regexp.MustCompile(`encoding[ \t\r\n]*=[ \t\r\n]*("[^"]*"|'[^']*')`)

// Redact returns the copy of a message the receiver keeps as evidence
// (protocols.Redactor): the message less the content of every
// authentication element, in any letter case or namespace, found by
// parsing it as the decoder reads it (xmlredact). A message in which no
// spelling of the name can occur is returned as it is.
//
// The engine reads UTF-8 only, and SOS Access messages are ISO-8859-1
// [S7]: a message declared ISO-8859-1 or Windows-1252 (or declaring no
// encoding and not UTF-8, which Decode reads as ISO-8859-1) is kept
// transcoded to UTF-8, its declaration saying encoding="UTF-8". The
// transcoding is lossless, so the evidence is the message as received but
// for the password. Any other message is kept byte for byte. The result
// may share memory with raw. Redact is pure and never panics.
func (c *Codec) Redact(raw []byte) []byte {
	if !secrets.MayHold(raw) {
		return raw
	}
	return secrets.Redact(asUTF8(raw))
}

// asUTF8 is raw as the engine can read it: transcoded from ISO-8859-1 /
// Windows-1252 when it is so declared or read, else raw itself.
func asUTF8(raw []byte) []byte {
	lead := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n\x00"))
	body := raw[lead:]
	cs, err := header(body)
	switch {
	case err == nil && cs == charsetLatin1:
		end := bytes.Index(body, []byte("?>"))
		decl := body[:end]
		loc := encodingDecl.FindSubmatchIndex(decl)
		if loc == nil {
			return raw
		}
		out := make([]byte, 0, len(raw)+len(raw)/8)
		out = append(out, raw[:lead]...)
		out = append(out, decl[:loc[2]+1]...)
		out = append(out, "UTF-8"...)
		out = append(out, decl[loc[3]-1:]...)
		return append(out, cp1252ToUTF8(body[end:])...)
	case (err == nil && cs == charsetNone || err != nil) && !utf8.Valid(raw):
		return cp1252ToUTF8(raw)
	}
	return raw
}
