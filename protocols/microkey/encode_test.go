package microkey

import (
	"bufio"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// decodeOne frames and decodes what EncodeSignal or EncodeHeartbeat wrote:
// exactly one frame, the package without its LF/CR.
func decodeOne(t *testing.T, b []byte) *protocols.Message {
	t.Helper()
	c := New(Options{})
	f := splitChunks(c, b)
	if f.err != nil || len(f.frames) != 1 || f.frames[0] != strings.Trim(string(b), "\r\n") {
		t.Fatalf("Split of %q: %q (%v)", b, f.frames, f.err)
	}
	m, err := c.Decode(b, defaultNow)
	if err != nil {
		t.Fatalf("Decode of %q: %v", b, err)
	}
	if len(m.Deviations) != 0 {
		t.Errorf("deviations %v in what we send", m.Deviations)
	}
	return m
}

// replyOf is the receiver's answer to m, framed and parsed back.
func replyOf(t *testing.T, m *protocols.Message, outcome error) protocols.PeerReply {
	t.Helper()
	b := New(Options{}).Reply(m, outcome, defaultNow)
	frames, err := splitReplies(b)
	if err != nil || len(frames) != 1 {
		t.Fatalf("SplitReply of %q: %q (%v)", b, frames, err)
	}
	r, err := ParseReply([]byte(frames[0]))
	if err != nil {
		t.Fatalf("ParseReply of %q: %v", frames[0], err)
	}
	return r
}

func checkEvent(t *testing.T, ev protocols.Event, w wantEvent, user string) {
	t.Helper()
	if ev.Account != w.account || ev.Format != w.format || ev.Code != w.code || ev.Qualifier != w.qualifier ||
		ev.Partition != w.partition || ev.Zone != w.zone || ev.User != user || ev.Text != w.text || ev.Known != w.known {
		t.Errorf("event %+v, want %+v user %q", ev, w, user)
	}
	if !slices.Equal(ev.Modifiers, w.mods) {
		t.Errorf("modifiers %q, want %q", ev.Modifiers, w.mods)
	}
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
			if tc.wire != "" && string(b) != tc.wire {
				t.Errorf("package\n got %q\nwant %q", b, tc.wire)
			}
			m := decodeOne(t, b)
			if m.Sequence != tc.seq {
				t.Errorf("Sequence %q, want %q", m.Sequence, tc.seq)
			}
			if tc.heartbeat {
				if m.Kind != "heartbeat" || len(m.Events) != 0 {
					t.Errorf("Kind %q with %d events, want a heartbeat", m.Kind, len(m.Events))
				}
			} else {
				if m.Kind != "signals" || len(m.Events) != 1 || m.Account != strings.TrimSpace(tc.account) {
					t.Fatalf("Kind %q, account %q, %d events", m.Kind, m.Account, len(m.Events))
				}
				checkEvent(t, m.Events[0], tc.want, tc.user)
			}
			if r := replyOf(t, m, nil); !r.OK || r.Retry || r.Seq != tc.seq || r.Text != "ACK" {
				t.Errorf("reply %+v, want ACK %q", r, tc.seq)
			}
		})
	}
}

// expectedMods is what the documented mapping makes of ev's modifiers
// after a round trip: LN (attr_line or 01), DT/TM (at), and VF: the first
// web link by kind (clip, snapshot, live, portal), read back as a clip, or
// the attr_video_file.
func expectedMods(ev protocols.Event, at time.Time) []protocols.Modifier {
	line := DefaultLine
	for _, m := range ev.Modifiers {
		if m.Name == "attr_line" {
			line = m.Value
			break
		}
	}
	out := mods("attr_line", line, "attr_date", at.UTC().Format("2006-01-02"), "attr_time", at.UTC().Format("15:04:05"))
	for _, kind := range []string{"media_clip", "media_snapshot", "media_live", "media_portal"} {
		for _, m := range ev.Modifiers {
			if m.Name == kind {
				return append(out, protocols.Modifier{Name: "media_clip", Value: m.Value})
			}
		}
	}
	for _, m := range ev.Modifiers {
		if m.Name == "attr_video_file" {
			return append(out, m)
		}
	}
	return out
}

