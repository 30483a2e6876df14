package registry

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/manitou"
	"github.com/alarmrx/alarmrx/protocols/masxml"
	"github.com/alarmrx/alarmrx/protocols/microkey"
	"github.com/alarmrx/alarmrx/protocols/sentinel"
	"github.com/alarmrx/alarmrx/protocols/sos"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
)

// Transport is a way signals reach alarmrx. The listener transports are
// spelled as their keys in a listener's configuration.
type Transport string

// The transports.
const (
	TCP    Transport = "tcp"
	UDP    Transport = "udp"
	Serial Transport = "serial"
	// HTTP is served by the HTTP server (xml.senders), never by a listener.
	HTTP Transport = "http"
)

// Protocol describes one protocol: everything the rest of alarmrx needs to
// know about it besides its codec package.
type Protocol struct {
	// Name is the listener's protocol: in the configuration and the codec's
	// Name().
	Name string
	// Title is the protocol's name for people (the console's dashboard).
	Title string
	// Transports are the ways its signals may come, in the README's order.
	Transports []Transport
	// Replies sums up what the codec answers, for the README's table.
	Replies string
	// WrongTransport is the problem Check reports for a listener that uses
	// a transport outside Transports. Each protocol words it for its users
	// (what the protocol is carried over instead).
	WrongTransport Problem
	// LinkSupervised: a listener of the protocol is one link (a legacy
	// receiver's output), reported failed after the listener's
	// heartbeat_timeout without a record or heartbeat.
	LinkSupervised bool
	// Sender, when set, names the sender of a decoded message: one
	// listener is shared by senders, each supervised as its own link.
	Sender func(*protocols.Message) string
	// RebuildDetail, when set, rebuilds from a stored frame the detail its
	// codec's protocols.DetailRebuilder let the receiver leave out.
	RebuildDetail func(stored []byte) (json.RawMessage, bool)
	// build makes the codec of one listener.
	build func(Options) (protocols.Codec, error)
	// frameCap, when set, is the listener's frame cap for Options whose
	// MaxFrameBytes is 0.
	frameCap func(Options) int
}

// Problem is one finding of Check on a listener's configuration.
type Problem struct {
	// Field is the key within the listener ("udp", "serial.device"); ""
	// means the listener as a whole.
	Field string
	Msg   string
}

// Listener is what Check looks at of a listener's configuration, as plain
// values: "" means the endpoint is not configured.
type Listener struct {
	TCP, UDP, SerialDevice string
}

// Check returns the problems of a listener of this protocol that has at
// least one endpoint.
func (p Protocol) Check(l Listener) []Problem {
	for _, u := range []struct {
		t   Transport
		set bool
	}{{TCP, l.TCP != ""}, {UDP, l.UDP != ""}, {Serial, l.SerialDevice != ""}} {
		if u.set && !slices.Contains(p.Transports, u.t) {
			return []Problem{p.WrongTransport}
		}
	}
	return nil
}

// Options are what a listener's codec is built from; the daemon fills them
// from the listener's configuration. A protocol reads only its own fields.
type Options struct {
	// MaxFrameBytes is the listener's max_frame_bytes; 0 means the
	// protocol's own cap.
	MaxFrameBytes int

	// Keys (dc09) are the listener's AES keys as configured; the one whose
	// account is "*" serves every account without a key of its own.
	Keys []Key
	// StoredKey (dc09) finds the key stored with the account a frame
	// header names; it is asked before Keys [design.md §6: per account
	// first]. Nil means no stored keys.
	StoredKey dc09.KeyFunc
	// Window (dc09) is the timestamp window; zero bounds select the
	// codec's default.
	Window dc09.Window

	// XMLMaxBodyBytes (xmlsignal) is xml.max_body_bytes, the cap of a
	// message when MaxFrameBytes is 0: as long on TCP as over HTTP.
	XMLMaxBodyBytes int
	// Senders (xmlsignal) maps each configured sender's id to its passkey.
	Senders map[string]string
}

// Key is one configured DC-09 key: an account (or "*"), the secret and its
// format (hex or ascii).
type Key struct {
	Account, Key, Format string
}

// String and GoString print a Key without its secret: Options may end up
// in a log line or an error.
func (k Key) String() string { return "{" + k.Account + " [redacted] " + k.Format + "}" }

// GoString is String for %#v.
func (k Key) GoString() string { return k.String() }

// Build returns the codec of a listener with options o.
func (p Protocol) Build(o Options) (protocols.Codec, error) { return p.build(o) }

// MaxFrameBytes is the most bytes the listener buffers while looking for
// one frame: o.MaxFrameBytes, or when that is 0 the protocol's own cap (0
// when the codec keeps its cap to itself).
func (p Protocol) MaxFrameBytes(o Options) int {
	if o.MaxFrameBytes == 0 && p.frameCap != nil {
		return p.frameCap(o)
	}
	return o.MaxFrameBytes
}

