package sentinel

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// decodeSent frames and decodes what EncodeSignal or EncodeHeartbeat
// wrote: exactly one frame, the line without its CR LF.
func decodeSent(t *testing.T, b []byte) *protocols.Message {
	t.Helper()
	c := New(Options{})
	frames, err := splitStream(c, b)
	if err != nil || len(frames) != 1 || frames[0] != strings.TrimRight(string(b), "\r\n") {
		t.Fatalf("Split of %q: %q (%v)", b, frames, err)
	}
	m, err := c.Decode([]byte(frames[0]), time.Time{})
	if err != nil {
		t.Fatalf("Decode of %q: %v", frames[0], err)
	}
	return m
}

// replyOf is our receiver's answer to m, framed and parsed back.
func replyOf(t *testing.T, m *protocols.Message, outcome error) protocols.PeerReply {
	t.Helper()
	b := New(Options{}).Reply(m, outcome, time.Time{})
	frames := splitReplies(b)
	if len(frames) != 1 {
		t.Fatalf("SplitReply of %q: %q", b, frames)
	}
	r, err := ParseReply(frames[0])
	if err != nil {
		t.Fatalf("ParseReply of %q: %v", frames[0], err)
	}
	return r
}

// splitReplies runs SplitReply over b as a bufio.Scanner would.
func splitReplies(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		adv, f, err := SplitReply(b, true)
		if err != nil || adv <= 0 || adv > len(b) {
			panic("SplitReply broke the SplitFunc contract")
		}
		if f != nil {
			out = append(out, f)
		}
		b = b[adv:]
	}
	return out
}

func sameEvent(got, want protocols.Event) bool {
	return got.Account == want.Account && got.Format == want.Format && got.Code == want.Code && got.Qualifier == want.Qualifier &&
		got.Zone == want.Zone && got.Partition == want.Partition && got.User == want.User && got.Text == want.Text &&
		slices.Equal(got.Modifiers, want.Modifiers)
}

func TestEncodeCases(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.encode()
			if tc.notEncodable {
				if !errors.Is(err, ErrNotEncodable) || b != nil {
					t.Fatalf("EncodeSignal = %q, %v; want ErrNotEncodable", b, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.wire {
				t.Errorf("line\n got %q\nwant %q", b, tc.wire)
			}
			m := decodeSent(t, b)
			if tc.heartbeat {
				if m.Kind != KindHeartbeat || len(m.Events) != 0 || m.Sequence != "" {
					t.Errorf("Kind %q seq %q with %d events, want a heartbeat", m.Kind, m.Sequence, len(m.Events))
				}
			} else {
				if m.Kind != KindSignals || len(m.Events) != 1 || m.Account != strings.TrimSpace(tc.account) || m.Sequence != tc.seq {
					t.Fatalf("Kind %q, account %q, seq %q, %d events", m.Kind, m.Account, m.Sequence, len(m.Events))
				}
				if !sameEvent(m.Events[0], tc.want) {
					t.Errorf("event\n got %+v\nwant %+v", m.Events[0], tc.want)
				}
			}
			// The dialect echoes nothing: Seq is "".
			if r := replyOf(t, m, nil); !r.OK || r.Retry || r.Seq != "" || r.Text != "ACK" {
				t.Errorf("reply %+v, want ACK", r)
			}
		})
	}
}

// firstLink is the media modifier EncodeSignal sends of ev, as Decode
// reads it back.
func firstLink(ev protocols.Event) []protocols.Modifier {
	for _, m := range ev.Modifiers {
		if _, ok := mediaKeys[m.Name]; ok && len(m.Value) <= MaxURL {
			return []protocols.Modifier{m}
		}
	}
	return nil
}

