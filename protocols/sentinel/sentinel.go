package sentinel

import (
	"errors"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "sentinel"

// Control bytes. ACK and NAK are the only replies [automation-research.md
// §2.5, S6 responses]; DC4 ends the 06 14 ping [S6 handler] and is taken as
// a line terminator too (I).
const (
	ACK = 0x06 // line accepted (stored), or a ping answered
	NAK = 0x15 // line refused or not stored: the sender resends it
	DC4 = 0x14 // ends the ping; also ends a line
)

// Kinds of a decoded line (protocols.Message.Kind).
const (
	KindSignals   = "signals"   // a line with one event
	KindHeartbeat = "heartbeat" // a keep-alive: no events
	KindRejected  = "rejected"  // refused: answered NAK
)

// Caps. A line carries one event, so the frame cap only needs room for a
// text, a few media links and some extra pairs.
const (
	DefaultMaxFrameBytes = 16 << 10 // Options.MaxFrameBytes ≤ 0
	MaxAccount           = 16       // as xmlsignal: 1–16 of A–Z a–z 0–9 -
	MaxSequence          = 64       // printable ASCII, no space
	MaxAddress           = 16       // zone, area, user
	MaxText              = 2000     // text and any other value, in characters
	MaxURL               = 2048     // a media link, http(s) only
	MaxKey               = 64       // a key's length
	MaxPairs             = 100      // key=value pairs in one line
)

// Sentinel errors, wrapped in *protocols.FrameError. Every one is answered
// NAK; the reason is ReasonSyntax, or ReasonTooLong for the size cap.
var (
	ErrSyntax       = errors.New("sentinel: malformed line")
	ErrMissing      = errors.New("sentinel: mandatory field missing")
	ErrWrongContent = errors.New("sentinel: a field has a wrong value")
	ErrXML          = errors.New("sentinel: XML payload not supported")
)

// Options configure a Codec.
type Options struct {
	// MaxFrameBytes caps one line, terminator excluded; ≤ 0 means
	// DefaultMaxFrameBytes.
	MaxFrameBytes int
}

// Codec implements protocols.Codec, protocols.Redactor and
// protocols.DetailRebuilder for Sentinel lines.
type Codec struct {
	max int
}

var (
	_ protocols.Codec           = (*Codec)(nil)
	_ protocols.Redactor        = (*Codec)(nil)
	_ protocols.DetailRebuilder = (*Codec)(nil)
)

// New returns a codec.
func New(o Options) *Codec {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	return &Codec{max: o.MaxFrameBytes}
}

// Name returns "sentinel".
func (c *Codec) Name() string { return Name }

// isTerminator reports the bytes that end a line: CR, LF (so CRLF too, its
// LF read as an empty line that is skipped) and DC4.
func isTerminator(b byte) bool { return b == '\r' || b == '\n' || b == DC4 }

// isLeadingNoise reports the bytes skipped before a line: terminators (empty
// lines) and C0 controls that no line starts with (NUL padding, STX, ETX…).
// ACK is kept: a line that starts with it is the 06 14 ping. Tab is kept as
// white space inside the line.
func isLeadingNoise(b byte) bool {
	return b < 0x20 && b != ACK && b != '\t' || b == 0x7F
}

// Split returns one line per call, without its CR or LF; a DC4 that ends
// a line stays on it, so that Decode tells the 06 14 ping from a lone 06
// on a line (Decode drops it from other lines). Bytes before a
// line that no line can start with are skipped (resynchronising past
// padding and noise), and so are empty lines: a stateless splitter cannot
// tell an empty line from the LF of a CRLF whose CR ended the previous
// read, so answering empty lines would answer some CRLF lines twice. A line
// longer than the cap whose end is in the buffer is skipped (the next line
// is read normally); one whose end is not is refused with ErrFrameTooLong,
// the only error. At EOF an unterminated last line is still a line.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	start := 0
	for start < len(data) && isLeadingNoise(data[start]) {
		start++
	}
	rest := data[start:]
	i := indexTerminator(rest)
	switch {
	case i > c.max:
		return start + i + 1, nil, nil
	case i >= 0 && rest[i] == DC4:
		return start + i + 1, rest[:i+1], nil
	case i >= 0:
		return start + i + 1, rest[:i], nil
	case len(rest) > c.max:
		return start, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	case atEOF && len(rest) > 0:
		return len(data), rest, nil
	}
	return start, nil, nil
}

func indexTerminator(b []byte) int {
	for i, c := range b {
		if isTerminator(c) {
			return i
		}
	}
	return -1
}

// Reply is ACK (0x06) for a stored line or an answered ping, NAK (0x15)
// otherwise [S6 responses]: for a refused line, and when the receiver could
// not store it (ReasonStore, ReasonShutdown), since NAK is the only answer
// that makes the sender resend (I). An unknown account is not a refusal:
// the line is stored and acknowledged. m is not needed: the dialect echoes
// nothing.
func (c *Codec) Reply(_ *protocols.Message, outcome error, _ time.Time) []byte {
	if outcome == nil || protocols.ReasonOf(outcome) == protocols.ReasonUnknownAccount {
		return []byte{ACK}
	}
	return []byte{NAK}
}
