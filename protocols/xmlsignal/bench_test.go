package xmlsignal

import (
	"bytes"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// BenchmarkRedact: a message without a passkey takes the fast path; one
// with a passkey is parsed.
func BenchmarkRedact(b *testing.B) {
	c := New(0)
	xmlMsg := readExample(b, "chekt-style.xml")
	jsonMsg := readExample(b, "chekt-style.json")
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"xml_no_passkey", xmlMsg},
		{"xml_passkey", bytes.Replace(xmlMsg, []byte("</Source>"), []byte("</Source><Passkey>k</Passkey>"), 1)},
		{"json_passkey", bytes.Replace(jsonMsg, []byte(`"source"`), []byte(`"passkey": "k", "source"`), 1)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = c.Redact(bc.in)
			}
		})
	}
}

// BenchmarkEncodeSignal: a typical camera alarm with two links and an
// attribute, and the reply read back.
func BenchmarkEncodeSignal(b *testing.B) {
	ev := protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew,
		Partition: "01", Zone: "017", Text: "Front door camera – person detected",
		Modifiers: []protocols.Modifier{
			{Name: "media_clip", Value: "https://monitoring.example.com/clips/123.mp4"},
			{Name: "media_portal", Value: "https://monitoring.example.com/monitoring?act=ABC1234&zone=017"},
			{Name: "attr_camera", Value: "ch2"},
		}}
	s := Sender{Source: "cms-a", Passkey: "k"}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b.Run("signal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.EncodeSignal("123456", "ABC1234", ev, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("heartbeat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.EncodeHeartbeat("42", at)
		}
	})
	reply := AnswerNone(CodeOK, at, false)
	b.Run("parse_reply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseReply(reply); err != nil {
				b.Fatal(err)
			}
		}
	})
}
