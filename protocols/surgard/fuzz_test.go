package surgard

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// FuzzSplit: records come out whole whatever the read boundaries, never
// contain a terminator, and Split keeps the SplitFunc contract.
func FuzzSplit(f *testing.F) {
	for _, tc := range recordCases {
		f.Add([]byte("\x14"+tc.raw+"\x14"+tc.raw+"\r\n"), uint16(len(tc.raw)/2))
	}
	c := New(128)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := split(t, c, data, len(data))
		parts := split(t, c, data, int(cut)%(len(data)+1))
		if whole == nil || parts == nil {
			return // a record over the cap: both refuse somewhere
		}
		if len(whole) != len(parts) {
			t.Fatalf("whole %q, cut %q", whole, parts)
		}
		for i := range whole {
			if !bytes.Equal(whole[i], parts[i]) {
				t.Fatalf("record %d: %q vs %q", i, whole[i], parts[i])
			}
			// A B32 header's size byte may be DC4; the record after it
			// holds no terminator.
			n, _ := b32Prefix(whole[i])
			if bytes.ContainsAny(whole[i][n:], "\x14\r\n") {
				t.Fatalf("record %q holds a terminator", whole[i])
			}
		}
	})
}

// split feeds data in two reads (cut at at) and returns the records, nil on
// a too-long error.
func split(t *testing.T, c *Codec, data []byte, at int) [][]byte {
	t.Helper()
	var out [][]byte
	buf := append([]byte(nil), data[:at]...)
	rest := data[at:]
	for pass := 0; pass < 2; pass++ {
		atEOF := pass == 1
		for {
			adv, rec, err := c.Split(buf, atEOF)
			if err != nil {
				if !errors.Is(err, protocols.ErrFrameTooLong) {
					t.Fatalf("split error %v", err)
				}
				return nil
			}
			if adv < 0 || adv > len(buf) {
				t.Fatalf("advance %d of %d", adv, len(buf))
			}
			if rec != nil {
				out = append(out, append([]byte(nil), rec...))
			}
			if adv == 0 {
				break
			}
			buf = buf[adv:]
		}
		buf = append(buf, rest...)
		rest = nil
	}
	return out
}

// FuzzDecode: Decode never panics; an accepted record has a kind and is
// answered ACK, a refused one is a surgard FrameError answered NAK; a
// Contact ID record re-encodes to a record that decodes to the same event.
func FuzzDecode(f *testing.F) {
	for _, tc := range recordCases {
		f.Add([]byte(tc.raw))
	}
	c := New(0)
	f.Fuzz(func(t *testing.T, rec []byte) {
		m, err := c.Decode(rec, time.Time{})
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name {
				t.Fatalf("error %v is not a surgard FrameError", err)
			}
			if r := c.Reply(m, err, time.Time{}); !bytes.Equal(r, inKind(rec, NAK)) {
				t.Fatalf("reply to %v = %q", err, r)
			}
			return
		}
		if m.Kind == "" || m.Protocol != Name {
			t.Fatalf("decoded %+v without a kind", m)
		}
		if r := c.Reply(m, nil, time.Time{}); !bytes.Equal(r, inKind(rec, ACK)) {
			t.Fatalf("ACK to %q = %q", rec, r)
		}
		if m.Kind != KindCID4 && m.Kind != KindCID10 {
			return
		}
		ev := m.Events[0]
		out, err := Encode(Head{Receiver: 1, Line: 1}, m.Account, ev)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", ev, err)
		}
		m2, err := c.Decode(out[:len(out)-1], time.Time{})
		if err != nil {
			t.Fatalf("re-decode %q: %v", out, err)
		}
		ev2 := m2.Events[0]
		if ev2.Code != ev.Code || ev2.Qualifier != ev.Qualifier || ev2.Partition != ev.Partition || ev2.Address != ev.Address ||
			m2.Account != m.Account {
			t.Fatalf("%q → %q: %+v vs %+v", rec, out, ev, ev2)
		}
	})
}

// inKind is the one-byte reply b as a record with or without B32 header is
// answered.
func inKind(rec []byte, b byte) []byte {
	if n, _ := b32Prefix(rec); n > 0 {
		return []byte{0, 0, 0, 0x05, b}
	}
	return []byte{b}
}
