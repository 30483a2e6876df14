package manitou

import (
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

// secrets: the Heartbeat Passkey [§2.4, O: S6 extract_heartbeat_passkey],
// as an attribute or an element anywhere in the frame.
var secrets = xmlredact.New("passkey")

// Redact returns the copy of a frame the receiver keeps as evidence
// (protocols.Redactor): the bytes as received, less every passkey, found
// by parsing the XML between STX and ETX (xmlredact); the framing bytes
// and any white space around them are kept as they are. A frame that
// cannot hold a passkey is returned as it is. The result may share memory
// with raw. Redact is pure and never panics.
func (c *Codec) Redact(raw []byte) []byte {
	start := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n"))
	if start < len(raw) && raw[start] == STX {
		start++
	}
	end := len(bytes.TrimRight(raw[start:], " \t\r\n")) + start
	if end > start && raw[end-1] == ETX {
		end--
	}
	inner := raw[start:end]
	if !utf8.Valid(inner) && secrets.MayHold(inner) {
		// xmlredact reads UTF-8 only: a frame declared ISO-8859-1 or
		// Windows-1252 would not parse there and be kept truncated. Read
		// as the decoder reads it (charsetReader), it holds no spelling of
		// a passkey when MayHold says so of its UTF-8 form: it is then kept
		// as received. One that may hold a passkey goes to xmlredact and is
		// kept up to its declaration only: never any part of a secret.
		if u, ok := asDeclared(inner); ok && !secrets.MayHold(u) {
			return raw
		}
	}
	red := secrets.Redact(inner)
	if len(red) == len(inner) && (len(red) == 0 || &red[0] == &inner[0]) {
		return raw
	}
	out := make([]byte, 0, start+len(red)+len(raw)-end)
	out = append(out, raw[:start]...)
	out = append(out, red...)
	return append(out, raw[end:]...)
}

// asDeclared returns doc in UTF-8 when its XML declaration names an
// encoding charsetReader reads.
func asDeclared(doc []byte) ([]byte, bool) {
	enc, ok := declaredEncoding(doc)
	if !ok {
		return nil, false
	}
	rd, err := charsetReader(enc, bytes.NewReader(doc))
	if err != nil {
		return nil, false
	}
	u, err := io.ReadAll(rd)
	return u, err == nil
}

// declaredEncoding returns the encoding pseudo-attribute of the XML
// declaration doc starts with [XML 1.0 §2.8, §4.3.3].
func declaredEncoding(doc []byte) (string, bool) {
	doc = bytes.TrimPrefix(doc, []byte("\ufeff"))
	if !bytes.HasPrefix(doc, []byte("<?xml")) {
		return "", false
	}
	end := bytes.Index(doc, []byte("?>"))
	if end < 0 {
		return "", false
	}
	decl := doc[5:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return "", false
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return "", false
	}
	q := bytes.IndexByte(rest[1:], rest[0])
	if q < 0 {
		return "", false
	}
	return string(rest[1 : 1+q]), true
}
