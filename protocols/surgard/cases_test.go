package surgard

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// recordCases is the case table shared by the decode tests and the fuzz
// seeds: the examples of protocols.md §4.3–4.4 and the shapes of
// "Sur-Gard compatible" boxes, with what each must decode to.
var recordCases = []struct {
	name     string
	raw      string // without the DC4
	kind     string
	receiver string
	line     string
	account  string
	code     string
	qual     protocols.Qualifier
	group    string
	zone     string
	user     string
	err      error
	b32      int                // the size a B32 header states; 0 for none
	devs     []protocols.Reason // tolerated deviations
}{
	{name: "MLR2 contact id, 1-digit line", raw: "5011 181234E12101001", kind: KindCID4, receiver: "01", line: "1",
		account: "1234", code: "121", qual: protocols.QualifierNew, group: "01", user: "001"},
	{name: "System III contact id, 3-digit line", raw: "501100 181234E12101001", kind: KindCID4, receiver: "01", line: "100",
		account: "1234", code: "121", qual: protocols.QualifierNew, group: "01", user: "001"},
	{name: "contact id restore", raw: "501001 18ABCDR13002015", kind: KindCID4, receiver: "01", line: "001",
		account: "ABCD", code: "130", qual: protocols.QualifierRestore, group: "02", zone: "015"},
	{name: "contact id previous (status), format 98", raw: "501001 981234P30100000", kind: KindCID4, receiver: "01", line: "001",
		account: "1234", code: "301", qual: protocols.QualifierStatus, group: "00", zone: "000"},
	{name: "IPRO style without the space", raw: "5011181234E13001005", kind: KindCID4, receiver: "01", line: "1",
		account: "1234", code: "130", qual: protocols.QualifierNew, group: "01", zone: "005"},
	{name: "contact id 10-digit account", raw: "Q01001 581234567890E13001005", kind: KindCID10, receiver: "01", line: "001",
		account: "1234567890", code: "130", qual: protocols.QualifierNew, group: "01", zone: "005"},
	{name: "SIA record", raw: "S01001[#1234|Nri1/BA031]", kind: KindSIA, receiver: "01", line: "001",
		account: "1234", code: "BA", qual: protocols.QualifierNew, group: "1", zone: "031"},
	{name: "SIA record from the manual, closing then panic", raw: "S01001[#1234|Nda04-22-94ti16:02:15/id22/CL/PA31]", kind: KindSIA,
		receiver: "01", line: "001", account: "1234", code: "CL", qual: protocols.QualifierNew, user: "22"},
	{name: "receiver status", raw: "001001[#0000|NYC]", kind: KindStatus, receiver: "01", line: "001", account: "0000", code: "YC",
		qual: protocols.QualifierNew},
	{name: "heartbeat, 3-digit line", raw: "101000           @    ", kind: KindHeartbeat, receiver: "01", line: "000"},
	{name: "heartbeat, MLR2", raw: "1011           @    ", kind: KindHeartbeat, receiver: "01", line: "1"},

	// The optional B32 header, 00 00 and the BCD size of the packet with
	// header and DC4 [SG Automation Output Protocol §1.4]: 22 + 4 + 1 = 27.
	{name: "B32 header, contact id", raw: "\x00\x00\x00\x27501100 181234E12101001", kind: KindCID4, receiver: "01", line: "100",
		account: "1234", code: "121", qual: protocols.QualifierNew, group: "01", user: "001", b32: 27},
	{name: "B32 header, heartbeat", raw: "\x00\x00\x00\x27101000           @    ", kind: KindHeartbeat, receiver: "01", line: "000", b32: 27},
	{name: "B32 header, SIA record", raw: "\x00\x00\x00\x29S01001[#1234|Nri1/BA031]", kind: KindSIA, receiver: "01", line: "001",
		account: "1234", code: "BA", qual: protocols.QualifierNew, group: "1", zone: "031", b32: 29},
	{name: "B32 header, 10-digit account", raw: "\x00\x00\x00\x33Q01001 581234567890E13001005", kind: KindCID10, receiver: "01", line: "001",
		account: "1234567890", code: "130", qual: protocols.QualifierNew, group: "01", zone: "005", b32: 33},
	{name: "B32 header stating 105 (over 99) for 29 bytes", raw: "\x00\x00\x01\x05S01001[#1234|Nri1/BA031]", kind: KindSIA, receiver: "01", line: "001",
		account: "1234", code: "BA", qual: protocols.QualifierNew, group: "1", zone: "031", b32: 105, devs: []protocols.Reason{protocols.ReasonLength}},
	{name: "B32 header stating the wrong size", raw: "\x00\x00\x00\x30501100 181234E12101001", kind: KindCID4, receiver: "01", line: "100",
		account: "1234", code: "121", qual: protocols.QualifierNew, group: "01", user: "001", b32: 30, devs: []protocols.Reason{protocols.ReasonLength}},
	{name: "B32 header, bad record: NAK in kind", raw: "\x00\x00\x00\x27501100 181234X12101001", err: ErrSyntax, b32: 27},
	{name: "B32 header of size 14, whose last byte is DC4", raw: "\x00\x00\x00\x149011 1812", err: ErrUnsupported, b32: 14},
	{name: "00 00 then no BCD: no B32 header", raw: "\x00\x00\x00\x2A501100 181234E12101001", err: ErrUnsupported},

	{name: "bad qualifier", raw: "501100 181234X12101001", err: ErrSyntax},
	{name: "bad format id", raw: "501100 281234E12101001", err: ErrSyntax},
	{name: "non-hex account", raw: "501100 1812G4E12101001", err: ErrSyntax},
	{name: "too short", raw: "5011", err: ErrSyntax},
	{name: "bad receiver", raw: "5ZZ100 181234E12101001", err: ErrSyntax},
	{name: "SIA without closing bracket", raw: "S01001[#1234|NBA031", err: ErrSyntax},
	{name: "SIA with bad data", raw: "S01001[#1234|]", err: ErrSyntax},
	{name: "4/3 pulse record", raw: "1011    123456 A1001", err: ErrUnsupported},
	{name: "unknown record type", raw: "9011 181234E12101001", err: ErrUnsupported},
}

