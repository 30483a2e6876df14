package microkey

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// Package is one decoded <Signals> package: the Message's Detail. It holds
// what the sender wrote, trimmed; no field of this dialect is a secret.
type Package struct {
	Version     string   `json:"version,omitempty"`      // Signals@Ver, "1.0.0"
	SignalCount string   `json:"signal_count,omitempty"` // as sent
	Sequence    string   `json:"sequence,omitempty"`
	Checksum    string   `json:"checksum,omitempty"` // as sent, not verified; "" when absent
	Charset     string   `json:"charset,omitempty"`  // the charset read when not UTF-8
	Signals     []Signal `json:"signals"`
}

// Signal is one <Signal>, short and long element names merged.
type Signal struct {
	Line    string `json:"line,omitempty"`    // LN
	Account string `json:"account,omitempty"` // ACC, Account
	Code    string `json:"code,omitempty"`    // SI, SignalIdentifier
	Zone    string `json:"zone,omitempty"`    // PZ, PhysicalZone
	Area    string `json:"area,omitempty"`    // A, Area
	Date    string `json:"date,omitempty"`    // DT, Date: YYYY-MM-DD, no zone
	Time    string `json:"time,omitempty"`    // TM, Time: HH:MM:SS, no zone
	Text    string `json:"text,omitempty"`    // Data
	// Fields are the media elements (VF, VideoFile, Image, Url, Link,
	// Hyperlink) and every element we do not know, in document order.
	Fields []Field `json:"fields,omitempty"`
}

// Field is one element of a Signal kept by name.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MarshalJSON renders the package as the store keeps it.
func (p *Package) MarshalJSON() ([]byte, error) {
	type plain Package
	q := plain(*p)
	if q.Signals == nil {
		q.Signals = []Signal{}
	}
	return json.Marshal(q)
}

// scalar names the Signal field an element fills: the short names of the
// vendor sample [S5] and the long names the emulator reads [S6].
var scalar = map[string]func(*Signal) *string{
	"LN":  func(s *Signal) *string { return &s.Line },
	"ACC": func(s *Signal) *string { return &s.Account }, "Account": func(s *Signal) *string { return &s.Account },
	"SI": func(s *Signal) *string { return &s.Code }, "SignalIdentifier": func(s *Signal) *string { return &s.Code },
	"PZ": func(s *Signal) *string { return &s.Zone }, "PhysicalZone": func(s *Signal) *string { return &s.Zone },
	"A": func(s *Signal) *string { return &s.Area }, "Area": func(s *Signal) *string { return &s.Area },
	"DT": func(s *Signal) *string { return &s.Date }, "Date": func(s *Signal) *string { return &s.Date },
	"TM": func(s *Signal) *string { return &s.Time }, "Time": func(s *Signal) *string { return &s.Time },
	"Data": func(s *Signal) *string { return &s.Text },
}

// media says what a media element's http(s) value is, and the attr name
// any other value (a UNC path, an app deep link) is kept under.
var media = map[string]struct{ kind, attr string }{
	"VF":        {"media_clip", "attr_video_file"},
	"VideoFile": {"media_clip", "attr_video_file"},
	"Image":     {"media_snapshot", "attr_image"},
	"Url":       {"media_portal", "attr_url"},
	"Link":      {"media_portal", "attr_link"},
	"Hyperlink": {"media_portal", "attr_hyperlink"},
}

// Decode decodes one package: Kind "signals" with one event per Signal, or
// "heartbeat" for SignalCount 0 [S27]. Sequence is the package's Sequence,
// echoed in the reply; Line the first signal's LN. A refused package still
// yields a Message (Kind "rejected", Sequence when it was read) for the
// NAK. DT/TM carry no time zone, so no event gets a PanelTime; they are
// kept as text (Detail, attr_date, attr_time).
func (c *Codec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	pkg := &Package{}
	out := &protocols.Message{Protocol: Name, Kind: "rejected", Detail: pkg}
	if len(frame) > c.max {
		return out, refuse(protocols.ReasonTooLong, protocols.ErrFrameTooLong, textTooLong,
			fmt.Sprintf("%d bytes, limit %d", len(frame), c.max))
	}
	body := bytes.TrimFunc(frame, func(r rune) bool { return r < utf8.RuneSelf && isPad(byte(r)) })
	xmlPart, tail := body, []byte(nil)
	if i := bytes.LastIndex(body, []byte(rootClose)); i >= 0 {
		xmlPart, tail = body[:i+len(rootClose)], bytes.Trim(body[i+len(rootClose):], " \t\r\n")
	}
	err := parse(xmlPart, pkg)
	out.Sequence = pkg.Sequence
	if err != nil {
		return out, err
	}
	if err := checkSum(tail, pkg, out); err != nil {
		return out, err
	}
	if err := checkHeader(pkg); err != nil {
		return out, err
	}
	for i := range pkg.Signals {
		ev, err := event(&pkg.Signals[i])
		if err != nil {
			out.Events = nil
			return out, err
		}
		out.Events = append(out.Events, ev)
	}
	if len(out.Events) == 0 {
		out.Kind = "heartbeat"
		return out, nil
	}
	out.Kind = "signals"
	out.Account = out.Events[0].Account
	out.Line = pkg.Signals[0].Line
	return out, nil
}

