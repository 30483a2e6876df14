package xmlsignal

import (
	"bytes"
	"testing"
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
