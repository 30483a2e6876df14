package sentinel

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// Forms of a decoded line (Frame.Form).
const (
	FormFields = "fields" // pipe-separated key=value pairs
	FormPing   = "ping"   // a keep-alive
)

// Pings (Frame.Ping): which keep-alive a heartbeat line was.
const (
	PingACKDC4 = "ack_dc4" // 06 14, the emulator's ping [S6 handler] (O)
	PingACK    = "ack"     // 06 ended by CR or LF instead of DC4 (I)
	PingWord   = "ping"    // the line "PING", any case (I)
	PingBlank  = "blank"   // a line of spaces or tabs, or an empty frame (I)
)

// Redacted replaces a secret's value in Detail and in Redact's output.
const Redacted = "[redacted]"

// Frame is the decoded line: the protocols.Message Detail. Pairs keep every
// pair as received, in order (keys as sent, values trimmed), except that a
// secret's value reads Redacted.
type Frame struct {
	Form string
	// Ping says which keep-alive a FormPing line was.
	Ping string
	// AccountKey and SequenceKey are the keys, as sent, that carried the
	// account and the sequence (Account, DeviceID, CSID…; Seq, MsgId, Id…).
	AccountKey  string
	SequenceKey string
	// Charset is "windows-1252" when the line was not UTF-8 and was read as
	// Windows-1252 (a superset of Latin-1's printable characters).
	Charset string
	Pairs   []Pair
}

// Pair is one key=value pair.
type Pair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// MarshalJSON renders the frame for the stored frame detail.
func (f *Frame) MarshalJSON() ([]byte, error) {
	type view struct {
		Form        string `json:"form"`
		Ping        string `json:"ping,omitempty"`
		AccountKey  string `json:"account_key,omitempty"`
		SequenceKey string `json:"sequence_key,omitempty"`
		Charset     string `json:"charset,omitempty"`
		Pairs       []Pair `json:"pairs,omitempty"`
	}
	return json.Marshal(view{f.Form, f.Ping, f.AccountKey, f.SequenceKey, f.Charset, f.Pairs})
}

// field is what a normalised key means.
type field uint8

const (
	fAttr field = iota
	fAccount
	fID // the account when no other account key is sent, else the sequence
	fEvent
	fZone
	fArea
	fUser
	fText
	fTime
	fSite
	fSequence
	fMedia
)

// keys maps a normalised key (lower case, without space, '_' and '-') to
// its field. The account synonyms follow CHeKT's names for the account
// (Device ID in Sentinel, act/csid/txid in its launch URL) [§2.1]; the
// rest are the plausible names of the emulator's vocabulary (Event,
// MediaUrl: S6) and of the other dialects [§2.12].
var keys = map[string]field{
	"account": fAccount, "acct": fAccount, "deviceid": fAccount, "device": fAccount,
	"csid": fAccount, "txid": fAccount, "act": fAccount,
	"id":    fID,
	"event": fEvent, "eventcode": fEvent, "code": fEvent, "alarm": fEvent,
	"zone": fZone, "point": fZone, "pz": fZone,
	"area": fArea, "partition": fArea,
	"user": fUser,
	"text": fText, "description": fText, "message": fText,
	"time": fTime, "datetime": fTime, "timestamp": fTime,
	"userreference": fSite, "siteid": fSite,
	"seq": fSequence, "sequence": fSequence, "msgid": fSequence, "messageid": fSequence,
}

// mediaKinds maps a normalised media key to its modifier. MediaUrl is what
// the emulator labels a photo [S6 parser: is_photo] (O); the others are
// our reading of their names (I).
var mediaKinds = map[string]string{
	"mediaurl": "media_snapshot", "image": "media_snapshot", "snapshot": "media_snapshot",
	"videourl": "media_clip",
	"liveurl":  "media_live",
	"url":      "media_portal", "link": "media_portal",
}

func init() {
	for k := range mediaKinds {
		keys[k] = fMedia
	}
}

// normKey folds a key for matching: "Device ID", "device_id" and
// "DEVICEID" are one key.
func normKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == ' ' || c == '_' || c == '-':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// attrName is the modifier name of an unknown key: attr_ and the key in
// lower case, spaces and '-' as '_'.
func attrName(k string) string {
	return "attr_" + strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return '_'
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, k)
}

// isSecretKey reports keys whose value must not be kept: CHeKT binds a
// receiver with a passkey [§2.1, S2] and where it travels is unknown.
func isSecretKey(norm string) bool {
	for _, s := range []string{"pass", "secret", "token", "auth", "apikey"} {
		if strings.Contains(norm, s) {
			return true
		}
	}
	return norm == "key" || norm == "pin"
}

func reject(sentinel error, format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, sentinel, format, args...)
}

