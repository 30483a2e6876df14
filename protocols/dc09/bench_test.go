package dc09

import (
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

func benchCase(b *testing.B, name string) (frameCase, *Codec) {
	b.Helper()
	tc, ok := caseByName(name)
	if !ok {
		b.Fatalf("no case %s", name)
	}
	c, err := codecFor(tc)
	if err != nil {
		b.Fatal(err)
	}
	return tc, c
}

// BenchmarkSplit frames a stream of three frames per read, as a busy TCP
// connection delivers them.
func BenchmarkSplit(b *testing.B) {
	a, c := benchCase(b, "worked_event")
	d, _ := caseByName("d1_wrong_length")
	e, _ := caseByName("aes_worked")
	data := []byte(a.raw + d.raw + "\x00" + e.raw)
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

func benchDecode(b *testing.B, name string) {
	tc, c := benchCase(b, name)
	raw := []byte(tc.raw)
	now := tc.clock()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(raw, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePlainSIA decodes "SIA-DCS"…[#1234|NBA01]_timestamp in clear.
func BenchmarkDecodePlainSIA(b *testing.B) { benchDecode(b, "worked_event") }

// BenchmarkDecodeAES128SIA decodes the §3.10 AES-128 frame.
func BenchmarkDecodeAES128SIA(b *testing.B) { benchDecode(b, "aes_worked") }

// BenchmarkDecodePlainNULL decodes a link test, the most frequent frame.
func BenchmarkDecodePlainNULL(b *testing.B) { benchDecode(b, "worked_null") }

func benchReply(b *testing.B, name string, outcome error) {
	tc, c := benchCase(b, name)
	now := tc.clock()
	m, err := c.Decode([]byte(tc.raw), now)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c.Reply(m, outcome, now) == nil {
			b.Fatal("no reply")
		}
	}
}

// BenchmarkReplyACK encodes the plain ACK.
func BenchmarkReplyACK(b *testing.B) { benchReply(b, "worked_event", nil) }

// BenchmarkReplyEncryptedACK encodes the AES-128 *ACK.
func BenchmarkReplyEncryptedACK(b *testing.B) { benchReply(b, "aes_worked", nil) }

// BenchmarkReplyNAK encodes a NAK with the receiver's time.
func BenchmarkReplyNAK(b *testing.B) {
	benchReply(b, "worked_event", protocols.Reject("receiver", protocols.ReasonStore, nil))
}