func TestDecodeCases(t *testing.T) {
	c := New(0)
	for _, tc := range recordCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Decode([]byte(tc.raw), time.Time{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				var fe *protocols.FrameError
				if !errors.As(err, &fe) || fe.Protocol != Name {
					t.Fatalf("not a surgard FrameError: %v", err)
				}
				if got, want := c.Reply(m, err, time.Time{}), reply(tc.b32, NAK); string(got) != string(want) {
					t.Fatalf("reply %q, want %q", got, want)
				}
				checkB32(t, m, tc.b32)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkB32(t, m, tc.b32)
			if !reflect.DeepEqual(m.Deviations, tc.devs) {
				t.Fatalf("deviations %v, want %v", m.Deviations, tc.devs)
			}
			if got, want := c.Reply(m, nil, time.Time{}), reply(tc.b32, ACK); string(got) != string(want) {
				t.Fatalf("ACK %q, want %q", got, want)
			}
			if m.Kind != tc.kind || m.Receiver != tc.receiver || m.Line != tc.line || m.Account != tc.account {
				t.Fatalf("got kind %s rr %s line %s account %s", m.Kind, m.Receiver, m.Line, m.Account)
			}
			if tc.kind == KindHeartbeat {
				if len(m.Events) != 0 {
					t.Fatalf("heartbeat with events %+v", m.Events)
				}
				return
			}
			if len(m.Events) == 0 {
				t.Fatal("no event")
			}
			ev := m.Events[0]
			if ev.Code != tc.code || ev.Qualifier != tc.qual || ev.Partition != tc.group || ev.Zone != tc.zone || ev.User != tc.user || !ev.Known {
				t.Fatalf("event %+v", ev)
			}
			if ev.Account != tc.account {
				t.Fatalf("event account %q", ev.Account)
			}
		})
	}
}

// reply is the expected one-byte reply b, in the B32 form when the record
// had a header.
func reply(b32 int, b byte) []byte {
	if b32 > 0 {
		return []byte{0, 0, 0, 0x05, b}
	}
	return []byte{b}
}

// checkB32 checks the header Decode kept in Message.Detail: the size it
// states, or no header at all.
func checkB32(t *testing.T, m *protocols.Message, b32 int) {
	t.Helper()
	if m == nil {
		if b32 > 0 {
			t.Fatalf("no Message for a record with B32 header: the reply cannot answer in kind")
		}
		return
	}
	h, ok := m.Detail.(*B32Header)
	switch {
	case b32 == 0 && m.Detail != nil:
		t.Fatalf("detail %#v for a record without B32 header", m.Detail)
	case b32 > 0 && (!ok || h.Length != b32):
		t.Fatalf("detail %#v, want a B32 header of size %d", m.Detail, b32)
	}
}

func TestReplies(t *testing.T) {
	c := New(0)
	if got := c.Reply(nil, nil, time.Time{}); string(got) != "\x06" {
		t.Fatalf("ACK = %q", got)
	}
	// While the store fails: silence, so the receiver keeps the record in
	// its buffer rather than giving up after NAKs.
	if got := c.Reply(nil, protocols.Reject(Name, protocols.ReasonStore, nil), time.Time{}); len(got) != 0 {
		t.Fatalf("store failure reply = %q, want none", got)
	}
}

