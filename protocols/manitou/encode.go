package manitou

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/internal/weblink"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// The sending side: alarmrx in the place of a cloud (Ajax Cloud Signaling,
// a VESTA panel) sending Manitou XML to an automation platform's receiver
// [automation-research.md §2.4]. Each message is one <Signal>; the
// receiver answers Ack or Nak (stop-and-wait). Every choice below the
// emulator [S6] does not show is marked I, as in doc.go.

// ErrNotEncodable is wrapped by EncodeSignal's error when Manitou XML
// cannot carry the signal at all: an account Decode would refuse (over
// MaxAccount characters, or not printable ASCII), or an event code
// alarmcode refuses (none, over 16 characters, not printable). The output
// lists such a signal as undeliverable.
var ErrNotEncodable = errors.New("manitou: the signal cannot be sent in Manitou XML")

// MaxReplyBytes caps a reply frame SplitReply and ParseReply accept, STX
// and ETX included: an Ack or a Nak is under 100 bytes (I).
const MaxReplyBytes = 4096

// Caps on what EncodeSignal writes beyond the evidence's fields (I): they
// keep a frame far below DefaultMaxFrameBytes (the receiver's cap is not
// public) whatever the stored event holds; links and extras beyond them
// are left out.
const (
	MaxEncodedURLs   = 16
	MaxEncodedExtras = 32
)

// mediaTypes maps a media modifier to the Type attribute of its <URL>, as
// mediaURL reads it back; a portal link is written without one, Decode's
// default (I).
var mediaTypes = map[string]string{"media_clip": "clip", "media_live": "live", "media_snapshot": "snapshot", "media_portal": ""}

// reservedExtra are names an extra child must not have: Decode reads them
// for a role (account, line, sender, sequence, passkey, event code), as a
// Signal field, or as an item, so that a stored attr_* value can never
// turn into the account, a zone or a second signal.
var reservedExtra = func() map[string]bool {
	m := map[string]bool{"evtype": true, "signal": true, "binary": true, "heartbeat": true, "ping": true, "messagetype": true, "data": true}
	for k := range roles {
		m[k] = true
	}
	for k := range signalFields {
		m[k] = true
	}
	return m
}()

