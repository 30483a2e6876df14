package masxml

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/internal/weblink"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// The sending side: alarmrx in a cloud's place, sending signals to an
// automation platform's MASXML receiver and reading its AckNakClass
// replies (see the package comment for the layout and its V/O/I marks).

// ErrNotEncodable is wrapped by EncodeSignal's error when MASXML cannot
// carry the signal at all (an account outside 1-16 of A-Z a-z 0-9 -, a
// sequence that is not 1-20 digits, no or an unusable event code).
var ErrNotEncodable = errors.New("masxml: signal cannot be sent as MASXML")

// Defaults of EncodeOptions.
const (
	// DefaultSourceID is the SourceID alarmrx sends: the sender id a
	// receiver supervises the link by (O: the element; the value is ours).
	DefaultSourceID = "alarmrx"
	// DefaultMessageType is the MessageType of a signal. AJAX is the only
	// value a MASXML sender is seen to send [S6 conftest.py;
	// automation-research.md §2.3], so a receiver built against that
	// traffic accepts it (O); no public source says whether a receiver
	// reads it at all, or what other values mean (I).
	DefaultMessageType = "AJAX"
	// MessageTypeHeartbeat is the MessageType of the keep-alive (O).
	MessageTypeHeartbeat = "HEARTBEAT"
)

// EncodeOptions are the sender's settings. The zero value sends
// DefaultSourceID and DefaultMessageType. MASXML carries no secret.
type EncodeOptions struct {
	// SourceID is sent in <SourceID>: printable ASCII, at most MaxHeader
	// bytes; other characters become '_', a longer one is cut; "" means
	// DefaultSourceID.
	SourceID string
	// MessageType is sent in a signal's <MessageType>, with the same rules;
	// "" (or HEARTBEAT, which would make the signal a keep-alive) means
	// DefaultMessageType.
	MessageType string
}

// Keys written for a signal's fields and links. Account, EventCode, Area,
// User and URL are observed [S6]; Zone, Text, ClipURL, LiveURL,
// SnapshotURL and Position are ours (I), and Decode reads each back.
var mediaKeys = map[string]string{
	"media_portal":   "URL",
	"media_clip":     "ClipURL",
	"media_live":     "LiveURL",
	"media_snapshot": "SnapshotURL",
}

// EncodeSignal renders ev as one XMLMessageClass with the default options
// (EncodeOptions.EncodeSignal).
func EncodeSignal(seq string, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	return EncodeOptions{}.EncodeSignal(seq, account, ev, at)
}

// EncodeHeartbeat renders the keep-alive with the default options
// (EncodeOptions.EncodeHeartbeat).
func EncodeHeartbeat(seq string, at time.Time) []byte {
	return EncodeOptions{}.EncodeHeartbeat(seq, at)
}

// EncodeSignal renders ev as one XMLMessageClass, compact on one line with
// no line end after it, in UTF-8:
//
//	<?xml version="1.0" encoding="UTF-8"?><XMLMessageClass><MessageType>AJAX</MessageType>
//	<SourceID>alarmrx</SourceID><MessageSequenceNo>seq</MessageSequenceNo>
//	KeyValuePairs: Account, EventCode, Area, Zone, User, Text, then the links and extras
//	</XMLMessageClass>
//
// seq must be 1-20 digits (MessageSequenceNo, which the reply echoes);
// account must be 1-16 of A-Z a-z 0-9 - (what Decode and xmlsignal take);
// otherwise the error wraps ErrNotEncodable. EventCode is E, R or P and
// the three digits of a Contact ID code (R for QualifierRestore, P for
// QualifierStatus: the form the evidence shows, E120), a SIA code's two
// letters, any other code as it is; a code alarmcode would refuse wraps
// ErrNotEncodable.
//
// Nothing is refused for its length: Area, Zone and User are cut to
// MaxAddress bytes (a character other than printable ASCII without space
// becomes '_'); Text and extras to MaxText bytes at a character boundary
// (a character XML cannot carry becomes U+FFFD; leading and trailing space
// is dropped, as Decode drops it). Modifiers, in their order:
// media_portal, media_clip, media_live and media_snapshot go as URL,
// ClipURL, LiveURL and SnapshotURL, percent-escaping space, control and
// non-ASCII bytes; a link that is not http(s) or longer than MaxURL bytes
// is left out, since a cut link is no link. attr_<key> goes as <key>
// (unless key names a signal field, holds "url" or is "position", which
// Decode would read as something else); position "lat,lon" as Position;
// other modifiers (SIA's ri, ti…, test) are not sent. A pair that would take
// the message past DefaultMaxFrameBytes is left out. Empty values are not
// sent (Decode ignores them).
//
// MASXML carries no time (O: none seen), so at is not sent.
func (o EncodeOptions) EncodeSignal(seq string, account string, ev protocols.Event, _ time.Time) ([]byte, error) {
	if !isDigits(seq, MaxSequence) {
		return nil, fmt.Errorf("%w: MessageSequenceNo %q: 1-%d digits", ErrNotEncodable, clip(seq), MaxSequence)
	}
	if account == "" || !validAccount(account) {
		return nil, fmt.Errorf("%w: account %q: 1-%d characters A-Z a-z 0-9 -", ErrNotEncodable, clip(account), MaxAccount)
	}
	code, err := eventCode(ev)
	if err != nil {
		return nil, err
	}
	typ := header(o.MessageType, DefaultMessageType)
	if strings.EqualFold(typ, MessageTypeHeartbeat) {
		typ = DefaultMessageType
	}
	var b bytes.Buffer
	b.Grow(512)
	start(&b, typ, header(o.SourceID, DefaultSourceID), seq)
	pair(&b, "Account", account)
	pair(&b, "EventCode", code)
	pair(&b, "Area", address(ev.Partition))
	pair(&b, "Zone", address(ev.Zone))
	pair(&b, "User", address(ev.User))
	pair(&b, "Text", text(ev.Text))
	// Room left for pairs under the frame cap, the closing tag kept aside.
	room := DefaultMaxFrameBytes - b.Len() - len(rootEnd)
	for i, n := 0, 0; i < len(ev.Modifiers) && n < MaxPairs-6; i++ {
		key, value := modifierPair(ev.Modifiers[i])
		if key == "" || value == "" {
			continue
		}
		mark := b.Len()
		pair(&b, key, value)
		if b.Len()-mark > room {
			b.Truncate(mark)
			continue
		}
		room -= b.Len() - mark
		n++
	}
	b.Write(rootEnd)
	return b.Bytes(), nil
}

