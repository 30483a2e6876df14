package xmlsignal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "xmlsignal"

// Namespace of the native XML format.
const Namespace = "urn:alarmrx:signal:1"

// MaxSignals caps the signals of one message.
const MaxSignals = 100

// Result codes and their HTTP statuses [automation-research.md §3.2, after
// SOS Access v4].
const (
	CodeOK            = 0
	CodeInvalidLength = 1
	CodeInvalidXML    = 2
	CodeWrongContent  = 3
	CodeNotAuthorized = 4
	CodeNotTreated    = 5
	CodeMissing       = 7
	CodeDuplicate     = 10
	CodeServerError   = 98
	CodeTooFrequent   = 101
)

var codeText = map[int]string{
	CodeOK: "OK", CodeInvalidLength: "INVALID_LENGTH", CodeInvalidXML: "INVALID_XML", CodeWrongContent: "WRONG_CONTENT",
	CodeNotAuthorized: "NOT_AUTHORIZED", CodeNotTreated: "NOT_TREATED", CodeMissing: "MANDATORY_DATA_MISSING",
	CodeDuplicate: "DUPLICATE", CodeServerError: "SERVER_ERROR", CodeTooFrequent: "TOO_FREQUENT",
}

var codeHTTP = map[int]int{
	CodeOK: 200, CodeDuplicate: 200, CodeInvalidXML: 400, CodeWrongContent: 422, CodeMissing: 422,
	CodeInvalidLength: 413, CodeNotAuthorized: 401, CodeNotTreated: 503, CodeServerError: 500, CodeTooFrequent: 429,
}

// HTTPStatus is the HTTP status that goes with a result code.
func HTTPStatus(code int) int {
	if s, ok := codeHTTP[code]; ok {
		return s
	}
	return 500
}

// Sentinel errors, wrapped in *protocols.FrameError; each maps to a code.
var (
	ErrNotAuthorized = errors.New("xmlsignal: unknown sender or wrong passkey")
	ErrInvalid       = errors.New("xmlsignal: not a well-formed AlarmMessage")
	ErrWrongContent  = errors.New("xmlsignal: a field has a wrong value")
	ErrMissing       = errors.New("xmlsignal: mandatory data missing")
)

// CodeFor returns the result code for a decode or pipeline outcome.
func CodeFor(outcome error) int {
	switch {
	case outcome == nil:
		return CodeOK
	case errors.Is(outcome, ErrNotAuthorized):
		return CodeNotAuthorized
	case errors.Is(outcome, ErrMissing):
		return CodeMissing
	case errors.Is(outcome, ErrWrongContent):
		return CodeWrongContent
	case errors.Is(outcome, ErrInvalid):
		return CodeInvalidXML
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonTooLong:
		return CodeInvalidLength
	case protocols.ReasonStore, protocols.ReasonShutdown:
		return CodeNotTreated
	case protocols.ReasonSyntax, protocols.ReasonToken:
		return CodeInvalidXML
	}
	return CodeServerError
}

// Message is the decoded AlarmMessage: the protocols.Message Detail.
type Message struct {
	XMLName  xml.Name `xml:"urn:alarmrx:signal:1 AlarmMessage" json:"-"`
	Version  string   `xml:"version,attr" json:"version,omitempty"`
	Header   Header   `xml:"Header" json:"header"`
	Signals  []Signal `xml:"Signal" json:"signals"`
	jsonForm bool
}

// Header identifies the message and its sender.
type Header struct {
	MessageID string `xml:"MessageId" json:"message_id"`
	Sequence  string `xml:"Sequence,omitempty" json:"sequence,omitempty"`
	Source    string `xml:"Source" json:"source"`
	// Passkey may come in the body when the transport has no header for it.
	// MarshalJSON/XML of a decoded message never shows it: Redact clears it.
	Passkey  string `xml:"Passkey,omitempty" json:"passkey,omitempty"`
	Receiver string `xml:"Receiver,omitempty" json:"receiver,omitempty"`
	Line     string `xml:"Line,omitempty" json:"line,omitempty"`
	SentAt   string `xml:"SentAt,omitempty" json:"sent_at,omitempty"`
}

