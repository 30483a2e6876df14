package registry

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
)

// TestEveryProtocolIsComplete: each entry names its codec, builds with
// zero options, takes at least one transport and words the problem of a
// transport it does not take.
func TestEveryProtocolIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All() {
		if p.Name == "" || seen[p.Name] {
			t.Fatalf("empty or duplicate name %q", p.Name)
		}
		seen[p.Name] = true
		c, err := p.Build(Options{})
		if err != nil {
			t.Fatalf("%s: Build: %v", p.Name, err)
		}
		if c.Name() != p.Name {
			t.Errorf("%s: codec is named %q", p.Name, c.Name())
		}
		if len(p.Transports) == 0 || p.Replies == "" {
			t.Errorf("%s: no transports or no replies", p.Name)
		}
		for _, tr := range p.Transports {
			if !slices.Contains([]Transport{TCP, UDP, Serial, HTTP}, tr) {
				t.Errorf("%s: unknown transport %q", p.Name, tr)
			}
		}
		refuses := !slices.Contains(p.Transports, TCP) || !slices.Contains(p.Transports, UDP) ||
			!slices.Contains(p.Transports, Serial)
		if refuses && p.WrongTransport.Msg == "" {
			t.Errorf("%s: refuses a listener transport but has no WrongTransport message", p.Name)
		}
		if got, ok := Lookup(p.Name); !ok || got.Name != p.Name {
			t.Errorf("Lookup(%q) = %v, %v", p.Name, got.Name, ok)
		}
	}
	if _, ok := Lookup("contactid"); ok {
		t.Error("Lookup found a payload format that no listener speaks")
	}
	if !slices.Equal(Names(), []string{"dc09", "surgard", "xmlsignal", "manitou", "masxml", "microkey", "sos", "sentinel"}) {
		t.Errorf("Names() = %q", Names())
	}
	All()[0] = Protocol{Name: "changed"}
	if All()[0].Name == "changed" {
		t.Error("All returns the registry's own slice")
	}
}

func TestCheckTransports(t *testing.T) {
	for _, c := range []struct {
		name string
		l    Listener
		want []Problem
	}{
		{"dc09", Listener{TCP: ":1", UDP: ":1"}, nil},
		{"dc09", Listener{TCP: ":1", SerialDevice: "/dev/ttyS0"},
			[]Problem{{"serial.device", "dc09 is an IP protocol; a serial port takes surgard"}}},
		{"surgard", Listener{TCP: ":1"}, nil},
		{"surgard", Listener{SerialDevice: "/dev/ttyS0"}, nil},
		{"surgard", Listener{UDP: ":1"}, []Problem{{"udp", "surgard records come over tcp or a serial port, not udp"}}},
		{"xmlsignal", Listener{TCP: ":1"}, nil},
		{"xmlsignal", Listener{TCP: ":1", UDP: ":1", SerialDevice: "/dev/ttyS0"},
			[]Problem{{"", "xmlsignal messages come over tcp (framed by the closing AlarmMessage tag), not udp or serial"}}},
	} {
		p, _ := Lookup(c.name)
		if got := p.Check(c.l); !slices.Equal(got, c.want) {
			t.Errorf("%s %+v: Check = %q, want %q", c.name, c.l, got, c.want)
		}
	}
}

// TestDC09KeyOrder: the key stored with the account wins, then the
// listener's key for the account (any case), then its "*" key. Keys do
// not show their bytes, so each source has its own key size.
func TestDC09KeyOrder(t *testing.T) {
	hexKey := func(digits int) string { return strings.Repeat("1", digits) }
	k, err := keyTable([]Key{{"*", hexKey(32), "hex"}, {"12ab", hexKey(48), "hex"}, {"56ab", "0123456789abcdef", "ascii"}})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := dc09.ParseKey(hexKey(64), "hex")
	k.stored = func(account string) (dc09.Key, bool) { return stored, account == "5678" || account == "12ab" }
	for account, bits := range map[string]int{"5678": 256, "12ab": 256, "12AB": 192, "9999": 128} {
		if got, ok := k.lookup(account); !ok || got.Bits() != bits {
			t.Errorf("lookup(%s) = %d bits, %v; want %d", account, got.Bits(), ok, bits)
		}
	}
	if _, err := keyTable([]Key{{"*", hexKey(32), "hex"}, {"1234", "short", "hex"}}); err == nil ||
		!strings.HasPrefix(err.Error(), "keys[1] (account 1234): ") || !errors.Is(err, dc09.ErrKey) ||
		strings.Contains(err.Error(), "short") {
		t.Errorf("bad key: %v", err)
	}
	if _, ok := (&keys{byAccount: map[string]dc09.Key{}}).lookup("1234"); ok {
		t.Error("a listener without keys found one")
	}
}

