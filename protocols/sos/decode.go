package sos

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// Request is a decoded request: the Detail of a Message. Its fields hold
// the elements as sent, white space around them dropped; "" is absent. It
// never holds the password: Authentication only says whether one was sent.
type Request struct {
	// Type is the root element: "alarmrequest", "pingrequest" or
	// "requestnewauthentication"; "" when the message could not be read
	// that far or has another root.
	Type            string
	Reference       string
	Authentication  bool
	Receiver        string
	TransmitterTime string
	AlarmType       string
	TransmitterType string
	TransmitterCode string
	TransmitterArea string
	EventCode       string
	Section         string
	SectionText     string
	Detector        string
	DetectorText    string
	AdditionalInfo  string
	Position        string // the <pos> inside <position>
	// Extra are elements the protocol does not define, with text content
	// only, in order (at most MaxExtra).
	Extra []Extra
}

// Extra is an element the protocol does not define.
type Extra struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxExtra caps the undefined elements kept from one message.
const MaxExtra = 32

type requestJSON struct {
	Type            string  `json:"type,omitempty"`
	Reference       string  `json:"reference,omitempty"`
	Authentication  bool    `json:"authentication_sent"`
	Receiver        string  `json:"receiver,omitempty"`
	TransmitterTime string  `json:"transmittertime,omitempty"`
	AlarmType       string  `json:"alarmtype,omitempty"`
	TransmitterType string  `json:"transmittertype,omitempty"`
	TransmitterCode string  `json:"transmittercode,omitempty"`
	TransmitterArea string  `json:"transmitterarea,omitempty"`
	EventCode       string  `json:"eventcode,omitempty"`
	Section         string  `json:"section,omitempty"`
	SectionText     string  `json:"sectiontext,omitempty"`
	Detector        string  `json:"detector,omitempty"`
	DetectorText    string  `json:"detectortext,omitempty"`
	AdditionalInfo  string  `json:"additionalinfo,omitempty"`
	Position        string  `json:"position,omitempty"`
	Extra           []Extra `json:"extra,omitempty"`
}

// MarshalJSON renders the request with the protocol's element names; the
// store keeps it as the frame's detail.
func (r *Request) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	return json.Marshal(requestJSON(*r))
}

// fieldSpec is an element's limit in characters [S7 "Element
// definitions"] and what it may hold.
type fieldSpec struct {
	max   int
	kind  uint8
	field func(*Request) *string
}

const (
	textLine  uint8 = iota // no control character but TAB
	textLines              // also CR and LF: lines [S7 additionalinfo]
	textCode               // printable ASCII without space: the account
)

var fieldSpecs = map[string]fieldSpec{
	"reference":       {50, textLine, func(r *Request) *string { return &r.Reference }},
	"receiver":        {20, textLine, func(r *Request) *string { return &r.Receiver }},
	"transmittertime": {35, textLine, func(r *Request) *string { return &r.TransmitterTime }},
	"alarmtype":       {2, textLine, func(r *Request) *string { return &r.AlarmType }},
	"transmittertype": {5, textLine, func(r *Request) *string { return &r.TransmitterType }},
	"transmittercode": {15, textCode, func(r *Request) *string { return &r.TransmitterCode }},
	"transmitterarea": {5, textLine, func(r *Request) *string { return &r.TransmitterArea }},
	"eventcode":       {25, textLine, func(r *Request) *string { return &r.EventCode }},
	"section":         {5, textLine, func(r *Request) *string { return &r.Section }},
	"sectiontext":     {40, textLine, func(r *Request) *string { return &r.SectionText }},
	"detector":        {5, textLine, func(r *Request) *string { return &r.Detector }},
	"detectortext":    {40, textLine, func(r *Request) *string { return &r.DetectorText }},
	"additionalinfo":  {2000, textLines, func(r *Request) *string { return &r.AdditionalInfo }},
	"position":        {32, textLine, func(r *Request) *string { return &r.Position }},
}

// maxPassword caps the authentication element: the source's passwords
// have 15 characters [S7]; a longer one is WRONG_CONTENT.
const maxPassword = 15

func rejectf(reason protocols.Reason, sentinel error, format string, args ...any) error {
	return protocols.Rejectf(Name, reason, sentinel, format, args...)
}