// checkSum reads what follows </Signals>. The algorithm is not public
// [automation-research.md §2.2, §7], so any four hex digits are accepted
// and kept; no checksum at all is a tolerated deviation.
func checkSum(tail []byte, pkg *Package, out *protocols.Message) error {
	if len(tail) == 0 {
		out.Deviations = append(out.Deviations, protocols.ReasonChecksum)
		return nil
	}
	if !bytes.HasPrefix(tail, []byte(sumOpen)) {
		return refuse(protocols.ReasonSyntax, ErrSyntax, textInvalidXML, "content after </Signals> is not a <Checksum>")
	}
	inner, ok := bytes.CutSuffix(tail[len(sumOpen):], []byte(sumClose))
	inner = bytes.TrimSpace(inner)
	if !ok || len(inner) != 4 || bytes.IndexFunc(inner, func(r rune) bool { return !isHex(r) }) >= 0 {
		return refuse(protocols.ReasonChecksum, ErrChecksum, textChecksum,
			fmt.Sprintf("checksum %q is not <Checksum> with four hex digits", clip(tail, 40)))
	}
	pkg.Checksum = string(inner)
	if bytes.IndexFunc(inner, func(r rune) bool { return r >= 'a' && r <= 'f' }) >= 0 {
		out.Deviations = append(out.Deviations, protocols.ReasonLowerHex)
	}
	return nil
}

func isHex(r rune) bool { return r >= '0' && r <= '9' || r >= 'A' && r <= 'F' || r >= 'a' && r <= 'f' }

// checkHeader checks Sequence and SignalCount.
func checkHeader(pkg *Package) error {
	switch n, ok := atoi(pkg.SignalCount); {
	case pkg.Sequence == "":
		return refuse(protocols.ReasonSyntax, ErrMissing, textNoSequence, "no <Sequence>")
	case pkg.SignalCount == "":
		return refuse(protocols.ReasonSyntax, ErrMissing, textNoCount, "no <SignalCount>")
	case !ok:
		return refuse(protocols.ReasonSyntax, ErrWrongContent, textBadCount,
			fmt.Sprintf("SignalCount %q is not a number", pkg.SignalCount))
	case n > MaxSignals:
		return refuse(protocols.ReasonSyntax, ErrWrongContent, textTooMany,
			fmt.Sprintf("SignalCount %d, limit %d", n, MaxSignals))
	case n != len(pkg.Signals):
		return refuse(protocols.ReasonSyntax, ErrCount, textCount,
			fmt.Sprintf("SignalCount %d, %d <Signal> elements", n, len(pkg.Signals)))
	}
	return nil
}

// atoi reads a small decimal number (at most MaxShort digits).
func atoi(s string) (int, bool) {
	if s == "" || len(s) > MaxShort {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		if n < 1_000_000 {
			n = n*10 + int(r-'0')
		}
	}
	return n, true
}

// validSequence: the evidence shows decimal sequences [S5][S6]; we accept
// what is safe to echo and to key idempotency on.
func validSequence(s string) bool {
	if s == "" || len(s) > MaxSequence {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if s == "" || len(s) > MaxAccount {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-') {
			return false
		}
	}
	return true
}

// printable: no control characters.
func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 }) < 0
}

func wrong(text, format string, args ...any) error {
	return refuse(protocols.ReasonSyntax, ErrWrongContent, text, fmt.Sprintf(format, args...))
}

