package surgard

import (
	"errors"
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
				if got := c.Reply(nil, err, time.Time{}); string(got) != string([]byte{NAK}) {
					t.Fatalf("reply %q, want NAK", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
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
