// Package charset reads the single-byte charsets the XML and text
// dialects meet besides UTF-8: ISO-8859-1, which SOS Access prescribes,
// and Windows-1252, which senders on Windows write (and which agrees with
// ISO-8859-1 on every printable character). A codec keeps its own policy
// (what a label it does not know gets, whether undeclared text that is
// not UTF-8 is read as Windows-1252); the tables and the decoding are
// here, once.
package charset

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// Charset is one of the charsets read.
type Charset uint8

// The charsets.
const (
	UTF8 Charset = iota + 1
	Latin1
	Windows1252
)

// Name is the charset's canonical label.
func (c Charset) Name() string {
	switch c {
	case UTF8:
		return "utf-8"
	case Latin1:
		return "iso-8859-1"
	case Windows1252:
		return "windows-1252"
	}
	return ""
}

// Lookup reads an encoding label [XML 1.0 §4.3.3], in any letter case:
// UTF-8, the ISO-8859-1 family (US-ASCII, a subset, among it) and
// Windows-1252.
func Lookup(label string) (Charset, bool) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8":
		return UTF8, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso-ir-100", "latin1", "latin-1", "l1", "cp819", "ibm819", "us-ascii", "ascii":
		return Latin1, true
	case "windows-1252", "cp1252", "x-cp1252":
		return Windows1252, true
	}
	return 0, false
}

// windows1252 holds what Windows-1252 puts at 0x80–0x9F, where ISO-8859-1
// has C1 controls; the five bytes it leaves undefined keep their C1 code
// points, as the WHATWG Encoding Standard's decoder does.
var windows1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// Decode returns b, in charset c, as UTF-8; UTF-8 is returned as it is.
func Decode(b []byte, c Charset) []byte {
	if c == UTF8 {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, x := range b {
		switch {
		case x < 0x80:
			out = append(out, x)
		case x < 0xA0 && c == Windows1252:
			out = utf8.AppendRune(out, windows1252[x-0x80])
		default:
			out = utf8.AppendRune(out, rune(x))
		}
	}
	return out
}

// Reader is an xml.Decoder CharsetReader's body once the codec has chosen
// c: in, read whole and decoded to UTF-8 (UTF-8 passes as it is). The
// input is one frame, already bounded by the codec's size cap, so reading
// it whole is bounded too.
func Reader(in io.Reader, c Charset) (io.Reader, error) {
	if c == UTF8 {
		return in, nil
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(Decode(b, c)), nil
}

// Rune is byte x read as Windows-1252, for a decoder that reads text a
// byte at a time.
func Rune(x byte) rune {
	if x >= 0x80 && x < 0xA0 {
		return windows1252[x-0x80]
	}
	return rune(x)
}