// all is the registry, in the order configs lists the known protocols in
// its errors.
var all = []Protocol{
	{
		Name:       dc09.Name,
		Title:      "DC-09 (SIA IP)",
		Transports: []Transport{TCP, UDP},
		Replies:    "ACK (*ACK when encrypted), NAK with the receiver's time, DUH; silence on a bad CRC",
		WrongTransport: Problem{Field: "serial.device",
			Msg: "dc09 is an IP protocol; a serial port takes surgard"},
		RebuildDetail: dc09.RebuildDetail,
		build:         buildDC09,
	},
	{
		Name:       surgard.Name,
		Title:      "Sur-Gard records",
		Transports: []Transport{TCP, Serial},
		Replies: "ACK 0x06 only after the commit, NAK 0x15 for a malformed record; " +
			"silence while the store fails (the receiver keeps buffering)",
		WrongTransport: Problem{Field: "udp",
			Msg: "surgard records come over tcp or a serial port, not udp"},
		LinkSupervised: true,
		build:          func(o Options) (protocols.Codec, error) { return surgard.New(o.MaxFrameBytes), nil },
	},
	{
		Name:       xmlsignal.Name,
		Title:      "XML signals",
		Transports: []Transport{TCP, HTTP},
		Replies:    "AlarmResponse with result code 0, or 10 for a repeat; 1, 2, 3, 4, 7 when refused; 5 while the store fails",
		WrongTransport: Problem{
			Msg: "xmlsignal messages come over tcp (framed by the closing AlarmMessage tag), not udp or serial"},
		Sender: func(m *protocols.Message) string {
			if x, ok := m.Detail.(*xmlsignal.Message); ok {
				return x.Header.Source
			}
			return ""
		},
		build: buildXMLSignal,
		// An XML message may be as long on TCP as over HTTP.
		frameCap: func(o Options) int { return o.XMLMaxBodyBytes },
	},
	{
		Name:       manitou.Name,
		Title:      "Manitou XML",
		Transports: []Transport{TCP},
		Replies:    "Ack with a RawNo once stored; Nak with the failing signal's Index and a Code when refused, 30 while the store fails (the sender resends)",
		WrongTransport: Problem{
			Msg: "manitou frames come over tcp (STX … ETX), not udp or serial"},
		// The listener is one cloud's link (heartbeat_timeout); a frame
		// that names its sender checks that sender's link in too.
		LinkSupervised: true,
		Sender:         manitou.Sender,
		build: func(o Options) (protocols.Codec, error) {
			return manitou.New(manitou.Options{MaxFrameBytes: o.MaxFrameBytes, Auth: senderAuth(o.Senders)}), nil
		},
	},
	{
		Name:       masxml.Name,
		Title:      "MASXML",
		Transports: []Transport{TCP},
		Replies:    "AckNakClass with ResultCode 0 once stored; 1 (poorly formed) or 9 (invalid) when refused; 10 while the store fails (the sender resends)",
		WrongTransport: Problem{
			Msg: "masxml messages come over tcp (framed by the closing XMLMessageClass tag), not udp or serial"},
		// One cloud's connection: the listener is its link, supervised by
		// heartbeat_timeout (HEARTBEAT messages keep it up). The SourceID
		// is kept in the frame's detail.
		LinkSupervised: true,
		RebuildDetail:  masxml.New(masxml.Options{MaxFrameBytes: rebuildCap}).RebuildDetail,
		build: func(o Options) (protocols.Codec, error) {
			return masxml.New(masxml.Options{MaxFrameBytes: o.MaxFrameBytes}), nil
		},
	},
	{
		Name:       microkey.Name,
		Title:      "Micro Key XML",
		Transports: []Transport{TCP},
		Replies:    "Response with Status ACK once stored, NAK with an Error text when refused or while the store fails (the sender resends)",
		WrongTransport: Problem{
			Msg: "microkey packages come over tcp, not udp or serial"},
		// One cloud's connection: the listener is its link, supervised by
		// heartbeat_timeout (Micro Key's receivers fail after 30 s
		// without a package; SignalCount 0 packages keep it up).
		LinkSupervised: true,
		RebuildDetail:  microkey.New(microkey.Options{MaxFrameBytes: rebuildCap}).RebuildDetail,
		build: func(o Options) (protocols.Codec, error) {
			return microkey.New(microkey.Options{MaxFrameBytes: o.MaxFrameBytes}), nil
		},
	},
	{
		Name:       sos.Name,
		Title:      "SOS XML",
		Transports: []Transport{TCP},
		Replies:    "alarmresponse (pingresponse) with status 0 once stored; 1, 2, 3, 4, 7, 9 or 100 when refused; 5 while the store fails (the sender uses its failover)",
		WrongTransport: Problem{
			Msg: "sos messages come over tcp, not udp or serial"},
		// The listener is one link (heartbeat_timeout: the pings' level,
		// 90 s to 25 h); a message that names its receiver checks that
		// sender's link in too.
		LinkSupervised: true,
		Sender:         sos.Sender,
		build: func(o Options) (protocols.Codec, error) {
			var auth func(receiver, transmitter, password string) bool
			if a := senderAuth(o.Senders); a != nil {
				auth = func(receiver, _, password string) bool { return a(receiver, password) }
			}
			return sos.New(sos.Options{MaxFrameBytes: o.MaxFrameBytes, Auth: auth}), nil
		},
	},
	{
		Name:       sentinel.Name,
		Title:      "Sentinel XML",
		Transports: []Transport{TCP},
		Replies:    "ACK 0x06 once stored, and to a ping (0x06 0x14); NAK 0x15 for a malformed line and while the store fails (the sender resends)",
		WrongTransport: Problem{
			Msg: "sentinel lines come over tcp, not udp or serial"},
		// One cloud's connection: the listener is its link, supervised by
		// heartbeat_timeout (its pings keep it up).
		LinkSupervised: true,
		RebuildDetail:  sentinel.New(sentinel.Options{MaxFrameBytes: rebuildCap}).RebuildDetail,
		build: func(o Options) (protocols.Codec, error) {
			return sentinel.New(sentinel.Options{MaxFrameBytes: o.MaxFrameBytes}), nil
		},
	},
}