// TestRoundTripCaseTable: every event the decode case table accepts, sent
// again, decodes with the same account, code, qualifier, zone, area, user
// and text, its first media link, and is acknowledged.
func TestRoundTripCaseTable(t *testing.T) {
	n := 0
	for _, tc := range cases {
		c := New(Options{MaxFrameBytes: tc.max})
		frames, err := splitStream(c, []byte(tc.raw))
		if err != nil {
			continue
		}
		for i, f := range frames {
			m0, err := c.Decode([]byte(f), time.Time{})
			if err != nil || m0.Kind != KindSignals {
				continue
			}
			n++
			ev := m0.Events[0]
			seq := m0.Sequence
			if seq == "" {
				seq = "9" + string(rune('0'+i%10))
			}
			b, err := EncodeSignal(seq, ev.Account, ev, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatalf("%s frame %d: %v", tc.name, i, err)
			}
			m := decodeSent(t, b)
			if m.Sequence != seq || m.Account != m0.Account || len(m.Events) != 1 {
				t.Fatalf("%s frame %d: %q: account %q sequence %q", tc.name, i, b, m.Account, m.Sequence)
			}
			want := ev
			want.Modifiers = firstLink(ev)
			if got := m.Events[0]; !sameEvent(got, want) || got.Known != ev.Known || got.Description != ev.Description {
				t.Errorf("%s frame %d: %q\n got %+v\nwant %+v", tc.name, i, b, got, want)
			}
			if r := replyOf(t, m, nil); !r.OK || r.Retry || r.Seq != "" {
				t.Errorf("%s: reply %+v", tc.name, r)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d accepted events in the case table", n)
	}
}

// TestHeartbeatRoundTrip: the ping decodes as a heartbeat and is ACKed.
func TestHeartbeatRoundTrip(t *testing.T) {
	b := EncodeHeartbeat("42", time.Time{})
	m := decodeSent(t, b)
	if m.Kind != KindHeartbeat || m.Detail.(*Frame).Ping != PingACKDC4 {
		t.Fatalf("heartbeat %q decoded as %+v", b, m)
	}
	if r := replyOf(t, m, nil); !r.OK || r.Retry {
		t.Fatalf("reply %+v", r)
	}
}

// TestReplyCases: every answer our Reply writes parses back: ACK OK, NAK
// not OK and to be resent (Sentinel's NAK carries no reason).
func TestReplyCases(t *testing.T) {
	for _, rc := range replyCases {
		t.Run(rc.name, func(t *testing.T) {
			for _, m := range []*protocols.Message{nil, {Protocol: Name, Kind: KindRejected}} {
				r := replyOf(t, m, rc.outcome)
				if r.OK != rc.ok || r.Retry != rc.retry || r.Seq != "" {
					t.Errorf("reply %+v, want OK %v Retry %v", r, rc.ok, rc.retry)
				}
			}
		})
	}
	// Every refusal of the decode case table is a NAK to resend.
	for _, tc := range cases {
		if tc.err == nil && !tc.splitErr {
			continue
		}
		b := []byte(tc.reply)
		r, err := ParseReply(b)
		if err != nil || r.OK || !r.Retry {
			t.Errorf("%s: reply %q parses %+v, %v", tc.name, b, r, err)
		}
	}
}

func TestParseReplyRefuses(t *testing.T) {
	for _, f := range []string{"", "\x06\x06", "\x06\x14", "A", "\r", "\x15\n"} {
		r, err := ParseReply([]byte(f))
		var fe *protocols.FrameError
		if !errors.Is(err, ErrReply) || !errors.As(err, &fe) || fe.Protocol != Name || fe.Reason != protocols.ReasonSyntax || r != (protocols.PeerReply{}) {
			t.Errorf("ParseReply(%q) = %+v, %v", f, r, err)
		}
	}
}

func TestSplitReply(t *testing.T) {
	stream := []byte("\x00garbage\x06\r\n\x15\x15xx\x06")
	want := [][]byte{{ACK}, {NAK}, {NAK}, {ACK}}
	if got := splitReplies(stream); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("frames %q, want %q", got, want)
	}
	for _, atEOF := range []bool{false, true} {
		if adv, f, err := SplitReply(nil, atEOF); adv != 0 || f != nil || err != nil {
			t.Errorf("empty: %d %q %v", adv, f, err)
		}
		if adv, f, err := SplitReply([]byte("noise"), atEOF); adv != 5 || f != nil || err != nil {
			t.Errorf("noise: %d %q %v", adv, f, err)
		}
	}
}
