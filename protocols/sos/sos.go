package sos

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "sos"

// DefaultMaxFrameBytes is the size cap when Options.MaxFrameBytes is not
// set: "the maximum message size for a single telegram is limited to
// 100 000 characters including XML-header and XML-tags" [S7]. The
// protocol's characters are ISO-8859-1, one byte each.
const DefaultMaxFrameBytes = 100_000

// Status codes of alarmresponse, pingresponse and
// requestnewauthenticationresponse [S7 "Response Codes";
// automation-research.md §2.8]. 6 and 8 are not assigned.
const (
	StatusOK                   = 0   // stored
	StatusInvalidLength        = 1   // message too long
	StatusInvalidXML           = 2   // not well-formed, DTD refused, unknown message type
	StatusWrongContent         = 3   // a field too long or with a wrong value
	StatusNotAuthorized        = 4   // wrong transmitter, receiver or password
	StatusNotTreated           = 5   // not stored: the sender uses its failover address
	StatusMandatoryDataMissing = 7   // a mandatory element is missing
	StatusServiceUnavailable   = 9   // service not offered (heartbeats, password change)
	StatusDuplicatedAlarm      = 10  // the same alarm again: treat as delivered
	StatusServerError          = 98  // unknown server error: retry
	StatusOtherError           = 99  // unknown receiver error: send to failover
	StatusXMLHeader            = 100 // XML header missing or invalid
	StatusPingTooOften         = 101 // heartbeats sent too often
)

// statusInfo is each status's <info> text as the source spells it, but for
// 9, which the source misspells "SERVICE_UNAVAIVABLE" [S7]; senders act on
// the number.
var statusInfo = map[int]string{
	StatusOK:                   "OK",
	StatusInvalidLength:        "INVALID_LENGTH",
	StatusInvalidXML:           "INVALID_XML",
	StatusWrongContent:         "WRONG_CONTENT",
	StatusNotAuthorized:        "NOT_AUTHORIZED",
	StatusNotTreated:           "NOT_TREATED_NOT_DISTRIBUTED",
	StatusMandatoryDataMissing: "MANDATORY_DATA_MISSING",
	StatusServiceUnavailable:   "SERVICE_UNAVAILABLE",
	StatusDuplicatedAlarm:      "DUPLICATED_ALARM",
	StatusServerError:          "SERVER_ERROR",
	StatusOtherError:           "OTHER_ERROR",
	StatusXMLHeader:            "XML_HEADER_MISSING_OR_INVALID",
	StatusPingTooOften:         "PING_TO_OFTEN",
}

// StatusInfo returns the <info> text of a status, "" for a status the
// protocol does not define.
func StatusInfo(status int) string { return statusInfo[status] }

// Sentinel errors, wrapped in *protocols.FrameError; each selects a status
// (StatusFor).
var (
	ErrHeader        = errors.New("sos: XML header missing or invalid")
	ErrSyntax        = errors.New("sos: invalid XML")
	ErrUnknownType   = errors.New("sos: unknown message type")
	ErrWrongContent  = errors.New("sos: wrong content")
	ErrMissing       = errors.New("sos: mandatory data missing")
	ErrNotAuthorized = errors.New("sos: not authorized")
	ErrNotOffered    = errors.New("sos: service not offered")
	ErrTooLong       = errors.New("sos: message too long")
)

// Options configure a Codec.
type Options struct {
	// MaxFrameBytes caps a message, XML header and tags included; ≤ 0 is
	// DefaultMaxFrameBytes.
	MaxFrameBytes int
	// Auth, when set, authenticates every alarmrequest and pingrequest: it
	// is called with the receiver and transmittercode elements as sent ("" when
	// absent) and the authentication element's password ("" when absent),
	// and a false result refuses the message with StatusNotAuthorized
	// (ErrNotAuthorized, ReasonToken). It must compare in constant time.
	// When nil, the password is not checked, nor required.
	Auth func(receiver, transmittercode, password string) bool
}

// Codec implements protocols.Codec and protocols.Redactor for SOS Access
// v4. It is safe for concurrent use.
type Codec struct {
	max  int
	auth func(receiver, transmittercode, password string) bool
}

var (
	_ protocols.Codec    = (*Codec)(nil)
	_ protocols.Redactor = (*Codec)(nil)
)

// New returns a codec for o.
func New(o Options) *Codec {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	return &Codec{max: o.MaxFrameBytes, auth: o.Auth}
}

// Name returns "sos".
func (c *Codec) Name() string { return Name }

// StatusFor returns the status that answers an outcome of Decode or of the
// receiver's pipeline: nil is StatusOK; a refusal of this package its
// status; a message the receiver could not store (ReasonStore,
// ReasonShutdown) StatusNotTreated, so that the sender uses its failover
// address [S7]; an unknown account StatusOK (it is stored); anything else
// StatusServerError, which the sender retries.
func StatusFor(outcome error) int {
	switch {
	case outcome == nil:
		return StatusOK
	case errors.Is(outcome, ErrHeader):
		return StatusXMLHeader
	case errors.Is(outcome, ErrSyntax), errors.Is(outcome, ErrUnknownType):
		return StatusInvalidXML
	case errors.Is(outcome, ErrWrongContent):
		return StatusWrongContent
	case errors.Is(outcome, ErrMissing):
		return StatusMandatoryDataMissing
	case errors.Is(outcome, ErrNotAuthorized):
		return StatusNotAuthorized
	case errors.Is(outcome, ErrNotOffered):
		return StatusServiceUnavailable
	case errors.Is(outcome, ErrTooLong), errors.Is(outcome, protocols.ErrFrameTooLong):
		return StatusInvalidLength
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonStore, protocols.ReasonShutdown:
		return StatusNotTreated
	case protocols.ReasonUnknownAccount:
		return StatusOK
	case protocols.ReasonTooLong:
		return StatusInvalidLength
	case protocols.ReasonSyntax:
		return StatusInvalidXML
	}
	return StatusServerError
}
