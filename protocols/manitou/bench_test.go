package manitou

import "testing"

// BenchmarkDecode decodes a typical signal (§2.4's fields, an account
// attribute, a portal URL).
func BenchmarkDecode(b *testing.B) {
	c := New(Options{})
	raw := []byte(sigAttr)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(raw, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHeartbeat decodes a heartbeat, the most frequent frame.
func BenchmarkDecodeHeartbeat(b *testing.B) {
	c := New(Options{})
	raw := []byte(frame(`<Heartbeat/>`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(raw, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplit frames a stream of three frames with CR/LF between them.
func BenchmarkSplit(b *testing.B) {
	c := New(Options{})
	data := []byte(sigAttr + "\r\n" + frame(`<Heartbeat/>`) + "\r\n" + sigAttr)
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

// BenchmarkReplyACK encodes the ACK of a decoded signal.
func BenchmarkReplyACK(b *testing.B) {
	c := New(Options{})
	m, err := c.Decode([]byte(sigAttr), testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Reply(m, nil, testNow)
	}
}

// BenchmarkEncodeSignal encodes a typical signal: §2.4's fields, an
// account, a portal URL with an ampersand to escape.
func BenchmarkEncodeSignal(b *testing.B) {
	ev := encodeCases[0].ev
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSignal("17", "1234", ev, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeHeartbeat encodes a heartbeat with a sequence.
func BenchmarkEncodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeHeartbeat("17", testNow)
	}
}

// BenchmarkParseReply reads §2.4's ACK.
func BenchmarkParseReply(b *testing.B) {
	raw := []byte(ack("ER9ReRiXVWRl"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReply(raw); err != nil {
			b.Fatal(err)
		}
	}
}
