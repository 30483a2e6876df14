package protocols

import (
	"errors"
	"fmt"
)

// Reason is the closed set of reasons a frame is rejected or deviates from
// its standard. It is the metric label "reason" and drives the reply a codec
// chooses.
type Reason uint8

// Reasons.
const (
	ReasonUnknown         Reason = iota
	ReasonCRC                    // checksum over the frame does not match
	ReasonLength                 // length field disagrees with the frame
	ReasonSyntax                 // the frame does not follow the grammar
	ReasonToken                  // unknown or unsupported message type
	ReasonNoKey                  // encrypted frame for an account with no key
	ReasonDecrypt                // the data did not decrypt to a valid plaintext
	ReasonTimestamp              // timestamp missing or outside the window
	ReasonTooLong                // frame over the size cap
	ReasonGarbage                // bytes outside any frame, skipped while resynchronising
	ReasonChecksum               // Contact ID checksum digit wrong
	ReasonStore                  // the store failed: the frame is not acknowledged
	ReasonBinaryCRC              // deviation: CRC sent as two raw bytes
	ReasonLowerHex               // deviation: lower-case hex in CRC, length or receiver
	ReasonEmptyLine              // deviation: "L" sent without digits
	ReasonUnknownAccount         // the account is not known to the receiver
	ReasonShutdown               // the receiver is shutting down
	ReasonUnencrypted            // a plain frame for an account that must encrypt
	ReasonAccountMismatch        // the account inside the (decrypted) data is not the header's
	ReasonNoLine                 // deviation: no "L" account prefix at all (read as line 0)
	ReasonNoReceiver             // deviation: neither "R" nor "L" in the header
	ReasonHexSequence            // deviation: sequence number written in hex ("000A")
)

var reasonNames = [...]string{
	ReasonUnknown:         "unknown",
	ReasonCRC:             "crc",
	ReasonLength:          "length",
	ReasonSyntax:          "syntax",
	ReasonToken:           "token",
	ReasonNoKey:           "no_key",
	ReasonDecrypt:         "decrypt",
	ReasonTimestamp:       "timestamp",
	ReasonTooLong:         "too_long",
	ReasonGarbage:         "garbage",
	ReasonChecksum:        "checksum",
	ReasonStore:           "store",
	ReasonBinaryCRC:       "binary_crc",
	ReasonLowerHex:        "lower_hex",
	ReasonEmptyLine:       "empty_line",
	ReasonUnknownAccount:  "unknown_account",
	ReasonShutdown:        "shutdown",
	ReasonUnencrypted:     "unencrypted",
	ReasonAccountMismatch: "account_mismatch",
	ReasonNoLine:          "no_line",
	ReasonNoReceiver:      "no_receiver",
	ReasonHexSequence:     "hex_sequence",
}

// String returns the snake_case name of r, used as a metric label value.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Reasons returns every reason, for pre-creating metric label values.
func Reasons() []Reason {
	out := make([]Reason, len(reasonNames))
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// ErrFrameTooLong is returned by Split when a frame exceeds the size cap and
// the codec cannot resynchronise inside the buffered bytes.
var ErrFrameTooLong = errors.New("protocols: frame too long")

// FrameError is the error every codec returns for a rejected frame. Err is a
// protocol sentinel (dc09.ErrCRC…) that errors.Is can find. The message never
// holds key material.
type FrameError struct {
	Protocol string
	Reason   Reason
	Err      error
}

func (e *FrameError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %s", e.Protocol, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %v", e.Protocol, e.Reason, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// ReasonOf returns the Reason carried by err, ReasonUnknown when err holds no
// FrameError.
func ReasonOf(err error) Reason {
	var fe *FrameError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return ReasonUnknown
}

// Reject wraps err in a FrameError for protocol with reason.
func Reject(protocol string, reason Reason, err error) error {
	return &FrameError{Protocol: protocol, Reason: reason, Err: err}
}

// Rejectf returns a FrameError whose Err wraps sentinel (for errors.Is) and
// reads as the formatted detail alone, so the whole error reads
// "<protocol>: <reason>: <detail>" without repeating the sentinel's text.
func Rejectf(protocol string, reason Reason, sentinel error, format string, args ...any) error {
	return &FrameError{Protocol: protocol, Reason: reason,
		Err: &detailError{sentinel: sentinel, detail: fmt.Sprintf(format, args...)}}
}

// detailError carries a sentinel and the detail of one failure.
type detailError struct {
	sentinel error
	detail   string
}

func (e *detailError) Error() string { return e.detail }
func (e *detailError) Unwrap() error { return e.sentinel }
