package manitou

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

// encode runs the encoder a case names.
func (tc encodeCase) encode() ([]byte, error) {
	switch {
	case !tc.heartbeat:
		return EncodeSignal(tc.seq, tc.account, tc.ev, testNow)
	case tc.sender != "" || tc.passkey != "":
		return EncodeHeartbeatAuth(tc.seq, testNow, tc.sender, tc.passkey), nil
	}
	return EncodeHeartbeat(tc.seq, testNow), nil
}

// decoderFor is the codec that reads a case's output: with testAuth when
// the case sends a passkey.
func (tc encodeCase) decoder() *Codec {
	if tc.passkey != "" {
		return New(Options{Auth: testAuth})
	}
	return New(Options{})
}

// TestEncodeCases: each case's exact bytes or error; what is written is
// accepted by Decode with the account, sequence, code, qualifier, area,
// zone, user, text and modifiers it was given; encoding the decoded event
// again gives the same bytes; the ACK Reply writes parses OK (the Ack
// echoes no sequence: Seq "", Text the RawNo).
func TestEncodeCases(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.encode()
			if tc.err != nil {
				if !errors.Is(err, tc.err) || b != nil {
					t.Fatalf("got %q, %v; want error %v", b, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("encoded\n %q\nwant\n %q", b, tc.want)
			}
			c := tc.decoder()
			m, err := c.Decode(b, testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			wantSeq := tc.seq
			if wantSeq == "" {
				wantSeq = RawNo(b)
			}
			if m.Sequence != wantSeq || m.Account != tc.account {
				t.Errorf("sequence %q account %q, want %q %q", m.Sequence, m.Account, wantSeq, tc.account)
			}
			checkAck(t, c, m, b)
			if tc.heartbeat {
				if m.Kind != "heartbeat" || Sender(m) != tc.sender || m.Detail.(*Frame).PasskeySent != (tc.passkey != "") {
					t.Errorf("kind %q sender %q, want a heartbeat from %q", m.Kind, Sender(m), tc.sender)
				}
				checkNoSecret(t, m)
				return
			}
			if m.Kind != "signals" || len(m.Events) != 1 {
				t.Fatalf("kind %q, %d events", m.Kind, len(m.Events))
			}
			got := m.Events[0]
			if got.Account != tc.account || got.Format != tc.ev.Format || got.Code != tc.ev.Code {
				t.Errorf("event %+v from %+v", got, tc.ev)
			}
			again, err := EncodeSignal(tc.seq, got.Account, got, testNow)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encoded the decoded event: %q, %v", again, err)
			}
		})
	}
}

// checkAck: the ACK Reply writes for m is framed by SplitReply and parses
// OK with the RawNo of the frame sent.
func checkAck(t *testing.T, c *Codec, m *protocols.Message, sent []byte) {
	t.Helper()
	reply := c.Reply(m, nil, testNow)
	adv, fr, err := SplitReply(append(append([]byte("\r\n"), reply...), "\r\n"...), false)
	if err != nil || fr == nil || adv != len(reply)+2 {
		t.Fatalf("SplitReply(%q) = %d, %q, %v", reply, adv, fr, err)
	}
	pr, err := ParseReply(fr)
	if err != nil || pr != (protocols.PeerReply{OK: true, Text: RawNo(sent)}) {
		t.Fatalf("ParseReply(%q) = %+v, %v; want OK with RawNo %s", fr, pr, err, RawNo(sent))
	}
}