// Signal is one alarm signal.
type Signal struct {
	Account   string    `xml:"Account" json:"account"`
	EventTime string    `xml:"EventTime" json:"event_time"`
	Code      Code      `xml:"Code" json:"code"`
	Area      string    `xml:"Area,omitempty" json:"area,omitempty"`
	Zone      string    `xml:"Zone,omitempty" json:"zone,omitempty"`
	User      string    `xml:"User,omitempty" json:"user,omitempty"`
	Text      string    `xml:"Text,omitempty" json:"text,omitempty"`
	ZoneText  string    `xml:"ZoneText,omitempty" json:"zone_text,omitempty"`
	Media     []Link    `xml:"Media>Link" json:"media,omitempty"`
	Position  *Position `xml:"Position" json:"position,omitempty"`
	Test      bool      `xml:"Test,omitempty" json:"test,omitempty"`
	Attrs     []Attr    `xml:"Attr" json:"attrs,omitempty"`
}

// Code is an event code in the CID ("E130", "R130", "130") or SIA ("BA")
// vocabulary.
type Code struct {
	Format string `xml:"format,attr" json:"format"`
	Value  string `xml:",chardata" json:"value"`
}

// Link is a media URL: clip, live, snapshot or portal.
type Link struct {
	Kind string `xml:"kind,attr" json:"kind"`
	URL  string `xml:",chardata" json:"url"`
}

// Position is where the signal came from.
type Position struct {
	Lat float64 `xml:"lat,attr" json:"lat"`
	Lon float64 `xml:"lon,attr" json:"lon"`
}

// Attr is an open key/value extension.
type Attr struct {
	Name  string `xml:"name,attr" json:"name"`
	Value string `xml:",chardata" json:"value"`
}

// MediaKinds are the link kinds accepted.
var MediaKinds = []string{"clip", "live", "snapshot", "portal"}

// Codec implements protocols.Codec for the native format, XML or JSON (a
// body starting with "{" is JSON and is answered in JSON).
type Codec struct {
	maxBytes int
	auth     func(source, passkey string) bool
}

// WithAuth makes the codec require Header/Passkey and accept a message only
// when auth(Header/Source, passkey) is true: a TCP connection has no other
// place for the passkey. auth must compare in constant time.
func (c *Codec) WithAuth(auth func(source, passkey string) bool) *Codec {
	c.auth = auth
	return c
}

// New returns a codec; maxBytes ≤ 0 means 100,000 (as SOS Access).
func New(maxBytes int) *Codec {
	if maxBytes <= 0 {
		maxBytes = 100_000
	}
	return &Codec{maxBytes: maxBytes}
}

// Name returns "xmlsignal".
func (c *Codec) Name() string { return Name }

// closing is the end of one framed XML message on a TCP stream.
var closing = []byte("</AlarmMessage>")

// Split frames a TCP stream: each message ends with its closing root tag
// (the MASXML convention, automation-research.md §3.4), optionally
// prefixed with STX and followed by ETX, CR or LF which are skipped.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	start := 0
	for start < len(data) && (data[start] == 0x02 || data[start] == 0x03 || data[start] == '\r' || data[start] == '\n' || data[start] == ' ') {
		start++
	}
	i := bytes.Index(data[start:], closing)
	if i < 0 {
		// The tag may carry a prefix (<ns:AlarmMessage>); look for the
		// local name's closing form too.
		if j := bytes.Index(data[start:], []byte(":AlarmMessage>")); j >= 0 && bytes.LastIndex(data[start:start+j], []byte("</")) >= 0 {
			end := start + j + len(":AlarmMessage>")
			return end, data[start:end], nil
		}
		if len(data)-start > c.maxBytes {
			return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
		}
		return start, nil, nil
	}
	end := start + i + len(closing)
	if end-start > c.maxBytes {
		return end, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	}
	return end, data[start:end], nil
}