// EncodeSignal renders one signal as a Manitou XML frame, STX and ETX
// included, in UTF-8:
//
//	STX<?xml version="1.0"?><Signal Event="BA" EvType="…" Account="1234" Seq="17">
//	<Area>…</Area><AreaInfo>…</AreaInfo><Zone>…</Zone><PointID>…</PointID><User>…</User>
//	<URL Type="clip">…</URL><name>…</name>…</Signal>ETX
//
// (without line breaks). The mapping, V/O/I as in doc.go:
//
//   - Event: a Contact ID event as E, R or P + its three digits (R for
//     QualifierRestore, P for QualifierStatus, E otherwise), as alarmcode
//     reads them back; a SIA event (and any other code) as it is (O: the
//     attribute; I: the Contact ID form, S32 shows SIA-like codes only).
//   - Account: the Signal attribute Account, the decoder's first choice
//     (I: where Manitou wants it is not public); omitted when account is
//     "", which Decode keeps and ACKs without one (AccountPlace "none"), as
//     Manitou lands an unknown transmitter on a system account [§2.4].
//     account is sent, not ev.Account (the output has already applied
//     the station prefix the peer expects).
//   - Seq: the frame's sequence, the Signal attribute Seq (I); omitted
//     when seq is "". The Ack echoes no sequence [§2.4, O].
//   - EvType: the attr_evtype modifier (O: the attribute; its vocabulary
//     is unknown, so nothing else is made into one).
//   - Area ← Partition, AreaInfo ← Text, Zone ← Zone (else the door or
//     device address when there is neither zone nor user) (O: the
//     elements; I: the mapping, §3.3); PointID ← attr_pointid, written
//     only beside a Zone (a PointID alone is read as the zone) (O).
//   - User ← User: the user of a user-addressed code (or any user the
//     event names) as a <User> child (I).
//   - URL ← media_clip/media_live/media_snapshot/media_portal, one <URL>
//     each, Type="clip"/"live"/"snapshot", none for a portal link (O: URL;
//     I: Type). A URL is written with white space, control characters and
//     non-ASCII bytes percent-encoded; one that is not http(s) or longer
//     than MaxURL after that is left out (a cut link is no link).
//   - Other attr_<name> modifiers and "position" ("lat,lon", as
//     <position>) as leaf children, which Decode reads back as
//     attr_<name> (I); names Decode reads for a role are left out. Other
//     modifiers (SIA ri, ti, …) are not carried.
//   - at: no Manitou element for the time is known [§2.4]; it is not sent.
//
// Text is cut to MaxText bytes, Area, Zone, PointID, User and EvType to
// MaxField bytes (at a character boundary, control characters dropped),
// never refused. Character data and attribute values are escaped with
// encoding/xml's EscapeText; invalid UTF-8 becomes U+FFFD. The error
// wraps ErrNotEncodable (see there).
func EncodeSignal(seq string, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	if account != "" {
		if err := accountChars(account); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotEncodable, err)
		}
	}
	code, err := eventCode(ev)
	if err != nil {
		return nil, err
	}
	var evType, pointID string
	for _, m := range ev.Modifiers {
		switch m.Name {
		case "attr_evtype":
			if evType == "" {
				evType = cleanShort(m.Value)
			}
		case "attr_pointid":
			if pointID == "" {
				pointID = cleanShort(m.Value)
			}
		}
	}
	zone, user := cleanShort(ev.Zone), cleanShort(ev.User)
	if zone == "" && user == "" && (ev.AddressKind == protocols.AddressZone || ev.AddressKind == protocols.AddressDoor || ev.AddressKind == protocols.AddressDevice) {
		zone = cleanShort(ev.Address)
	}
	if zone == "" {
		pointID = ""
	}

	var b bytes.Buffer
	b.Grow(256 + len(ev.Text))
	b.WriteByte(STX)
	b.WriteString(xmlDecl)
	b.WriteString(`<Signal Event="`)
	xmltext.Escape(&b, code)
	b.WriteByte('"')
	attr(&b, "EvType", evType)
	attr(&b, "Account", account)
	attr(&b, "Seq", cleanShort(seq))
	b.WriteByte('>')
	element(&b, "Area", cleanShort(ev.Partition))
	element(&b, "AreaInfo", cleanText(ev.Text, MaxText))
	element(&b, "Zone", zone)
	element(&b, "PointID", pointID)
	element(&b, "User", user)
	urls := 0
	for _, m := range ev.Modifiers {
		kind, ok := mediaTypes[m.Name]
		if !ok || urls == MaxEncodedURLs {
			continue
		}
		u, ok := cleanURL(m.Value)
		if !ok {
			continue
		}
		urls++
		b.WriteString("<URL")
		attr(&b, "Type", kind)
		b.WriteByte('>')
		xmltext.Escape(&b, u)
		b.WriteString("</URL>")
	}
	extras := 0
	for _, m := range ev.Modifiers {
		name, ok := extraName(m.Name)
		if !ok || extras == MaxEncodedExtras {
			continue
		}
		extras++
		b.WriteByte('<')
		b.WriteString(name)
		b.WriteByte('>')
		xmltext.Escape(&b, cleanText(m.Value, MaxText))
		b.WriteString("</")
		b.WriteString(name)
		b.WriteByte('>')
	}
	b.WriteString("</Signal>")
	b.WriteByte(ETX)
	return b.Bytes(), nil
}

// EncodeHeartbeat renders the keep-alive STX<?xml version="1.0"?><Heartbeat
// Seq="…"/>ETX, without Seq when seq is "" [§2.4, O: <Heartbeat …/>; I:
// Seq]. at is not sent (no time attribute is known).
func EncodeHeartbeat(seq string, at time.Time) []byte {
	return EncodeHeartbeatAuth(seq, at, "", "")
}

