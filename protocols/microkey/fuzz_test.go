package microkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

func seedFrames(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, tc := range frameCases {
		out = append(out, []byte(tc.raw))
	}
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.frame"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzSplit: a stream fed whole or in two reads cut anywhere gives the
// same frames, each a slice of the input that starts a package and stays
// within the cap; the only error is ErrFrameTooLong. With the small cap a
// cut stream may be refused earlier (the resynchronising start is not in
// the buffer yet), so its frames are then a prefix of the whole stream's.
func FuzzSplit(f *testing.F) {
	seeds := seedFrames(f)
	for i, s := range seeds {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(append(append([]byte{}, seeds[i-1]...), s...), uint16(len(seeds[i-1])))
		}
	}
	f.Add([]byte("<Signals>\r<Signals </Signals><Checksum>\n"), uint16(9))
	codecs := []*Codec{New(Options{}), New(Options{MaxFrameBytes: 128})}
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
				if err != nil && (protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong)) {
					t.Fatalf("Split error %v", err)
				}
			}
			for _, fr := range whole.frames {
				b := []byte(fr)
				if !bytes.HasPrefix(b, []byte(declOpen)) && !bytes.HasPrefix(b, []byte(rootOpen)) ||
					len(b) > c.max+len(sumOpen)+sumSpan+len(sumClose) || !bytes.Contains(data, b) {
					t.Fatalf("frame %q does not start a package within the cap", fr)
				}
			}
		}
	})
}

// replyRE is every reply's form [S6].
var replyRE = regexp.MustCompile(`^\r<Response><Sequence>([^<&]*)</Sequence><Status>(ACK|NAK)</Status>(<Error>[A-Za-z ,]+</Error>)?</Response><Checksum>[0-9A-F]{4}</Checksum>\n$`)

var (
	decodeReasons = []protocols.Reason{protocols.ReasonSyntax, protocols.ReasonChecksum, protocols.ReasonTooLong}
	replyOutcomes = func() []error {
		out := []error{nil, protocols.Reject("receiver", protocols.ReasonStore, nil), errors.New("x")}
		for _, r := range protocols.Reasons() {
			out = append(out, protocols.Reject(Name, r, nil))
		}
		return out
	}()
)

// FuzzDecode: Decode never panics; its errors are FrameErrors of this
// protocol with a documented reason, always with a Message; every reply is
// one well-formed Response, an ACK exactly when the outcome is accepted,
// echoing the package's Sequence; Detail marshals to JSON (the dialect
// carries no secret to leak). Each input is also tried wrapped as a
// package's Signal, so the fuzzer reaches the field checks.
func FuzzDecode(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s)
	}
	f.Add([]byte("<ACC>1</ACC><SI>E130</SI><VF>http://x</VF>"))
	c := New(Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, c, data)
		checkDecode(t, c, []byte(pkg("1", "1", sig(string(data)))))
	})
}

func checkDecode(t *testing.T, c *Codec, data []byte) {
	t.Helper()
	m, err := c.Decode(data, defaultNow)
	if m == nil {
		t.Fatalf("nil Message (%v)", err)
	}
	if err != nil {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || !slices.Contains(decodeReasons, fe.Reason) || ErrorText(err) == "" {
			t.Fatalf("Decode error %v is not one of the documented FrameErrors", err)
		}
		if m.Kind != "rejected" || len(m.Events) != 0 {
			t.Fatalf("refused with Kind %q and %d events", m.Kind, len(m.Events))
		}
	} else {
		if (m.Kind == "heartbeat") != (len(m.Events) == 0) || m.Kind != "heartbeat" && m.Kind != "signals" || !validSequence(m.Sequence) {
			t.Fatalf("accepted Kind %q, %d events, sequence %q", m.Kind, len(m.Events), m.Sequence)
		}
		if len(m.Events) > 0 && m.Account != m.Events[0].Account {
			t.Fatalf("account %q, first event's %q", m.Account, m.Events[0].Account)
		}
	}
	if _, jerr := json.Marshal(m.Detail); jerr != nil {
		t.Fatalf("Detail JSON: %v", jerr)
	}
	for _, outcome := range append(replyOutcomes, err) {
		b := c.Reply(m, outcome, defaultNow)
		sm := replyRE.FindSubmatch(b)
		if sm == nil {
			t.Fatalf("Reply(%v) to %q = %q is not a Response", outcome, data, b)
		}
		wantACK := outcome == nil || protocols.ReasonOf(outcome) == protocols.ReasonUnknownAccount
		if (string(sm[2]) == "ACK") != wantACK || m.Sequence != "" && validSequence(m.Sequence) && string(sm[1]) != m.Sequence {
			t.Fatalf("Reply(%v) = %q for sequence %q", outcome, b, m.Sequence)
		}
	}
}
