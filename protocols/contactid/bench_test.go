package contactid

import (
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

var (
	benchMessage = []byte("1234181131010158")
	benchPayload = []byte("#1234|1131 01 015")
	benchEvent   protocols.Event
)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(benchMessage)
		if err != nil {
			b.Fatal(err)
		}
		benchEvent = m.Event()
	}
}

func BenchmarkParsePayload(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, ev, err := ParsePayload(benchPayload)
		if err != nil {
			b.Fatal(err)
		}
		benchEvent = ev
	}
}

func BenchmarkEncode(b *testing.B) {
	ev := cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode("1234", ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatPayload(b *testing.B) {
	ev := cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary)
	b.ReportAllocs()
	for b.Loop() {
		if FormatPayload("1234", ev) == "" {
			b.Fatal("FormatPayload failed")
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup("131"); !ok {
			b.Fatal("131 unknown")
		}
	}
}
