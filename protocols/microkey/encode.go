package microkey

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// ErrNotEncodable: the signal cannot be sent in Micro Key XML at all (an
// account or event code the receiver's rules refuse, a sequence it cannot
// echo). The output lists such a signal as undeliverable.
var ErrNotEncodable = errors.New("microkey: the signal cannot be sent in Micro Key XML")

// SendChecksum is the <Checksum> of every package alarmrx sends. The
// algorithm is not public and no candidate reproduces the two values the
// evidence shows (see ReplyChecksum) [automation-research.md §2.2, §7], so
// we write 0000, what the emulator writes in its NAK [S6]. A receiver that
// verifies the checksum answers "Checksum error", which ParseReply reads as
// not to be resent (resending the same bytes cannot mend it).
const SendChecksum = "0000"

// DefaultLine is the LN of a package whose event names no line
// (attr_line): the vendor sample's value [S5].
const DefaultLine = "01"

// The package as the vendor sample frames it [S5]: LF, declaration, the
// Signals element, the checksum, CR.
const (
	encHead = "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>"
	encTail = "</Signals><Checksum>" + SendChecksum + "</Checksum>\r"
)

// EncodeSignal renders one signal as a Micro Key package with Sequence
// seq, in the vendor sample's short names and element order [S5]:
//
//	LF <?xml version="1.0"?><Signals Ver="1.0.0"><SignalCount>1</SignalCount>
//	<Sequence>seq</Sequence><Signal><LN>01</LN><ACC>account</ACC><SI>E130</SI>
//	<PZ>zone</PZ><A>area</A><VF>link</VF><DT>YYYY-MM-DD</DT><TM>HH:MM:SS</TM>
//	<Data>text</Data></Signal></Signals><Checksum>0000</Checksum> CR
//
// LN is the event's attr_line (what Decode keeps of a received LN), else
// DefaultLine. SI is E/R/P + the code for a Contact ID event (R for a
// restore, P for a status), the SIA letters as they are. PZ is the zone, or
// the user for a user-addressed code (PZ is the only address the dialect
// has). A is the partition. VF, written only when there is one, is the
// first usable media link, clip, else snapshot, else live, else portal
// (http(s), at most MaxURL bytes: a link cut short points nowhere, so a
// longer one is passed over), else an attr_video_file a Micro Key sender
// wrote (a UNC path [S5]); the dialect has one VF, so the others are not
// sent. DT and TM are at in UTC (the dialect carries no zone). Data, the
// long-name variant's text element [S6], is written only when the event
// has text. position and other attr_* extras have no element and are not
// sent. PZ, A and LN are cut to MaxShort bytes, Data to MaxText; control
// characters are dropped from the short fields. Text is escaped with
// encoding/xml; the package is UTF-8 (no encoding declared, the XML
// default).
//
// The error wraps ErrNotEncodable when the account is not 1-MaxAccount
// characters A-Z a-z 0-9 -, the code is empty, longer than 16 or not
// printable ASCII, or seq is not 1-MaxSequence characters 0-9 A-Z a-z - _ .
func EncodeSignal(seq string, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	account = strings.TrimSpace(account)
	code := siCode(ev)
	switch {
	case !validSequence(seq):
		return nil, fmt.Errorf("%w: sequence %q is not 1-%d characters 0-9 A-Z a-z - _ .", ErrNotEncodable, clip([]byte(seq), 40), MaxSequence)
	case !validAccount(account):
		return nil, fmt.Errorf("%w: account %q is not 1-%d characters A-Z a-z 0-9 -", ErrNotEncodable, clip([]byte(account), 40), MaxAccount)
	case code == "":
		return nil, fmt.Errorf("%w: no event code", ErrNotEncodable)
	case len(code) > 16 || strings.IndexFunc(code, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return nil, fmt.Errorf("%w: event code %q is not 1-16 printable ASCII characters", ErrNotEncodable, clip([]byte(code), 40))
	}
	line := short(modifier(ev, "attr_line"))
	if line == "" {
		line = DefaultLine
	}
	pz := ev.Zone
	if ev.AddressKind == protocols.AddressUser && ev.User != "" {
		pz = ev.User
	}
	at = at.UTC()

	b := make([]byte, 0, 320+len(ev.Text))
	b = append(b, encHead...)
	b = append(b, "1</SignalCount><Sequence>"...)
	b = append(b, seq...)
	b = append(b, "</Sequence><Signal>"...)
	b = element(b, "LN", line)
	b = element(b, "ACC", account)
	b = element(b, "SI", code)
	b = element(b, "PZ", short(pz))
	b = element(b, "A", short(ev.Partition))
	if vf := videoFile(ev); vf != "" {
		b = element(b, "VF", vf)
	}
	b = at.AppendFormat(append(b, "<DT>"...), "2006-01-02")
	b = at.AppendFormat(append(b, "</DT><TM>"...), "15:04:05")
	b = append(b, "</TM>"...)
	if text := strings.TrimSpace(cut(strings.TrimSpace(xmltext.Valid(ev.Text)), MaxText)); text != "" {
		b = element(b, "Data", text)
	}
	b = append(b, "</Signal>"...)
	return append(b, encTail...), nil
}

// EncodeHeartbeat renders the empty package, SignalCount 0, that keeps the
// receiver's supervision alive [S27]. Micro Key's heartbeat has a
// Sequence; seq is escaped, never refused (the output's counter is
// decimal). at is not used: an empty package carries no time.
func EncodeHeartbeat(seq string, _ time.Time) []byte {
	b := make([]byte, 0, 160+len(seq))
	b = append(b, encHead...)
	b = append(b, "0</SignalCount><Sequence>"...)
	b = appendEscaped(b, seq)
	b = append(b, "</Sequence>"...)
	return append(b, encTail...)
}

// siCode is the SI of ev: Contact ID codes carry their qualifier as a
// letter, the form Ajax's Micro Key output uses (E130, R145)
// [automation-research.md §2.2]; a Contact ID code that is not three
// digits (kept unknown) and every SIA code go as they are.
func siCode(ev protocols.Event) string {
	code, _ := alarmcode.Wire(ev)
	return strings.ToUpper(code)
}

// videoFile picks VF: the first usable media link in the order clip,
// snapshot, live, portal, then a non-web attr_video_file.
func videoFile(ev protocols.Event) string {
	for _, kind := range []string{"media_clip", "media_snapshot", "media_live", "media_portal"} {
		for _, m := range ev.Modifiers {
			if m.Name == kind && len(m.Value) <= MaxURL && isWebURL(m.Value) {
				return m.Value
			}
		}
	}
	if v := strings.TrimSpace(xmltext.Valid(modifier(ev, "attr_video_file"))); v != "" && len(v) <= MaxURL {
		return v
	}
	return ""
}

// modifier returns the value of ev's first modifier called name.
func modifier(ev protocols.Event, name string) string {
	for _, m := range ev.Modifiers {
		if m.Name == name {
			return m.Value
		}
	}
	return ""
}

// element appends <name>escaped value</name>.
func element(b []byte, name, value string) []byte {
	b = append(append(append(b, '<'), name...), '>')
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(value)) // a bytes.Buffer does not fail
	b = append(b, buf.Bytes()...)
	return append(append(append(b, "</"...), name...), '>')
}

// short makes a value fit LN, PZ or A as Decode reads them: printable (no
// control characters, C0 or C1), trimmed, at most MaxShort bytes.
func short(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(cut(strings.TrimSpace(s), MaxShort))
}

// cut returns s cut to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