// Decode decodes one message returned by Split. An alarmrequest is Kind
// "signals" with one event; a pingrequest is Kind "heartbeat" with none. A
// refused message is Kind "rejected", always with a Message, so that Reply
// answers it in the response type of its request and echoes its reference
// when it was read. now is not used: the receiver's time goes in the reply.
func (c *Codec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	out := &protocols.Message{Protocol: Name, Kind: "rejected"}
	req := &Request{}
	out.Detail = req
	if len(frame) > c.max {
		return out, rejectf(protocols.ReasonTooLong, ErrTooLong, "%d bytes, limit %d", len(frame), c.max)
	}
	password, err := parse(frame, req)
	out.Receiver, out.Account = req.Receiver, req.TransmitterCode
	if utf8.RuneCountInString(req.Reference) <= fieldSpecs["reference"].max {
		// A reference over its limit is refused and not echoed: the
		// receiver would keep it as the message's sequence.
		out.Sequence = req.Reference
	}
	if err != nil {
		return out, err
	}
	switch req.Type {
	case rootNewAuth:
		// Password rotation is not offered: the receiver has nowhere to
		// keep a password it would issue [S7 "Requesting new
		// authentication"; I].
		return out, rejectf(protocols.ReasonToken, ErrNotOffered, "requestnewauthentication: password change is not offered")
	case rootPing:
		if err := c.check(req, password, "transmittercode", "transmittertype"); err != nil {
			return out, err
		}
		out.Kind = "heartbeat"
		return out, nil
	}
	if err := c.check(req, password, "receiver", "transmittercode", "transmittertype", "eventcode"); err != nil {
		return out, err
	}
	ev, err := event(req)
	if err != nil {
		return out, err
	}
	if t, ok := zonedTime(req.TransmitterTime); ok {
		out.Timestamp, ev.PanelTime = t, t
	}
	out.Kind, out.Events = "signals", []protocols.Event{ev}
	return out, nil
}

// check refuses a request that lacks a mandatory element, has a wrong
// alarm type, or does not authenticate.
func (c *Codec) check(req *Request, password string, mandatory ...string) error {
	for _, name := range mandatory {
		if *fieldSpecs[name].field(req) == "" {
			return rejectf(protocols.ReasonSyntax, ErrMissing, "%s: <%s> is missing", req.Type, name)
		}
	}
	switch strings.ToUpper(req.AlarmType) {
	case "", "AL", "RE":
	default:
		return rejectf(protocols.ReasonSyntax, ErrWrongContent, "<alarmtype> %s: AL or RE", quote(req.AlarmType))
	}
	if c.auth != nil && !c.auth(req.Receiver, req.TransmitterCode, password) {
		// Neither the password nor its length goes in the error.
		return rejectf(protocols.ReasonToken, ErrNotAuthorized, "transmitter %s, receiver %s: not authorized", quote(req.TransmitterCode), quote(req.Receiver))
	}
	return nil
}

// event builds the alarm's event through alarmcode.
//
// Mapping (I, after automation-research.md §3.3): transmittercode is the
// account; transmitterarea the area (Event.Partition); detector the zone,
// or section when no detector is sent (section groups detectors);
// additionalinfo the text. section, sectiontext, detector, detectortext,
// transmittertype and transmittertime are kept as attr_ modifiers, and a
// WGS84 position as "position" "lat,lon" (anything else as attr_position).
func event(req *Request) (protocols.Event, error) {
	zone := req.Detector
	if zone == "" {
		zone = req.Section
	}
	f := alarmcode.Fields{Account: req.TransmitterCode, Code: req.EventCode, Area: req.TransmitterArea, Zone: zone, Text: req.AdditionalInfo}
	ev, err := alarmcode.Event(f)
	if errors.Is(err, alarmcode.ErrBadCode) {
		// SOS Access allows 25 characters of any printable text
		// [S7 eventcode], alarmcode 16 without space: such a code is
		// kept as an unknown code, as alarmcode keeps one, not refused.
		ev, err = unknownCode(f), nil
	}
	if err != nil {
		return protocols.Event{}, rejectf(protocols.ReasonSyntax, ErrMissing, "alarmrequest: <eventcode> is empty")
	}
	// RE is a restore [S7 alarmtype]; a code that is a restore by its
	// own table (BR, R130) stays one whatever alarmtype says.
	if strings.EqualFold(req.AlarmType, "RE") {
		ev.Qualifier = protocols.QualifierRestore
	}
	add := func(name, value string) {
		if value != "" {
			ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: name, Value: value})
		}
	}
	add("attr_transmittertype", req.TransmitterType)
	add("attr_section", req.Section)
	add("attr_sectiontext", req.SectionText)
	add("attr_detector", req.Detector)
	add("attr_detectortext", req.DetectorText)
	add("attr_transmittertime", req.TransmitterTime)
	if req.Position != "" {
		if latlon, ok := wgs84(req.Position); ok {
			add("position", latlon)
		} else {
			add("attr_position", req.Position)
		}
	}
	for _, x := range req.Extra {
		if isMediaName(x.Name) && isMediaURL(x.Value) {
			// The extension elements EncodeSignal writes for media
			// links (I: SOS Access has no element for them).
			add(x.Name, x.Value)
			continue
		}
		add("attr_"+x.Name, x.Value)
	}
	return ev, nil
}

