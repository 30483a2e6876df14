package xmlsignal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/internal/weblink"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// The sending side: alarmrx as a sender to another alarmrx's native TCP
// listener (registry "xmlsignal", which requires Header/Passkey), one
// AlarmMessage at a time, waiting for its AlarmResponse (stop-and-wait).
// The format is our own (design.md §7, alarm-message.xsd): every mapping
// below is ours (I), checked against this package's Decode and Answer,
// which are the receiving side.

// ErrNotEncodable is wrapped by EncodeSignal's error when the native
// format cannot carry the signal at all: an account outside 1-16 of
// A-Z a-z 0-9 -, a sequence that is not 1-20 digits, a code that is
// neither three Contact ID digits nor two SIA letters.
var ErrNotEncodable = errors.New("xmlsignal: signal cannot be sent as an AlarmMessage")

// Limits of what EncodeSignal writes. Decode enforces none of them but the
// account's; they keep a message far below any receiver's body limit
// (New's default 100,000 bytes) whatever an event carries.
const (
	// MaxText bounds Text and every Attr value, in bytes (cut at a
	// character boundary) [dialect-contract: text ≤ 2000].
	MaxText = 2000
	// MaxURL bounds a Media/Link: a longer link is left out, since a cut
	// link is no link.
	MaxURL = 2048
	// MaxAttrName bounds an Attr name; a longer one is left out.
	MaxAttrName = 64
	// MaxSignalBytes bounds one encoded AlarmMessage: a link or Attr that
	// would take it past this is left out.
	MaxSignalBytes = 16 << 10
	// MaxSequence is the longest sequence EncodeSignal takes (the output
	// sends the outbox row id, decimal).
	MaxSequence = 20
	// MaxReplyBytes caps one AlarmResponse on the sending side. Answer
	// writes one Signal line per signal; a message we send has one, so a
	// reply is under 400 bytes.
	MaxReplyBytes = 4096
)

// DefaultSource is the Header/Source sent when Sender.Source is empty.
const DefaultSource = "alarmrx"

// MessageIDPrefix begins the Header/MessageId of every signal we send:
// MessageId = MessageIDPrefix + seq. The receiver keys idempotency on
// MessageId (per sender on HTTP; with the content of the events on TCP,
// receiver/dedupe.go), so a retransmission, which carries the same seq,
// is answered as the same message. A heartbeat's MessageId is
// MessageIDPrefix + "hb-" + its time + "-" + seq, which no signal's can
// equal: heartbeats count from 1 again after a restart, signals do not.
const MessageIDPrefix = "alarmrx-"

// messageVersion is the AlarmMessage version attribute we write.
const messageVersion = "1"

// Sender is the identity alarmrx sends with: Source is the sender id the
// peer has configured (xml.senders[].id there; "" sends DefaultSource) and
// Passkey that sender's passkey, written as Header/Passkey when not empty
// (the native TCP listener has no other place for it and refuses a
// message without it: code 4, not authorised).
//
// The passkey is a secret: a Sender formats (String, GoString, every fmt
// verb) and marshals to JSON without it, and no error of this package
// contains it.
type Sender struct {
	Source  string
	Passkey string
}

// String shows the source and whether a passkey is set, never the passkey.
func (s Sender) String() string {
	set := "unset"
	if s.Passkey != "" {
		set = "set"
	}
	return "xmlsignal.Sender{Source: " + strconv.Quote(s.Source) + ", Passkey: " + set + "}"
}

// GoString is String: %#v must not print the passkey either.
func (s Sender) GoString() string { return s.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %d…) print String.
func (s Sender) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON writes the source and whether a passkey is set, so that a
// Sender logged through reflection (zap.Any) does not leak it.
func (s Sender) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source     string `json:"source"`
		PasskeySet bool   `json:"passkey_set"`
	}{s.Source, s.Passkey != ""})
}

