package manitou

import (
	"errors"
	"strconv"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the protocol id used in configuration, logs and metric labels.
const Name = "manitou"

// Framing bytes: each XML frame is sent as STX … ETX
// [automation-research.md §2.4, O: S6 parser.py strip_stx_etx].
const (
	STX = 0x02
	ETX = 0x03
)

// DefaultMaxFrameBytes is the frame cap when Options.MaxFrameBytes ≤ 0. It
// is larger than SOS Access's 100,000 characters because a Manitou frame
// may carry a base64 JPEG snapshot in <Binary><Data> (§2.4) (I).
const DefaultMaxFrameBytes = 1 << 20

// minFrameBytes is the smallest cap honoured: STX, a tag and ETX.
const minFrameBytes = 16

// Caps on what one frame may carry (I, after xmlsignal and the contract).
const (
	MaxSignals  = 100  // Signal and Binary elements of one frame
	MaxAccount  = 16   // printable ASCII characters, as xmlsignal's account
	MaxText     = 2000 // AreaInfo and any other free text
	MaxURL      = 2048 // http(s) only
	MaxField    = 64   // Area, Zone, PointID, User, EvType, RLP, sender, sequence, RawNo, Ext, lengths
	maxDepth    = 16   // element nesting
	maxElements = 4096 // elements of one frame
)

// NAK codes. Manitou's own code table is not public: the emulator [S6]
// answers Code="10" for any refusal; the rest of this table is ours (I),
// numbered so that a sender can tell "do not retry unchanged" (1x, 2x, 4x,
// 5x) from "retry, or fail over" (30).
const (
	NakMalformed     = 10 // not well-formed XML, a DTD, an unsupported charset, the frame over the size cap
	NakMissing       = 20 // mandatory data missing: the Event code
	NakWrongContent  = 21 // a field too long or of a wrong form, too many signals, bad base64
	NakNotStored     = 30 // received but not stored (store failure, shutdown): retry or fail over
	NakNotAuthorised = 40 // wrong or missing Passkey
	NakUnknownType   = 50 // a well-formed frame with no Signal, Binary, Heartbeat or Ping
)

// Sentinel errors, wrapped in a *protocols.FrameError; each has its NAK code.
var (
	ErrSyntax        = errors.New("manitou: not a well-formed frame")
	ErrMissing       = errors.New("manitou: mandatory data missing")
	ErrWrongContent  = errors.New("manitou: a field has a wrong value")
	ErrNotAuthorized = errors.New("manitou: wrong or missing passkey")
	ErrUnknownType   = errors.New("manitou: unknown message type")
)

// SignalError says which item of a frame (1-based, in document order,
// counting Signal and Binary elements) a refusal is about; Reply echoes it
// as the NAK's Index. It sits inside the FrameError: errors.As finds it,
// errors.Is still finds the sentinel it wraps.
type SignalError struct {
	Index int
	Err   error
}

func (e *SignalError) Error() string { return "signal " + strconv.Itoa(e.Index) + ": " + e.Err.Error() }
func (e *SignalError) Unwrap() error { return e.Err }

// Options configure a Codec.
type Options struct {
	// MaxFrameBytes caps a frame, STX and ETX included; ≤ 0 means
	// DefaultMaxFrameBytes.
	MaxFrameBytes int
	// Auth, when set, checks the Passkey: a Heartbeat (or Ping) must carry
	// one that Auth accepts, and any other frame that carries one must
	// carry one Auth accepts; otherwise the frame is refused (ReasonToken,
	// NAK 40). sender is Sender's value, "" when the frame names none. Auth
	// must compare in constant time.
	Auth func(sender, passkey string) bool
}

// Codec implements protocols.Codec and protocols.Redactor for Manitou XML.
type Codec struct {
	maxFrame int
	auth     func(sender, passkey string) bool
}

var (
	_ protocols.Codec    = (*Codec)(nil)
	_ protocols.Redactor = (*Codec)(nil)
)

// New returns a codec for o.
func New(o Options) *Codec {
	n := o.MaxFrameBytes
	if n <= 0 {
		n = DefaultMaxFrameBytes
	}
	return &Codec{maxFrame: max(n, minFrameBytes), auth: o.Auth}
}

// Name returns "manitou".
func (c *Codec) Name() string { return Name }

// Split frames a TCP stream into STX … ETX frames, both bytes included
// [§2.4]. Bytes outside a frame (garbage, the CR/LF some senders put
// between frames) are skipped. A frame never holds a second STX (0x02 is
// no XML character [XML 1.0 §2.2]), so a later STX restarts the frame:
// that is how Split resynchronises after a frame cut short. Only when the
// cap's worth of bytes after an STX holds neither ETX nor STX does Split
// give up (ReasonTooLong). An incomplete frame at EOF is dropped: it
// cannot be answered.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	s := indexByte(data, 0, STX)
	if s < 0 {
		return len(data), nil, nil
	}
	for {
		// The frame is data[s:e+1] with e-s+1 ≤ maxFrame: look no further.
		end := min(len(data), s+c.maxFrame)
		j := s + 1
		for j < end && data[j] != STX && data[j] != ETX {
			j++
		}
		switch {
		case j < end && data[j] == STX:
			s = j
			continue
		case j < end: // ETX
			return j + 1, data[s : j+1], nil
		case len(data)-s >= c.maxFrame:
			return s, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
		case atEOF:
			return len(data), nil, nil
		}
		return s, nil, nil
	}
}

func indexByte(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
