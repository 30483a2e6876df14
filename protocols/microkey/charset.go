package microkey

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	ichar "github.com/alarmrx/alarmrx/protocols/internal/charset"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// charsetReader turns a declared ISO-8859-1 or Windows-1252 document into
// UTF-8 (encoding/xml reads UTF-8 itself); any other charset is refused.
// The input is one package already capped by MaxFrameBytes, so reading it
// whole is bounded.
func charsetReader(label string, in io.Reader) (io.Reader, string, error) {
	c, ok := ichar.Lookup(label)
	if !ok || c == ichar.UTF8 {
		// encoding/xml reads UTF-8 itself and asks for no reader.
		return nil, "", fmt.Errorf("charset %s: UTF-8, ISO-8859-1 or Windows-1252 only", xmltext.QuoteLabel(label))
	}
	r, err := ichar.Reader(in, c)
	if err != nil {
		return nil, "", err
	}
	return r, c.Name(), nil
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
	return ichar.Decode(doc, ichar.Windows1252), ichar.Windows1252.Name()
}
