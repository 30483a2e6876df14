package sentinel

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// The sending side: alarmrx takes the role of the cloud and writes lines to
// a Sentinel receiver (stop-and-wait: one line, its ACK or NAK, resend on
// NAK or timeout). Every line is one Decode accepts as it is, so what we
// send is what we would store ourselves.

// ErrNotEncodable: the signal cannot be sent as a Sentinel line at all (an
// account or an event code Decode would refuse, a sequence it could not
// carry). Resending would be NAKed forever, so the output lists such a
// signal as undeliverable instead.
var ErrNotEncodable = errors.New("sentinel: the signal cannot be sent as a Sentinel line")

// ErrReply: a reply frame that is neither ACK nor NAK.
var ErrReply = errors.New("sentinel: reply is not ACK or NAK")

// Keys EncodeSignal writes, one per field, each the name Decode reads back
// to the same field. Event and MediaUrl are the emulator's (O) [S6]; the
// others are our reading (I), see doc.go.
const (
	KeyAccount  = "Account"
	KeySequence = "Seq"
	KeyEvent    = "Event"
	KeyZone     = "Zone"
	KeyArea     = "Area"
	KeyUser     = "User"
	KeyText     = "Text"
)

// mediaKeys is the key EncodeSignal writes for each media kind: the key
// Decode maps back to that kind (mediaKinds). A snapshot goes as MediaUrl,
// the only media key the emulator reads [S6] (Image would decode the same).
var mediaKeys = map[string]string{
	"media_snapshot": "MediaUrl",
	"media_clip":     "VideoUrl",
	"media_live":     "LiveUrl",
	"media_portal":   "Url",
}

// heartbeat is the emulator's ping [S6 handler].
var heartbeat = []byte{ACK, DC4}

// EncodeSignal renders one signal as one Sentinel line with sequence seq:
//
//	Account=<account>|Seq=<seq>|Event=<code>|Zone=<zone>|Area=<area>|User=<user>|Text=<text>|<media key>=<link> CR LF
//
// Event is E, R or P and the three digits for a Contact ID event (R for
// QualifierRestore, P for QualifierStatus), the form Ajax sends and the
// emulator reads (E130) [§2.5, S6]; a SIA event, or a code that is not
// three digits, goes as it is (BA, CAMIDLE). Area is ev.Partition. Empty
// fields are left out (so is Seq when seq is ""). Only the first media
// link is sent, under the key Decode reads back as its kind: MediaUrl for
// a snapshot, VideoUrl for a clip, LiveUrl for a live view, Url for a
// portal; a link that is not http(s) or is longer than MaxURL bytes is
// passed over (a link cut short points nowhere) and the next one is taken.
// position and attr_* extras have no key in the evidence and are not sent;
// at is not sent either (the evidence shows no time key).
//
// Values are made safe for the line: '|' becomes '/', tab becomes a space,
// CR, LF and other control characters (C0, C1, DEL) are dropped, invalid
// UTF-8 becomes U+FFFD (Decode would read a line that is not UTF-8 as
// Windows-1252), and blanks at either end are trimmed (Decode trims them).
// In a link, '|', space and control characters are percent-encoded
// instead, which leaves a valid URL as it is. Zone, Area and User lose
// their blanks (Decode refuses a blank there) and are cut to MaxAddress
// bytes; Text is cut to MaxText characters. The line is UTF-8.
//
// The error wraps ErrNotEncodable when account is not 1-MaxAccount
// characters A-Z a-z 0-9 -, the event has no code or one longer than 16
// or not printable ASCII or holding '|', or seq is not at most MaxSequence
// printable ASCII characters without space or '|' (the line would not
// decode to the signal).
func EncodeSignal(seq string, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	account = strings.TrimSpace(account)
	code := eventCode(ev)
	switch {
	case account == "" || !validAccount(account):
		return nil, fmt.Errorf("%w: account %q is not 1-%d characters A-Z a-z 0-9 -", ErrNotEncodable, clip(account), MaxAccount)
	case seq != "" && (!validSequence(seq) || strings.IndexByte(seq, '|') >= 0):
		return nil, fmt.Errorf("%w: sequence %q is not 1-%d printable characters without space or '|'", ErrNotEncodable, clip(seq), MaxSequence)
	case code == "":
		return nil, fmt.Errorf("%w: no event code", ErrNotEncodable)
	case len(code) > alarmcode.MaxCode || strings.IndexFunc(code, func(r rune) bool { return r <= ' ' || r > '~' || r == '|' }) >= 0:
		return nil, fmt.Errorf("%w: event code %q is not 1-%d printable ASCII characters without '|'", ErrNotEncodable, clip(code), alarmcode.MaxCode)
	}
	text := cutRunes(value(ev.Text), MaxText)
	b := make([]byte, 0, 96+len(text))
	b = pair(b, KeyAccount, account)
	b = pair(b, KeySequence, seq)
	b = pair(b, KeyEvent, code)
	b = pair(b, KeyZone, address(ev.Zone))
	b = pair(b, KeyArea, address(ev.Partition))
	b = pair(b, KeyUser, address(ev.User))
	b = pair(b, KeyText, text)
	if key, link := firstMedia(ev); link != "" {
		b = pair(b, key, link)
	}
	return append(b, '\r', '\n'), nil
}

