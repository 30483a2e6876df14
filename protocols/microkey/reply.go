package microkey

import (
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Reply encodes the answer the emulator writes [S6], byte for byte:
//
//	\r<Response><Sequence>s</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n
//	\r<Response><Sequence>s</Sequence><Status>NAK</Status><Error>text</Error></Response><Checksum>0000</Checksum>\n
//
// The Sequence is the package's (empty when it was not read); the Error
// text is fixed per cause (ErrorText). A store failure or a shutdown is a
// NAK "Not stored, resend", which senders resend [S27]; an unknown account
// is acknowledged. With Options.NoACKNAK, Reply is silent. The checksum is
// ReplyChecksum.
func (c *Codec) Reply(m *protocols.Message, outcome error, _ time.Time) []byte {
	if c.noACKNAK {
		return nil
	}
	seq := ""
	if m != nil {
		seq = m.Sequence
	}
	text := ErrorText(outcome)
	b := make([]byte, 0, 112+len(seq)+len(text))
	b = append(b, "\r<Response><Sequence>"...)
	b = appendEscaped(b, seq)
	if text == "" {
		b = append(b, "</Sequence><Status>ACK</Status>"...)
	} else {
		b = append(b, "</Sequence><Status>NAK</Status><Error>"...)
		b = append(b, text...)
		b = append(b, "</Error>"...)
	}
	b = append(b, "</Response><Checksum>"...)
	b = append(b, ReplyChecksum...)
	return append(b, "</Checksum>\n"...)
}

// appendEscaped writes s as XML character data; control characters are
// dropped (a Sequence Decode accepted never has any).
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c < ' ' || c == 0x7f:
		default:
			b = append(b, c)
		}
	}
	return b
}