// line holds the fields of one line while it is read.
type line struct {
	frame                            *Frame
	account, event, zone, area, user string
	seq, id, idKey, text, timeText   string
	mods                             []protocols.Modifier
	haveText, haveTime, haveSite     bool
}

// Decode reads one line from Split. A keep-alive (06 14, a lone 06, PING,
// blank) is a heartbeat; anything else must be key=value pairs with an
// account and an event, and becomes one event. A refused line comes back
// with a Message of Kind "rejected" holding what was read, for evidence.
func (c *Codec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	rejected := &protocols.Message{Protocol: Name, Kind: KindRejected}
	if len(frame) > c.max {
		return rejected, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong, "%d bytes, limit %d", len(frame), c.max)
	}
	// Split takes the terminator off; a frame handed over whole (a test,
	// another transport) may still end with one.
	raw := bytes.Trim(frame, " \t\r\n")
	ping := pingOf(raw)
	if ping == "" {
		raw = bytes.TrimRight(raw, " \t\r\n\x14")
		if len(raw) == 0 {
			ping = PingBlank
		}
	}
	if ping != "" {
		return &protocols.Message{Protocol: Name, Kind: KindHeartbeat, Detail: &Frame{Form: FormPing, Ping: ping}}, nil
	}
	f := &Frame{Form: FormFields}
	rejected.Detail = f
	if raw[0] == '<' {
		// CHeKT's Sentinel receiver is Sentinel's "XML Event Processor"
		// [§2.1, S3, S22], but no sample of its payload is public.
		return rejected, reject(ErrXML, "an XML line: the XML Event Processor payload is not known")
	}
	text := string(raw)
	if !utf8.ValidString(text) {
		text, f.Charset = fromWindows1252(raw), "windows-1252"
	}
	if i := strings.IndexFunc(text, isControl); i >= 0 {
		return rejected, reject(ErrSyntax, "control character %U at byte %d", []rune(text[i:])[0], i)
	}
	l := &line{frame: f}
	if err := l.read(text); err != nil {
		rejected.Account, rejected.Sequence = l.account, l.seq
		return rejected, err
	}
	rejected.Account, rejected.Sequence = l.account, l.seq
	ev, err := l.event1()
	if err != nil {
		return rejected, err
	}
	m := &protocols.Message{Protocol: Name, Kind: KindSignals, Account: l.account, Sequence: l.seq,
		Events: []protocols.Event{ev}, Detail: f}
	m.Timestamp = ev.PanelTime
	return m, nil
}

// pingOf names the keep-alive raw is, or "".
func pingOf(raw []byte) string {
	switch {
	case len(raw) == 0:
		return PingBlank
	case len(raw) == 2 && raw[0] == ACK && raw[1] == DC4:
		return PingACKDC4
	case len(raw) == 1 && raw[0] == ACK:
		return PingACK
	case bytes.EqualFold(raw, []byte("PING")):
		return PingWord
	}
	return ""
}

// isControl reports C0 and C1 controls and DEL; tab is white space.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7F && r < 0xA0
}

// read splits the pairs and files each under its field.
func (l *line) read(text string) error {
	n := 0
	for seg := range strings.SplitSeq(text, "|") {
		if strings.TrimSpace(seg) == "" {
			continue // "a||b" and a trailing "|" are tolerated (I)
		}
		if n++; n > MaxPairs {
			return reject(ErrWrongContent, "more than %d pairs", MaxPairs)
		}
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			return reject(ErrSyntax, "pair %d %q has no '='", n, clip(seg))
		}
		k, v = strings.Trim(k, " \t"), strings.Trim(v, " \t")
		if err := checkKey(k); err != nil {
			return err
		}
		norm := normKey(k)
		secret := isSecretKey(norm)
		shown := v
		if secret {
			shown = Redacted
		}
		l.frame.Pairs = append(l.frame.Pairs, Pair{Key: k, Value: shown})
		if utf8.RuneCountInString(v) > MaxText {
			return reject(ErrWrongContent, "%s is longer than %d characters", k, MaxText)
		}
		if secret {
			continue
		}
		if err := l.file(k, norm, v); err != nil {
			return err
		}
	}
	if n == 0 {
		return reject(ErrSyntax, "no pairs")
	}
	// Id is the account only when no other key named it (I).
	switch {
	case l.idKey == "":
	case l.account == "":
		l.account, l.frame.AccountKey = l.id, l.idKey
	case l.seq == "":
		l.seq, l.frame.SequenceKey = l.id, l.idKey
	default:
		l.mods = append(l.mods, protocols.Modifier{Name: attrName(l.idKey), Value: l.id})
	}
	return nil
}