// MaxURL caps a media link [dialect contract: URL ≤ 2048, http(s) only].
const MaxURL = 2048

// mediaNames are the modifiers of media links, which EncodeSignal writes
// as extension elements of the same name and Decode reads back.
var mediaNames = [...]string{"media_clip", "media_live", "media_snapshot", "media_portal"}

func isMediaName(name string) bool {
	for _, m := range mediaNames {
		if name == m {
			return true
		}
	}
	return false
}

// isMediaURL reports an http(s) URL of printable ASCII within MaxURL.
func isMediaURL(s string) bool {
	if len(s) > MaxURL {
		return false
	}
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// maxExtraLen caps an undefined element's text: a media link's URL,
// other elements as additionalinfo.
func maxExtraLen(name string) int {
	if isMediaName(name) {
		return MaxURL
	}
	return 2000
}

// unknownCode is the event alarmcode makes of a code neither table knows.
func unknownCode(f alarmcode.Fields) protocols.Event {
	code := strings.ToUpper(strings.TrimSpace(f.Code))
	ev := protocols.Event{
		Format: protocols.FormatSIA, Account: f.Account, Code: code, Qualifier: protocols.QualifierNone,
		Partition: f.Area, AddressKind: protocols.AddressZone, Zone: f.Zone, Address: f.Zone,
		Text: f.Text, Description: "Invalid alarm " + code,
	}
	if code[0] >= '0' && code[0] <= '9' {
		ev.Format = protocols.FormatContactID
	}
	return ev
}

// zonedTime reads a transmittertime that carries a zone (RFC 3339). The
// source's form, "2002-05-28 11:35:20.022", has none and is kept as text
// only: it is "only used for log/trace" [S7].
func zonedTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// wgs84 reads "NDDMMmmEDDDMMmm" (degrees, minutes, hundredths of minutes)
// as "lat,lon" in decimal degrees [S7 position]. RT90 ("x…y…") and
// anything else is not WGS84. The source's own example "E597295E0176288"
// is not in its stated form (its first letter, its 72 minutes) and is
// kept as attr_position.
func wgs84(s string) (string, bool) {
	if len(s) != 15 {
		return "", false
	}
	lat, ok1 := degMin(s[1:7], 2, 90)
	lon, ok2 := degMin(s[8:15], 3, 180)
	if !ok1 || !ok2 {
		return "", false
	}
	switch s[0] {
	case 'N', 'n':
	case 'S', 's':
		lat = -lat
	default:
		return "", false
	}
	switch s[7] {
	case 'E', 'e':
	case 'W', 'w':
		lon = -lon
	default:
		return "", false
	}
	return fmt.Sprintf("%.6f,%.6f", lat, lon), true
}

// degMin reads DD(D)MMmm.
func degMin(s string, degDigits int, maxDeg int) (float64, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	for i := 0; i < degDigits; i++ {
		n = n*10 + int(s[i]-'0')
	}
	minutes := int(s[degDigits]-'0')*10 + int(s[degDigits+1]-'0')
	hundredths := int(s[degDigits+2]-'0')*10 + int(s[degDigits+3]-'0')
	if minutes >= 60 || n > maxDeg || n == maxDeg && minutes+hundredths > 0 {
		return 0, false
	}
	return float64(n) + (float64(minutes)+float64(hundredths)/100)/60, true
}

// quote renders a value for an error message, shortened: errors are logged.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 32 {
		r := []rune(s)
		s = string(r[:32]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// parse reads the XML header and the document into req and returns the
// password. Every element is read by local name in lower case (I: the
// source writes them in lower case; letter case and namespace prefixes are
// tolerated).
func parse(frame []byte, req *Request) (password string, err error) {
	// A UTF-8 byte order mark may precede the header [XML 1.0 §4.3.3].
	body := bytes.TrimPrefix(bytes.TrimLeft(frame, " \t\r\n\x00"), []byte("\xef\xbb\xbf"))
	cs, err := header(body)
	if err != nil {
		if req.Type = sniffRoot(body); req.Type != "" {
			// No header at all: the rest is read all the same, for the
			// reference the answer echoes, and its outcome dropped.
			if !utf8.Valid(body) {
				body = cp1252ToUTF8(body)
			}
			_, _ = parseBody(body, req)
		}
		return "", err
	}
	if cs == charsetNone && !utf8.Valid(body) {
		// No encoding declared but not UTF-8: the protocol's charset is
		// ISO-8859-1 [S7], so read it as such (I).
		end := bytes.Index(body, []byte("?>")) + 2
		body = append(append([]byte{}, body[:end]...), cp1252ToUTF8(body[end:])...)
	}
	return parseBody(body, req)
}

// parseBody reads the document into req and returns the password.
func parseBody(body []byte, req *Request) (password string, err error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	dec.CharsetReader = charsetReader
	var (
		seen     = make(map[string]bool)
		repeated string
		bad      error
		hasRoot  bool
		rootDone bool
		decls    int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") {
				if decls++; decls > 1 {
					return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "a second XML declaration")
				}
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "text outside the root element")
			}
		case xml.EndElement:
			rootDone = true // the decoder matched it with the root
		case xml.StartElement:
			if rootDone {
				return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "content after the root element")
			}
			if hasRoot {
				return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "more than one root element")
			}
			hasRoot = true
			root := strings.ToLower(t.Name.Local)
			switch root {
			case rootAlarm, rootPing, rootNewAuth:
				req.Type = root
			default:
				return "", rejectf(protocols.ReasonToken, ErrUnknownType, "root element <%s>: alarmrequest, pingrequest or requestnewauthentication", shortName(t.Name.Local))
			}
			pw, rep, b, err := readRoot(dec, req, seen)
			if err != nil {
				return "", err
			}
			password = pw
			if repeated == "" {
				repeated = rep
			}
			if bad == nil {
				bad = b
			}
			rootDone = true
		}
	}
	switch {
	case !hasRoot:
		return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "no root element")
	case repeated != "":
		return "", rejectf(protocols.ReasonSyntax, ErrWrongContent, "<%s> is repeated", repeated)
	case bad != nil:
		return "", bad
	}
	return password, nil
}

