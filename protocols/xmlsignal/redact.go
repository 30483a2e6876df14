package xmlsignal

import (
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

var _ protocols.Redactor = (*Codec)(nil)

// secrets: the passkey is the sender's secret, Header/Passkey on TCP
// [design.md §6, §7].
var secrets = xmlredact.New("passkey")

// Redact returns the copy of a message the receiver keeps as evidence
// (protocols.Redactor): the bytes as received, less every passkey, found
// by parsing XML or JSON (a body starting with "{") as the decoders read
// it (xmlredact). A message in which no spelling of a passkey can occur
// is returned as it is, without being parsed: that is the common case
// (senders that authenticate in an HTTP header) and costs one scan and no
// allocation. The result may share memory with raw. Redact is pure and
// never panics.
func (c *Codec) Redact(raw []byte) []byte { return secrets.Redact(raw) }
