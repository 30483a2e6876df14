package masxml

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// win1252 maps the bytes 0x80-0x9F of Windows-1252 to Unicode; 0 marks the
// five bytes it leaves undefined, which are refused. Outside that range
// Windows-1252 and ISO-8859-1 are both Unicode's first 256 code points.
var win1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// charsetReader is the xml.Decoder's CharsetReader: the declaration may
// name UTF-8 (which encoding/xml reads itself), ISO-8859-1 or Windows-1252
// (I: the evidence shows UTF-8 only [automation-research.md §2.3]; the
// other two are what Windows senders write). Any other charset is refused.
// The input is one frame, already bounded by the size cap.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	var table *[32]rune
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf8":
		return in, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
	case "windows-1252", "cp1252", "x-cp1252":
		table = &win1252
	default:
		return nil, fmt.Errorf("charset %q: UTF-8, ISO-8859-1 or Windows-1252", label)
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		r := rune(c)
		if table != nil && c >= 0x80 && c <= 0x9F {
			if r = table[c-0x80]; r == 0 {
				return nil, fmt.Errorf("byte %#x is undefined in Windows-1252", c)
			}
		}
		out = utf8.AppendRune(out, r)
	}
	return bytes.NewReader(out), nil
}