// EncodeHeartbeatAuth is EncodeHeartbeat for a receiver that wants the
// sender's id and passkey on the heartbeat, as Manitou receivers may
// [§2.4, O: S6 extract_heartbeat_passkey]: <Heartbeat Seq="…"
// Source="sender" Passkey="passkey"/>, each attribute left out when "".
// Source is the first sender attribute Decode reads (I). The passkey is
// written as it is (escaped, never cut): it is a secret, and the caller
// must not log the returned bytes (Codec.Redact removes it from a copy).
func EncodeHeartbeatAuth(seq string, at time.Time, sender, passkey string) []byte {
	var b bytes.Buffer
	b.Grow(64 + len(passkey))
	b.WriteByte(STX)
	b.WriteString(xmlDecl)
	b.WriteString("<Heartbeat")
	attr(&b, "Seq", cleanShort(seq))
	attr(&b, "Source", cleanShort(sender))
	attr(&b, "Passkey", passkey)
	b.WriteString("/>")
	b.WriteByte(ETX)
	return b.Bytes()
}

// replySplitter frames replies; it is never changed.
var replySplitter = New(Options{MaxFrameBytes: MaxReplyBytes})

// SplitReply frames the receiver's replies, STX … ETX, on the TCP stream
// (bufio.SplitFunc): the same framer as Codec.Split [§2.4, O], capped at
// MaxReplyBytes (protocols.ErrFrameTooLong, ReasonTooLong, beyond it when
// no later STX lets it resynchronise).
func SplitReply(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	return replySplitter.Split(data, atEOF)
}

// ParseReply reads one reply frame (STX and ETX optional), with the
// decoder's strict XML rules (no DTD; UTF-8, ISO-8859-1 or Windows-1252);
// element and attribute names in any letter case:
//
//   - <Ack><RawNo>…</RawNo></Ack> (or <Ack/>): OK, Seq "" (the Ack echoes
//     no sequence), Text the RawNo [§2.4, O].
//   - <Nak Index="…" Code="…"/>: not OK; Retry for Code 30 (not stored)
//     and for any code not in the table (a missing or unreadable one
//     included: an alarm is not dropped on an answer that is not
//     understood); no Retry for 10, 20, 21, 40, 50, refusals sending the
//     same bytes again cannot mend (I: the table at NakMalformed is ours;
//     the emulator answers 10 to every refusal [S6]). Text is
//     "Nak Code=… Index=…" and the code's meaning.
//
// Anything else is an error: a *protocols.FrameError with ErrSyntax
// (ReasonSyntax; ErrWrongContent past the element cap), protocols.ErrFrameTooLong (ReasonTooLong) or
// ErrUnknownType (ReasonToken, a well-formed document that is neither).
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	if len(frame) > MaxReplyBytes {
		return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong, "reply of %d bytes, limit %d", len(frame), MaxReplyBytes)
	}
	root, err := parseTree(unframe(frame))
	if err != nil {
		return protocols.PeerReply{}, err
	}
	switch {
	case strings.EqualFold(root.name, "Ack"):
		raw := ""
		if c, ok := root.child("RawNo"); ok && c.leaf() {
			raw = c.text.String()
		} else if v, _, ok := root.attr("RawNo"); ok {
			raw = v // the attribute form, tolerated (I)
		}
		return protocols.PeerReply{OK: true, Text: logText(raw)}, nil
	case strings.EqualFold(root.name, "Nak"):
		code, _, _ := root.attr("Code")
		index, _, _ := root.attr("Index")
		code, index = logText(code), logText(index)
		n, err := strconv.Atoi(code)
		if err != nil {
			n = -1
		}
		meaning, final := nakMeaning(n)
		text := "Nak Code=" + code + " Index=" + index + ": " + meaning
		return protocols.PeerReply{OK: false, Retry: !final, Text: text}, nil
	}
	return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonToken, ErrUnknownType, "reply <%.40s> is neither Ack nor Nak", logText(root.name))
}