// syntaxErr says only the line of an XML syntax error: encoding/xml's
// message quotes the input where it stopped, which may be part of the
// password.
func syntaxErr(err error) error {
	return rejectf(protocols.ReasonSyntax, ErrSyntax, "%s", xmltext.ErrorText(err))
}

func shortName(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// readRoot reads the root's children up to its end tag. It returns the
// password, the first repeated element and the first content error; a
// syntax error ends it.
func readRoot(dec *xml.Decoder, req *Request, seen map[string]bool) (password, repeated string, bad error, err error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return "", "", nil, rejectf(protocols.ReasonSyntax, ErrSyntax, "the message ends inside <%s>", req.Type)
			}
			return "", "", nil, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return password, repeated, bad, nil
		case xml.Directive:
			return "", "", nil, rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 && bad == nil {
				bad = rejectf(protocols.ReasonSyntax, ErrWrongContent, "text directly inside <%s>", req.Type)
			}
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			text, kids, err := readElement(dec, name == "position")
			if err != nil {
				if name == "authentication" {
					// The decoder's message may quote what it could not
					// read (an entity name): never a part of the password.
					line, _ := dec.InputPos()
					return "", "", nil, rejectf(protocols.ReasonSyntax, ErrSyntax, "line %d: <authentication> is not well-formed", line)
				}
				return "", "", nil, err
			}
			if seen[name] && repeated == "" {
				repeated = name
			}
			seen[name] = true
			if name == "position" && kids != nil {
				text = *kids
			} else if kids != nil && bad == nil && (name == "authentication" || fieldSpecs[name].field != nil) {
				bad = rejectf(protocols.ReasonSyntax, ErrWrongContent, "<%s> holds markup", name)
			}
			text = strings.TrimSpace(text)
			if name == "authentication" {
				req.Authentication = true
				password = text
				if utf8.RuneCountInString(text) > maxPassword && bad == nil {
					bad = rejectf(protocols.ReasonSyntax, ErrWrongContent, "<authentication> is longer than %d characters", maxPassword)
				}
				continue
			}
			spec, ok := fieldSpecs[name]
			if !ok {
				if kids == nil && len(req.Extra) < MaxExtra && len(name) <= 64 && utf8.RuneCountInString(text) <= maxExtraLen(name) {
					req.Extra = append(req.Extra, Extra{Name: name, Value: text})
				}
				continue
			}
			if e := content(name, text, spec); e != nil && bad == nil {
				bad = e
			}
			if p := spec.field(req); *p == "" {
				*p = text
			}
		}
	}
}

