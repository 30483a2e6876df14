package sentinel

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// replySeeds are the replies our Reply writes, the encode table's lines and
// heartbeat, and noise around them.
func replySeeds() [][]byte {
	out := [][]byte{{ACK}, {NAK}, {}, []byte("\x06\x14"), []byte("\r\n\x06\r\n"), []byte("xx\x15yy\x06")}
	for _, tc := range encodeCases {
		if b, err := tc.encode(); err == nil {
			out = append(out, b)
		}
	}
	for _, tc := range cases {
		out = append(out, []byte(tc.reply))
	}
	return out
}

// FuzzParseReply: ParseReply never panics; ACK alone is OK, NAK alone is
// not OK and to be resent, both without Seq; anything else is a
// ReasonSyntax FrameError wrapping ErrReply.
func FuzzParseReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, err := ParseReply(frame)
		switch {
		case bytes.Equal(frame, []byte{ACK}):
			if err != nil || !r.OK || r.Retry || r.Seq != "" {
				t.Fatalf("ACK: %+v %v", r, err)
			}
		case bytes.Equal(frame, []byte{NAK}):
			if err != nil || r.OK || !r.Retry || r.Seq != "" {
				t.Fatalf("NAK: %+v %v", r, err)
			}
		default:
			var fe *protocols.FrameError
			if !errors.Is(err, ErrReply) || !errors.As(err, &fe) || fe.Protocol != Name || fe.Reason != protocols.ReasonSyntax || r.OK || r.Retry {
				t.Fatalf("%q: %+v %v", frame, r, err)
			}
		}
	})
}

// FuzzSplitReply: SplitReply keeps the SplitFunc contract, never fails,
// and yields exactly the stream's ACK and NAK bytes in order, whether the
// stream comes whole or cut in two anywhere; each frame parses.
func FuzzSplitReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s, uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		var want []byte
		for _, c := range data {
			if c == ACK || c == NAK {
				want = append(want, c)
			}
		}
		var got []byte
		var buf []byte
		for i, chunk := range [][]byte{data[:at], data[at:]} {
			buf = append(buf, chunk...)
			atEOF := i == 1
			for len(buf) > 0 {
				adv, fr, err := SplitReply(buf, atEOF)
				if err != nil || adv < 0 || adv > len(buf) || (adv == 0 && fr == nil && atEOF) {
					t.Fatalf("SplitReply(%q, %v) = %d %q %v", buf, atEOF, adv, fr, err)
				}
				if fr != nil {
					if _, err := ParseReply(fr); err != nil {
						t.Fatalf("frame %q: %v", fr, err)
					}
					got = append(got, fr...)
				}
				if adv == 0 {
					break
				}
				buf = buf[adv:]
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frames %q, want %q", got, want)
		}
	})
}

// FuzzEncodeSignal: whatever text, zone, area, user and link an event
// holds, a line EncodeSignal writes is one frame our Decode accepts with
// the account, code and sequence sent.
func FuzzEncodeSignal(f *testing.F) {
	f.Add("1", "1234", "E130", "017", "1", "", "Door|open\r\n", "https://m/1.jpg")
	f.Add("", "A-1", "BA", "0 1", "\x00", "12", "\xe9t\xe9", "http://x/a b|c")
	f.Fuzz(func(t *testing.T, seq, account, code, zone, area, user, text, link string) {
		ev := protocols.Event{Format: protocols.FormatSIA, Code: code, Zone: zone, Partition: area, User: user, Text: text,
			Modifiers: []protocols.Modifier{{Name: "media_clip", Value: link}}}
		b, err := EncodeSignal(seq, account, ev, time.Time{})
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) {
				t.Fatalf("error %v", err)
			}
			return
		}
		c := New(Options{})
		frames, err := splitStream(c, b)
		if err != nil || len(frames) != 1 {
			t.Fatalf("%q framed %q %v", b, frames, err)
		}
		m, err := c.Decode([]byte(frames[0]), time.Time{})
		if err != nil || m.Kind != KindSignals || m.Sequence != seq || len(m.Events) != 1 {
			t.Fatalf("%q decoded %+v %v", b, m, err)
		}
	})
}
