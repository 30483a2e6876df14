package masxml

import (
	"fmt"
	"io"

	ichar "github.com/alarmrx/alarmrx/protocols/internal/charset"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// charsetReader is the xml.Decoder's CharsetReader: the declaration may
// name UTF-8 (which encoding/xml reads itself), ISO-8859-1 or Windows-1252
// (I: the evidence shows UTF-8 only [automation-research.md §2.3]; the
// other two are what Windows senders write). Any other charset is refused.
// The input is one frame, already bounded by the size cap.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	c, ok := ichar.Lookup(label)
	if !ok {
		return nil, fmt.Errorf("charset %s: UTF-8, ISO-8859-1 or Windows-1252", xmltext.QuoteLabel(label))
	}
	return ichar.Reader(in, c)
}
