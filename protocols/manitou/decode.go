package manitou

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// Frame is the decoded frame, the protocols.Message Detail. It never holds
// a passkey (PasskeySent says one was sent) nor a photo's bytes (Photo
// keeps their metadata and size).
type Frame struct {
	// Type is "signals", "photo" or "heartbeat"; "" when the frame was
	// refused before its type was known.
	Type string `json:"type,omitempty"`
	// Root is the root element's name as received.
	Root string `json:"root,omitempty"`
	// RawNo is the receiver's raw number for this frame (see RawNo): the
	// ACK carries it, and a later <Binary RawNo> names it.
	RawNo string `json:"raw_no"`
	// Sequence is the frame's own id when it carries one, else RawNo;
	// SequencePlace says which ("attribute:Signals@Seq", "raw_no").
	Sequence      string `json:"sequence"`
	SequencePlace string `json:"sequence_place"`
	// Sender is the sender id found (see Sender); SenderPlace where.
	Sender      string `json:"sender,omitempty"`
	SenderPlace string `json:"sender_place,omitempty"`
	// PasskeySent reports that a Passkey was present; its value is never
	// kept.
	PasskeySent bool       `json:"passkey_sent,omitempty"`
	Signals     []Signal   `json:"signals,omitempty"`
	Photos      []Photo    `json:"photos,omitempty"`
	Heartbeat   *Heartbeat `json:"heartbeat,omitempty"`
}

// MarshalJSON renders the frame as the store keeps it.
func (f *Frame) MarshalJSON() ([]byte, error) {
	type plain Frame
	return json.Marshal((*plain)(f))
}

// Signal is one <Signal> element [§2.4].
type Signal struct {
	// Index is the element's 1-based place among the frame's Signal and
	// Binary elements: a NAK's Index.
	Index int `json:"index"`
	// Account and the place it was found ("signal_attribute:Account",
	// "child:Account", "enclosing:Signals@Account",
	// "enclosing:Message/Account").
	Account      string `json:"account"`
	AccountPlace string `json:"account_place"`
	Line         string `json:"line,omitempty"`
	LinePlace    string `json:"line_place,omitempty"`
	Event        string `json:"event"`
	EvType       string `json:"evtype,omitempty"`
	Area         string `json:"area,omitempty"`
	AreaInfo     string `json:"area_info,omitempty"`
	Zone         string `json:"zone,omitempty"`
	PointID      string `json:"point_id,omitempty"`
	User         string `json:"user,omitempty"`
	URLs         []URL  `json:"urls,omitempty"`
	// Attrs are the other attributes and leaf child elements, as received.
	Attrs []Attr `json:"attrs,omitempty"`
}

// URL is one <URL> of a signal and the media kind it was read as.
type URL struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
}

// Attr is a named value the frame carried beyond the known fields.
type Attr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Photo is one <Binary> element's metadata [§2.4]; the image itself is not
// kept here (it stays in the frame's evidence copy).
type Photo struct {
	Index        int    `json:"index"`
	Account      string `json:"account,omitempty"`
	AccountPlace string `json:"account_place,omitempty"`
	Ext          string `json:"ext,omitempty"`
	// RawNo is the RawNo of the ACK of the signal the photo belongs to.
	RawNo      string `json:"raw_no,omitempty"`
	FrameNo    string `json:"frame_no,omitempty"`
	Length     string `json:"length,omitempty"`      // Binary@Length as sent
	DataLength string `json:"data_length,omitempty"` // Data@Length as sent
	DataChars  int    `json:"data_chars"`            // base64 characters, white space not counted
	DataBytes  int    `json:"data_bytes"`            // decoded bytes
}

// Heartbeat is a <Heartbeat>, <Ping> or MessageType=HEARTBEAT frame.
type Heartbeat struct {
	Element      string `json:"element"`
	Account      string `json:"account,omitempty"`
	AccountPlace string `json:"account_place,omitempty"`
	Line         string `json:"line,omitempty"`
	Attrs        []Attr `json:"attrs,omitempty"`
}

