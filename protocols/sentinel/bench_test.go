package sentinel

import (
	"testing"
	"time"
)

const typical = "Account=ABC1234|Seq=0042|Event=E130|Zone=017|Area=1|Text=Person detected|MediaUrl=https://media.example.net/ajax/ABC1234/017.jpg\r\n"

// BenchmarkSplit frames a read that holds three lines and a ping.
func BenchmarkSplit(b *testing.B) {
	c := New(Options{})
	data := []byte(typical + typical + "\x06\x14" + typical)
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

// BenchmarkDecode decodes a typical event line with a media link.
func BenchmarkDecode(b *testing.B) {
	c := New(Options{})
	frame := []byte(typical[:len(typical)-2])
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(frame, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeSignal renders the typical line's event.
func BenchmarkEncodeSignal(b *testing.B) {
	m, err := New(Options{}).Decode([]byte(typical), time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	ev, at := m.Events[0], time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSignal("0042", "ABC1234", ev, at); err != nil {
			b.Fatal(err)
		}
	}
}