// rebuildCap is the frame cap of the codecs that rebuild a stored frame's
// detail: none, since a listener may have taken the frame under a larger
// max_frame_bytes than the codec's default.
const rebuildCap = math.MaxInt32

// All returns every protocol in the registry's order. The Transports
// slices are the registry's own: read them, do not change them.
func All() []Protocol { return slices.Clone(all) }

// Lookup returns the protocol named name.
func Lookup(name string) (Protocol, bool) {
	i := slices.IndexFunc(all, func(p Protocol) bool { return p.Name == name })
	if i < 0 {
		return Protocol{}, false
	}
	return all[i], true
}

// RebuildDetail rebuilds the detail of a frame of protocol stored without
// one (protocols.DetailRebuilder); false when the protocol rebuilds none.
func RebuildDetail(protocol string, stored []byte) (json.RawMessage, bool) {
	p, ok := Lookup(protocol)
	if !ok || p.RebuildDetail == nil {
		return nil, false
	}
	return p.RebuildDetail(stored)
}

// Title is the name for people of protocol; a name not in the registry is
// returned as it is.
func Title(protocol string) string {
	if p, ok := Lookup(protocol); ok && p.Title != "" {
		return p.Title
	}
	return protocol
}

// Names returns the protocols' names in the registry's order.
func Names() []string {
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return names
}

func buildDC09(o Options) (protocols.Codec, error) {
	k, err := keyTable(o.Keys)
	if err != nil {
		return nil, err
	}
	k.stored = o.StoredKey
	return dc09.New(dc09.Options{Keys: k.lookup, Window: o.Window, MaxFrame: o.MaxFrameBytes}), nil
}

func buildXMLSignal(o Options) (protocols.Codec, error) {
	// On TCP the passkey travels in Header/Passkey; any configured sender
	// may use the listener with its own.
	limit := o.MaxFrameBytes
	if limit == 0 {
		limit = o.XMLMaxBodyBytes
	}
	auth := senderAuth(o.Senders)
	if auth == nil {
		auth = func(string, string) bool { return false } // no sender is configured: none may use it
	}
	return xmlsignal.New(limit).WithAuth(auth), nil
}

// senderAuth checks a dialect's in-message passkey against the configured
// XML senders' (xml.senders: id and passkey), in constant time; nil when
// none is configured, and the listener then relies on allowed_sources.
func senderAuth(senders map[string]string) func(sender, passkey string) bool {
	if len(senders) == 0 {
		return nil
	}
	own := maps.Clone(senders)
	return func(sender, passkey string) bool {
		want, ok := own[sender]
		return ok && passkey != "" && subtle.ConstantTimeCompare([]byte(passkey), []byte(want)) == 1
	}
}

// keys finds the key for a DC-09 header account: the account's stored key
// first, then the listener's key for that account (upper-cased), then the
// listener's "*" key.
type keys struct {
	stored    dc09.KeyFunc
	byAccount map[string]dc09.Key
	any       dc09.Key
	hasAny    bool
}

func keyTable(cfg []Key) (*keys, error) {
	k := &keys{byAccount: make(map[string]dc09.Key, len(cfg))}
	for i, kc := range cfg {
		key, err := dc09.ParseKey(kc.Key, kc.Format)
		if err != nil {
			// The error names the entry, never the key.
			return nil, fmt.Errorf("keys[%d] (account %s): %w", i, kc.Account, err)
		}
		if kc.Account == "*" {
			k.any, k.hasAny = key, true
			continue
		}
		k.byAccount[strings.ToUpper(kc.Account)] = key
	}
	return k, nil
}

func (k *keys) lookup(account string) (dc09.Key, bool) {
	if k.stored != nil {
		if key, ok := k.stored(account); ok {
			return key, true
		}
	}
	if key, ok := k.byAccount[strings.ToUpper(account)]; ok {
		return key, true
	}
	return k.any, k.hasAny
}
