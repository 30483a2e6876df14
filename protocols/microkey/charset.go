package microkey

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// charsetReader turns a declared ISO-8859-1 or Windows-1252 document into
// UTF-8 (encoding/xml reads UTF-8 itself); any other charset is refused.
// The input is one package already capped by MaxFrameBytes, so reading it
// whole is bounded.
func charsetReader(label string, in io.Reader) (io.Reader, string, error) {
	var table *[32]rune
	name := strings.ToLower(strings.TrimSpace(label))
	switch name {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		name = "iso-8859-1"
	case "windows-1252", "cp1252", "x-cp1252":
		name, table = "windows-1252", &cp1252
	default:
		return nil, "", fmt.Errorf("charset %q: UTF-8, ISO-8859-1 or Windows-1252 only", clip([]byte(label), 40))
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, "", err
	}
	return bytes.NewReader(toUTF8(b, table)), name, nil
}

// transcode reads a document that declares no encoding and is not valid
// UTF-8 as Windows-1252, as the emulator does for Ajax's output [S6]; the
// charset it assumed is returned.
func transcode(doc []byte) ([]byte, string) {
	if utf8.Valid(doc) {
		return doc, ""
	}
	if bytes.HasPrefix(doc, []byte(declOpen)) {
		end := bytes.Index(doc, []byte("?>"))
		if end < 0 || bytes.Contains(doc[:end], []byte("encoding")) {
			// Declared: encoding/xml calls charsetReader, or refuses
			// invalid UTF-8 when UTF-8 is declared.
			return doc, ""
		}
	}
	return toUTF8(doc, &cp1252), "windows-1252"
}

// toUTF8 maps each byte to a rune: ISO-8859-1 when table is nil, else
// Windows-1252 for 0x80-0x9F.
func toUTF8(b []byte, table *[32]rune) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		r := rune(c)
		if table != nil && c >= 0x80 && c < 0xa0 {
			r = table[c-0x80]
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// cp1252 is Windows-1252's 0x80-0x9F; the five undefined bytes map to the
// C1 code point of the same value, as WHATWG's decoder does.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}
