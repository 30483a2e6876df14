package sia

import (
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

var (
	benchTypical   = []byte("#1234|Nri1/BA012")
	benchSurGard   = []byte("#1234|Nda04-22-94ti16:02:15/id22/CL/PA31")
	benchText      = []byte("#7878|Nri01^TOTAL^/LX901^centrale d'alarme JA-106K(R)^")
	benchBlock     = []byte{0x48, 0x4E, 0x72, 0x69, 0x31, 0x2F, 0x42, 0x41, 0x30, 0x31, 0xFE}
	benchEvents    []protocols.Event
	benchAccount   string
	benchFormatted string
)

func BenchmarkParsePayload(b *testing.B) {
	for _, bc := range []struct {
		name string
		data []byte
	}{{"typical", benchTypical}, {"sur_gard_two_events", benchSurGard}, {"text", benchText}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				benchAccount, benchEvents, err = ParsePayload(bc.data)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFormatPayload(b *testing.B) {
	_, events, _ := ParsePayload(benchTypical)
	b.ReportAllocs()
	for b.Loop() {
		benchFormatted = FormatPayload("1234", events)
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup("BA"); !ok {
			b.Fatal("BA unknown")
		}
	}
}

func BenchmarkDecodeBlock(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeBlock(benchBlock); err != nil {
			b.Fatal(err)
		}
	}
}