// TestEncodeRoundTrip: every signal of the decode case table's accepted
// frames, sent again with its account and a sequence of the output's,
// decodes to the same event (every field, modifiers in order) and is
// acknowledged.
func TestEncodeRoundTrip(t *testing.T) {
	n := 0
	for _, tc := range frameCases {
		if tc.err != nil || tc.kind != "signals" {
			continue
		}
		m, err := codecFor(tc).Decode([]byte(tc.raw), testNow)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i, ev := range m.Events {
			seq := strconv.Itoa(1000 + n)
			n++
			b, err := EncodeSignal(seq, ev.Account, ev, testNow)
			if err != nil {
				t.Fatalf("%s event %d: %v", tc.name, i, err)
			}
			c := New(Options{})
			back, err := c.Decode(b, testNow)
			if err != nil {
				t.Fatalf("%s event %d: Decode(%q): %v", tc.name, i, b, err)
			}
			if back.Kind != "signals" || back.Sequence != seq || back.Account != ev.Account || len(back.Events) != 1 {
				t.Fatalf("%s event %d: %q decoded as %s seq %q account %q, %d events", tc.name, i, b, back.Kind, back.Sequence, back.Account, len(back.Events))
			}
			if !reflect.DeepEqual(back.Events[0], ev) {
				t.Errorf("%s event %d: %q\n decoded %+v\n was     %+v", tc.name, i, b, back.Events[0], ev)
			}
			checkAck(t, c, back, b)
		}
	}
	if n < 10 {
		t.Fatalf("only %d signals round-tripped", n)
	}
}

// TestHeartbeatAuthRefused: a heartbeat with a wrong passkey is refused by
// a receiver that checks them, with a NAK the sender does not resend
// unchanged; the passkey is in no error text.
func TestHeartbeatAuthRefused(t *testing.T) {
	c := New(Options{Auth: testAuth})
	for _, b := range [][]byte{EncodeHeartbeat("1", testNow), EncodeHeartbeatAuth("1", testNow, "x", "wrong-key")} {
		m, err := c.Decode(b, testNow)
		if !errors.Is(err, ErrNotAuthorized) || strings.Contains(err.Error(), "wrong-key") {
			t.Fatalf("%q: %v", b, err)
		}
		pr, perr := ParseReply(c.Reply(m, err, testNow))
		if perr != nil || pr.OK || pr.Retry {
			t.Fatalf("reply %+v, %v", pr, perr)
		}
	}
	// A passkey with XML's special characters arrives as it is.
	key := `k"&<'>`
	auth := func(_, p string) bool { return p == key }
	if _, err := New(Options{Auth: auth}).Decode(EncodeHeartbeatAuth("", testNow, "", key), testNow); err != nil {
		t.Fatal(err)
	}
}

// TestParseReplyCases: the reply table.
func TestParseReplyCases(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := ParseReply([]byte(tc.raw))
			if !casetest.CheckError(t, Name, err, tc.err, tc.reason) {
				return
			}
			if pr != tc.want {
				t.Errorf("%+v, want %+v", pr, tc.want)
			}
		})
	}
}

