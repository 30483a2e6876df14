package masxml

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"slices"
	"strconv"
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