// EncodeHeartbeat renders the emulator's ping, the two bytes 06 14 [S6
// handler], which the receiver answers ACK. The ping carries no sequence,
// so seq is not used, and no time, so neither is at.
func EncodeHeartbeat(_ string, _ time.Time) []byte {
	return append([]byte(nil), heartbeat...)
}

// SplitReply frames the receiver's replies: each ACK (0x06) or NAK (0x15)
// byte is one frame [S6 responses]; every other byte is skipped
// (resynchronising past noise, a CR or LF some receivers may add). It
// never holds bytes back, so it needs no cap and never fails.
func SplitReply(data []byte, _ bool) (advance int, frame []byte, err error) {
	for i, c := range data {
		if c == ACK || c == NAK {
			return i + 1, data[i : i+1], nil
		}
	}
	return len(data), nil, nil
}

// ParseReply reads one framed reply. ACK is OK. NAK is not OK with Retry
// set: Sentinel's NAK carries no reason, and the emulator's sender resends
// a NAKed line (I), so a NAK for a line the receiver found malformed is
// resent too (EncodeSignal writes only lines our Decode accepts). The
// dialect echoes nothing: Seq is always "". Text is "ACK" or "NAK". Any
// other frame is an error wrapping ErrReply (ReasonSyntax).
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	if len(frame) == 1 {
		switch frame[0] {
		case ACK:
			return protocols.PeerReply{OK: true, Text: "ACK"}, nil
		case NAK:
			return protocols.PeerReply{Retry: true, Text: "NAK"}, nil
		}
	}
	return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrReply, "reply %q", clip(string(frame)))
}

// eventCode is the Event value of ev: Contact ID codes of three digits
// with their qualifier as a letter, anything else as it is, upper case.
func eventCode(ev protocols.Event) string {
	code, _ := alarmcode.Wire(ev)
	return strings.ToUpper(code)
}

// firstMedia returns the key and the link of ev's first usable media link.
func firstMedia(ev protocols.Event) (key, link string) {
	for _, m := range ev.Modifiers {
		key, ok := mediaKeys[m.Name]
		if !ok {
			continue
		}
		link := escapeURL(strings.TrimSpace(m.Value))
		if len(link) <= MaxURL && (hasPrefixFold(link, "https://") || hasPrefixFold(link, "http://")) {
			return key, link
		}
	}
	return "", ""
}

// pair appends |key=value, without the '|' at the start of the line, and
// nothing when value is empty.
func pair(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	if len(b) > 0 {
		b = append(b, '|')
	}
	b = append(b, key...)
	b = append(b, '=')
	return append(b, value...)
}

// value makes s safe as a value: valid UTF-8, '|' as '/', tab as a space,
// no control characters, trimmed as Decode trims.
func value(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case r == '\t':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Trim(s, " ")
}

// address makes s fit Zone, Area or User as Decode checks them: a value
// without blanks of at most MaxAddress bytes.
func address(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' {
			return -1
		}
		return r
	}, value(s))
	return cutBytes(s, MaxAddress)
}

// escapeURL percent-encodes what a link cannot hold on the line ('|',
// space, controls, invalid UTF-8); none of them belongs in a valid URL
// unescaped, so a valid link is left as it is.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '|' || r == ' ' || r == '\t' || isControl(r) || r == utf8.RuneError && n == 1 {
			for j := i; j < i+n; j++ {
				b.WriteByte('%')
				b.WriteByte(hex[s[j]>>4])
				b.WriteByte(hex[s[j]&0xF])
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cutRunes cuts s to at most n characters, then trims a blank the cut
// left at the end.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n; k++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return strings.TrimRight(s[:i], " ")
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