// TestRoundTripCaseTable: every event of every package the case table
// accepts, sent again, decodes with the same account, code, qualifier,
// zone, user, area and text, the first media link, and is acknowledged
// with its Sequence.
func TestRoundTripCaseTable(t *testing.T) {
	c := New(Options{})
	n := 0
	for _, tc := range frameCases {
		if tc.reason != accepted || tc.kind != "signals" {
			continue
		}
		m0, err := c.Decode([]byte(tc.raw), defaultNow)
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range m0.Events {
			n++
			seq := m0.Sequence + "0" + string(rune('0'+i%10))
			b, err := EncodeSignal(seq, ev.Account, ev, defaultNow)
			if err != nil {
				t.Fatalf("%s event %d: %v", tc.name, i, err)
			}
			m := decodeOne(t, b)
			if m.Sequence != seq || len(m.Events) != 1 {
				t.Fatalf("%s event %d: sequence %q, %d events", tc.name, i, m.Sequence, len(m.Events))
			}
			got := m.Events[0]
			if got.Account != ev.Account || got.Format != ev.Format || got.Code != ev.Code || got.Qualifier != ev.Qualifier ||
				got.Zone != ev.Zone || got.User != ev.User || got.Partition != ev.Partition || got.Text != ev.Text ||
				got.Known != ev.Known || got.Description != ev.Description || got.AddressKind != ev.AddressKind {
				t.Errorf("%s event %d:\n got %+v\nwant %+v", tc.name, i, got, ev)
			}
			if want := expectedMods(ev, defaultNow); !slices.Equal(got.Modifiers, want) {
				t.Errorf("%s event %d: modifiers %q, want %q", tc.name, i, got.Modifiers, want)
			}
			if r := replyOf(t, m, nil); !r.OK || r.Seq != seq {
				t.Errorf("%s event %d: reply %+v", tc.name, i, r)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d events round-tripped", n)
	}
}

// TestEveryNAKParses: every NAK our Reply writes reads back as not OK,
// echoing the Sequence; only "Not stored, resend" (and the store,
// shutdown and unknown outcomes that write it) is to be resent.
func TestEveryNAKParses(t *testing.T) {
	for _, tc := range frameCases {
		if tc.reason == accepted || tc.opts.NoACKNAK {
			continue
		}
		frames, err := splitReplies([]byte(tc.reply))
		if err != nil || len(frames) != 1 {
			t.Fatalf("%s: SplitReply %q (%v)", tc.name, frames, err)
		}
		r, err := ParseReply([]byte(frames[0]))
		if err != nil || r.OK || r.Retry || r.Seq != tc.seq || !strings.HasPrefix(r.Text, "NAK: ") {
			t.Errorf("%s: %+v, %v; want a NAK for invalid data echoing %q", tc.name, r, err, tc.seq)
		}
	}
	m := &protocols.Message{Sequence: "42"}
	outcomes := []error{
		protocols.Reject("receiver", protocols.ReasonStore, errors.New("disk full")),
		protocols.Reject("receiver", protocols.ReasonShutdown, nil),
		errors.New("boom"),
	}
	for _, r := range protocols.Reasons() {
		outcomes = append(outcomes, protocols.Reject(Name, r, nil))
	}
	for _, o := range outcomes {
		r := replyOf(t, m, o)
		text := ErrorText(o)
		switch {
		case text == "":
			if !r.OK || r.Retry || r.Seq != "42" {
				t.Errorf("%v: %+v, want ACK", o, r)
			}
		case r.OK || r.Seq != "42" || r.Retry != (text == textNotStored) || r.Text != "NAK: "+text:
			t.Errorf("%v (%q): %+v", o, text, r)
		}
	}
}

// replyCase is one stream of replies and what SplitReply and ParseReply
// make of it.
type replyCase struct {
	name   string
	raw    string
	frames []string
	want   []protocols.PeerReply
	// errs: ParseReply fails on the frame at this index, with this reason.
	errs map[int]protocols.Reason
}

var (
	emulatorACKFrame = strings.Trim(emulatorACK, "\r\n")
	emulatorNAKFrame = strings.Trim(emulatorNAK, "\r\n")
	// emulatorACK4FE9 is the emulator's ACK with its own checksum [S6].
	emulatorACK4FE9 = "\r<Response><Sequence>10000</Sequence><Status>ACK</Status></Response><Checksum>4FE9</Checksum>\n"
	ack10000        = protocols.PeerReply{Seq: "10000", OK: true, Text: "ACK"}
	nakChecksum     = protocols.PeerReply{Seq: "10000", Text: "NAK: Checksum error"}
)

var replyCases = []replyCase{
	{name: "p1_emulator_ack", raw: emulatorACK4FE9, frames: []string{strings.Trim(emulatorACK4FE9, "\r\n")}, want: []protocols.PeerReply{ack10000}},
	{name: "p2_emulator_nak", raw: emulatorNAK, frames: []string{emulatorNAKFrame}, want: []protocols.PeerReply{nakChecksum}},
	{name: "p3_swapped_and_missing_cr_lf", raw: "\n" + emulatorACKFrame + "\r" + emulatorNAKFrame + emulatorACKFrame,
		frames: []string{emulatorACKFrame, emulatorNAKFrame, emulatorACKFrame}, want: []protocols.PeerReply{ack10000, nakChecksum, ack10000}},
	{name: "p4_garbage_and_declaration", raw: "\x00\xffjunk<Resp\r<?xml version=\"1.0\"?>" + emulatorACK,
		frames: []string{emulatorACKFrame}, want: []protocols.PeerReply{ack10000}},
	{name: "p5_cut_short_by_another", raw: "\r<Response><Sequence>9</Sequence><Sta" + emulatorACK,
		frames: []string{emulatorACKFrame}, want: []protocols.PeerReply{ack10000}},
	{name: "p6_no_checksum_blanks", raw: "\r <Response>\r\n <Sequence> 7 </Sequence>\r\n <Status>ack</Status>\r\n</Response>\n",
		frames: []string{"<Response>\r\n <Sequence> 7 </Sequence>\r\n <Status>ack</Status>\r\n</Response>"},
		want:   []protocols.PeerReply{{Seq: "7", OK: true, Text: "ACK"}}},
	{name: "p7_nak_texts", raw: nak("1", "Not stored, resend") + nak("2", "Database busy") +
		"\r<Response><Sequence>3</Sequence><Status>NAK</Status></Response><Checksum>0000</Checksum>\n" + nak("4", "invalid account"),
		frames: []string{strings.Trim(nak("1", "Not stored, resend"), "\r\n"), strings.Trim(nak("2", "Database busy"), "\r\n"),
			"<Response><Sequence>3</Sequence><Status>NAK</Status></Response><Checksum>0000</Checksum>", strings.Trim(nak("4", "invalid account"), "\r\n")},
		want: []protocols.PeerReply{{Seq: "1", Retry: true, Text: "NAK: Not stored, resend"}, {Seq: "2", Retry: true, Text: "NAK: Database busy"},
			{Seq: "3", Retry: true, Text: "NAK"}, {Seq: "4", Text: "NAK: invalid account"}}},
	{name: "p8_latin1_error_text", raw: "\r<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Response><Sequence>5</Sequence><Status>NAK</Status><Error>Donn\xe9es\tinvalides</Error></Response><Checksum>0000</Checksum>\n",
		frames: []string{"<Response><Sequence>5</Sequence><Status>NAK</Status><Error>Donn\xe9es\tinvalides</Error></Response><Checksum>0000</Checksum>"},
		want:   []protocols.PeerReply{{Seq: "5", Retry: true, Text: "NAK: Donn\u00e9es invalides"}}},
	{name: "p9_refused_replies", raw: "\r<Response><Sequence>6</Sequence></Response>\n" +
		"\r<Response><Sequence>7</Sequence><Status>MAYBE</Status></Response>\n" +
		"\r<Response><!DOCTYPE x><Status>ACK</Status></Response>\n" +
		"\r<Response><Status><b>ACK</b></Status></Response>\n" +
		"\r<Response><Status>ACK</Status></Response><Response>\n",
		frames: []string{"<Response><Sequence>6</Sequence></Response>", "<Response><Sequence>7</Sequence><Status>MAYBE</Status></Response>",
			"<Response><!DOCTYPE x><Status>ACK</Status></Response>", "<Response><Status><b>ACK</b></Status></Response>",
			"<Response><Status>ACK</Status></Response>"},
		want: []protocols.PeerReply{{Seq: "6"}, {Seq: "7"}, {}, {}, {OK: true, Text: "ACK"}},
		errs: map[int]protocols.Reason{0: protocols.ReasonSyntax, 1: protocols.ReasonToken, 2: protocols.ReasonSyntax, 3: protocols.ReasonSyntax}},
}

// replyFeeder drives SplitReply as a bufio.Scanner does, read by read.
type replyFeeder struct {
	buf    []byte
	frames []string
	err    error
}

func (f *replyFeeder) feed(b []byte, atEOF bool) {
	if f.err != nil {
		return
	}
	f.buf = append(f.buf, b...)
	for len(f.buf) > 0 || atEOF {
		adv, frame, err := SplitReply(f.buf, atEOF)
		if err != nil {
			f.err = err
			return
		}
		if frame != nil {
			f.frames = append(f.frames, string(frame))
		}
		if adv == 0 {
			return
		}
		f.buf = f.buf[adv:]
	}
}

func splitReplies(chunks ...[]byte) ([]string, error) {
	f := &replyFeeder{}
	for i, ch := range chunks {
		f.feed(ch, i == len(chunks)-1)
	}
	return f.frames, f.err
}

var _ bufio.SplitFunc = SplitReply

func TestReplyCases(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			for i := 0; i <= len(raw); i++ {
				frames, err := splitReplies(raw[:i], raw[i:])
				if err != nil || !slices.Equal(frames, tc.frames) {
					t.Fatalf("cut at %d: %q (%v), want %q", i, frames, err, tc.frames)
				}
			}
			f := &replyFeeder{}
			for i := range raw {
				f.feed(raw[i:i+1], false)
			}
			f.feed(nil, true)
			if f.err != nil || !slices.Equal(f.frames, tc.frames) {
				t.Fatalf("byte by byte: %q (%v)", f.frames, f.err)
			}
			for i, fr := range tc.frames {
				r, err := ParseReply([]byte(fr))
				if reason, refused := tc.errs[i]; refused {
					var fe *protocols.FrameError
					if !errors.As(err, &fe) || fe.Protocol != Name || fe.Reason != reason || !errors.Is(err, ErrReply) {
						t.Errorf("frame %d: error %v, want %s ErrReply", i, err, reason)
					}
				} else if err != nil {
					t.Errorf("frame %d: %v", i, err)
				}
				if r != tc.want[i] {
					t.Errorf("frame %d: %+v, want %+v", i, r, tc.want[i])
				}
			}
		})
	}
}

