package sos

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// ErrNotEncodable is wrapped by EncodeSignal's error when SOS Access cannot
// carry a signal at all: its account breaks transmittercode's rule, it has
// no event code or one longer than eventcode allows, or the sequence is not
// a reference.
var ErrNotEncodable = errors.New("sos: signal cannot be encoded")

// ErrConfig is wrapped by Transmitter.Validate's error.
var ErrConfig = errors.New("sos: invalid transmitter configuration")

// Transmitter is the sending side of SOS Access: alarmrx in the role of an
// alarm transmitter, sending to a receiver [S7]. Its fields are what the
// alarm operator supplies to a transmitter ("SUPPLIED BY ALARM OPERATOR")
// and are written into every request. Check them with Validate when the
// output is configured: EncodeSignal and EncodeHeartbeat write them as
// given, and a receiver refuses a request whose fields break their rules
// (WRONG_CONTENT, NOT_AUTHORIZED: not to be sent again).
//
// Authentication is a secret: it is written into the requests' bytes only,
// never into an error, and the type has no String or JSON form that shows
// it.
type Transmitter struct {
	// Authentication is the transmitter's password, 15 characters [S7
	// authentication]; "" writes no <authentication> (for a receiver that
	// does not check one).
	Authentication string
	// Receiver is <receiver>, 1–20 characters: which monitoring centre of
	// the receiver the alarms go to [S7 receiver]. alarmrequest only: the
	// source's pingrequest has none.
	Receiver string
	// TransmitterType is <transmittertype>, 1–5 characters ("SV300") [S7].
	TransmitterType string
	// TransmitterCode is the pingrequest's <transmittercode> (1–15
	// printable ASCII characters without space): the code the link is
	// supervised under [S7 pingrequest]. An alarmrequest carries the
	// signal's account instead.
	TransmitterCode string
}

// String names the transmitter without its password.
func (t Transmitter) String() string {
	return fmt.Sprintf("sos transmitter %s type %s receiver %s", quote(t.TransmitterCode), quote(t.TransmitterType), quote(t.Receiver))
}

// GoString is String: %#v must not print the password either.
func (t Transmitter) GoString() string { return t.String() }

// Field limits of the requests EncodeSignal writes [S7 "Element
// definitions"], in characters.
const (
	maxReference   = 50
	maxReceiver    = 20
	maxType        = 5
	maxCode        = 15
	maxArea        = 5
	maxEventCode   = 25
	maxShortCode   = 5 // section, detector
	maxLongText    = 40
	maxInfo        = 2000
	maxPositionLen = 32
)

// Validate checks the transmitter's fields against the protocol's rules
// [S7]: Authentication "" or 15 printable ISO-8859-1 characters without
// white space at its ends, Receiver 1–20 and TransmitterType 1–5 printable
// ISO-8859-1 characters, TransmitterCode 1–15 printable ASCII characters
// without space. The error wraps ErrConfig and never holds the password.
func (t Transmitter) Validate() error {
	if t.Authentication != "" && (utf8.RuneCountInString(t.Authentication) != maxPassword || !lineText(t.Authentication, true)) {
		return fmt.Errorf("%w: authentication must be %d printable ISO-8859-1 characters", ErrConfig, maxPassword)
	}
	if n := utf8.RuneCountInString(t.Receiver); n == 0 || n > maxReceiver || !lineText(t.Receiver, true) {
		return fmt.Errorf("%w: receiver %s: 1–%d printable ISO-8859-1 characters", ErrConfig, quote(t.Receiver), maxReceiver)
	}
	if n := utf8.RuneCountInString(t.TransmitterType); n == 0 || n > maxType || !lineText(t.TransmitterType, true) {
		return fmt.Errorf("%w: transmittertype %s: 1–%d printable ISO-8859-1 characters", ErrConfig, quote(t.TransmitterType), maxType)
	}
	if !codeText(t.TransmitterCode) {
		return fmt.Errorf("%w: transmittercode %s: 1–%d printable ASCII characters without space", ErrConfig, quote(t.TransmitterCode), maxCode)
	}
	return nil
}

// lineText reports text the decoder takes in a one-line element as is:
// ISO-8859-1 printable characters (and TAB), no white space at its ends
// when trimmed is set.
func lineText(s string, trimmed bool) bool {
	if trimmed && strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !(r >= ' ' && r < 0x7F || r >= 0xA0 && r <= 0xFF || r == '\t') {
			return false
		}
	}
	return true
}

