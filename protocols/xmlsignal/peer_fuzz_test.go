package xmlsignal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/alarmrx/alarmrx/protocols"
)

// replySeeds are the answers Reply and Answer write, and some broken ones.
func replySeeds(f *testing.F) {
	c := New(0)
	enc, _ := testSender.EncodeSignal("9", "1234", cidEv("130", qNew, "", "5", ""), encodeAt)
	m, _ := c.Decode(enc, encodeAt)
	for _, code := range []int{CodeOK, CodeInvalidLength, CodeInvalidXML, CodeWrongContent, CodeNotAuthorized,
		CodeNotTreated, CodeMissing, CodeDuplicate, CodeServerError, CodeTooFrequent, 42} {
		f.Add(Answer(m, code, encodeAt))
		f.Add(AnswerNone(code, encodeAt, false))
	}
	f.Add([]byte(`<AlarmResponse><Status>OK</Status></AlarmResponse>`))
	f.Add([]byte(`<!DOCTYPE a><AlarmResponse><Status code="0"/></AlarmResponse>`))
	f.Add([]byte("\x02junk<?xml version='1.0'?>\r\n<AlarmResponse xmlns=\"urn:alarmrx:signal:1\"><Sequence>1</Sequence><Status code=\"5\">x</Status></AlarmResponse><Alarm"))
}

// FuzzParseReply: ParseReply never panics; a refusal is an xmlsignal
// FrameError and an empty reply; an accepted reply is never both OK and
// Retry, and its Text is one printable line starting with the code.
func FuzzParseReply(f *testing.F) {
	replySeeds(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, err := ParseReply(frame)
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name || r != (protocols.PeerReply{}) {
				t.Fatalf("%q: %+v, %v", frame, r, err)
			}
			return
		}
		if r.OK && r.Retry {
			t.Fatalf("%q: OK and Retry", frame)
		}
		if r.Text == "" || !(r.Text[0] == '-' || r.Text[0] >= '0' && r.Text[0] <= '9') || len(r.Text) > 90 ||
			strings.IndexFunc(r.Text, func(c rune) bool { return !unicode.IsPrint(c) && c != ' ' }) >= 0 {
			t.Fatalf("%q: Text %q", frame, r.Text)
		}
		if r.Seq != strings.TrimSpace(r.Seq) {
			t.Fatalf("%q: Seq %q", frame, r.Seq)
		}
		code, _, _ := strings.Cut(r.Text, " ")
		if ok := code == "0" || code == "10"; ok != r.OK {
			t.Fatalf("%q: code %s, OK %v", frame, code, r.OK)
		}
	})
}

// FuzzSplitReply: SplitReply keeps the SplitFunc contract, frames only
// replies within the cap, and gives the same frames for the stream fed
// whole or cut in pieces of any size.
func FuzzSplitReply(f *testing.F) {
	replySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, atEOF := range []bool{false, true} {
			adv, frame, err := SplitReply(data, atEOF)
			if adv < 0 || adv > len(data) || err != nil && (adv != 0 || frame != nil) {
				t.Fatalf("%q: %d %q %v", data, adv, frame, err)
			}
			if err != nil && !errors.Is(err, protocols.ErrFrameTooLong) {
				t.Fatalf("%q: %v", data, err)
			}
			if frame != nil && (adv == 0 || !bytes.Contains(data[:adv], frame)) {
				t.Fatalf("%q: frame %q past advance %d", data, frame, adv)
			}
			if err == nil && frame == nil && atEOF && adv == 0 && len(data) > 0 {
				t.Fatalf("%q: no progress at EOF", data)
			}
		}
		whole, werr := scanAll(data, len(data))
		for _, fr := range whole {
			if len(fr) > MaxReplyBytes || !bytes.HasSuffix(fr, replyClose) ||
				!bytes.HasPrefix(fr, replyOpen) && !bytes.HasPrefix(fr, xmlDecl) {
				t.Fatalf("%q: frame %q", data, fr)
			}
		}
		for _, n := range []int{1, 7, 64} {
			cut, cerr := scanAll(data, n)
			if werr == nil && cerr == nil && !equalFrames(whole, cut) {
				t.Fatalf("%q: whole %q, in pieces of %d %q", data, whole, n, cut)
			}
		}
	})
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// FuzzEncodeSignal: whatever an event holds, EncodeSignal refuses it with
// ErrNotEncodable or writes a message the receiving Decode accepts, with
// the same code, qualifier, text (cleaned) and links kept or left out,
// never changed but for escaping.
func FuzzEncodeSignal(f *testing.F) {
	f.Add("1", "1234", "CID", "130", uint8(1), "01", "017", "", "text", "https://x.example/a b", "attr_k", "v", "52.5,13.4")
	f.Add("2", "AB-1", "SIA", "ba", uint8(2), "1", "3", "7", "<&>", "HTTP://x", "attr_", "\x00", "x")
	f.Fuzz(func(t *testing.T, seq, account, format, code string, q uint8, area, zone, user, text, url, attrName, attrValue, pos string) {
		ev := protocols.Event{Format: format, Code: code, Qualifier: protocols.Qualifier(q % 4), Partition: area, Zone: zone, User: user, Text: text,
			Modifiers: []protocols.Modifier{{Name: "media_clip", Value: url}, {Name: attrName, Value: attrValue}, {Name: "position", Value: pos}, {Name: "attr_" + attrName, Value: attrValue}}}
		enc, err := testSender.EncodeSignal(seq, account, ev, encodeAt)
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) || enc != nil {
				t.Fatalf("%v", err)
			}
			return
		}
		m, err := receiverFor(testSender).Decode(enc, encodeAt)
		if err != nil || len(m.Events) != 1 {
			t.Fatalf("%q: %v", enc, err)
		}
		got := m.Events[0]
		if got.Format != format && !(format == "SIA" && got.Format == "SIA") || got.Text != strings.TrimSpace(got.Text) || len(got.Text) > MaxText {
			t.Fatalf("%q: %+v", enc, got)
		}
		if got.Format == protocols.FormatContactID && got.Qualifier != map[protocols.Qualifier]protocols.Qualifier{0: qNew, 1: qNew, 2: qRestore, 3: qStatus}[ev.Qualifier] {
			t.Fatalf("%q: qualifier %v for %v", enc, got.Qualifier, ev.Qualifier)
		}
		for _, md := range got.Modifiers {
			if md.Name == "media_clip" && md.Value != link(url) {
				t.Fatalf("%q: link %q from %q", enc, md.Value, url)
			}
		}
		if len(enc) > MaxSignalBytes {
			t.Fatalf("%d bytes", len(enc))
		}
	})
}
