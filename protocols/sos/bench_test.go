package sos

import "testing"

// BenchmarkDecode decodes the source's alarm with every element.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"s7_reference", "full_alarm", "latin1"} {
		tc, _ := caseByName(name)
		c := codecFor(tc)
		raw := []byte(tc.raw)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Decode(raw, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSplit frames a stream of an alarm, a ping and an alarm.
func BenchmarkSplit(b *testing.B) {
	c := New(Options{})
	data := []byte(ack0() + "\r\n" + ping0() + "\r\n" + ack0())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for rest := data; len(rest) > 0; {
			adv, _, err := c.Split(rest, true)
			if err != nil || adv == 0 {
				b.Fatal(adv, err)
			}
			rest = rest[adv:]
		}
	}
}

// BenchmarkReply encodes the ACK.
func BenchmarkReply(b *testing.B) {
	tc, _ := caseByName("s7_reference")
	c := New(Options{})
	m, _ := c.Decode([]byte(tc.raw), testNow)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Reply(m, nil, testNow)
	}
}

// BenchmarkRedact takes the password out of the source's alarm.
func BenchmarkRedact(b *testing.B) {
	tc, _ := caseByName("s7_reference")
	c := New(Options{})
	raw := []byte(tc.raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Redact(raw)
	}
}

// BenchmarkEncodeSignal writes the source's alarm and one with every
// element.
func BenchmarkEncodeSignal(b *testing.B) {
	for _, name := range []string{"sia_alarm", "full"} {
		var tc encodeCase
		for _, c := range encodeCases {
			if c.name == name {
				tc = c
			}
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := testTransmitter.EncodeSignal(tc.seq, tc.acct(), tc.ev, testAt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseReply reads the source's positive response.
func BenchmarkParseReply(b *testing.B) {
	raw := []byte(peerReplyCases[0].raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReply(raw); err != nil {
			b.Fatal(err)
		}
	}
}
