package masxml

import (
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

var _ protocols.Redactor = (*Codec)(nil)

// photos are the elements whose content is not kept in the stored frame:
// a photo's base64 chunk (PacketData [automation-research.md §2.3, S6])
// is up to a frame's cap of bytes that no reader of the evidence needs,
// and Detail records the chunk's name, number and length instead.
var photos = xmlredact.New("packetdata")

// Redact is the copy of a message the receiver stores
// (protocols.Redactor): the bytes as received, every PacketData's content
// replaced by "[redacted]", found by parsing (xmlredact). A message
// without a photo is returned as it is.
func (c *Codec) Redact(raw []byte) []byte { return photos.Redact(raw) }