// Names looked for, each in any letter case, in this order of preference.
var (
	// accountNames: where the account (Manitou's transmitter id) sits is
	// not public [§2.4 "Unknown"]; these are the plausible spellings (I).
	accountNames = []string{"Account", "AccountID", "Acct", "TransmitterID", "TxID", "CSID", "ID"}
	// lineNames: Manitou routes by Receiver Line Prefix + transmitter
	// [§2.4, S30]; its spelling on the wire is not public (I).
	lineNames = []string{"RLP", "ReceiverLinePrefix"}
	// senderNames: the sender's own id, for Auth (I).
	senderNames = []string{"Source", "SourceID", "ReceiverID"}
	// sequenceNames: the frame's own id, attributes only (I).
	sequenceNames = []string{"Seq", "Sequence", "MsgId", "Index"}
	passkeyNames  = []string{"Passkey"}
)

// roles are names that are read for their role, never kept as attr_*.
var roles = func() map[string]bool {
	m := map[string]bool{"passkey": true, "event": true}
	for _, l := range [][]string{accountNames, lineNames, senderNames, sequenceNames} {
		for _, n := range l {
			m[strings.ToLower(n)] = true
		}
	}
	return m
}()

// signalFields are the Signal children read as fields.
var signalFields = map[string]bool{"area": true, "areainfo": true, "zone": true, "pointid": true, "url": true, "user": true}

// item is a Signal, Binary, Heartbeat or Ping element and the elements
// that enclose it, outermost first.
type item struct {
	n     *node
	chain []*node
}

func itemKind(name string) string {
	for _, k := range []string{"Signal", "Binary", "Heartbeat", "Ping"} {
		if strings.EqualFold(name, k) {
			return k
		}
	}
	return ""
}

// collect finds the items under n: n itself when it is one, else those of
// its children, at any depth; leaf children of an enclosing element are
// its fields.
func collect(n *node, chain []*node, out *[]item) {
	if itemKind(n.name) != "" {
		*out = append(*out, item{n, chain})
		return
	}
	inner := append(chain[:len(chain):len(chain)], n)
	for _, ch := range n.children {
		if !ch.leaf() || itemKind(ch.name) != "" {
			collect(ch, inner, out)
		}
	}
}

// lookup finds the first of names for it: an attribute of the item, a
// leaf child of the item, then, from the innermost enclosing element out,
// an attribute or a leaf child of an enclosing element. place says which.
func lookup(it item, names []string) (value, place string, ok bool) {
	for _, name := range names {
		if v, an, ok := it.n.attr(name); ok {
			return v, strings.ToLower(it.n.name) + "_attribute:" + an, true
		}
	}
	for _, name := range names {
		if c, ok := it.n.child(name); ok && c.leaf() {
			return c.text.String(), "child:" + c.name, true
		}
	}
	for i := len(it.chain) - 1; i >= 0; i-- {
		e := it.chain[i]
		for _, name := range names {
			if v, an, ok := e.attr(name); ok {
				return v, "enclosing:" + e.name + "@" + an, true
			}
		}
		for _, name := range names {
			if c, ok := e.child(name); ok && c.leaf() && itemKind(c.name) == "" {
				return c.text.String(), "enclosing:" + e.name + "/" + c.name, true
			}
		}
	}
	return "", "", false
}

type fieldErr struct {
	sentinel error
	msg      string
}

func (e *fieldErr) Error() string { return e.msg }
func (e *fieldErr) Unwrap() error { return e.sentinel }

func missing(format string, args ...any) error {
	return &fieldErr{ErrMissing, fmt.Sprintf(format, args...)}
}

func wrong(format string, args ...any) error {
	return &fieldErr{ErrWrongContent, fmt.Sprintf(format, args...)}
}