func reject(sentinel error, format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, sentinel, format, args...)
}

// Parse decodes an AlarmMessage from XML or JSON without checking its
// content; Decode checks it.
func Parse(body []byte) (*Message, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, reject(ErrInvalid, "empty body")
	}
	var m Message
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, reject(ErrInvalid, "JSON: %v", err)
		}
		if dec.More() {
			return nil, reject(ErrInvalid, "JSON: more than one object")
		}
		m.jsonForm = true
		return &m, nil
	}
	dec := xml.NewDecoder(bytes.NewReader(trimmed))
	dec.Strict = true
	if err := dec.Decode(&m); err != nil {
		var ue xml.UnmarshalError
		if errors.As(err, &ue) || strings.Contains(err.Error(), "expected element type") {
			return nil, reject(ErrInvalid, "root element must be AlarmMessage in namespace %s", Namespace)
		}
		return nil, reject(ErrInvalid, "XML: %s", xmltext.ErrorText(err))
	}
	// Nothing but white space may follow the root element.
	if tok, err := dec.Token(); err != io.EOF {
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
			return nil, reject(ErrInvalid, "content after the root element")
		}
	}
	return &m, nil
}

// Decode parses and checks one message and returns it as a
// protocols.Message: one event per signal (none for a heartbeat), Kind
// "heartbeat" or "signals", Detail the *Message with the passkey cleared.
// A rejected message still yields a Message (Kind "rejected") so that it
// can be answered and kept as evidence.
func (c *Codec) Decode(body []byte, _ time.Time) (*protocols.Message, error) {
	if len(body) > c.maxBytes {
		return &protocols.Message{Protocol: Name, Kind: "rejected"},
			protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong, "%d bytes, limit %d", len(body), c.maxBytes)
	}
	m, err := Parse(body)
	if err != nil {
		return &protocols.Message{Protocol: Name, Kind: "rejected", Detail: &Message{jsonForm: isJSON(body)}}, err
	}
	if c.auth != nil && !c.auth(m.Header.Source, m.Header.Passkey) {
		m.Header.Passkey = ""
		return &protocols.Message{Protocol: Name, Kind: "rejected", Detail: m},
			protocols.Rejectf(Name, protocols.ReasonToken, ErrNotAuthorized, "sender %q not authorised", m.Header.Source)
	}
	m.Header.Passkey = ""
	out := &protocols.Message{Protocol: Name, Kind: "signals", Sequence: m.Header.MessageID,
		Receiver: m.Header.Receiver, Line: m.Header.Line, Detail: m}
	if err := check(m); err != nil {
		out.Kind = "rejected"
		return out, err
	}
	if len(m.Signals) == 0 {
		out.Kind = "heartbeat"
		return out, nil
	}
	for i := range m.Signals {
		ev, err := event(&m.Signals[i])
		if err != nil {
			out.Kind = "rejected"
			return out, reject(errors.Unwrap(err), "signal %d: %v", i+1, err)
		}
		out.Events = append(out.Events, ev)
	}
	out.Account = out.Events[0].Account
	if t, err := time.Parse(time.RFC3339Nano, m.Header.SentAt); err == nil {
		out.Timestamp = t
	}
	return out, nil
}

func isJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// check verifies the header.
func check(m *Message) error {
	h := &m.Header
	switch {
	case strings.TrimSpace(h.MessageID) == "":
		return reject(ErrMissing, "Header/MessageId is required")
	case len(h.MessageID) > 64:
		return reject(ErrWrongContent, "Header/MessageId is longer than 64 characters")
	case strings.TrimSpace(h.Source) == "":
		return reject(ErrMissing, "Header/Source is required")
	case len(m.Signals) > MaxSignals:
		return reject(ErrWrongContent, "more than %d signals", MaxSignals)
	}
	if h.SentAt != "" {
		if _, err := time.Parse(time.RFC3339Nano, h.SentAt); err != nil {
			return reject(ErrWrongContent, "Header/SentAt %q is not RFC 3339", h.SentAt)
		}
	}
	return nil
}