// EncodeSignal renders ev as one AlarmMessage with one Signal: xml.Header,
// then the message compact, in UTF-8, with no line end after it:
//
//	<AlarmMessage xmlns="urn:alarmrx:signal:1" version="1"><Header>
//	  <MessageId>alarmrx-seq</MessageId><Sequence>seq</Sequence><Source>…</Source>
//	  <Passkey>…</Passkey><SentAt>at</SentAt></Header>
//	<Signal><Account>…</Account><EventTime>at</EventTime><Code format="CID">E130</Code>
//	  <Area>…</Area><Zone>…</Zone>|<User>…</User><Text>…</Text>
//	  <Media><Link kind="clip">…</Link>…</Media><Position lat="…" lon="…"/>
//	  <Test>true</Test><Attr name="…">…</Attr>…</Signal></AlarmMessage>
//
// seq must be 1-MaxSequence digits and account 1-16 of A-Z a-z 0-9 - (as
// Decode takes it; space around it is dropped), else the error wraps
// ErrNotEncodable. SentAt and EventTime are at in RFC 3339 UTC (the time
// alarmrx received the signal: the same on every retransmission, so a
// resent message is the same bytes). Code: a Contact ID event as E, R
// (QualifierRestore) or P (QualifierStatus) and its three digits, a SIA
// event as its two letters; a code the dialect cannot carry (other
// formats, other lengths, known or not) wraps ErrNotEncodable.
//
// Area is ev.Partition; the address goes as Zone, or as User when the
// code addresses a user (ev.AddressKind, else ev.User set without
// ev.Zone); an address of another kind (device, door) goes as Zone, and
// Decode gives it its kind from the code table again. Decode reads them
// through the Contact ID (area ≤ 2, address ≤ 3 digits) and SIA (digits)
// grammars: a value that does not fit (after dropping leading zeros) is
// not sent in its element but as <Attr name="area"|"zone"|"user"> (cut to
// MaxAttrName bytes) so that the operator still sees it.
//
// Text is ev.Text, space around it dropped, a character XML 1.0 cannot
// carry as U+FFFD, cut to MaxText bytes. Modifiers, in their order:
// media_clip, media_live, media_snapshot and media_portal as Media/Link
// of that kind (http(s) only, the scheme written in lower case, space,
// control and non-ASCII bytes percent-escaped, at most MaxURL bytes, else
// left out); the first valid "position" "lat,lon" as Position; "test"
// (value "" or true) as Test; attr_<name> as <Attr name="name"> (value
// cleaned as Text). Other modifiers (SIA's ri, ti…) are not sent: Decode
// makes ri again from Area. Nothing is refused for its length.
func (s Sender) EncodeSignal(seq, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	if !isDigits(seq) {
		return nil, fmt.Errorf("%w: sequence %q: 1-%d digits", ErrNotEncodable, clip(seq), MaxSequence)
	}
	account = strings.TrimSpace(account)
	if !validAccount(account) {
		return nil, fmt.Errorf("%w: account %q: 1-16 characters A-Z a-z 0-9 -", ErrNotEncodable, clip(account))
	}
	sig := Signal{Account: account, EventTime: stamp(at)}
	var err error
	if sig.Code, err = encodeCode(ev); err != nil {
		return nil, err
	}
	var spill []Attr // addresses that do not fit their element
	cid := sig.Code.Format == protocols.FormatContactID
	if v, ok := fit(ev.Partition, cid, 2, true); ok {
		sig.Area = v
	} else {
		spill = append(spill, Attr{Name: "area", Value: v})
	}
	addr, asUser := address(ev)
	if v, ok := fit(addr, cid, 3, false); !ok {
		spill = append(spill, Attr{Name: map[bool]string{true: "user", false: "zone"}[asUser], Value: v})
	} else if asUser {
		sig.User = v
	} else {
		sig.Zone = v
	}
	sig.Text = text(ev.Text)

	var b bytes.Buffer
	b.Grow(768)
	s.header(&b, MessageIDPrefix+seq, seq, at)
	writeSignalHead(&b, &sig)
	// Room left under MaxSignalBytes for links and attributes, less what
	// Position, Test and the spilled addresses may take (under 400 bytes).
	room := MaxSignalBytes - b.Len() - len(signalTail) - 512
	var links, attrs, one bytes.Buffer
	var pos *Position
	test := false
	for _, m := range ev.Modifiers {
		one.Reset()
		switch {
		case strings.HasPrefix(m.Name, "media_"):
			kind := m.Name[len("media_"):]
			u := link(m.Value)
			if !contains(MediaKinds, kind) || u == "" {
				continue
			}
			one.WriteString(`<Link kind="` + kind + `">`)
			xmltext.Escape(&one, u)
			one.WriteString("</Link>")
			if links.Len()+attrs.Len()+one.Len()+len("<Media></Media>") <= room {
				links.Write(one.Bytes())
			}
		case m.Name == "position":
			if pos == nil {
				pos = position(m.Value)
			}
		case m.Name == "test":
			if v := strings.TrimSpace(m.Value); v == "" {
				test = true
			} else if t, err := strconv.ParseBool(v); err == nil && t {
				test = true
			}
		case strings.HasPrefix(m.Name, "attr_"):
			name := text(m.Name[len("attr_"):])
			if name == "" || len(name) > MaxAttrName {
				continue
			}
			writeAttr(&one, name, text(m.Value))
			if links.Len()+attrs.Len()+one.Len()+len("<Media></Media>") <= room {
				attrs.Write(one.Bytes())
			}
		}
	}
	for _, a := range spill {
		writeAttr(&attrs, a.Name, a.Value)
	}
	if links.Len() > 0 {
		b.WriteString("<Media>")
		b.Write(links.Bytes())
		b.WriteString("</Media>")
	}
	if pos != nil {
		b.WriteString(`<Position lat="`)
		b.WriteString(strconv.FormatFloat(pos.Lat, 'f', -1, 64))
		b.WriteString(`" lon="`)
		b.WriteString(strconv.FormatFloat(pos.Lon, 'f', -1, 64))
		b.WriteString(`"/>`)
	}
	if test {
		b.WriteString("<Test>true</Test>")
	}
	b.Write(attrs.Bytes())
	b.WriteString(signalTail)
	return b.Bytes(), nil
}