// rejectAt refuses the frame for its index-th Signal or Binary (0: the
// frame).
func rejectAt(index int, err error) error {
	if index == 0 {
		return protocols.Reject(Name, protocols.ReasonSyntax, err)
	}
	return protocols.Reject(Name, protocols.ReasonSyntax, &SignalError{Index: index, Err: err})
}

// short checks a short field: at most MaxField characters, none a control
// character.
func short(what, v string) error {
	if len(v) > MaxField || hasControl(v) {
		return wrong("%s %.80q: at most %d characters, no control characters", what, v, MaxField)
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }) >= 0
}

// account checks an account: 1 to 16 printable ASCII characters.
func account(v, place string) error {
	if v == "" || len(v) > MaxAccount || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return wrong("account %.80q (%s): 1 to %d printable ASCII characters", v, place, MaxAccount)
	}
	return nil
}

// unframe returns the XML between STX and ETX; a frame that comes without
// them (an HTTP body, a test) is read as it is.
func unframe(frame []byte) []byte {
	b := bytes.TrimLeft(frame, " \t\r\n")
	if len(b) > 0 && b[0] == STX {
		b = b[1:]
	}
	t := bytes.TrimRight(b, " \t\r\n")
	if len(t) > 0 && t[len(t)-1] == ETX {
		b = t[:len(t)-1]
	}
	return b
}

// Sender returns the sender id of a decoded frame: a Source, SourceID or
// ReceiverID attribute or element of its first Signal, Binary or Heartbeat,
// or of an enclosing element (I: no capture shows one); "" when there is
// none. It is what Options.Auth is given.
func Sender(m *protocols.Message) string {
	if m == nil {
		return ""
	}
	if f, ok := m.Detail.(*Frame); ok {
		return f.Sender
	}
	return ""
}

// Decode decodes one frame as Split returns it (STX and ETX included; a
// bare XML document is read too). Every outcome comes with a Message,
// Kind "rejected" on failure: its Sequence is at least the RawNo, so that
// Reply can always answer.
func (c *Codec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	doc := unframe(frame)
	f := &Frame{RawNo: RawNo(frame)}
	f.Sequence, f.SequencePlace = f.RawNo, "raw_no"
	m := &protocols.Message{Protocol: Name, Kind: "rejected", Sequence: f.Sequence, Detail: f}
	if len(frame) > c.maxFrame {
		return m, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong, "%d bytes, limit %d", len(frame), c.maxFrame)
	}
	root, err := parseTree(doc)
	if err != nil {
		return m, err
	}
	f.Root = root.name
	var items []item
	collect(root, nil, &items)
	if len(items) == 0 {
		// The emulator also takes <MessageType>HEARTBEAT</MessageType> for a
		// heartbeat [S6 parser.py is_ping] (O).
		if mt, ok := root.child("MessageType"); ok && mt.leaf() && strings.EqualFold(strings.TrimSpace(mt.text.String()), "HEARTBEAT") {
			items = append(items, item{n: root})
		} else {
			return m, protocols.Rejectf(Name, protocols.ReasonToken, ErrUnknownType,
				"<%.40s> holds no Signal, Binary, Heartbeat or Ping", root.name)
		}
	}
	if n := countSignals(items); n > MaxSignals {
		return m, rejectAt(0, wrong("%d signals, at most %d", n, MaxSignals))
	}
	if err := c.frameFields(f, root, items); err != nil {
		return m, err
	}
	m.Sequence = f.Sequence
	if err := c.authorise(f, items); err != nil {
		return m, err
	}
	index := 0
	for _, it := range items {
		switch itemKind(it.n.name) {
		case "Signal":
			index++
			s, ev, err := decodeSignal(it, index)
			if err != nil {
				return m, rejectAt(index, err)
			}
			f.Signals = append(f.Signals, s)
			m.Events = append(m.Events, ev)
		case "Binary":
			index++
			p, err := decodePhoto(it, index)
			if err != nil {
				return m, rejectAt(index, err)
			}
			f.Photos = append(f.Photos, p)
		default:
			if f.Heartbeat == nil {
				h, err := decodeHeartbeat(it)
				if err != nil {
					return m, rejectAt(0, err)
				}
				f.Heartbeat = h
			}
		}
	}
	switch {
	case len(f.Signals) > 0:
		f.Type = "signals"
		m.Account, m.Line = f.Signals[0].Account, f.Signals[0].Line
	case len(f.Photos) > 0:
		f.Type = "photo"
		m.Account = f.Photos[0].Account
	default:
		f.Type = "heartbeat"
		m.Account, m.Line = f.Heartbeat.Account, f.Heartbeat.Line
	}
	m.Kind = f.Type
	return m, nil
}

