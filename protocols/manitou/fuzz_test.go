package manitou

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/xmlredact"
)

// seedFrames returns the case table's frames and split streams and the
// fixtures in testdata/manitou, the fuzzers' seed corpus.
func seedFrames(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, tc := range frameCases {
		out = append(out, []byte(tc.raw))
	}
	for _, sc := range splitCases {
		out = append(out, []byte(sc.stream))
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

type splitResult struct {
	frames []string
	err    error
}

// splitChunks runs Split as bufio.Scanner does over the chunks, each
// delivered by one read.
func splitChunks(c *Codec, chunks ...[]byte) splitResult {
	var buf []byte
	var res splitResult
	for i, ch := range chunks {
		buf = append(buf, ch...)
		atEOF := i == len(chunks)-1
		for {
			adv, tok, err := c.Split(buf, atEOF)
			if err != nil {
				res.err = err
				return res
			}
			if adv < 0 || adv > len(buf) {
				panic("advance out of range")
			}
			if tok != nil {
				res.frames = append(res.frames, string(tok))
			}
			buf = buf[adv:]
			if adv == 0 || len(buf) == 0 {
				if adv == 0 && tok == nil && atEOF && len(buf) > 0 {
					panic("no progress at EOF")
				}
				break
			}
		}
	}
	return res
}

// FuzzSplit: feeding a stream whole or in two reads cut anywhere yields the
// same frames, each STX … ETX within the cap and a piece of the input; an
// error is always ReasonTooLong, and the frames before it agree.
func FuzzSplit(f *testing.F) {
	seeds := seedFrames(f)
	for i, s := range seeds {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(append(append([]byte{}, seeds[i-1]...), s...), uint16(len(seeds[i-1])))
		}
	}
	codecs := []*Codec{New(Options{}), New(Options{MaxFrameBytes: 40})}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		for _, c := range codecs {
			whole := splitChunks(c, data)
			parts := splitChunks(c, data[:at], data[at:])
			if whole.err == nil && parts.err == nil && !slices.Equal(whole.frames, parts.frames) {
				t.Fatalf("cut at %d: %q, whole: %q", at, parts.frames, whole.frames)
			}
			if (whole.err == nil) != (parts.err == nil) {
				t.Fatalf("cut at %d: error %v, whole: %v", at, parts.err, whole.err)
			}
			for _, err := range []error{whole.err, parts.err} {
				if err != nil && (protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong)) {
					t.Fatalf("Split error %v", err)
				}
			}
			for _, fr := range whole.frames {
				if len(fr) < 2 || fr[0] != STX || fr[len(fr)-1] != ETX || len(fr) > c.maxFrame ||
					bytes.IndexByte([]byte(fr[1:len(fr)-1]), STX) >= 0 || bytes.IndexByte([]byte(fr[1:len(fr)-1]), ETX) >= 0 || !bytes.Contains(data, []byte(fr)) {
					t.Fatalf("frame %q is not STX … ETX within the cap", fr)
				}
			}
			// bufio.Scanner itself agrees.
			s := bufio.NewScanner(bytes.NewReader(data))
			s.Buffer(make([]byte, 0, 64), c.maxFrame+1)
			s.Split(c.Split)
			var got []string
			for s.Scan() {
				got = append(got, s.Text())
			}
			if s.Err() == nil && whole.err == nil && !slices.Equal(got, whole.frames) {
				t.Fatalf("Scanner: %q, Split: %q", got, whole.frames)
			}
		}
	})
}

var (
	decodeReasons = []protocols.Reason{protocols.ReasonSyntax, protocols.ReasonToken, protocols.ReasonTooLong}
	replyOutcomes = []error{nil, protocols.Reject("receiver", protocols.ReasonStore, nil), errors.New("x"),
		protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil)}
)

// FuzzDecode: Decode never panics and always returns a Message; its errors
// are FrameErrors of this protocol with a documented reason; an accepted
// frame's ACK is well-formed and carries its RawNo; no Detail shows a
// passkey; Redact keeps no passkey. Each input is tried as it is and
// wrapped in STX … ETX, with and without Auth.
func FuzzDecode(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s)
	}
	f.Add([]byte(`<Heartbeat passkey="` + testPasskey + `"><PassKey>` + testPasskey + `</PassKey></Heartbeat>`))
	codecs := []*Codec{New(Options{}), New(Options{Auth: testAuth, MaxFrameBytes: 4096})}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			checkDecode(t, c, data)
			checkDecode(t, c, append(append([]byte{STX}, data...), ETX))
		}
	})
}

func checkDecode(t *testing.T, c *Codec, data []byte) {
	t.Helper()
	m, err := c.Decode(data, testNow)
	if m == nil {
		t.Fatal("nil Message")
	}
	if err != nil {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || !slices.Contains(decodeReasons, fe.Reason) || m.Kind != "rejected" {
			t.Fatalf("Decode error %v (kind %q) is not one of the documented FrameErrors", err, m.Kind)
		}
	} else if m.Kind != "signals" && m.Kind != "heartbeat" && m.Kind != "photo" || (m.Kind == "signals") != (len(m.Events) > 0) {
		t.Fatalf("kind %q with %d events", m.Kind, len(m.Events))
	}
	for _, outcome := range append(replyOutcomes, err) {
		b := c.Reply(m, outcome, testNow)
		if len(b) < 2 || b[0] != STX || b[len(b)-1] != ETX {
			t.Fatalf("Reply(%v) = %q is not framed", outcome, b)
		}
	}
	if err == nil {
		f := m.Detail.(*Frame)
		if got := string(c.Reply(m, nil, testNow)); got != ack(f.RawNo) || !validRawNo(f.RawNo) || f.RawNo != RawNo(data) {
			t.Fatalf("ACK %q for %q", got, data)
		}
		if m.Sequence == "" || m.Sequence != f.Sequence {
			t.Fatalf("sequence %q, detail %q", m.Sequence, f.Sequence)
		}
	}
	// A passkey Decode reads (one that appears nowhere else in the frame)
	// is not in the Detail.
	var read []string
	spy := New(Options{MaxFrameBytes: c.maxFrame, Auth: func(_, passkey string) bool { read = append(read, passkey); return true }})
	sm, _ := spy.Decode(data, testNow)
	for _, d := range []any{m.Detail, sm.Detail} {
		b, jerr := json.Marshal(d)
		if jerr != nil {
			t.Fatal(jerr)
		}
		for _, pk := range read {
			q, _ := json.Marshal(pk)
			if len(pk) >= 6 && bytes.Count(data, []byte(pk)) == 1 && bytes.Contains(b, q[1:len(q)-1]) {
				t.Fatalf("Detail of %q holds the passkey %q: %s", data, pk, b)
			}
		}
	}
	// Every passkey Decode reads in the evidence copy is redacted.
	var seen []string
	rec := New(Options{Auth: func(_, passkey string) bool { seen = append(seen, passkey); return true }})
	red := c.Redact(data)
	_, _ = rec.Decode(red, testNow)
	for _, pk := range seen {
		if pk != "" && pk != xmlredact.Redacted {
			t.Fatalf("Redact(%q) = %q keeps the passkey %q", data, red, pk)
		}
	}
}