// nakMeaning names a NAK code and says whether sending again cannot mend
// it (the table at NakMalformed, I).
func nakMeaning(code int) (string, bool) {
	switch code {
	case NakMalformed:
		return "malformed", true
	case NakMissing:
		return "mandatory data missing", true
	case NakWrongContent:
		return "wrong content", true
	case NakNotStored:
		return "not stored", false
	case NakNotAuthorised:
		return "not authorised", true
	case NakUnknownType:
		return "unknown message type", true
	}
	return "unknown code", false
}

// logText makes a value the peer sent fit for the log: trimmed, control
// characters dropped, at most MaxField bytes.
func logText(s string) string { return cleanShort(s) }

// eventCode returns the Event attribute for ev, checked as Decode reads it.
func eventCode(ev protocols.Event) (string, error) {
	code, _ := alarmcode.Wire(ev)
	code = strings.ToUpper(code)
	if _, err := alarmcode.Event(alarmcode.Fields{Code: code}); err != nil {
		return "", fmt.Errorf("%w: event code %.40q: %v", ErrNotEncodable, ev.Code, err)
	}
	return code, nil
}

// accountChars is Decode's account rule: 1 to MaxAccount printable ASCII
// characters, no space (a cut or trimmed account would be another one).
func accountChars(v string) error {
	if len(v) > MaxAccount || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fmt.Errorf("account %.40q: Manitou XML carries 1 to %d printable ASCII characters", v, MaxAccount)
	}
	return nil
}

// extraName returns the element name for an attr_* (or position)
// modifier: an ASCII XML name of at most MaxField bytes, not starting
// with "xml", not one Decode reads for a role.
func extraName(modifier string) (string, bool) {
	name, ok := strings.CutPrefix(modifier, "attr_")
	if !ok {
		if modifier != "position" {
			return "", false
		}
		name = "position"
	}
	if name == "" || len(name) > MaxField || reservedExtra[strings.ToLower(name)] || strings.HasPrefix(strings.ToLower(name), "xml") {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '.')) {
			return "", false
		}
	}
	return name, true
}

// cleanText makes s fit character data Decode reads back as it is:
// invalid UTF-8 and characters XML cannot carry become U+FFFD, leading and
// trailing white space goes (Decode trims it), and it is cut to limit
// bytes at a character boundary.
func cleanText(s string, limit int) string {
	return clean(s, limit, false)
}

// cleanShort is cleanText for a short field (MaxField bytes) in which
// Decode refuses control characters: they are dropped.
func cleanShort(s string) string {
	return clean(s, MaxField, true)
}

func clean(s string, limit int, dropControl bool) string {
	ok := utf8.ValidString(s)
	for i := 0; ok && i < len(s); i++ {
		if c := s[i]; c < 0x20 && (dropControl || c != '\t' && c != '\n' && c != '\r') || c == 0x7f || c >= 0x80 {
			ok = false
		}
	}
	if !ok {
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s {
			switch {
			case dropControl && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0):
			case !xmltext.Char(r):
				b.WriteRune(utf8.RuneError)
			default:
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	return xmltext.Cut(strings.TrimSpace(s), limit)
}

// cleanURL returns u as Decode accepts it: trimmed, white space, control
// characters and non-ASCII bytes percent-encoded (RFC 3986 §2.1), http(s)
// only, at most MaxURL bytes.
func cleanURL(u string) (string, bool) {
	c := weblink.Clean(u, MaxURL)
	return c, c != ""
}

// attr writes ` name="value"` unless value is "".
func attr(b *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	xmltext.Escape(b, value)
	b.WriteByte('"')
}

// element writes <name>value</name> unless value is "".
func element(b *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
	xmltext.Escape(b, value)
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}