func TestSplitReplyCap(t *testing.T) {
	long := []byte("<Response><Error>" + strings.Repeat("x", MaxReplyBytes) + "</Error>")
	if _, _, err := SplitReply(long, false); protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("over the cap: %v", err)
	}
	if adv, frame, err := SplitReply(long[:100], false); adv != 0 || frame != nil || err != nil {
		t.Fatalf("incomplete: %d %q %v", adv, frame, err)
	}
	// Complete but over the cap: dropped, the next reply framed.
	frames, err := splitReplies(append(append(long, "</Response>\n"...), emulatorACK...))
	if err != nil || !slices.Equal(frames, []string{emulatorACKFrame}) {
		t.Fatalf("after an oversized reply: %q (%v)", frames, err)
	}
	// Another reply starts inside the buffer: resynchronise on it.
	frames, err = splitReplies(append(append([]byte{}, long...), emulatorACK...))
	if err != nil || !slices.Equal(frames, []string{emulatorACKFrame}) {
		t.Fatalf("resync: %q (%v)", frames, err)
	}
	if _, err := ParseReply(append(long, strings.Repeat("y", 200)+"</Response>"...)); !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("ParseReply of an oversized reply: %v", err)
	}
}

// TestRetransmittedSignal: a package resent after a NAK or a timeout is
// the same bytes, so the receiver's idempotency on Sequence holds.
func TestRetransmittedSignal(t *testing.T) {
	tc, _ := encodeCaseByName("e2_cid_new_with_clip")
	a, _ := tc.encode()
	b, _ := tc.encode()
	if string(a) != string(b) {
		t.Fatalf("%q then %q", a, b)
	}
}
