package microkey

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "microkey"

// Caps. A package carries at most MaxSignals signals [contract]; each field
// is capped so that no sender can make one event arbitrarily large.
const (
	DefaultMaxFrameBytes = 100_000 // as SOS Access [automation-research.md §2.8]
	MaxSignals           = 100
	MaxAccount           = 16   // as xmlsignal
	MaxText              = 2000 // Data and every kept extra
	MaxURL               = 2048 // media elements
	MaxShort             = 32   // LN, PZ, A, DT, TM, SignalCount
	MaxSequence          = 20
	MaxFields            = 64 // child elements of one Signal
)

// ReplyChecksum is what the replies carry in <Checksum>: the algorithm is
// not public [automation-research.md §2.2, §7] and none of CRC-16 (every
// polynomial, common initial values, reflected or not), byte sums, Fletcher
// or Adler reproduces both the emulator's ACK value 4FE9 for Sequence 10000
// and the vendor sample's 3F7D; the emulator writes 4FE9 for every ACK
// whatever the sequence and 0000 in its NAK [S6]. We write 0000.
const ReplyChecksum = "0000"

// Sentinel errors, wrapped in a *protocols.FrameError. errors.Is finds them.
var (
	// ErrSyntax: not a well-formed <Signals> package (bad XML, a DTD or
	// entity declaration, another root, content after the root, an element
	// nested in a field, an unsupported charset). Reason syntax.
	ErrSyntax = errors.New("microkey: not a well-formed Signals package")
	// ErrChecksum: the text after </Signals> is not <Checksum>hhhh</Checksum>.
	// Reason checksum.
	ErrChecksum = errors.New("microkey: malformed checksum")
	// ErrCount: SignalCount differs from the number of Signal elements.
	// Reason syntax.
	ErrCount = errors.New("microkey: signal count mismatch")
	// ErrMissing: Sequence, SignalCount, an account or an event code is
	// absent. Reason syntax.
	ErrMissing = errors.New("microkey: mandatory data missing")
	// ErrWrongContent: a field has a value we refuse (account, event code,
	// a field over its cap, too many signals). Reason syntax.
	ErrWrongContent = errors.New("microkey: a field has a wrong value")
)

// The NAK's <Error> texts: short and fixed per cause, so a sender (or the
// human it alerts) can tell "resend" from "invalid data" [S27].
const (
	textInvalidXML    = "Invalid XML"
	textChecksum      = "Checksum error"
	textCount         = "Signal count mismatch"
	textNoSequence    = "Missing sequence"
	textNoCount       = "Missing signal count"
	textNoAccount     = "Missing account"
	textNoCode        = "Missing event code"
	textBadSequence   = "Invalid sequence"
	textBadCount      = "Invalid signal count"
	textTooMany       = "Too many signals"
	textBadAccount    = "Invalid account"
	textBadCode       = "Invalid event code"
	textBadField      = "Invalid field"
	textBadURL        = "Invalid URL"
	textTooLong       = "Message too long"
	textNotStored     = "Not stored, resend"
	textUnknownReason = "Error"
)

// nakError carries the NAK text of one refusal beside its sentinel and the
// detail for logs.
type nakError struct {
	sentinel error
	text     string
	detail   string
}

func (e *nakError) Error() string { return e.detail }
func (e *nakError) Unwrap() error { return e.sentinel }

func refuse(reason protocols.Reason, sentinel error, text, detail string) error {
	return protocols.Reject(Name, reason, &nakError{sentinel: sentinel, text: text, detail: detail})
}

// ErrorText returns the <Error> text the NAK for outcome carries, "" for an
// outcome that is acknowledged (nil, or an unknown account: unknown
// accounts are stored and acknowledged).
func ErrorText(outcome error) string {
	if outcome == nil {
		return ""
	}
	var ne *nakError
	if errors.As(outcome, &ne) {
		return ne.text
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonUnknownAccount:
		return ""
	case protocols.ReasonTooLong:
		return textTooLong
	case protocols.ReasonChecksum, protocols.ReasonCRC:
		return textChecksum
	case protocols.ReasonSyntax, protocols.ReasonToken:
		return textInvalidXML
	}
	// The store failed, the receiver is shutting down, or something we do
	// not know went wrong: the package was not kept, the sender must resend
	// it ("smarter senders resend a NAK'd package" [S27]).
	return textNotStored
}

// Options configure a Codec.
type Options struct {
	// MaxFrameBytes caps one package; ≤ 0 means DefaultMaxFrameBytes.
	MaxFrameBytes int
	// NoACKNAK makes Reply silent, as SPA's /NoACKNAK driver option does for
	// senders that cannot handle replies [S27].
	NoACKNAK bool
}

// Codec implements protocols.Codec for Micro Key XML. It is pure and safe
// for concurrent use.
type Codec struct {
	max      int
	noACKNAK bool
}

// New returns a codec.
func New(o Options) *Codec {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	return &Codec{max: o.MaxFrameBytes, noACKNAK: o.NoACKNAK}
}

// Name returns "microkey".
func (c *Codec) Name() string { return Name }

var (
	_ protocols.Codec           = (*Codec)(nil)
	_ protocols.DetailRebuilder = (*Codec)(nil)
)
