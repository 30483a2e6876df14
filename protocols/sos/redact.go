package sos

import (
	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

// secrets: the transmitter's password travels in the clear in every
// request's <authentication> [S7].
var secrets = xmlredact.New("authentication")

// Redact returns the copy of a message the receiver keeps as evidence
// (protocols.Redactor): the bytes as received, less the content of every
// authentication element, in any letter case or namespace, found by
// parsing it as the decoder reads it (xmlredact, which reads ISO-8859-1
// and Windows-1252 byte for byte). A message in which no spelling of the
// name can occur is returned as it is. A message the engine cannot parse
// (one that is not UTF-8 and declares no single-byte charset, say) is kept
// only up to the point of failure. The result may share memory with raw.
// Redact is pure and never panics.
func (c *Codec) Redact(raw []byte) []byte { return secrets.Redact(raw) }
