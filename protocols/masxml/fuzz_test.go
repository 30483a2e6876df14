package masxml

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

func seeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, tc := range cases {
		out = append(out, []byte(tc.raw))
		for _, fr := range tc.frames() {
			out = append(out, []byte(fr))
		}
	}
	return out
}

// ackNak is the reply as a sender reads it.
type ackNak struct {
	XMLName  xml.Name `xml:"AckNakClass"`
	Sequence string   `xml:"MessageSequenceNo"`
	Code     int      `xml:"ResultCode"`
	Text     string   `xml:"ResultText"`
}

// decodeReasons is every reason Decode returns.
var decodeReasons = []protocols.Reason{protocols.ReasonSyntax, protocols.ReasonTooLong}

// plantedPhoto is put in a PacketData of every input: no detail may hold it.
const plantedPhoto = "UExBTlRFRFBIT1RPQllURVM="

// FuzzDecode: Decode never panics; a refusal is a masxml FrameError with a
// documented reason and a Message to answer; every reply is a well-formed
// AckNakClass echoing the sequence (or 0000), with code 0 exactly when the
// message was accepted; an accepted message is a heartbeat or has 1-100
// events; the detail renders as JSON (as RebuildDetail does) and never holds
// photo bytes.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	c := New(Options{MaxFrameBytes: 8192})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, c, data)
		if i := bytes.Index(data, rootOpen); i >= 0 {
			if j := bytes.IndexByte(data[i:], '>'); j >= 0 {
				at := i + j + 1
				planted := slices.Concat(data[:at], []byte("<PacketData>"+plantedPhoto+"</PacketData>"), data[at:])
				if j := checkDecode(t, c, planted); bytes.Contains(j, []byte(plantedPhoto)) {
					t.Fatalf("photo bytes in the detail: %s", j)
				}
			}
		}
	})
}

func checkDecode(t *testing.T, c *Codec, data []byte) []byte {
	t.Helper()
	m, err := c.Decode(data, time.Time{})
	if m == nil || m.Protocol != Name {
		t.Fatalf("no message for %q", data)
	}
	if err != nil {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || !slices.Contains(decodeReasons, fe.Reason) {
			t.Fatalf("%v is not a masxml FrameError with a documented reason", err)
		}
		if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrWrongContent) && !errors.Is(err, protocols.ErrFrameTooLong) {
			t.Fatalf("%v wraps no sentinel", err)
		}
		if m.Kind != "rejected" || len(m.Events) != 0 {
			t.Fatalf("refused message %+v", m)
		}
	} else {
		switch {
		case m.Kind == "heartbeat" && len(m.Events) == 0:
		case m.Kind == "signals" && len(m.Events) >= 1 && len(m.Events) <= MaxSignals && m.Account == m.Events[0].Account:
		default:
			t.Fatalf("accepted message %+v", m)
		}
		if !isDigits(m.Sequence, MaxSequence) {
			t.Fatalf("accepted without a sequence: %q", m.Sequence)
		}
		for _, ev := range m.Events {
			if ev.Account == "" || ev.Code == "" || len(ev.Text) > MaxText {
				t.Fatalf("event %+v", ev)
			}
		}
	}
	reply := c.Reply(m, err, time.Time{})
	if !bytes.HasPrefix(reply, []byte(replyDecl)) {
		t.Fatalf("reply %q", reply)
	}
	var r ackNak
	if xerr := xml.Unmarshal(reply, &r); xerr != nil {
		t.Fatalf("reply %q: %v", reply, xerr)
	}
	wantSeq := m.Sequence
	if wantSeq == "" {
		wantSeq = noSequence
	}
	if r.Sequence != wantSeq || (r.Code == CodeOK) != (err == nil) || codeText[r.Code] != r.Text {
		t.Fatalf("reply %q for %q, error %v", reply, m.Sequence, err)
	}
	j, jerr := json.Marshal(m.Detail)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if err == nil {
		if rb, ok := c.RebuildDetail(data); !ok || !bytes.Equal(rb, j) {
			t.Fatalf("RebuildDetail %s, Detail %s", rb, j)
		}
	}
	return j
}

// FuzzSplit: framing a stream whole or cut anywhere gives the same frames
// (or, when the cut one stops at the cap, a prefix of them); every frame is
// a declaration or root through </XMLMessageClass>, within the cap, taken
// from the stream; and Decode never panics on one.
func FuzzSplit(f *testing.F) {
	ss := seeds(f)
	for i, s := range ss {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(slices.Concat(ss[i-1], []byte("\r\n"), s), uint16(len(ss[i-1])))
		}
	}
	codecs := []*Codec{New(Options{}), New(Options{MaxFrameBytes: 256})}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		for _, c := range codecs {
			whole := splitChunks(c, data)
			parts := splitChunks(c, data[:at], data[at:])
			switch {
			case whole.err == nil && parts.err == nil:
				if !slices.Equal(whole.frames, parts.frames) {
					t.Fatalf("cut at %d: %q, whole: %q", at, parts.frames, whole.frames)
				}
			case parts.err != nil:
				if len(parts.frames) > len(whole.frames) || !slices.Equal(parts.frames, whole.frames[:len(parts.frames)]) {
					t.Fatalf("cut at %d (%v): %q is no prefix of %q", at, parts.err, parts.frames, whole.frames)
				}
			}
			for _, err := range []error{whole.err, parts.err} {
				if err != nil && !tooLong(err) {
					t.Fatalf("Split error %v", err)
				}
			}
			for _, fr := range whole.frames {
				b := []byte(fr)
				if !(bytes.HasPrefix(b, declOpen) || bytes.HasPrefix(b, rootOpen)) || !bytes.HasSuffix(b, rootEnd) ||
					len(b) > c.max || !bytes.Contains(data, b) {
					t.Fatalf("frame %q is not a message within the cap", fr)
				}
				_, _ = c.Decode(b, time.Time{})
			}
		}
	})
}

