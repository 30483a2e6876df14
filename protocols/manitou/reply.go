package manitou

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// rawNoAlphabet is base-62, the alphabet of the one RawNo the evidence
// shows ("ER9ReRiXVWRl", twelve letters and digits) [§2.4, O: S6
// responses.py draws twelve random ones].
const rawNoAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RawNoLen is the length of a RawNo.
const RawNoLen = 12

// RawNo is the raw number the receiver gives a frame: Manitou's receiver
// issues one in each ACK [§2.4]. The codec has no clock and no randomness,
// so it is a digest: the first 128 bits of SHA-256 over the XML between
// STX and ETX (white space and framing outside them not counted), written
// as twelve base-62 digits (the 128-bit number modulo 62^12, ~71 bits).
// A retransmission of the same frame gets the same RawNo (I).
func RawNo(frame []byte) string {
	sum := sha256.Sum256(unframe(frame))
	hi, lo := binary.BigEndian.Uint64(sum[0:8]), binary.BigEndian.Uint64(sum[8:16])
	var out [RawNoLen]byte
	for i := RawNoLen - 1; i >= 0; i-- {
		var r uint64
		hi, r = bits.Div64(0, hi, 62)
		lo, r = bits.Div64(r, lo, 62)
		out[i] = rawNoAlphabet[r]
	}
	return string(out[:])
}

const xmlDecl = `<?xml version="1.0"?>`

// Ack is the acknowledgement of a frame [§2.4, O]:
// STX<?xml version="1.0"?><Ack><RawNo>…</RawNo></Ack>ETX, or <Ack/> when
// there is no raw number to give (the emulator's form for that case, S6
// responses.py convert_ack). rawNo must be base-62 (RawNo's form).
func Ack(rawNo string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, STX)
	b = append(b, xmlDecl...)
	if rawNo == "" {
		b = append(b, "<Ack/>"...)
	} else {
		b = append(b, "<Ack><RawNo>"...)
		b = append(b, rawNo...)
		b = append(b, "</RawNo></Ack>"...)
	}
	return append(b, ETX)
}

// Nak is the refusal [§2.4, O]: STX<?xml version="1.0"?><Nak Index="…"
// Code="…"/>ETX, index the 1-based Signal or Binary refused, 0 for the
// whole frame (I).
func Nak(index, code int) []byte {
	b := make([]byte, 0, 64)
	b = append(b, STX)
	b = append(b, xmlDecl...)
	b = append(b, `<Nak Index="`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `" Code="`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `"/>`...)
	return append(b, ETX)
}

// NakCode returns the NAK code for a refusal (the table at NakMalformed).
// A failure the codec does not know of, and the receiver's own store or
// shutdown failures, are "not stored": the sender retries or fails over,
// so that an alarm is never dropped on an answer it cannot read.
func NakCode(outcome error) int {
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonStore, protocols.ReasonShutdown:
		return NakNotStored
	}
	switch {
	case errors.Is(outcome, ErrNotAuthorized):
		return NakNotAuthorised
	case errors.Is(outcome, ErrUnknownType):
		return NakUnknownType
	case errors.Is(outcome, ErrMissing):
		return NakMissing
	case errors.Is(outcome, ErrWrongContent):
		return NakWrongContent
	case errors.Is(outcome, ErrSyntax):
		return NakMalformed
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonSyntax, protocols.ReasonTooLong:
		return NakMalformed
	case protocols.ReasonToken:
		return NakNotAuthorised
	}
	return NakNotStored
}

// Reply answers a frame: nil outcome (or an unknown account, which is
// stored and acknowledged) → Ack with the frame's RawNo; any other outcome
// → Nak with NakCode and, for a refusal of one Signal or Binary, its
// index. m may be nil: the ACK then carries no RawNo.
func (c *Codec) Reply(m *protocols.Message, outcome error, _ time.Time) []byte {
	if outcome == nil || protocols.ReasonOf(outcome) == protocols.ReasonUnknownAccount {
		return Ack(rawNoOf(m))
	}
	index := 0
	var se *SignalError
	if errors.As(outcome, &se) {
		index = se.Index
	}
	return Nak(index, NakCode(outcome))
}

func rawNoOf(m *protocols.Message) string {
	if m == nil {
		return ""
	}
	if f, ok := m.Detail.(*Frame); ok && validRawNo(f.RawNo) {
		return f.RawNo
	}
	return ""
}

func validRawNo(s string) bool {
	if len(s) != RawNoLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
