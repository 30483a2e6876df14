package sos

import (
	"errors"
	"io"
	"strconv"

	ichar "github.com/alarmrx/alarmrx/protocols/internal/charset"
)

// charset is what an XML header's encoding declares.
type charset uint8

const (
	charsetNone   charset = iota // no encoding declared: UTF-8 by XML's rule
	charsetUTF8                  // UTF-8
	charsetLatin1                // ISO-8859-1, Windows-1252, US-ASCII
)

// charsetOf reads an encoding label. SOS Access messages are ISO-8859-1
// [S7: "only printable 8-bits characters from ISO8859-1 are allowed"];
// UTF-8 and Windows-1252 are accepted as well (I). ISO-8859-1 is read as
// Windows-1252, as the WHATWG Encoding Standard does for that label: the
// two agree on every printable ISO-8859-1 character, and a sender that
// writes "€" as 0x80 under an ISO-8859-1 header is read as it meant (I).
func charsetOf(label string) (charset, bool) {
	c, ok := ichar.Lookup(label)
	switch {
	case !ok:
		return 0, false
	case c == ichar.UTF8:
		return charsetUTF8, true
	}
	return charsetLatin1, true
}

var errCharset = errors.New("sos: unsupported charset")

// charsetReader is the xml.Decoder's CharsetReader: Latin-1 and
// Windows-1252 become UTF-8; any other label is refused (Decode has
// refused it already, from the header).
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	cs, ok := charsetOf(label)
	switch {
	case !ok:
		return nil, errCharset
	case cs == charsetUTF8:
		return input, nil
	}
	// ISO-8859-1 is read as Windows-1252 (charsetOf).
	return ichar.Reader(input, ichar.Windows1252)
}

// cp1252ToUTF8 converts Windows-1252 (and so ISO-8859-1's printable
// characters) to UTF-8.
func cp1252ToUTF8(b []byte) []byte { return ichar.Decode(b, ichar.Windows1252) }

// appendLatin1 appends s, XML-escaped, in ISO-8859-1: a character outside
// ISO-8859-1 becomes a character reference, so that a reply declared
// ISO-8859-1 is read back as the text it echoes.
func appendLatin1(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
			// Not a character of XML 1.0: dropped (Decode never
			// produces it; Answer may be given anything).
		case r < 0x20:
			// TAB, LF, CR as references, so that they read back as
			// sent rather than normalised [XML 1.0 §2.11, §3.3.3].
			dst = append(dst, "&#"...)
			dst = strconv.AppendInt(dst, int64(r), 10)
			dst = append(dst, ';')
		case r < 0x80 || r >= 0xA0 && r <= 0xFF:
			dst = append(dst, byte(r))
		default:
			dst = append(dst, "&#"...)
			dst = strconv.AppendInt(dst, int64(r), 10)
			dst = append(dst, ';')
		}
	}
	return dst
}