// EncodeHeartbeat renders the native heartbeat: an AlarmMessage with a
// Header and no Signal (Decode: Kind "heartbeat"), Sequence seq when seq
// is 1-MaxSequence digits, SentAt at. Its MessageId is
// MessageIDPrefix + "hb-" + at (UTC, 20060102T150405Z) + "-" + seq, unique
// across restarts and never a signal's.
func (s Sender) EncodeHeartbeat(seq string, at time.Time) []byte {
	id := MessageIDPrefix + "hb-" + at.UTC().Format("20060102T150405Z")
	if isDigits(seq) {
		id += "-" + seq
	} else {
		seq = ""
	}
	var b bytes.Buffer
	b.Grow(320)
	s.header(&b, id, seq, at)
	b.WriteString(rootTail)
	return b.Bytes()
}

const (
	rootTail   = "</AlarmMessage>"
	signalTail = "</Signal>" + rootTail
)

// header writes the declaration, the root's start and the Header.
func (s Sender) header(b *bytes.Buffer, id, seq string, at time.Time) {
	b.WriteString(xml.Header)
	b.WriteString(`<AlarmMessage xmlns="` + Namespace + `" version="` + messageVersion + `"><Header><MessageId>`)
	b.WriteString(id) // "alarmrx-", digits, "hb-", a time: nothing to escape
	b.WriteString("</MessageId>")
	if seq != "" {
		b.WriteString("<Sequence>")
		b.WriteString(seq)
		b.WriteString("</Sequence>")
	}
	b.WriteString("<Source>")
	source := strings.TrimSpace(s.Source)
	if source == "" {
		source = DefaultSource
	}
	xmltext.Escape(b, xmltext.Valid(source))
	b.WriteString("</Source>")
	if s.Passkey != "" {
		b.WriteString("<Passkey>")
		xmltext.Escape(b, xmltext.Valid(s.Passkey))
		b.WriteString("</Passkey>")
	}
	b.WriteString("<SentAt>")
	b.WriteString(stamp(at))
	b.WriteString("</SentAt></Header>")
}

// writeSignalHead writes a Signal's start up to its Text.
func writeSignalHead(b *bytes.Buffer, s *Signal) {
	b.WriteString("<Signal><Account>")
	b.WriteString(s.Account) // A-Z a-z 0-9 -
	b.WriteString("</Account><EventTime>")
	b.WriteString(s.EventTime)
	b.WriteString(`</EventTime><Code format="`)
	b.WriteString(s.Code.Format)
	b.WriteString(`">`)
	b.WriteString(s.Code.Value) // letters and digits
	b.WriteString("</Code>")
	for _, f := range [...]struct{ tag, v string }{{"Area", s.Area}, {"Zone", s.Zone}, {"User", s.User}, {"Text", s.Text}} {
		if f.v == "" {
			continue
		}
		b.WriteString("<" + f.tag + ">")
		xmltext.Escape(b, f.v)
		b.WriteString("</" + f.tag + ">")
	}
}