// event turns one Signal into an event through alarmcode, so an SI code
// (BD in the vendor sample, E130/R145 from Ajax [automation-research.md
// §2.2]) is classified like a panel's; media and extras become modifiers.
func event(s *Signal) (protocols.Event, error) {
	switch {
	case s.Account == "":
		return protocols.Event{}, refuse(protocols.ReasonSyntax, ErrMissing, textNoAccount, "a <Signal> has no ACC/Account")
	case !validAccount(s.Account):
		return protocols.Event{}, wrong(textBadAccount, "account %q: 1-%d characters A-Z a-z 0-9 -", clip([]byte(s.Account), 40), MaxAccount)
	case len(s.Text) > MaxText:
		return protocols.Event{}, wrong(textBadField, "Data: %d bytes, limit %d", len(s.Text), MaxText)
	}
	for _, f := range []Field{{"LN", s.Line}, {"PZ", s.Zone}, {"A", s.Area}, {"DT", s.Date}, {"TM", s.Time}} {
		if len(f.Value) > MaxShort || !printable(f.Value) {
			return protocols.Event{}, wrong(textBadField, "%s %q: at most %d printable characters", f.Name, clip([]byte(f.Value), 40), MaxShort)
		}
	}
	ev, err := alarmcode.Event(alarmcode.Fields{Account: s.Account, Code: s.Code, Area: s.Area, Zone: s.Zone, Text: s.Text})
	switch {
	case errors.Is(err, alarmcode.ErrNoCode):
		return protocols.Event{}, refuse(protocols.ReasonSyntax, ErrMissing, textNoCode, "a <Signal> has no SI/SignalIdentifier")
	case err != nil:
		return protocols.Event{}, wrong(textBadCode, "event code %q: %v", clip([]byte(s.Code), 40), err)
	}
	add := func(name, value string) {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: name, Value: value})
	}
	for _, f := range []Field{{"attr_line", s.Line}, {"attr_date", s.Date}, {"attr_time", s.Time}} {
		if f.Value != "" {
			add(f.Name, f.Value)
		}
	}
	for _, f := range s.Fields {
		if m, ok := media[f.Name]; ok {
			if len(f.Value) > MaxURL {
				return protocols.Event{}, wrong(textBadURL, "%s: %d bytes, limit %d", f.Name, len(f.Value), MaxURL)
			}
			if isWebURL(f.Value) {
				add(m.kind, f.Value)
			} else if f.Value != "" {
				add(m.attr, f.Value)
			}
			continue
		}
		if len(f.Value) > MaxText {
			return protocols.Event{}, wrong(textBadField, "%s: %d bytes, limit %d", f.Name, len(f.Value), MaxText)
		}
		add("attr_"+strings.ToLower(f.Name), f.Value)
	}
	return ev, nil
}

// isWebURL: only http(s) links become media; a UNC path (\\host\share\…,
// the vendor sample's VF [S5]) or an app deep link is kept as an attr.
func isWebURL(s string) bool {
	l := strings.ToLower(s)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && printable(s) && !strings.ContainsAny(s, " \t")
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// errSyntax builds the refusal of a malformed package.
func errSyntax(format string, args ...any) error {
	return refuse(protocols.ReasonSyntax, ErrSyntax, textInvalidXML, fmt.Sprintf(format, args...))
}

var errDirective = errors.New("a DTD or entity declaration (<!…>) is refused")

// tokens reads XML tokens and refuses any directive before reading on, so
// no DTD or entity declaration is ever looked at (XXE, billion laughs);
// Strict mode knows only the five predefined entities.
type tokens struct{ d *xml.Decoder }

func (t tokens) next() (xml.Token, error) {
	tok, err := t.d.Token()
	if err != nil {
		return nil, err
	}
	if _, ok := tok.(xml.Directive); ok {
		return nil, errDirective
	}
	return tok, nil
}

// parse reads the <Signals> document into pkg, as far as it goes: pkg
// keeps what was read before an error (the Sequence, for the NAK).
func parse(doc []byte, pkg *Package) error {
	doc, pkg.Charset = transcode(doc)
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		r, name, err := charsetReader(label, in)
		pkg.Charset = name
		return r, err
	}
	t := tokens{d}
	seenRoot := false
	for {
		tok, err := t.next()
		if err == io.EOF {
			if !seenRoot {
				return errSyntax("no <Signals> element")
			}
			return nil
		}
		if err != nil {
			return errSyntax("XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return errSyntax("text outside <Signals>")
			}
		case xml.StartElement:
			if seenRoot {
				return errSyntax("content after </Signals>")
			}
			if tok.Name.Local != "Signals" {
				return errSyntax("root element <%s>, want <Signals>", clip([]byte(tok.Name.Local), 40))
			}
			seenRoot = true
			if err := parseRoot(t, tok, pkg); err != nil {
				return err
			}
		}
	}
}