// countSignals counts the items; a heartbeat counts too, so that no frame
// has more than MaxSignals items of any kind to look at.
func countSignals(items []item) int { return len(items) }

// frameFields reads the frame's own id (an attribute of the root element,
// else of the first item) and the sender id.
func (c *Codec) frameFields(f *Frame, root *node, items []item) error {
	for _, n := range []*node{root, items[0].n} {
		if v, an, ok := n.attr2(sequenceNames); ok {
			v = strings.TrimSpace(v)
			if err := short("sequence", v); err != nil {
				return rejectAt(0, err)
			}
			if v != "" {
				f.Sequence, f.SequencePlace = v, "attribute:"+n.name+"@"+an
			}
			break
		}
	}
	if v, place, ok := lookup(items[0], senderNames); ok {
		v = strings.TrimSpace(v)
		if err := short("sender", v); err != nil {
			return rejectAt(0, err)
		}
		f.Sender, f.SenderPlace = v, place
	}
	return nil
}

// attr2 returns the first of names among n's attributes.
func (n *node) attr2(names []string) (string, string, bool) {
	for _, name := range names {
		if v, an, ok := n.attr(name); ok {
			return v, an, true
		}
	}
	return "", "", false
}

// authorise checks the passkeys: the evidence shows one on Heartbeat
// [§2.4, S6 extract_heartbeat_passkey] (O). With Auth set a heartbeat
// must carry one Auth accepts; any other item that carries one must carry
// one Auth accepts (I).
func (c *Codec) authorise(f *Frame, items []item) error {
	heartbeatOnly := true
	var keys []string
	for _, it := range items {
		if k := itemKind(it.n.name); k == "Signal" || k == "Binary" {
			heartbeatOnly = false
		}
		if v, _, ok := lookup(it, passkeyNames); ok {
			f.PasskeySent = true
			keys = append(keys, v)
		}
	}
	if c.auth == nil {
		return nil
	}
	if heartbeatOnly && len(keys) == 0 {
		return protocols.Rejectf(Name, protocols.ReasonToken, ErrNotAuthorized, "heartbeat without a passkey (sender %q)", f.Sender)
	}
	for _, k := range keys {
		if !c.auth(f.Sender, k) {
			return protocols.Rejectf(Name, protocols.ReasonToken, ErrNotAuthorized, "sender %q not authorised", f.Sender)
		}
	}
	return nil
}

