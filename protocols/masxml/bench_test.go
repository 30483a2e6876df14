package masxml

import (
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

func benchDecode(b *testing.B, name string) {
	tc, ok := caseByName(name)
	if !ok {
		b.Fatalf("no case %s", name)
	}
	c, raw := tc.codec(), []byte(tc.raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(raw, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode decodes the emulator's AJAX event, the typical message.
func BenchmarkDecode(b *testing.B) { benchDecode(b, "emulator_ajax") }

// BenchmarkDecodeHeartbeat decodes a heartbeat, the most frequent message.
func BenchmarkDecodeHeartbeat(b *testing.B) { benchDecode(b, "emulator_heartbeat") }

// BenchmarkDecodePhoto decodes an event with a photo chunk.
func BenchmarkDecodePhoto(b *testing.B) { benchDecode(b, "photo_payload_chunk") }

// BenchmarkSplit frames three messages per read, as a busy connection
// delivers them.
func BenchmarkSplit(b *testing.B) {
	c := New(Options{})
	data := []byte(emulatorAjax + "\r\n" + emulatorHeartbeat + "\r\n" + payloadMsg)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for rest := data; len(rest) > 0; {
			adv, _, err := c.Split(rest, false)
			if err != nil || adv == 0 {
				b.Fatal(adv, err)
			}
			rest = rest[adv:]
		}
	}
}

// BenchmarkReply encodes the ACK.
func BenchmarkReply(b *testing.B) {
	c := New(Options{})
	m, err := c.Decode([]byte(emulatorAjax), testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.Reply(m, nil, testNow) == nil {
			b.Fatal("no reply")
		}
	}
}

// benchEvent is a typical signal to send: a Contact ID burglary with a
// zone, a text and a portal link.
var benchEvent = protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew,
	Partition: "1", Zone: "12", Text: "Hall motion & door", Modifiers: []protocols.Modifier{{Name: "media_portal", Value: "https://app.example/e?id=1&z=12"}}}

// BenchmarkEncodeSignal encodes a typical signal.
func BenchmarkEncodeSignal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSignal("1082", "ABCDEF1234", benchEvent, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeHeartbeat encodes the keep-alive.
func BenchmarkEncodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		EncodeHeartbeat("1083", testNow)
	}
}

// BenchmarkParseReply reads an ACK.
func BenchmarkParseReply(b *testing.B) {
	reply := Answer("1082", CodeOK)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := ParseReply(reply); err != nil || !r.OK {
			b.Fatal(r, err)
		}
	}
}
