package masxml

import (
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// replyDecl is the declaration the reply starts with
// [automation-research.md §2.3].
const replyDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`

// noSequence is echoed when the request's sequence is unknown: what the
// emulator sends then [S6 responses.py].
const noSequence = "0000"

var codeText = map[int]string{
	CodeOK: TextOK, CodePoorlyFormed: TextPoorlyFormed, CodeInvalid: TextInvalid, CodeNotStored: TextNotStored,
}

// Reply encodes the AckNakClass for outcome (see CodeFor), echoing m's
// MessageSequenceNo [automation-research.md §2.3]. The reply is compact, on
// one line, with no line end after it (the evidence shows it indented; the
// sender reads the elements, not the layout: I). m may be nil.
func (c *Codec) Reply(m *protocols.Message, outcome error, _ time.Time) []byte {
	seq := ""
	if m != nil {
		seq = m.Sequence
	}
	return Answer(seq, CodeFor(outcome))
}

// Answer encodes the AckNakClass with a given code, echoing seq ("" echoes
// "0000").
func Answer(seq string, code int) []byte {
	if !isDigits(seq, MaxSequence) {
		seq = noSequence
	}
	text, ok := codeText[code]
	if !ok {
		code, text = CodeNotStored, TextNotStored
	}
	b := make([]byte, 0, 160)
	b = append(b, replyDecl...)
	b = append(b, "<AckNakClass><MessageSequenceNo>"...)
	b = append(b, seq...)
	b = append(b, "</MessageSequenceNo><ResultCode>"...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, "</ResultCode><ResultText>"...)
	b = append(b, text...) // constants with nothing to escape
	b = append(b, "</ResultText></AckNakClass>"...)
	return b
}
