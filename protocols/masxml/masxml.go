package masxml

import (
	"encoding/json"
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "masxml"

// Caps. A MASXML event without a photo is well under 1 kB
// [automation-research.md §2.3]; the frame cap leaves room for one photo
// chunk (I).
const (
	DefaultMaxFrameBytes = 256 << 10 // Options.MaxFrameBytes when ≤ 0
	MaxSignals           = 100       // signals (EventCode groups) in one message
	MaxPairs             = 1000      // KeyValuePair elements in one message
	MaxPhotos            = 100       // PacketData elements recorded in one message
	MaxAccount           = 16        // account: 1-16 of A-Z a-z 0-9 - (as xmlsignal)
	MaxAddress           = 16        // Area, Zone, User
	MaxText              = 2000      // Text and attr_ values
	MaxURL               = 2048      // media links, http(s) only
	MaxKey               = 64        // a KeyValuePair Key
	MaxHeader            = 32        // MessageType, SourceID, PayloadID, PacketNumber, LastFile
	MaxSequence          = 20        // MessageSequenceNo digits
	MaxFileName          = 255       // a photo's FileName
)

// Result codes of the AckNakClass reply. Only 0 (accepted) is known; the
// emulator [S6] sends 1, 9 and 10 on demand with texts such as "Poorly
// formed XML" and "Invalid XML", and no public source gives their meaning
// [automation-research.md §2.3, §7]. This assignment is ours (I); a sender
// is only known to treat 0 as accepted and anything else as not accepted.
const (
	CodeOK           = 0  // accepted and stored
	CodePoorlyFormed = 1  // not well-formed XML, not an XMLMessageClass, or over the size cap
	CodeInvalid      = 9  // well-formed but refused: mandatory data missing or a field's value wrong
	CodeNotStored    = 10 // read but not stored (store failure, shutdown): send it again
)

// Result texts sent with each code.
const (
	TextOK           = "ok"
	TextPoorlyFormed = "Poorly formed XML"
	TextInvalid      = "Invalid XML"
	TextNotStored    = "Not stored, retry"
)

// Sentinel errors, wrapped in a *protocols.FrameError; CodeFor maps each to
// a result code.
var (
	ErrSyntax       = errors.New("masxml: not a well-formed XMLMessageClass")
	ErrMissing      = errors.New("masxml: mandatory data missing")
	ErrWrongContent = errors.New("masxml: a field has a wrong value")
)

// Options configure a Codec.
type Options struct {
	// MaxFrameBytes caps one message, XML declaration included; ≤ 0 means
	// DefaultMaxFrameBytes.
	MaxFrameBytes int
}

// Codec implements protocols.Codec for MASXML.
type Codec struct {
	max int
}

var _ protocols.Codec = (*Codec)(nil)

// New returns a codec.
func New(o Options) *Codec {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	return &Codec{max: o.MaxFrameBytes}
}

// Name returns "masxml".
func (c *Codec) Name() string { return Name }

// Message is the decoded XMLMessageClass: the Detail of a
// protocols.Message. It holds no photo bytes, only what came of them.
type Message struct {
	MessageType string  `json:"message_type"`
	SourceID    string  `json:"source_id,omitempty"`
	Sequence    string  `json:"sequence,omitempty"`
	Pairs       []Pair  `json:"pairs,omitempty"`
	Photos      []Photo `json:"photos,omitempty"`
	// PhotosDropped counts PacketData elements past MaxPhotos.
	PhotosDropped int `json:"photos_dropped,omitempty"`
}

// Pair is one KeyValuePair as received (space trimmed).
type Pair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Photo records that a photo (or a chunk of one) came: where it sat and how
// long its base64 text was. The bytes themselves are not kept.
type Photo struct {
	PayloadID    string `json:"payload_id,omitempty"`
	PacketNumber string `json:"packet_number,omitempty"`
	FileName     string `json:"file_name,omitempty"`
	LastFile     string `json:"last_file,omitempty"`
	// Length is the number of base64 characters, white space excluded.
	Length int `json:"length"`
}

// MarshalJSON renders the detail the store keeps.
func (m *Message) MarshalJSON() ([]byte, error) {
	type plain Message
	return json.Marshal((*plain)(m))
}

// Sender returns the SourceID of a message Decode made, "" when there is
// none: the id the receiver supervises the sender's link by, as
// xmlsignal's Header/Source.
func Sender(m *protocols.Message) string {
	if m == nil {
		return ""
	}
	if d, ok := m.Detail.(*Message); ok && d != nil {
		return d.SourceID
	}
	return ""
}