// codeText reports a transmittercode: 1–15 printable ASCII characters
// without space [S7 transmittercode; as Decode reads it].
func codeText(s string) bool {
	if len(s) == 0 || len(s) > maxCode {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// EncodeSignal renders one signal as an alarmrequest, ISO-8859-1 [S7]:
//
//	<authentication>  t.Authentication (omitted when "")                  V
//	<reference>       seq (omitted when ""); the response echoes it        V
//	<receiver>        t.Receiver                                           V
//	<transmittertime> at, "2006-01-02 15:04:05.000" (omitted when zero)    V form, I value
//	<alarmtype>       RE for QualifierRestore, else AL                     V
//	<transmittertype> t.TransmitterType                                    V
//	<transmittercode> account: 1–15 printable ASCII, else ErrNotEncodable  V
//	<transmitterarea> ev.Partition when it has 1–5 characters              V element, I mapping
//	<eventcode>       Contact ID as E/R/P+code, SIA as its letters, other
//	                  codes as stored; 1–25, else ErrNotEncodable          V length, I form
//	<section>         the attr_section modifier when it has 1–5 characters
//	                  and a detector is written                           I
//	<sectiontext>     the attr_sectiontext modifier, cut to 40            I
//	<detector>        ev.Zone when it has 1–5 characters                   I
//	<detectortext>    ev.Zone when it is longer (cut to 40), else the
//	                  attr_detectortext modifier, cut to 40               I
//	<additionalinfo>  ev.Text, cut to 2000 characters, lines kept         V limit, I mapping
//	<position><pos>   the "position" modifier "lat,lon" as WGS84
//	                  "NDDMMmmEDDDMMmm"; else an attr_position (RT90 text) V form, I mapping
//	<media_clip> …    each media_* modifier with an http(s) URL of at most
//	                  MaxURL bytes, as an element of its own name         I (no SOS element)
//
// Text is ISO-8859-1: a character outside it (and a C1 control) becomes
// '?', other control characters but TAB (and LF, CR in additionalinfo)
// are dropped, and white space at a field's ends is dropped (Decode drops
// it). User and other attr_ modifiers are not carried: SOS Access has no
// element for them. The media elements are an extension: the source's
// protocol has no media link, and a receiver that refuses undefined
// elements refuses such a signal (Decode keeps them).
//
// The error, which wraps ErrNotEncodable, names the account or code but
// never the password.
func (t Transmitter) EncodeSignal(seq, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	if seq != "" && (utf8.RuneCountInString(seq) > maxReference || !lineText(seq, true)) {
		return nil, fmt.Errorf("%w: reference %s: 1–%d printable ISO-8859-1 characters", ErrNotEncodable, quote(seq), maxReference)
	}
	if !codeText(account) {
		return nil, fmt.Errorf("%w: transmittercode %s: 1–%d printable ASCII characters without space", ErrNotEncodable, quote(account), maxCode)
	}
	code := eventCode(ev)
	if code == "" || utf8.RuneCountInString(code) > maxEventCode {
		return nil, fmt.Errorf("%w: eventcode %s: 1–%d characters", ErrNotEncodable, quote(code), maxEventCode)
	}
	b := make([]byte, 0, 512+len(ev.Text))
	b = append(b, xmlHeader...)
	b = append(b, "\n<alarmrequest>\n"...)
	if t.Authentication != "" {
		b = element(b, "authentication", t.Authentication, maxPassword, false)
	}
	if seq != "" {
		b = element(b, "reference", seq, maxReference, false)
	}
	b = element(b, "receiver", t.Receiver, maxReceiver, false)
	if !at.IsZero() {
		b = append(b, "  <transmittertime>"...)
		b = at.AppendFormat(b, ArrivalTimeLayout)
		b = append(b, "</transmittertime>\n"...)
	}
	if ev.Qualifier == protocols.QualifierRestore {
		b = append(b, "  <alarmtype>RE</alarmtype>\n"...)
	} else {
		b = append(b, "  <alarmtype>AL</alarmtype>\n"...)
	}
	b = element(b, "transmittertype", t.TransmitterType, maxType, false)
	b = element(b, "transmittercode", account, maxCode, false)
	if area := strings.TrimSpace(ev.Partition); fits(area, maxArea) {
		b = element(b, "transmitterarea", area, maxArea, false)
	}
	b = element(b, "eventcode", code, maxEventCode, false)
	zone := strings.TrimSpace(ev.Zone)
	detectorText := modifier(ev, "attr_detectortext")
	if fits(zone, maxShortCode) {
		if section := strings.TrimSpace(modifier(ev, "attr_section")); fits(section, maxShortCode) {
			// Only beside a detector: without one Decode takes the
			// section for the zone.
			b = element(b, "section", section, maxShortCode, false)
		}
		b = element(b, "sectiontext", modifier(ev, "attr_sectiontext"), maxLongText, false)
		b = element(b, "detector", zone, maxShortCode, false)
	} else if zone != "" {
		// A zone name the 5-character detector cannot hold goes whole
		// into its description rather than cut into another zone.
		detectorText = zone
	}
	b = element(b, "detectortext", detectorText, maxLongText, false)
	b = element(b, "additionalinfo", ev.Text, maxInfo, true)
	if pos := position(ev); pos != "" {
		b = append(b, "  <position>\n    <pos>"...)
		b = appendEscaped(b, pos)
		b = append(b, "</pos>\n  </position>\n"...)
	}
	media := 0
	for _, m := range ev.Modifiers {
		if isMediaName(m.Name) && isMediaURL(m.Value) && media < MaxExtra {
			media++
			b = element(b, m.Name, m.Value, MaxURL, false)
		}
	}
	b = append(b, "</alarmrequest>\n"...)
	return b, nil
}

// EncodeHeartbeat renders a pingrequest [S7 "Ping Request"]: authentication
// (omitted when ""), reference seq (omitted when ""; cut to 50 characters),
// transmittercode t.TransmitterCode, transmittertype; no receiver, as the
// source's pingrequest has none. at is not carried: the pingrequest has no
// time.
func (t Transmitter) EncodeHeartbeat(seq string, _ time.Time) []byte {
	b := make([]byte, 0, 256)
	b = append(b, xmlHeader...)
	b = append(b, "\n<pingrequest>\n"...)
	if t.Authentication != "" {
		b = element(b, "authentication", t.Authentication, maxPassword, false)
	}
	b = element(b, "reference", seq, maxReference, false)
	b = element(b, "transmittercode", t.TransmitterCode, maxCode, false)
	b = element(b, "transmittertype", t.TransmitterType, maxType, false)
	b = append(b, "</pingrequest>\n"...)
	return b
}

// fits reports a value of 1–max characters that Decode takes as is.
func fits(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n > 0 && n <= max && clean(s, max, false) == s
}

// eventCode is the eventcode of an event: a Contact ID code as E, R or P
// and its three digits (R for a restore, P for a status) [encoder
// contract], anything else (SIA letters, an operator's code) as stored,
// in ISO-8859-1 with white space at its ends dropped.
func eventCode(ev protocols.Event) string {
	code, ok := alarmcode.Wire(ev)
	if ok {
		return code
	}
	return clean(code, maxEventCode+1, false)
}

// modifier returns the value of the event's first modifier named name.
func modifier(ev protocols.Event, name string) string {
	for _, m := range ev.Modifiers {
		if m.Name == name {
			return m.Value
		}
	}
	return ""
}

// position is the <pos> of an event: the "position" modifier in decimal
// degrees as WGS84 "NDDMMmmEDDDMMmm", else an attr_position that fits (an
// RT90 "x…y…" as Decode keeps it); "" when there is none that can be
// written.
func position(ev protocols.Event) string {
	if p := modifier(ev, "position"); p != "" {
		if s, ok := toWGS84(p); ok {
			return s
		}
	}
	if p := clean(modifier(ev, "attr_position"), maxPositionLen+1, false); utf8.RuneCountInString(p) <= maxPositionLen {
		return p
	}
	return ""
}

// toWGS84 writes "lat,lon" in decimal degrees as "NDDMMmmEDDDMMmm":
// degrees, minutes and hundredths of a minute (about 18 m), rounded [S7
// position].
func toWGS84(latlon string) (string, bool) {
	a, b, ok := strings.Cut(latlon, ",")
	if !ok {
		return "", false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || !(math.Abs(lat) <= 90) || !(math.Abs(lon) <= 180) {
		return "", false // NaN fails the comparisons
	}
	out := make([]byte, 0, 15)
	out = appendDegMin(out, lat, 'N', 'S', 2)
	out = appendDegMin(out, lon, 'E', 'W', 3)
	return string(out), true
}

func appendDegMin(b []byte, v float64, pos, neg byte, degDigits int) []byte {
	hemi := pos
	if v < 0 {
		hemi, v = neg, -v
	}
	h := int(math.Round(v * 6000)) // hundredths of a minute
	deg, rest := h/6000, h%6000
	b = append(b, hemi)
	b = appendPadded(b, deg, degDigits)
	b = appendPadded(b, rest/100, 2)
	return appendPadded(b, rest%100, 2)
}

func appendPadded(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// element appends "  <name>value</name>\n", value as clean makes it;
// nothing when that leaves no text (the source's elements have at least
// one character).
func element(b []byte, name, value string, max int, lines bool) []byte {
	value = clean(value, max, lines)
	if value == "" {
		return b
	}
	b = append(b, "  <"...)
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, value)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

// clean makes s a field's text in ISO-8859-1 [S7: "only printable 8-bits
// characters from ISO8859-1 are allowed"]: a character outside
// ISO-8859-1 or a C1 control becomes '?'; TAB is kept; with lines
// (additionalinfo: "Lines are separated by CR+LF or LF") LF and CR are
// kept, without they become a space; other control characters are
// dropped. It keeps at most max characters and drops white space at the
// ends, as Decode does.
func clean(s string, max int, lines bool) string {
	s = strings.TrimSpace(s)
	var sb strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			break
		}
		switch {
		case r == '\n' || r == '\r':
			if !lines {
				r = ' '
			}
		case r == '\t':
		case r < ' ':
			continue
		case r < 0x7F || r >= 0xA0 && r <= 0xFF:
		default:
			r = '?'
		}
		sb.WriteRune(r)
		n++
	}
	return strings.TrimSpace(sb.String())
}

// appendEscaped appends text that clean made, XML-escaped, one byte per
// character (ISO-8859-1). CR is written &#13; so that it reads back as
// sent rather than as LF [XML 1.0 §2.11]. (encoding/xml's EscapeText
// writes UTF-8, so the escaping is done here.)
func appendEscaped(dst []byte, s string) []byte {
	for _, r := range s {
		switch r {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '\r':
			dst = append(dst, "&#13;"...)
		default:
			dst = append(dst, byte(r))
		}
	}
	return dst
}
