package dc09

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

var _ protocols.Redactor = (*Codec)(nil)

const (
	// xdataKey is the ID of the extended data block that carries an
	// encryption key, a key-change request [DC-09 §3.7].
	xdataKey = 'K'
	// notKept ends the evidence copy of a frame that is cut short: what
	// follows could be part of a key.
	notKept = "…[rest not kept: not well-formed]"
)

// keyBlock is how a key-change block starts on the wire.
var keyBlock = []byte{'[', xdataKey}

// Redact returns the copy of a frame the receiver keeps as evidence
// (protocols.Redactor): the bytes as received, with the value of every
// key-change block [K…] of a plain frame replaced by "[redacted]" [DC-09
// §3.7: K is an encryption key, up to 256 bits]. The blocks are found with
// the frame parser (header grammar and data blocks; the CRC is not checked,
// so that a frame refused for its CRC is blanked too), not by matching
// bytes: "[K" inside the data block is data.
//
// The copy no longer matches its CRC and length fields. That is accepted: it
// is the record of what came, never decoded or sent again; the CRC field
// still shows what the panel sent.
//
// An encrypted frame carries its K blocks inside the ciphertext, which is
// kept as received; its decoded Frame shows them as "[redacted]" (see
// Frame.MarshalJSON). A frame holding the bytes "[K" where the parser cannot
// tell blocks from the rest (the frame does not parse, or they sit in an
// encrypted frame's ciphertext, where only hex digits belong) is kept only
// up to those bytes, followed by "…[rest not kept: not well-formed]".
//
// A frame without "[K" — nearly every one — is returned as it is, without
// being parsed. The result may share memory with raw. Redact is pure and
// never panics.
func (c *Codec) Redact(raw []byte) []byte {
	first := bytes.Index(raw, keyBlock)
	if first < 0 {
		return raw
	}
	var f Frame
	p, err := scanHeader(raw, &f, false)
	if err != nil {
		return cutAt(raw, first)
	}
	// p.body runs from after the data block's '[' to the CR; trailing NULs
	// come after the CR [DC-09 §3.2].
	end := len(bytes.TrimRight(raw, "\x00")) - 1
	body := end - len(p.body)
	if f.Encrypted {
		// [DC-09 §3.10] Hex digits up to the CR: no block can be read here.
		if i := bytes.Index(p.body, keyBlock); i >= 0 {
			return cutAt(raw, body+i)
		}
		return raw
	}
	if err := p.parseBlocks(p.body, protocols.ReasonSyntax, ErrSyntax); err != nil {
		return cutAt(raw, first)
	}
	// [DC-09 §3.3, §3.7] data ']' then '[' ID value ']' per block, in order.
	var out []byte
	prev := 0
	at := body + len(f.Data) + 1
	for _, x := range f.XData {
		v0, v1 := at+2, at+2+len(x.Value)
		if v1 >= end || raw[at] != '[' || raw[at+1] != x.ID || raw[v1] != ']' {
			return cutAt(raw, first) // not the frame the parser read
		}
		if x.ID == xdataKey && v1 > v0 {
			out = append(append(out, raw[prev:v0]...), redacted...)
			prev = v1
		}
		at = v1 + 1
	}
	if out == nil {
		return raw
	}
	return append(out, raw[prev:]...)
}

// cutAt returns raw up to n, then notKept.
func cutAt(raw []byte, n int) []byte {
	return append(append(make([]byte, 0, n+len(notKept)), raw[:n]...), notKept...)
}