// decodeSignal reads one Signal [§2.4, O: S6 parser.py]: the event code is
// the Event attribute; Area, AreaInfo, Zone, PointID and URL are child
// elements.
func decodeSignal(it item, index int) (Signal, protocols.Event, error) {
	n := it.n
	s := Signal{Index: index}
	// Where the account sits is not public (I): a signal with none in any
	// place looked at is stored and ACKed without one, as Manitou lands an
	// unknown transmitter's signals on a system account [§2.4], so that an
	// operator sees it (an unknown-account incident) and no alarm is lost
	// to a NAK the sender would repeat forever.
	acct, place, ok := lookup(it, accountNames)
	if ok {
		acct = strings.TrimSpace(acct)
		if err := account(acct, place); err != nil {
			return s, protocols.Event{}, err
		}
	} else {
		acct, place = "", "none"
	}
	s.Account, s.AccountPlace = acct, place
	if v, lp, ok := lookup(it, lineNames); ok {
		v = strings.TrimSpace(v)
		if err := short("RLP", v); err != nil {
			return s, protocols.Event{}, err
		}
		s.Line, s.LinePlace = v, lp
	}
	code, _, ok := n.attr("Event")
	if !ok {
		// An <Event> child element instead of the attribute (I).
		if c, cok := n.child("Event"); cok && c.leaf() {
			code = c.text.String()
		}
	}
	s.Event = strings.TrimSpace(code)
	if v, _, ok := n.attr("EvType"); ok {
		s.EvType = strings.TrimSpace(v)
	}
	var err error
	text := func(name string) string {
		if c, ok := n.child(name); ok && c.leaf() {
			return strings.TrimSpace(c.text.String())
		}
		return ""
	}
	s.Area, s.Zone, s.PointID, s.User, s.AreaInfo = text("Area"), text("Zone"), text("PointID"), text("User"), text("AreaInfo")
	for _, f := range []struct{ what, v string }{{"EvType", s.EvType}, {"Area", s.Area}, {"Zone", s.Zone}, {"PointID", s.PointID}, {"User", s.User}} {
		if err = short(f.what, f.v); err != nil {
			return s, protocols.Event{}, err
		}
	}
	if len(s.AreaInfo) > MaxText {
		return s, protocols.Event{}, wrong("AreaInfo longer than %d bytes", MaxText)
	}
	zone := s.Zone
	if zone == "" {
		zone = s.PointID
	}
	ev, err := alarmcode.Event(alarmcode.Fields{Account: acct, Code: s.Event, Area: s.Area, Zone: zone, User: s.User, Text: s.AreaInfo})
	switch {
	case err == alarmcode.ErrNoCode:
		return s, protocols.Event{}, missing("no Event code")
	case err != nil:
		return s, protocols.Event{}, wrong("Event %.40q: %v", s.Event, err)
	}
	for _, c := range n.children {
		if !strings.EqualFold(c.name, "URL") {
			continue
		}
		u, err := mediaURL(c)
		if err != nil {
			return s, protocols.Event{}, err
		}
		s.URLs = append(s.URLs, u)
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "media_" + u.Kind, Value: u.URL})
	}
	if s.EvType != "" {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_evtype", Value: s.EvType})
	}
	if s.Zone != "" && s.PointID != "" {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_pointid", Value: s.PointID})
	}
	for _, a := range n.attrs {
		k := strings.ToLower(a.Name.Local)
		if roles[k] || k == "evtype" || isNamespaceDecl(a.Name) {
			continue
		}
		if err := extra(&s, &ev, a.Name.Local, a.Value); err != nil {
			return s, protocols.Event{}, err
		}
	}
	for _, c := range n.children {
		k := strings.ToLower(c.name)
		if roles[k] || signalFields[k] || !c.leaf() {
			continue
		}
		if err := extra(&s, &ev, c.name, c.text.String()); err != nil {
			return s, protocols.Event{}, err
		}
	}
	return s, ev, nil
}

// extra keeps a value the frame carried beyond the known fields, as the
// modifier attr_<lower-case name>.
func extra(s *Signal, ev *protocols.Event, name, v string) error {
	v = strings.TrimSpace(v)
	if len(v) > MaxText || len(name) > MaxField {
		return wrong("%.64s longer than %d bytes", name, MaxText)
	}
	s.Attrs = append(s.Attrs, Attr{Name: name, Value: v})
	ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_" + strings.ToLower(name), Value: v})
	return nil
}

// isNamespaceDecl reports an xmlns or xmlns:prefix attribute: markup, not
// data.
func isNamespaceDecl(n xml.Name) bool {
	return n.Space == "xmlns" || n.Space == "" && n.Local == "xmlns"
}