func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteString(`<Attr name="`)
	xmltext.Escape(b, name)
	b.WriteString(`">`)
	xmltext.Escape(b, value)
	b.WriteString("</Attr>")
}

// stamp is a time as EventTime and SentAt carry it: RFC 3339 in UTC, with
// the fraction the time has.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// encodeCode is ev's code as Code: the format Decode reads it in.
func encodeCode(ev protocols.Event) (Code, error) {
	code := strings.TrimSpace(ev.Code)
	switch ev.Format {
	case protocols.FormatContactID:
		wire, ok := alarmcode.Wire(ev)
		if !ok {
			break
		}
		return Code{Format: protocols.FormatContactID, Value: wire}, nil
	case protocols.FormatSIA:
		code = strings.ToUpper(code)
		if len(code) != 2 || !isUpper(code[0]) || !isUpper(code[1]) {
			break
		}
		return Code{Format: protocols.FormatSIA, Value: code}, nil
	}
	return Code{}, fmt.Errorf("%w: %s code %q: three Contact ID digits or two SIA letters", ErrNotEncodable, clip(ev.Format), clip(code))
}

// address is the number the event's code addresses and whether it is a
// user number.
func address(ev protocols.Event) (string, bool) {
	zone, user := strings.TrimSpace(ev.Zone), strings.TrimSpace(ev.User)
	switch {
	case ev.AddressKind == protocols.AddressUser && user != "":
		return user, true
	case zone != "":
		return zone, false
	case user != "":
		return user, true
	}
	if ev.AddressKind == protocols.AddressArea {
		return "", false // the area goes as Area
	}
	return strings.TrimSpace(ev.Address), ev.AddressKind == protocols.AddressUser
}

// fit returns v as Decode reads an Area (area) or an address: for Contact
// ID at most width digits once leading zeros beyond it are dropped; for
// SIA digits (and for an area also ":" "-" "."), at most 16. ok is false
// when v does not fit; v is then the cleaned text for an Attr.
func fit(v string, cid bool, width int, area bool) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", true
	}
	valid := func(c byte) bool {
		// Contact ID digits include B-F [DC-05]; a SIA area is a modifier
		// value (digits : - .).
		return c >= '0' && c <= '9' || cid && c >= 'B' && c <= 'F' || !cid && area && (c == ':' || c == '-' || c == '.')
	}
	ok := len(v) <= 16
	for i := 0; ok && i < len(v); i++ {
		ok = valid(v[i])
	}
	if ok && cid {
		for len(v) > width && v[0] == '0' {
			v = v[1:]
		}
		ok = len(v) <= width
	}
	if !ok {
		return xmltext.Cut(text(v), MaxAttrName), false
	}
	return v, true
}

// link is a media URL as Decode takes it: http:// or https:// (the scheme
// lower-cased), printable ASCII (space, control and other bytes
// percent-escaped, as a browser sends an IRI), at most MaxURL bytes;
// anything else is "".
func link(u string) string {
	return weblink.Clean(u, MaxURL)
}

// position reads "lat,lon" (decimal degrees, in range); nil otherwise.
func position(v string) *Position {
	la, lo, ok := strings.Cut(v, ",")
	if !ok {
		return nil
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) ||
		lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil
	}
	return &Position{Lat: lat, Lon: lon}
}

// text is a Text, Attr name or value: characters XML 1.0 cannot carry
// (and invalid UTF-8) become U+FFFD, space around it is dropped, and it is
// cut to MaxText bytes at a character boundary.
func text(s string) string {
	return xmltext.Clean(s, MaxText)
}

func validAccount(a string) bool {
	return a != "" && len(a) <= 16 && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) < 0
}

func isDigits(s string) bool {
	if s == "" || len(s) > MaxSequence {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// clip bounds a value quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