func TestSplit(t *testing.T) {
	c := New(64)
	stream := "\x14501100 181234E12101001\x14101000           @    \x14S01001[#1234|NBA031]\r\n"
	var got []string
	data := []byte(stream)
	for len(data) > 0 {
		adv, frame, err := c.Split(data, true)
		if err != nil {
			t.Fatal(err)
		}
		if frame != nil {
			got = append(got, string(frame))
		}
		if adv == 0 {
			break
		}
		data = data[adv:]
	}
	want := []string{"501100 181234E12101001", "101000           @    ", "S01001[#1234|NBA031]"}
	if len(got) != len(want) {
		t.Fatalf("records %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
	// Every cut of the stream gives the same records.
	for cut := 0; cut <= len(stream); cut++ {
		if n := countRecords(t, c, stream[:cut], stream[cut:]); n != 3 {
			t.Fatalf("cut at %d: %d records", cut, n)
		}
	}
	// B32 headers: the DC4 that is a header's size byte ends no record,
	// whatever the cut.
	b32 := "\x00\x00\x00\x149011 1812\x14\x00\x00\x00\x27501100 181234E12101001\x14"
	for cut := 0; cut <= len(b32); cut++ {
		if n := countRecords(t, c, b32[:cut], b32[cut:]); n != 2 {
			t.Fatalf("B32 stream cut at %d: %d records", cut, n)
		}
	}
	adv, rec, err := c.Split([]byte(b32), false)
	if err != nil || adv != 14 || string(rec) != "\x00\x00\x00\x149011 1812" {
		t.Fatalf("Split of the B32 stream = %d, %q, %v", adv, rec, err)
	}
	// A header still arriving is waited for; at EOF the bytes are a record.
	if adv, rec, err := c.Split([]byte("\x00\x00\x00"), false); adv != 0 || rec != nil || err != nil {
		t.Fatalf("partial header: %d, %q, %v", adv, rec, err)
	}
	if adv, rec, _ := c.Split([]byte("\x00\x00\x00"), true); adv != 3 || string(rec) != "\x00\x00\x00" {
		t.Fatalf("partial header at EOF: %d, %q", adv, rec)
	}
	// A record over the cap is refused.
	if _, _, err := c.Split([]byte(string(make([]byte, 80))), false); !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("long record: %v", err)
	}
}

func countRecords(t *testing.T, c *Codec, a, b string) int {
	t.Helper()
	n := 0
	buf := []byte(a)
	feed := func(atEOF bool) {
		for {
			adv, frame, err := c.Split(buf, atEOF)
			if err != nil {
				t.Fatal(err)
			}
			if frame != nil {
				n++
			}
			if adv == 0 {
				return
			}
			buf = buf[adv:]
		}
	}
	feed(false)
	buf = append(buf, b...)
	feed(true)
	return n
}

func TestEncode(t *testing.T) {
	h := Head{Receiver: 1, Line: 100}
	cid := func(code string, q protocols.Qualifier, group, zone string) protocols.Event {
		return protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: q, Partition: group, Zone: zone, Address: zone}
	}
	cases := []struct {
		account string
		ev      protocols.Event
		want    string
	}{
		{"1234", cid("121", protocols.QualifierNew, "01", "001"), "501100 181234E12101001\x14"},
		{"12AB", cid("130", protocols.QualifierRestore, "02", "015"), "501100 1812ABR13002015\x14"},
		{"123", cid("130", protocols.QualifierRestore, "02", "015"), "S01100[#123|Nri02/BH015]\x14"},
		{"1234567890", cid("130", protocols.QualifierNew, "01", "005"), "Q01100 581234567890E13001005\x14"},
		{"ABC1234", cid("130", protocols.QualifierNew, "01", "017"), "S01100[#ABC1234|Nri01/BA017]\x14"},
		{"1234", protocols.Event{Format: protocols.FormatSIA, Code: "FA", Qualifier: protocols.QualifierNew, Zone: "3", Address: "3", AddressKind: protocols.AddressZone},
			"S01100[#1234|NFA3]\x14"},
	}
	for _, tc := range cases {
		got, err := Encode(h, tc.account, tc.ev)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.account, tc.ev.Code, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.account, tc.ev.Code, got, tc.want)
		}
		// And it decodes back to the same account and code family.
		m, err := New(0).Decode(got[:len(got)-1], time.Time{})
		if err != nil || m.Account != tc.account {
			t.Errorf("%q decodes to %+v, %v", got, m, err)
		}
	}
	if got := string(Heartbeat(Head{Receiver: 1, Line: 0})); got != "101000           @    \x14" {
		t.Fatalf("heartbeat %q", got)
	}
	if got := string(Heartbeat(Head{Receiver: 1, Line: 1, LineDigits: 1})); got != "1011           @    \x14" {
		t.Fatalf("MLR2 heartbeat %q", got)
	}
}