// mediaURL reads a <URL>: http(s) only. Its media kind is not shown by the
// evidence: a Type or Kind attribute naming one is honoured, else the link
// is read as a portal link for the operator to open (I).
func mediaURL(c *node) (URL, error) {
	v := strings.TrimSpace(c.text.String())
	lower := strings.ToLower(v)
	switch {
	case len(v) > MaxURL:
		return URL{}, wrong("URL longer than %d bytes", MaxURL)
	case !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://"), hasControl(v) || strings.ContainsAny(v, " \t"):
		return URL{}, wrong("URL %.80q is not an http(s) URL", v)
	}
	kind := "portal"
	t, _, ok := c.attr("Type")
	if !ok {
		t, _, _ = c.attr("Kind")
	}
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "clip", "video":
		kind = "clip"
	case "live", "stream":
		kind = "live"
	case "snapshot", "image", "photo", "picture":
		kind = "snapshot"
	}
	return URL{Kind: kind, URL: v}, nil
}

// decodePhoto reads a <Binary> [§2.4, O: S6 parser.py]: Ext, RawNo,
// FrameNo (or Frame) and Length attributes, and a <Data Length> child
// holding the image in base64. The image is checked to be base64 and
// measured, not kept.
func decodePhoto(it item, index int) (Photo, error) {
	n := it.n
	p := Photo{Index: index}
	// A photo needs no account (its RawNo names its signal): a value that
	// is no account (an image id in ID, say) is left out, not refused (I).
	if v, place, ok := lookup(it, accountNames); ok && account(strings.TrimSpace(v), place) == nil {
		p.Account, p.AccountPlace = strings.TrimSpace(v), place
	}
	get := func(names ...string) string {
		v, _, _ := n.attr2(names)
		return strings.TrimSpace(v)
	}
	p.Ext, p.RawNo, p.FrameNo, p.Length = get("Ext"), get("RawNo"), get("FrameNo", "Frame"), get("Length")
	data, ok := n.child("Data")
	if !ok || !data.leaf() {
		return p, missing("Binary without Data")
	}
	if v, _, ok := data.attr("Length"); ok {
		p.DataLength = strings.TrimSpace(v)
	}
	for _, f := range []struct{ what, v string }{{"Ext", p.Ext}, {"RawNo", p.RawNo}, {"FrameNo", p.FrameNo}, {"Length", p.Length}, {"Data Length", p.DataLength}} {
		if err := short(f.what, f.v); err != nil {
			return p, err
		}
	}
	b64 := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, data.text.String())
	if b64 == "" {
		return p, missing("Binary with empty Data")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return p, wrong("Binary Data is not base64: %v", err)
	}
	p.DataChars, p.DataBytes = len(b64), len(raw)
	return p, nil
}

// decodeHeartbeat reads a Heartbeat or Ping; its attributes but the
// passkey are kept.
func decodeHeartbeat(it item) (*Heartbeat, error) {
	h := &Heartbeat{Element: it.n.name}
	if itemKind(it.n.name) == "" {
		h.Element = it.n.name + "/MessageType"
	}
	// A heartbeat needs no account: a value that is no account is left
	// out, not refused (I).
	if v, place, ok := lookup(it, accountNames); ok && account(strings.TrimSpace(v), place) == nil {
		h.Account, h.AccountPlace = strings.TrimSpace(v), place
	}
	if v, _, ok := lookup(it, lineNames); ok {
		v = strings.TrimSpace(v)
		if err := short("RLP", v); err != nil {
			return nil, err
		}
		h.Line = v
	}
	for _, a := range it.n.attrs {
		if strings.EqualFold(a.Name.Local, "passkey") || isNamespaceDecl(a.Name) {
			continue
		}
		v := strings.TrimSpace(a.Value)
		if len(v) > MaxText {
			return nil, wrong("%.64s longer than %d bytes", a.Name.Local, MaxText)
		}
		h.Attrs = append(h.Attrs, Attr{Name: a.Name.Local, Value: v})
	}
	return h, nil
}
