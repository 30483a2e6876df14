package manitou

import (
	"bytes"

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
	red := secrets.Redact(inner)
	if len(red) == len(inner) && (len(red) == 0 || &red[0] == &inner[0]) {
		return raw
	}
	out := make([]byte, 0, start+len(red)+len(raw)-end)
	out = append(out, raw[:start]...)
	out = append(out, red...)
	return append(out, raw[end:]...)
}
