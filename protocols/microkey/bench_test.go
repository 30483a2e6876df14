package microkey

import "testing"

// BenchmarkSplit frames a stream of three packages per read: the vendor
// sample, a heartbeat and a three-signal package.
func BenchmarkSplit(b *testing.B) {
	c := New(Options{})
	var data []byte
	for _, n := range []string{"v1_vendor_sample", "h1_heartbeat", "t7_multi_signal"} {
		tc, _ := caseByName(n)
		data = append(data, tc.raw...)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		frames := 0
		for rest := data; len(rest) > 0; {
			adv, frame, err := c.Split(rest, true)
			if err != nil || adv == 0 {
				b.Fatal(adv, err)
			}
			if frame != nil {
				frames++
			}
			rest = rest[adv:]
		}
		if frames != 3 {
			b.Fatal(frames)
		}
	}
}

func benchDecode(b *testing.B, name string) {
	tc, _ := caseByName(name)
	c := New(Options{})
	raw := []byte(tc.raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(raw, defaultNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode decodes the vendor sample [S5], a typical package.
func BenchmarkDecode(b *testing.B) { benchDecode(b, "v1_vendor_sample") }

// BenchmarkDecodeHeartbeat decodes SignalCount 0, the most frequent package.
func BenchmarkDecodeHeartbeat(b *testing.B) { benchDecode(b, "h1_heartbeat") }

// BenchmarkDecodeMulti decodes three signals with media links.
func BenchmarkDecodeMulti(b *testing.B) { benchDecode(b, "t7_multi_signal") }

// BenchmarkReplyACK encodes the ACK.
func BenchmarkReplyACK(b *testing.B) {
	tc, _ := caseByName("v1_vendor_sample")
	c := New(Options{})
	m, err := c.Decode([]byte(tc.raw), defaultNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.Reply(m, nil, defaultNow) == nil {
			b.Fatal("no reply")
		}
	}
}

// BenchmarkEncodeSignal writes a typical signal: a Contact ID alarm with a
// clip link and text.
func BenchmarkEncodeSignal(b *testing.B) {
	tc, _ := encodeCaseByName("e2_cid_new_with_clip")
	tc.ev.Text = "Motion, hall camera"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSignal(tc.seq, tc.account, tc.ev, tc.at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeHeartbeat writes the empty package.
func BenchmarkEncodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if EncodeHeartbeat("10001", sampleAt) == nil {
			b.Fatal("no heartbeat")
		}
	}
}

// BenchmarkParseReply reads the ACK.
func BenchmarkParseReply(b *testing.B) {
	frame := []byte(emulatorACKFrame)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := ParseReply(frame); err != nil || !r.OK {
			b.Fatal(r, err)
		}
	}
}
