package microkey

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// replySeeds are every reply of the case tables and every reply Reply can
// write for the case table's packages.
func replySeeds() [][]byte {
	var out [][]byte
	for _, tc := range replyCases {
		out = append(out, []byte(tc.raw))
	}
	for _, tc := range frameCases {
		out = append(out, []byte(tc.reply))
	}
	out = append(out, []byte(emulatorACK4FE9), []byte(nak("1", textNotStored)))
	return out
}

// FuzzSplitReply: a reply stream fed whole or in two reads cut anywhere
// gives the same frames (a cut stream refused past the cap gives a
// prefix), each a slice of the input starting "<Response" within the cap;
// the only error is ErrFrameTooLong.
func FuzzSplitReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s, uint16(len(s)/2))
	}
	f.Add([]byte("<Response>\r<Response </Response><Checksum>\n"), uint16(11))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		whole, werr := splitReplies(data)
		parts, perr := splitReplies(data[:at], data[at:])
		switch {
		case werr == nil && perr == nil:
			if !slices.Equal(whole, parts) {
				t.Fatalf("cut at %d: %q, whole: %q", at, parts, whole)
			}
		case perr != nil:
			if len(parts) > len(whole) || !slices.Equal(parts, whole[:len(parts)]) {
				t.Fatalf("cut at %d (%v): %q is no prefix of %q", at, perr, parts, whole)
			}
		}
		for _, err := range []error{werr, perr} {
			if err != nil && (protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong)) {
				t.Fatalf("SplitReply error %v", err)
			}
		}
		for _, fr := range whole {
			b := []byte(fr)
			if !bytes.HasPrefix(b, []byte(respOpen)) || len(b) > MaxReplyBytes+len(sumOpen)+sumSpan+len(sumClose) || !bytes.Contains(data, b) {
				t.Fatalf("frame %q does not start a reply within the cap", fr)
			}
			checkParseReply(t, b)
		}
	})
}

// FuzzParseReply: ParseReply never panics; its errors are FrameErrors of
// this protocol (ErrReply, or ErrFrameTooLong); an accepted reply is an ACK
// (OK, no Retry, Text "ACK") or a NAK (not OK, Retry exactly when the
// Error text is not one of our invalid-data texts); Text and Seq are
// bounded and free of control characters.
func FuzzParseReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s)
		f.Add(bytes.Trim(s, "\r\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParseReply(t, data)
		checkParseReply(t, []byte("<Response><Sequence>1</Sequence><Status>NAK</Status><Error>"+string(data)+"</Error></Response>"))
	})
}

func checkParseReply(t *testing.T, data []byte) {
	t.Helper()
	r, err := ParseReply(data)
	if err != nil {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || !errors.Is(err, ErrReply) && !errors.Is(err, protocols.ErrFrameTooLong) ||
			r.OK || r.Retry || r.Text != "" {
			t.Fatalf("ParseReply(%q) = %+v, %v", data, r, err)
		}
	}
	if len(r.Seq) > 64 || len(r.Text) > maxReplyText+5 || !utf8.ValidString(r.Text) ||
		strings.IndexFunc(r.Text, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		t.Fatalf("ParseReply(%q) = %+v: unbounded or control characters", data, r)
	}
	switch {
	case err != nil:
	case r.OK:
		if r.Retry || r.Text != "ACK" {
			t.Fatalf("ACK %+v", r)
		}
	case r.Text == "NAK":
		if !r.Retry {
			t.Fatalf("NAK without text not to be resent: %+v", r)
		}
	case strings.HasPrefix(r.Text, "NAK: "):
		if r.Retry == InvalidDataText(strings.TrimPrefix(r.Text, "NAK: ")) {
			t.Fatalf("NAK %+v: Retry disagrees with its text", r)
		}
	default:
		t.Fatalf("reply %+v is neither ACK nor NAK", r)
	}
}

// FuzzEncodeSignal: whatever the event holds, EncodeSignal either refuses
// with ErrNotEncodable or writes one package our Decode accepts, with the
// sequence and account sent, the event's code, and the fields cut, never
// refused.
func FuzzEncodeSignal(f *testing.F) {
	for _, tc := range encodeCases {
		if !tc.heartbeat {
			f.Add(tc.seq, tc.account, tc.ev.Code, tc.ev.Zone, tc.ev.Partition, tc.ev.User, tc.ev.Text, modifier(tc.ev, "media_clip"), modifier(tc.ev, "attr_line"))
		}
	}
	c := New(Options{})
	f.Fuzz(func(t *testing.T, seq, account, code, zone, area, user, text, link, line string) {
		ev, err := alarmcode.Event(alarmcode.Fields{Account: account, Code: code, Zone: zone, Area: area, User: user, Text: text})
		if err != nil {
			ev = protocols.Event{Format: protocols.FormatSIA, Code: code, Zone: zone, Partition: area, User: user, Text: text}
		}
		ev.Modifiers = mods("media_clip", link, "attr_line", line, "attr_video_file", link)
		b, err := EncodeSignal(seq, account, ev, defaultNow)
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) || b != nil {
				t.Fatalf("EncodeSignal: %q, %v", b, err)
			}
			return
		}
		fr := splitChunks(c, b)
		if fr.err != nil || len(fr.frames) != 1 {
			t.Fatalf("Split of %q: %q (%v)", b, fr.frames, fr.err)
		}
		m, err := c.Decode(b, defaultNow)
		if err != nil || m.Kind != "signals" || m.Sequence != seq || len(m.Events) != 1 || m.Account != strings.TrimSpace(account) {
			t.Fatalf("Decode of %q: %+v, %v", b, m, err)
		}
		if got := m.Events[0]; got.Code != strings.ToUpper(strings.TrimSpace(ev.Code)) && siCode(ev) != got.Code {
			t.Fatalf("code %q sent as %q, read %q", ev.Code, siCode(ev), got.Code)
		}
		r, err := ParseReply(bytes.Trim(c.Reply(m, nil, defaultNow), "\r\n"))
		if err != nil || !r.OK || r.Seq != seq {
			t.Fatalf("reply %+v, %v", r, err)
		}
	})
}
