package sos

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
)

func replySeeds(f *testing.F) {
	for _, tc := range peerReplyCases {
		f.Add([]byte(tc.raw), uint16(len(tc.raw)/2))
	}
	for _, sc := range replySplitCases {
		f.Add([]byte(sc.stream), uint16(5))
	}
	for status := range statusInfo {
		r := Answer(&protocols.Message{Sequence: "12"}, status, testNow)
		f.Add(r, uint16(len(r)/3))
	}
}

// FuzzParseReply: ParseReply never panics; a refusal is a FrameError of
// this protocol; OK and Retry never both; Text is printable.
func FuzzParseReply(f *testing.F) {
	replySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, _ uint16) {
		pr, err := ParseReply(data)
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name {
				t.Fatalf("%v is not a sos FrameError", err)
			}
			if pr.OK || pr.Retry {
				t.Fatalf("refused reply %+v", pr)
			}
			return
		}
		if pr.OK && pr.Retry || pr.Text == "" || !utf8.ValidString(pr.Text) {
			t.Fatalf("reply %+v", pr)
		}
		for _, r := range pr.Text {
			if r < ' ' {
				t.Fatalf("text %q", pr.Text)
			}
		}
	})
}

// FuzzSplitReply: the SplitFunc contract, the cap, and the same frames
// for the stream fed whole and in pieces.
func FuzzSplitReply(f *testing.F) {
	replySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		for rest, atEOF := data, false; len(rest) > 0; {
			adv, frame, err := SplitReply(rest, atEOF)
			if err != nil {
				if !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Fatalf("split error %v", err)
				}
				break
			}
			if adv < 0 || adv > len(rest) || len(frame) > MaxReplyBytes || len(frame) > adv {
				t.Fatalf("advance %d, frame %d bytes, of %d", adv, len(frame), len(rest))
			}
			if adv == 0 {
				if atEOF {
					t.Fatal("no progress at EOF")
				}
				atEOF = true
				continue
			}
			rest = rest[adv:]
		}
		whole, werr := splitReplyAll(data, 0)
		pieces, perr := splitReplyAll(data, int(cut)%(len(data)+1))
		if (werr == nil) != (perr == nil) || !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("whole %q (%v), in pieces of %d %q (%v)", whole, werr, cut, pieces, perr)
		}
	})
}

// FuzzEncodeSignal: whatever the event, EncodeSignal never panics, refuses
// only with ErrNotEncodable, and what it writes the receiver accepts with
// the same account, qualifier and area, and answers OK with the same
// reference.
func FuzzEncodeSignal(f *testing.F) {
	for _, tc := range encodeCases {
		f.Add(tc.seq, tc.acct(), tc.ev.Format, tc.ev.Code, uint8(tc.ev.Qualifier), tc.ev.Partition, tc.ev.Zone, tc.ev.Text, modifier(tc.ev, "position"), modifier(tc.ev, "media_clip"))
	}
	c := New(Options{}) // any account: the receiver does not authenticate
	f.Fuzz(func(t *testing.T, seq, account, format, code string, q uint8, area, zone, text, pos, clip string) {
		ev := protocols.Event{Format: format, Account: account, Code: code, Qualifier: protocols.Qualifier(q % 4), Partition: area, Zone: zone, Text: text,
			Modifiers: []protocols.Modifier{{Name: "position", Value: pos}, {Name: "media_clip", Value: clip}, {Name: "attr_section", Value: zone}}}
		raw, err := testTransmitter.EncodeSignal(seq, account, ev, testAt)
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) || strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(raw) > DefaultMaxFrameBytes || !strings.HasSuffix(string(raw), "</alarmrequest>\n") {
			t.Fatalf("%d bytes", len(raw))
		}
		m, err := c.Decode(raw, testNow)
		if err != nil {
			t.Fatalf("Decode %q: %v", raw, err)
		}
		got := m.Events[0]
		wantQ := ev.Qualifier == protocols.QualifierRestore
		if m.Account != account || m.Sequence != seq || (got.Qualifier == protocols.QualifierRestore) != wantQ && wantQ {
			t.Fatalf("%q decoded %+v", raw, m)
		}
		if fits(strings.TrimSpace(area), maxArea) && got.Partition != strings.TrimSpace(area) {
			t.Fatalf("area %q read %q", area, got.Partition)
		}
		if isMediaURL(clip) && !slicesContains(got.Modifiers, protocols.Modifier{Name: "media_clip", Value: clip}) {
			t.Fatalf("media %q lost: %v", clip, got.Modifiers)
		}
		pr, err := ParseReply(c.Reply(m, nil, testNow))
		if err != nil || !pr.OK || pr.Seq != seq {
			t.Fatalf("ParseReply %+v %v", pr, err)
		}
	})
}