// TestParseOwnReplies: every reply Codec.Reply writes — the decode table's
// replies and one for each outcome — parses as the dialect says: ACK OK;
// NAK 30 (store failure, shutdown, anything unknown) Retry; the refusals
// of malformed, incomplete, wrong, unauthorised or unknown frames not.
func TestParseOwnReplies(t *testing.T) {
	for _, tc := range frameCases {
		pr, err := ParseReply([]byte(tc.reply))
		if err != nil || pr.OK != (tc.err == nil) || pr.Retry {
			t.Errorf("%s: reply %q parsed %+v, %v", tc.name, tc.reply, pr, err)
		}
	}
	c := New(Options{})
	m, _ := c.Decode([]byte(sigAttr), testNow)
	outcomes := []struct {
		outcome error
		ok      bool
		retry   bool
	}{
		{nil, true, false},
		{protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), true, false},
		{protocols.Reject("receiver", protocols.ReasonStore, errors.New("disk full")), false, true},
		{protocols.Reject("receiver", protocols.ReasonShutdown, nil), false, true},
		{errors.New("something else"), false, true},
		{protocols.Reject(Name, protocols.ReasonSyntax, ErrSyntax), false, false},
		{protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), false, false},
		{protocols.Reject(Name, protocols.ReasonSyntax, &SignalError{Index: 1, Err: ErrMissing}), false, false},
		{protocols.Reject(Name, protocols.ReasonSyntax, &SignalError{Index: 2, Err: ErrWrongContent}), false, false},
		{protocols.Reject(Name, protocols.ReasonToken, ErrNotAuthorized), false, false},
		{protocols.Reject(Name, protocols.ReasonToken, ErrUnknownType), false, false},
	}
	for _, o := range outcomes {
		for _, msg := range []*protocols.Message{m, nil} {
			reply := c.Reply(msg, o.outcome, testNow)
			pr, err := ParseReply(reply)
			if err != nil || pr.OK != o.ok || pr.Retry != o.retry || pr.Seq != "" {
				t.Errorf("Reply(%v) = %q parsed %+v, %v; want OK %v Retry %v", o.outcome, reply, pr, err, o.ok, o.retry)
			}
		}
	}
	for _, code := range []int{NakMalformed, NakMissing, NakWrongContent, NakNotStored, NakNotAuthorised, NakUnknownType} {
		pr, err := ParseReply(Nak(3, code))
		if err != nil || pr.OK || pr.Retry != (code == NakNotStored) || !strings.Contains(pr.Text, "Code="+strconv.Itoa(code)+" Index=3") {
			t.Errorf("Nak %d: %+v, %v", code, pr, err)
		}
	}
}

// TestSplitReplyStream: replies on one stream, with CR/LF and garbage
// between them, read with bufio.Scanner one byte at a time.
func TestSplitReplyStream(t *testing.T) {
	var stream []byte
	var want []string
	for _, tc := range replyCases {
		if tc.err == nil && tc.raw[0] == STX {
			stream = append(stream, "\r\nx"...)
			stream = append(stream, tc.raw...)
			want = append(want, tc.raw)
		}
	}
	s := bufio.NewScanner(&oneByte{b: stream, n: 1})
	s.Buffer(make([]byte, 0, 16), MaxReplyBytes+1)
	s.Split(SplitReply)
	var got []string
	for s.Scan() {
		got = append(got, s.Text())
	}
	if s.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q, %v; want %q", got, s.Err(), want)
	}
	// Past the cap with no ETX and no later STX: ErrFrameTooLong.
	long := append([]byte{STX}, bytes.Repeat([]byte("1"), MaxReplyBytes)...)
	if _, _, err := SplitReply(long, false); !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
		t.Fatalf("over the cap: %v", err)
	}
}

// TestEncodeWorstCase: an event holding more and longer links and extras
// than EncodeSignal writes still makes a frame within the default cap that
// Decode accepts, with MaxEncodedURLs links and MaxEncodedExtras extras.
func TestEncodeWorstCase(t *testing.T) {
	ev := protocols.Event{Format: protocols.FormatSIA, Code: "BA", Text: strings.Repeat(`"`, 3*MaxText), Zone: strings.Repeat("&", 200)}
	for i := range 3 * MaxEncodedURLs {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "media_snapshot", Value: "https://x.example.com/?" + strings.Repeat("&", MaxURL-23-len(strconv.Itoa(i))) + strconv.Itoa(i)})
	}
	for i := range 3 * MaxEncodedExtras {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_x" + strconv.Itoa(i), Value: strings.Repeat("<", 3*MaxText)})
	}
	b, err := EncodeSignal("1", "1", ev, testNow)
	if err != nil || len(b) > DefaultMaxFrameBytes {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	m, err := New(Options{}).Decode(b, testNow)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Events[0]
	if len(got.Modifiers) != MaxEncodedURLs+MaxEncodedExtras || len(got.Text) != MaxText || len(got.Zone) != MaxField {
		t.Fatalf("%d modifiers, text %d, zone %d bytes (frame %d bytes)", len(got.Modifiers), len(got.Text), len(got.Zone), len(b))
	}
	t.Logf("worst-case frame: %d bytes", len(b))
}