// content checks an element's length and characters: a field longer than
// its limit is WRONG_CONTENT, "to long text for a field" [S7 status 3].
func content(name, text string, spec fieldSpec) error {
	if n := utf8.RuneCountInString(text); n > spec.max {
		return rejectf(protocols.ReasonSyntax, ErrWrongContent, "<%s> has %d characters, limit %d", name, n, spec.max)
	}
	for _, r := range text {
		ok := true
		switch spec.kind {
		case textCode:
			ok = r > ' ' && r <= '~'
		case textLines:
			ok = r >= ' ' && (r < 0x7F || r >= 0xA0) || r == '\t' || r == '\r' || r == '\n'
		default:
			ok = r >= ' ' && (r < 0x7F || r >= 0xA0) || r == '\t'
		}
		if !ok {
			what := "a control character"
			if spec.kind == textCode {
				what = "a character other than printable ASCII"
			}
			return rejectf(protocols.ReasonSyntax, ErrWrongContent, "<%s> holds %s", name, what)
		}
	}
	return nil
}

// readElement reads an element's text up to its end tag. For <position>
// (kidText true) it returns the text of a <pos> child in kids; for any
// other element kids is non-nil when it holds markup, which is skipped.
func readElement(dec *xml.Decoder, kidText bool) (text string, kids *string, err error) {
	var sb strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", nil, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.EndElement:
			return sb.String(), kids, nil
		case xml.Directive:
			return "", nil, rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
		case xml.StartElement:
			inner, err := skip(dec, kidText && strings.EqualFold(t.Name.Local, "pos"))
			if err != nil {
				return "", nil, err
			}
			if kids == nil || kidText && strings.EqualFold(t.Name.Local, "pos") && *kids == "" {
				kids = &inner
			}
		}
	}
}

// skip reads up to the end of the element just started, without
// recursion, and returns its direct text when keep is set.
func skip(dec *xml.Decoder, keep bool) (string, error) {
	var sb strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.Directive:
			return "", rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
		case xml.CharData:
			if keep && depth == 1 {
				sb.Write(t)
			}
		}
	}
	return sb.String(), nil
}

// header checks the XML declaration the message must start with [S7:
// every example starts with <?xml version="1.0" encoding="ISO-8859-1"?>;
// status 100 XML_HEADER_MISSING_OR_INVALID]: version 1.0 and, when
// declared, an encoding the codec reads.
func header(body []byte) (charset, error) {
	if !bytes.HasPrefix(body, []byte("<?xml")) || len(body) < 6 || !isXMLSpace(body[5]) {
		return 0, rejectf(protocols.ReasonSyntax, ErrHeader, "no <?xml …?> header")
	}
	end := bytes.Index(body, []byte("?>"))
	if end < 0 {
		return 0, rejectf(protocols.ReasonSyntax, ErrHeader, "the XML header is not closed")
	}
	attrs, ok := pseudoAttrs(string(body[5:end]))
	if !ok {
		return 0, rejectf(protocols.ReasonSyntax, ErrHeader, "the XML header is malformed")
	}
	if attrs["version"] != "1.0" {
		return 0, rejectf(protocols.ReasonSyntax, ErrHeader, "XML version %s: 1.0", xmltext.QuoteLabel(attrs["version"]))
	}
	enc, declared := attrs["encoding"]
	if !declared {
		return charsetNone, nil
	}
	cs, ok := charsetOf(enc)
	if !ok {
		return 0, rejectf(protocols.ReasonSyntax, ErrHeader, "encoding %s: ISO-8859-1, Windows-1252 or UTF-8", xmltext.QuoteLabel(enc))
	}
	return cs, nil
}

// pseudoAttrs reads the name="value" pairs of an XML declaration.
func pseudoAttrs(s string) (map[string]string, bool) {
	out := make(map[string]string, 3)
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return out, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		name := strings.TrimRight(s[:eq], " \t\r\n")
		s = strings.TrimLeft(s[eq+1:], " \t\r\n")
		if s == "" || s[0] != '"' && s[0] != '\'' {
			return nil, false
		}
		closing := strings.IndexByte(s[1:], s[0])
		if closing < 0 {
			return nil, false
		}
		if _, dup := out[name]; dup {
			return nil, false
		}
		switch name {
		case "version", "encoding", "standalone":
		default:
			return nil, false
		}
		out[name] = s[1 : 1+closing]
		s = s[closing+2:]
	}
}

// sniffRoot names the request root a header-less message starts with.
func sniffRoot(body []byte) string {
	if marker(body, roots) == markRoot {
		for _, name := range roots {
			if hasFoldPrefix(body[1:], name) {
				return name
			}
		}
	}
	return ""
}