// EncodeHeartbeat renders the keep-alive: an XMLMessageClass with
// MessageType HEARTBEAT, the SourceID and MessageSequenceNo seq, and no
// pairs (O: the emulator's heartbeat fixture). MASXML's heartbeat carries
// a sequence and Decode requires one: a seq that is not 1-20 digits ("")
// is sent as 0000, the sequence the emulator echoes when it has none.
func (o EncodeOptions) EncodeHeartbeat(seq string, _ time.Time) []byte {
	if !isDigits(seq, MaxSequence) {
		seq = noSequence
	}
	var b bytes.Buffer
	b.Grow(200)
	start(&b, MessageTypeHeartbeat, header(o.SourceID, DefaultSourceID), seq)
	b.Write(rootEnd)
	return b.Bytes()
}

// requestDecl is the declaration a request starts with (O: the emulator's
// fixtures write it with single quotes; either is XML).
const requestDecl = `<?xml version="1.0" encoding="UTF-8"?>`

func start(b *bytes.Buffer, typ, source, seq string) {
	b.WriteString(requestDecl)
	b.WriteString("<XMLMessageClass><MessageType>")
	xmltext.Escape(b, typ)
	b.WriteString("</MessageType><SourceID>")
	xmltext.Escape(b, source)
	b.WriteString("</SourceID><MessageSequenceNo>")
	b.WriteString(seq) // digits
	b.WriteString("</MessageSequenceNo>")
}

// pair writes one KeyValuePair; an empty value is not written.
func pair(b *bytes.Buffer, key, value string) {
	if value == "" {
		return
	}
	b.WriteString("<KeyValuePair><Key>")
	xmltext.Escape(b, key)
	b.WriteString("</Key><Value>")
	xmltext.Escape(b, value)
	b.WriteString("</Value></KeyValuePair>")
}

func validAccount(a string) bool {
	return len(a) <= MaxAccount && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) < 0
}

// eventCode writes ev's code as MASXML's EventCode and checks that
// alarmcode, and so Decode, reads it.
func eventCode(ev protocols.Event) (string, error) {
	code := strings.TrimSpace(ev.Code)
	if code == "" {
		return "", fmt.Errorf("%w: no event code", ErrNotEncodable)
	}
	code, _ = alarmcode.Wire(ev)
	if _, err := alarmcode.Event(alarmcode.Fields{Code: code}); err != nil {
		return "", fmt.Errorf("%w: event code %q: %v", ErrNotEncodable, clip(code), err)
	}
	return code, nil
}

// header is a MessageType or SourceID as Decode takes it: printable ASCII
// (space allowed inside), at most MaxHeader bytes; def when empty.
func header(s, def string) string {
	s = strings.TrimSpace(asciiOnly(s, true))
	if len(s) > MaxHeader {
		s = strings.TrimSpace(s[:MaxHeader])
	}
	if s == "" {
		return def
	}
	return s
}

// address is an Area, Zone or User as Decode takes it: at most MaxAddress
// printable ASCII characters without space.
func address(s string) string {
	s = asciiOnly(strings.TrimSpace(s), false)
	if len(s) > MaxAddress {
		s = s[:MaxAddress]
	}
	return s
}

// asciiOnly replaces every character but printable ASCII (and, with space,
// the space) by '_'.
func asciiOnly(s string, space bool) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r <= '~' || space && r == ' ' {
			return r
		}
		return '_'
	}, s)
}

// text is a Text or extra's value: characters XML 1.0 cannot carry (and
// invalid UTF-8) become U+FFFD, space around it is dropped, and it is cut
// to MaxText bytes at a character boundary.
func text(s string) string {
	return xmltext.Clean(s, MaxText)
}

// modifierPair maps one modifier to the pair EncodeSignal writes, or "".
func modifierPair(m protocols.Modifier) (key, value string) {
	if k, ok := mediaKeys[m.Name]; ok {
		return k, link(m.Value)
	}
	if m.Name == "position" {
		v := strings.TrimSpace(m.Value)
		if validPosition(v) {
			return "Position", v
		}
		return "", ""
	}
	k, ok := strings.CutPrefix(m.Name, "attr_")
	if !ok {
		return "", ""
	}
	k = attrName(strings.ToLower(k))
	switch {
	case k == "" || len(k) > MaxKey || strings.Contains(k, "url") || k == keyPosition:
		return "", ""
	case k == keyAccount, k == keyCode, k == keyArea, k == keyZone, k == keyUser, k == keyText:
		return "", ""
	}
	return k, text(m.Value)
}

// link is a media URL as Decode takes it: http(s), printable ASCII, at
// most MaxURL bytes. Space, control and non-ASCII bytes are
// percent-escaped (as a browser sends an IRI); anything else is "".
func link(u string) string {
	return weblink.Clean(u, MaxURL)
}