// file puts one pair's value where its key says.
func (l *line) file(k, norm, v string) error {
	var dst *string
	switch keys[norm] {
	case fAccount:
		if err := setOnce(&l.account, k, v); err != nil {
			return err
		}
		if l.frame.AccountKey == "" && v != "" {
			l.frame.AccountKey = k
		}
		return nil
	case fSequence:
		if err := setOnce(&l.seq, k, v); err != nil {
			return err
		}
		if l.frame.SequenceKey == "" && v != "" {
			l.frame.SequenceKey = k
		}
		return nil
	case fID:
		if v == "" {
			return nil
		}
		if l.idKey != "" && l.id != v {
			return reject(ErrWrongContent, "%s given twice with different values", k)
		}
		l.id, l.idKey = v, k
		return nil
	case fEvent:
		dst = &l.event
	case fZone:
		dst = &l.zone
	case fArea:
		dst = &l.area
	case fUser:
		dst = &l.user
	case fText:
		if !l.haveText {
			l.text, l.haveText = v, true
			return nil
		}
	case fTime:
		if !l.haveTime {
			l.timeText, l.haveTime = v, true
			l.mods = append(l.mods, protocols.Modifier{Name: "attr_time", Value: v})
			return nil
		}
	case fSite:
		if !l.haveSite {
			l.haveSite = true
			l.mods = append(l.mods, protocols.Modifier{Name: "attr_site_id", Value: v})
			return nil
		}
	case fMedia:
		if v == "" {
			return nil
		}
		if len(v) > MaxURL || !(hasPrefixFold(v, "https://") || hasPrefixFold(v, "http://")) {
			return reject(ErrWrongContent, "%s is not an http(s) URL of at most %d bytes", k, MaxURL)
		}
		l.mods = append(l.mods, protocols.Modifier{Name: mediaKinds[norm], Value: v})
		return nil
	}
	if dst != nil {
		return setOnce(dst, k, v)
	}
	// An unknown key, or a second text, time or site reference.
	l.mods = append(l.mods, protocols.Modifier{Name: attrName(k), Value: v})
	return nil
}

// setOnce sets a single-valued field; the same value again is tolerated,
// a different one is refused: an alarm must not be guessed.
func setOnce(dst *string, k, v string) error {
	if *dst != "" && *dst != v {
		return reject(ErrWrongContent, "%s conflicts with an earlier value", k)
	}
	if v != "" {
		*dst = v
	}
	return nil
}

// checkKey allows keys of letters, digits, space, '_', '-' and '.'.
func checkKey(k string) error {
	if k == "" || len(k) > MaxKey {
		return reject(ErrSyntax, "key %q: 1-%d characters", clip(k), MaxKey)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '_' || c == '-' || c == '.') {
			return reject(ErrSyntax, "key %q: letters, digits, space, _ - .", clip(k))
		}
	}
	return nil
}

// event1 checks the fields and builds the event.
func (l *line) event1() (protocols.Event, error) {
	switch {
	case l.account == "":
		return protocols.Event{}, reject(ErrMissing, "no account (Account, DeviceID, CSID, TXID, Act, Id…)")
	case !validAccount(l.account):
		return protocols.Event{}, reject(ErrWrongContent, "account %q: 1-%d characters A-Z a-z 0-9 -", clip(l.account), MaxAccount)
	case l.seq != "" && !validSequence(l.seq):
		return protocols.Event{}, reject(ErrWrongContent, "sequence %q: 1-%d printable characters without space", clip(l.seq), MaxSequence)
	case l.event == "":
		return protocols.Event{}, reject(ErrMissing, "no event code (Event, EventCode, Code, Alarm)")
	}
	for _, a := range []struct{ name, v string }{{"zone", l.zone}, {"area", l.area}, {"user", l.user}} {
		if len(a.v) > MaxAddress || strings.ContainsAny(a.v, " \t") {
			return protocols.Event{}, reject(ErrWrongContent, "%s %q: at most %d characters without space", a.name, clip(a.v), MaxAddress)
		}
	}
	ev, err := alarmcode.Event(alarmcode.Fields{Account: l.account, Code: l.event, Area: l.area, Zone: l.zone, User: l.user, Text: l.text})
	if err != nil {
		return protocols.Event{}, reject(ErrWrongContent, "event code %q: %v", clip(l.event), errors.Unwrap(err))
	}
	ev.Modifiers = l.mods
	if t, ok := zonedTime(l.timeText); ok {
		ev.PanelTime = t
	}
	return ev, nil
}

// zonedTime reads a time that carries a zone (RFC 3339, or with a space
// for the T); a time without one is kept as text only, since the sender's
// zone is unknown (I).
func zonedTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func validAccount(a string) bool {
	if len(a) > MaxAccount {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

func validSequence(s string) bool {
	if len(s) > MaxSequence {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) <= 32 {
		return s
	}
	for i := 32; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