func parseRoot(t tokens, start xml.StartElement, pkg *Package) error {
	for _, a := range start.Attr {
		if a.Name.Local == "Ver" {
			pkg.Version = clip([]byte(a.Value), MaxShort)
		}
	}
	var seq, count bool
	for {
		tok, err := t.next()
		if err != nil {
			return errSyntax("XML: %v", unexpectedEOF(err))
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch tok.Name.Local {
			case "Sequence":
				v, err := text(t, tok)
				if err != nil {
					return err
				}
				if seq {
					return wrong(textBadSequence, "<Sequence> given twice")
				}
				seq = true
				if !validSequence(v) {
					return wrong(textBadSequence, "Sequence %q: 1-%d characters 0-9 A-Z a-z - _ .", clip([]byte(v), 40), MaxSequence)
				}
				pkg.Sequence = v
			case "SignalCount":
				v, err := text(t, tok)
				if err != nil {
					return err
				}
				if count {
					return wrong(textBadCount, "<SignalCount> given twice")
				}
				count = true
				pkg.SignalCount = clip([]byte(v), MaxShort+1)
			case "Signal":
				if len(pkg.Signals) == MaxSignals {
					return wrong(textTooMany, "more than %d <Signal> elements", MaxSignals)
				}
				s, err := parseSignal(t)
				if err != nil {
					return err
				}
				pkg.Signals = append(pkg.Signals, s)
			default:
				// An element the evidence does not show: tolerated, skipped.
				if err := skip(t); err != nil {
					return err
				}
			}
		}
	}
}

func parseSignal(t tokens) (Signal, error) {
	var s Signal
	n := 0
	for {
		tok, err := t.next()
		if err != nil {
			return s, errSyntax("XML: %v", unexpectedEOF(err))
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return s, nil
		case xml.StartElement:
			if n++; n > MaxFields {
				return s, wrong(textBadField, "more than %d elements in a <Signal>", MaxFields)
			}
			name := tok.Name.Local
			v, err := text(t, tok)
			if err != nil {
				return s, err
			}
			if f, ok := scalar[name]; ok {
				p := f(&s)
				if *p != "" && *p != v {
					return s, wrong(textBadField, "<%s> disagrees with an earlier value", name)
				}
				*p = v
				continue
			}
			if len(name) > MaxShort {
				return s, wrong(textBadField, "element name %q is longer than %d", clip([]byte(name), 40), MaxShort)
			}
			s.Fields = append(s.Fields, Field{Name: name, Value: v})
		}
	}
}

// text reads an element's character data, trimmed; an element inside a
// field is refused.
func text(t tokens, start xml.StartElement) (string, error) {
	var b []byte
	for {
		tok, err := t.next()
		if err != nil {
			return "", errSyntax("XML: %v", unexpectedEOF(err))
		}
		switch tok := tok.(type) {
		case xml.CharData:
			b = append(b, tok...)
		case xml.EndElement:
			return string(bytes.TrimSpace(b)), nil
		case xml.StartElement:
			return "", errSyntax("element <%s> inside <%s>", clip([]byte(tok.Name.Local), 40), clip([]byte(start.Name.Local), 40))
		}
	}
}

// skip reads past the element just started, refusing directives in it.
func skip(t tokens) error {
	for depth := 1; depth > 0; {
		tok, err := t.next()
		if err != nil {
			return errSyntax("XML: %v", unexpectedEOF(err))
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// RebuildDetail renders the Detail JSON of a package Decode accepts: it is
// a function of the frame's bytes alone.
func (c *Codec) RebuildDetail(frame []byte) (json.RawMessage, bool) {
	m, err := c.Decode(frame, time.Time{})
	if err != nil || m == nil || m.Detail == nil {
		return nil, false
	}
	b, err := json.Marshal(m.Detail)
	return b, err == nil
}