type fieldErr struct {
	sentinel error
	msg      string
}

func (e *fieldErr) Error() string { return e.msg }
func (e *fieldErr) Unwrap() error { return e.sentinel }

func missing(f string) error { return &fieldErr{ErrMissing, f + " is required"} }
func wrong(format string, args ...any) error {
	return &fieldErr{ErrWrongContent, fmt.Sprintf(format, args...)}
}

// event turns one Signal into an event, through the Contact ID or SIA code
// tables so it is classified like any other signal.
func event(s *Signal) (protocols.Event, error) {
	acct := strings.TrimSpace(s.Account)
	switch {
	case acct == "":
		return protocols.Event{}, missing("Account")
	case len(acct) > 16 || strings.IndexFunc(acct, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) >= 0:
		return protocols.Event{}, wrong("Account %q: 1-16 characters A-Z a-z 0-9 -", acct)
	case s.EventTime == "":
		return protocols.Event{}, missing("EventTime")
	case strings.TrimSpace(s.Code.Value) == "":
		return protocols.Event{}, missing("Code")
	}
	at, err := time.Parse(time.RFC3339Nano, s.EventTime)
	if err != nil {
		return protocols.Event{}, wrong("EventTime %q is not RFC 3339 with a zone", s.EventTime)
	}
	for _, l := range s.Media {
		if !contains(MediaKinds, l.Kind) {
			return protocols.Event{}, wrong("Media/Link kind %q: clip, live, snapshot or portal", l.Kind)
		}
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			return protocols.Event{}, wrong("Media/Link %q is not an http(s) URL", l.URL)
		}
	}
	code := strings.ToUpper(strings.TrimSpace(s.Code.Value))
	var ev protocols.Event
	switch strings.ToUpper(s.Code.Format) {
	case "CID":
		q := byte('1')
		switch code[0] {
		case 'E':
			code = code[1:]
		case 'R':
			q, code = '3', code[1:]
		case 'P':
			q, code = '6', code[1:]
		}
		_, ev, err = contactid.ParsePayload([]byte(string(q) + code + " " + pad(s.Area, 2) + " " + pad(firstNonEmpty(s.Zone, s.User), 3)))
		if err != nil {
			return protocols.Event{}, wrong("Code %q is not a Contact ID code (E130, R130 or 130)", s.Code.Value)
		}
	case "SIA":
		if len(code) != 2 {
			return protocols.Event{}, wrong("Code %q is not a two-letter SIA code", s.Code.Value)
		}
		data := "N"
		if s.Area != "" {
			data += "ri" + s.Area + "/"
		}
		data += code + firstNonEmpty(s.Zone, s.User)
		var evs []protocols.Event
		_, evs, err = sia.ParsePayload([]byte(data))
		if err != nil || len(evs) != 1 {
			return protocols.Event{}, wrong("Code %q with zone %q is not a SIA event", s.Code.Value, s.Zone)
		}
		ev = evs[0]
	default:
		return protocols.Event{}, wrong("Code format %q: CID or SIA", s.Code.Format)
	}
	ev.Account = acct
	ev.PanelTime = at
	ev.Text = strings.TrimSpace(strings.Join(nonEmpty(s.Text, s.ZoneText), " — "))
	for _, l := range s.Media {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "media_" + l.Kind, Value: l.URL})
	}
	if s.Position != nil {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "position",
			Value: strconv.FormatFloat(s.Position.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(s.Position.Lon, 'f', -1, 64)})
	}
	if s.Test {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "test", Value: "true"})
	}
	for _, a := range s.Attrs {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_" + a.Name, Value: a.Value})
	}
	return ev, nil
}

func pad(s string, n int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, strings.TrimSpace(x))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