// TestXMLSignalAuth: a TCP listener accepts a message only with the
// passkey of a configured sender.
func TestXMLSignalAuth(t *testing.T) {
	p, _ := Lookup(xmlsignal.Name)
	c, err := p.Build(Options{Senders: map[string]string{"chekt": "0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(passkey string) []byte {
		return []byte(`<AlarmMessage xmlns="urn:alarmrx:signal:1" version="1.0"><Header><MessageId>1</MessageId>` +
			`<Source>chekt</Source><Passkey>` + passkey + `</Passkey><SentAt>2026-11-30T09:10:00Z</SentAt></Header></AlarmMessage>`)
	}
	now := time.Date(2026, 11, 30, 9, 10, 0, 0, time.UTC)
	if _, err := c.Decode(msg("0123456789abcdef"), now); err != nil {
		t.Errorf("right passkey: %v", err)
	}
	for _, pk := range []string{"", "0123456789abcdeX"} {
		if _, err := c.Decode(msg(pk), now); !errors.Is(err, xmlsignal.ErrNotAuthorized) {
			t.Errorf("passkey %q: %v", pk, err)
		}
	}
}

// TestImportsStayInProtocols: the registry imports the standard library
// and protocols/ only, so that configs can import it.
func TestImportsStayInProtocols(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range file.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			const own = "github.com/alarmrx/alarmrx/protocols"
			if strings.Contains(first, ".") && path != own && !strings.HasPrefix(path, own+"/") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

// TestListenerRules: a Sur-Gard listener, and a dialect's whose messages
// name no sender, is one supervised link; a shared XML listener's messages
// name their sender; and an XML listener's frame cap defaults to
// xml.max_body_bytes.
func TestListenerRules(t *testing.T) {
	rules := map[string]struct{ link, sender bool }{
		"dc09": {}, "surgard": {link: true}, "xmlsignal": {sender: true}, "manitou": {link: true, sender: true}, "sos": {link: true, sender: true}, "masxml": {link: true}, "microkey": {link: true}, "sentinel": {link: true},
	}
	for _, p := range All() {
		want, ok := rules[p.Name]
		if !ok || p.LinkSupervised != want.link || (p.Sender != nil) != want.sender {
			t.Errorf("%s: LinkSupervised %v, Sender %v; want %+v (listed: %v)", p.Name, p.LinkSupervised, p.Sender != nil, want, ok)
		}
		for _, c := range []struct{ max, body, want int }{{0, 2000, 0}, {500, 2000, 500}} {
			if p.Name == "xmlsignal" && c.max == 0 {
				c.want = c.body
			}
			if got := p.MaxFrameBytes(Options{MaxFrameBytes: c.max, XMLMaxBodyBytes: c.body}); got != c.want {
				t.Errorf("%s: MaxFrameBytes(%d, xml %d) = %d, want %d", p.Name, c.max, c.body, got, c.want)
			}
		}
	}
	x, _ := Lookup("xmlsignal")
	c, _ := x.Build(Options{})
	m, _ := c.Decode([]byte(`<AlarmMessage xmlns="urn:alarmrx:signal:1" version="1.0"><Header><MessageId>1</MessageId>`+
		`<Source>chekt</Source><SentAt>2026-11-30T09:10:00Z</SentAt></Header></AlarmMessage>`), time.Date(2026, 11, 30, 9, 10, 0, 0, time.UTC))
	if m == nil || x.Sender(m) != "chekt" {
		t.Errorf("Sender of an XML message from chekt: %v", m)
	}
	if s := x.Sender(&protocols.Message{Detail: "not XML"}); s != "" {
		t.Errorf("Sender of another message = %q", s)
	}
}

// TestKeyIsNotPrinted: printing Options shows no key.
func TestKeyIsNotPrinted(t *testing.T) {
	o := Options{Keys: []Key{{"1234", "0123456789abcdef0123456789abcdef", "hex"}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if s := fmt.Sprintf(verb, o); strings.Contains(s, "0123456789abcdef") || !strings.Contains(s, "1234") {
			t.Errorf("%s: %s", verb, s)
		}
	}
}
