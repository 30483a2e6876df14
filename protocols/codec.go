package protocols

import (
	"encoding/json"
	"time"
)

// Message is one decoded frame: the transmitter's identity and the events it
// carries. A link test (DC-09 NULL) has no events.
type Message struct {
	// Protocol is the codec name ("dc09").
	Protocol string
	// Kind is the protocol's own frame type (DC-09 ID token: "SIA-DCS",
	// "ADM-CID", "NULL").
	Kind string
	// Account is the transmitter's account as sent in the frame header.
	Account  string
	Receiver string
	Line     string
	Sequence string
	// Encrypted reports whether the frame's data arrived encrypted.
	Encrypted bool
	// Timestamp is the frame's transmission time; zero when none was sent.
	Timestamp time.Time
	Events    []Event
	// Deviations lists tolerated departures from the standard seen in this
	// frame (wrong length field, binary CRC, empty line prefix…). The frame
	// was accepted; the receiver counts them.
	Deviations []Reason
	// Detail is the protocol's own decoded value, e.g. *dc09.Frame.
	Detail any
}

// Codec is the contract a listener drives: it frames a byte stream, decodes
// a frame and encodes the reply for an outcome. Implementations are pure.
type Codec interface {
	// Name is the stable protocol id used in config, logs and metric labels.
	Name() string
	// Split has the contract of bufio.SplitFunc. It must resynchronise past
	// garbage by itself and return ErrFrameTooLong (wrapped in a FrameError)
	// only when it cannot.
	Split(data []byte, atEOF bool) (advance int, frame []byte, err error)
	// Decode decodes one frame returned by Split. On failure it returns a
	// *FrameError and, when the frame got far enough to be answered, a
	// non-nil Message for Reply.
	Decode(frame []byte, now time.Time) (*Message, error)
	// Reply encodes the answer for an outcome: nil outcome is the positive
	// acknowledgement; otherwise the codec picks the negative reply its
	// protocol prescribes for the error's Reason. A nil or empty result
	// means "send nothing" (a DC-09 frame with a bad CRC). m may be nil.
	Reply(m *Message, outcome error, now time.Time) []byte
}

// Redactor is implemented by codecs whose frames can carry a secret in the
// clear (the XML passkey, a DC-09 key-change block): the receiver stores
// Redact(raw) instead of raw. Redact must be pure, never panic, and keep no
// part of a secret, even of a frame it cannot parse.
type Redactor interface {
	Redact(raw []byte) []byte
}

// DetailRebuilder is implemented by codecs whose Detail of a frame that
// arrived in the clear is a function of the frame's bytes alone:
// RebuildDetail(frame) renders the JSON that Detail renders, for every
// such frame Decode accepts. The receiver then stores no detail for a frame
// that was neither encrypted nor redacted (the detail would only repeat
// the bytes stored beside it), and the store rebuilds it on read. It must
// be pure and never panic; false means no detail.
type DetailRebuilder interface {
	RebuildDetail(frame []byte) (json.RawMessage, bool)
}

// PeerReply is a peer's answer to a message alarmrx sent it, as a
// dialect's ParseReply reads it: an output waits for it before the next
// message (stop-and-wait).
type PeerReply struct {
	// Seq is the sequence the reply echoes; "" when the dialect's reply
	// echoes none.
	Seq string
	// OK: the peer accepted (stored) the message; a duplicate counts as OK.
	OK bool
	// Retry: not OK, and the same message is to be sent again (a NAK, "not
	// stored", a server error); false for a refusal sending again cannot
	// mend (malformed, not authorised).
	Retry bool
	// Text is the peer's result code or text, for the log; never a secret.
	Text string
}

// ScannerSplit adapts a codec's Split (or a dialect's SplitReply) to
// bufio.Scanner. A codec may skip bytes without returning a frame
// (advance > 0, frame nil: garbage, a separator), to be called again at
// once; a Scanner instead reads more input first, and so would wait for
// the next message before it framed the one it holds. ScannerSplit calls
// split again until it returns a frame, an error or asks for more input.
func ScannerSplit(split func(data []byte, atEOF bool) (int, []byte, error)) func(data []byte, atEOF bool) (int, []byte, error) {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		total := 0
		for {
			adv, frame, err := split(data[total:], atEOF)
			total += adv
			if err != nil || frame != nil || adv == 0 || total >= len(data) {
				return total, frame, err
			}
		}
	}
}