func TestFuzzSeedsDecode(t *testing.T) {
	c := New(Options{MaxFrameBytes: 8192})
	for i, tc := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkDecode(t, c, []byte(tc.raw)) })
	}
}

func replySeeds() [][]byte {
	var out [][]byte
	for _, rc := range replyCases {
		out = append(out, []byte(rc.raw))
	}
	for code := range codeText {
		out = append(out, Answer("101", code))
	}
	return out
}

// FuzzParseReply: ParseReply never panics; an error is a masxml
// FrameError; an accepted reply is OK exactly for ResultCode 0, never OK
// and Retry at once, Retry false only for codes 1 and 9, and its Text is
// short and free of control characters (it goes to the log).
func FuzzParseReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReply(data)
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name || r != (protocols.PeerReply{}) {
				t.Fatalf("%v (%+v) is not a masxml FrameError", err, r)
			}
			return
		}
		code, _, _ := strings.Cut(r.Text, " ")
		n, cerr := strconv.Atoi(code)
		switch {
		case cerr != nil:
			t.Fatalf("Text %q does not start with the code", r.Text)
		case r.OK && r.Retry, r.OK != (n == CodeOK):
			t.Fatalf("code %d read as %+v", n, r)
		case !r.OK && !r.Retry && n != CodePoorlyFormed && n != CodeInvalid:
			t.Fatalf("code %d not retried: %+v", n, r)
		case len(r.Text) > maxResultText+MaxHeader+8 || strings.IndexFunc(r.Text, func(c rune) bool { return c < ' ' || c == 0x7F }) >= 0:
			t.Fatalf("Text %q", r.Text)
		case len(r.Seq) > MaxHeader:
			t.Fatalf("Seq %q", r.Seq)
		}
	})
}

// FuzzSplitReply: framing a reply stream whole or cut anywhere gives the
// same frames (or, when the cut one stops at the cap, a prefix of them);
// every frame is a declaration or <AckNakClass through </AckNakClass>,
// within MaxReplyBytes, taken from the stream; ParseReply never panics on
// one.
func FuzzSplitReply(f *testing.F) {
	ss := replySeeds()
	for i, s := range ss {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(slices.Concat(ss[i-1], []byte("\r\n"), s), uint16(len(ss[i-1])))
		}
	}
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
			if err != nil && !tooLong(err) {
				t.Fatalf("SplitReply error %v", err)
			}
		}
		for _, fr := range whole {
			b := []byte(fr)
			if !(bytes.HasPrefix(b, declOpen) || bytes.HasPrefix(b, replyOpen)) || !bytes.HasSuffix(b, replyEnd) ||
				len(b) > MaxReplyBytes || !bytes.Contains(data, b) {
				t.Fatalf("frame %q is not a reply within the cap", fr)
			}
			_, _ = ParseReply(b)
		}
	})
}

// FuzzEncodeSignal: EncodeSignal never panics, refuses only with
// ErrNotEncodable, and what it writes Decode accepts as one signal with
// the same sequence and account; the heartbeat decodes as one.
func FuzzEncodeSignal(f *testing.F) {
	f.Add("1", "1234", "CID", "130", uint8(1), "1", "5", "", "Hall", "media_portal", "https://x.example/?a=1&b=2")
	f.Add("99", "AB-12", "SIA", "BA", uint8(1), "", "3", "7", "<&>\x00", "attr_device", "PIR\r\n")
	f.Add("x", "12 34", "", "", uint8(0), "", "", "", "", "position", "1,2")
	c := New(Options{})
	f.Fuzz(func(t *testing.T, seq, account, format, code string, q uint8, area, zone, user, text, modName, modValue string) {
		ev := protocols.Event{Format: format, Code: code, Qualifier: protocols.Qualifier(q % 4), Partition: area, Zone: zone, User: user,
			Text: text, Modifiers: []protocols.Modifier{{Name: modName, Value: modValue}}}
		enc, err := EncodeSignal(seq, account, ev, time.Time{})
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) || enc != nil {
				t.Fatalf("%q, %v", enc, err)
			}
		} else {
			m, derr := c.Decode(enc, time.Time{})
			if derr != nil || m.Kind != "signals" || len(m.Events) != 1 || m.Sequence != seq || m.Account != account {
				t.Fatalf("%q decoded as %+v, %v", enc, m, derr)
			}
			if ev.Text != "" && len(m.Events[0].Text) > MaxText {
				t.Fatalf("text of %d bytes", len(m.Events[0].Text))
			}
		}
		m, derr := c.Decode(EncodeHeartbeat(seq, time.Time{}), time.Time{})
		if derr != nil || m.Kind != "heartbeat" {
			t.Fatalf("heartbeat %+v, %v", m, derr)
		}
	})
}
