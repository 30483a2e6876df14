package dc09

import (
	"errors"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the codec's stable id in configuration, logs and metric labels.
const Name = "dc09"

// Sentinel errors. Decode and Parse return them wrapped in a
// *protocols.FrameError whose Reason drives the reply; test them with
// errors.Is. No error text ever holds key material.
var (
	ErrCRC       = errors.New("dc09: crc mismatch")
	ErrSyntax    = errors.New("dc09: syntax")
	ErrToken     = errors.New("dc09: unsupported id token")
	ErrNoKey     = errors.New("dc09: no key")
	ErrDecrypt   = errors.New("dc09: decrypt failed")
	ErrTimestamp = errors.New("dc09: timestamp")
	// ErrUnencrypted: a plain frame for an account that has a key.
	ErrUnencrypted = errors.New("dc09: encryption required")
	// ErrAccountMismatch: the decrypted data names another account than
	// the header, whose key decrypted it.
	ErrAccountMismatch = errors.New("dc09: account mismatch")
	// ErrKey reports a key that ParseKey cannot accept.
	ErrKey = errors.New("dc09: invalid key")
	// ErrEncode reports a Frame that Encode cannot put on the wire.
	ErrEncode = errors.New("dc09: cannot encode")
)

// reject builds the FrameError for reason around sentinel. Callers never
// pass key bytes or decrypted plaintext in args.
func reject(reason protocols.Reason, sentinel error, format string, args ...any) error {
	return protocols.Rejectf(Name, reason, sentinel, format, args...)
}

// Default limits.
const (
	// maxLength is the largest length field: four hex digits starting with
	// 0 [DC-09 §3.3].
	maxLength = 0x0FFF
	// DefaultMaxFrame fits the longest frame the length field allows (LF,
	// four CRC digits, four length digits, 0x0FFF bytes, CR) and leaves room
	// for NULs some senders append [DC-09 §3.2].
	DefaultMaxFrame = 1 + 4 + 4 + maxLength + 1 + 64
	// minMaxFrame keeps a configured cap above the longest header.
	minMaxFrame = 64
)

// Window is the timestamp acceptance window around the receiver's clock.
type Window struct {
	// Ahead is how far the frame's timestamp may be ahead of the receiver's
	// clock; Behind how far it may lag. Both bounds are inclusive.
	Ahead, Behind time.Duration
	// ApplyToPlain applies the window to plain frames that carry a
	// timestamp too; encrypted frames are always checked.
	ApplyToPlain bool
}

// DefaultWindow returns the window every implementation uses: 20 s ahead,
// 40 s behind, plain frames exempt [DC-09-2013 §5.5.1.8, DC-09 §3.9].
func DefaultWindow() Window {
	return Window{Ahead: 20 * time.Second, Behind: 40 * time.Second}
}

// KeyFunc returns the key for the account of a frame header, exactly as the
// header carries it. ok false means the account has no key.
type KeyFunc func(account string) (key Key, ok bool)

// Options configure a Codec.
type Options struct {
	// Keys looks up the AES key of an encrypted frame by its header
	// account. Nil means no keys: every encrypted frame is rejected with
	// protocols.ReasonNoKey. An account that has a key must encrypt: its
	// plain frames are rejected with protocols.ReasonUnencrypted.
	Keys KeyFunc
	// Window is the timestamp window. The zero Window (both bounds zero)
	// selects DefaultWindow's bounds; ApplyToPlain is kept.
	Window Window
	// MaxFrame caps one frame, LF to CR, in bytes. 0 selects
	// DefaultMaxFrame.
	MaxFrame int
	// Pad returns n pad bytes for an encrypted reply. The bytes must not be
	// '|', '[' or ']'. Nil (or a func that breaks the rule) selects random
	// printable bytes from crypto/rand.
	Pad func(n int) []byte
}

// Codec is the SIA DC-09 protocols.Codec. It is immutable after New and safe
// for concurrent use if Options.Keys and Options.Pad are.
type Codec struct {
	keys     KeyFunc
	window   Window
	maxFrame int
	pad      func(n int) []byte
}

var _ protocols.Codec = (*Codec)(nil)

// New returns a Codec for o.
func New(o Options) *Codec {
	c := &Codec{keys: o.Keys, window: o.Window, maxFrame: o.MaxFrame, pad: o.Pad}
	if c.window.Ahead == 0 && c.window.Behind == 0 {
		d := DefaultWindow()
		c.window.Ahead, c.window.Behind = d.Ahead, d.Behind
	}
	c.window.Ahead = max(c.window.Ahead, 0)
	c.window.Behind = max(c.window.Behind, 0)
	if c.maxFrame <= 0 {
		c.maxFrame = DefaultMaxFrame
	}
	c.maxFrame = max(c.maxFrame, minMaxFrame)
	return c
}

// Name returns "dc09".
func (c *Codec) Name() string { return Name }
