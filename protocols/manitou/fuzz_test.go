package manitou

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// replySeeds are the reply table's frames, every reply Codec.Reply writes
// for the decode table, and the encoders' output.
func replySeeds() [][]byte {
	var out [][]byte
	for _, rc := range replyCases {
		out = append(out, []byte(rc.raw))
	}
	for _, tc := range frameCases {
		out = append(out, []byte(tc.reply))
	}
	for _, ec := range encodeCases {
		if b, err := ec.encode(); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// FuzzSplitReply: SplitReply agrees with itself fed whole or cut anywhere
// and with bufio.Scanner; its frames are STX … ETX within MaxReplyBytes;
// its only error is ErrFrameTooLong.
func FuzzSplitReply(f *testing.F) {
	seeds := replySeeds()
	for i, s := range seeds {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(append(append([]byte("\r\n"), seeds[i-1]...), s...), uint16(len(seeds[i-1])))
		}
	}
	f.Add(append([]byte{STX}, bytes.Repeat([]byte("x"), MaxReplyBytes+10)...), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		whole := splitChunks(replySplitter, data)
		parts := splitChunks(replySplitter, data[:at], data[at:])
		if (whole.err == nil) != (parts.err == nil) || whole.err == nil && !slices.Equal(whole.frames, parts.frames) {
			t.Fatalf("cut at %d: %q %v, whole: %q %v", at, parts.frames, parts.err, whole.frames, whole.err)
		}
		for _, err := range []error{whole.err, parts.err} {
			if err != nil && (protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong)) {
				t.Fatalf("SplitReply error %v", err)
			}
		}
		for _, fr := range whole.frames {
			if len(fr) < 2 || fr[0] != STX || fr[len(fr)-1] != ETX || len(fr) > MaxReplyBytes || !bytes.Contains(data, []byte(fr)) {
				t.Fatalf("frame %q is not STX … ETX within the cap", fr)
			}
		}
		s := bufio.NewScanner(bytes.NewReader(data))
		s.Buffer(make([]byte, 0, 64), MaxReplyBytes+1)
		s.Split(SplitReply)
		var got []string
		for s.Scan() {
			got = append(got, s.Text())
		}
		if s.Err() == nil && whole.err == nil && !slices.Equal(got, whole.frames) {
			t.Fatalf("Scanner: %q, SplitReply: %q", got, whole.frames)
		}
	})
}

// FuzzParseReply: ParseReply never panics; an error is a FrameError of
// this protocol with a documented reason and no reply; a reply is OK
// exactly when the root is an Ack, never OK and Retry at once, echoes no
// sequence, and its Text is short and free of control characters.
func FuzzParseReply(f *testing.F) {
	for _, s := range replySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, append(append([]byte{STX}, data...), ETX)} {
			pr, err := ParseReply(in)
			if err != nil {
				var fe *protocols.FrameError
				if !errors.As(err, &fe) || fe.Protocol != Name || !slices.Contains(decodeReasons, fe.Reason) || pr != (protocols.PeerReply{}) {
					t.Fatalf("ParseReply(%q) error %v, reply %+v", in, err, pr)
				}
				continue
			}
			if pr.OK && pr.Retry || pr.Seq != "" || len(pr.Text) > 2*MaxField+64 || hasControl(pr.Text) {
				t.Fatalf("ParseReply(%q) = %+v", in, pr)
			}
			// The same document decodes as a frame of no item type, so
			// that Reply and ParseReply agree on what an Ack is.
			root, perr := parseTree(unframe(in))
			if perr != nil || pr.OK != strings.EqualFold(root.name, "ack") {
				t.Fatalf("ParseReply(%q) = %+v, root %v", in, pr, perr)
			}
		}
	})
}

// FuzzEncodeSignal: whatever the event holds, EncodeSignal refuses it
// with ErrNotEncodable or writes one frame that Split frames whole and
// Decode accepts as one signal with the account and sequence given.
func FuzzEncodeSignal(f *testing.F) {
	for _, ec := range encodeCases {
		if !ec.heartbeat {
			url := ""
			if len(ec.ev.Modifiers) > 0 {
				url = ec.ev.Modifiers[0].Value
			}
			f.Add(ec.seq, ec.account, ec.ev.Code, ec.ev.Partition, ec.ev.Zone, ec.ev.User, ec.ev.Text, url, "camera")
		}
	}
	c := New(Options{})
	f.Fuzz(func(t *testing.T, seq, account, code, area, zone, user, text, url, extra string) {
		ev := protocols.Event{Format: protocols.FormatSIA, Code: code, Partition: area, Zone: zone, User: user, Text: text,
			Modifiers: []protocols.Modifier{{Name: "media_clip", Value: url}, {Name: "attr_" + extra, Value: text}, {Name: "attr_evtype", Value: user}}}
		if len(code) == 3 {
			ev.Format = protocols.FormatContactID
		}
		seq = strconv.Itoa(len(seq)) + seq // the output's counter: digits first
		b, err := EncodeSignal(seq, account, ev, testNow)
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) || b != nil {
				t.Fatalf("error %v", err)
			}
			return
		}
		adv, fr, serr := c.Split(b, true)
		if serr != nil || adv != len(b) || !bytes.Equal(fr, b) {
			t.Fatalf("Split(%q) = %d %q %v", b, adv, fr, serr)
		}
		m, derr := c.Decode(b, testNow)
		if derr != nil || m.Kind != "signals" || len(m.Events) != 1 || m.Account != account || m.Sequence != cleanShort(seq) && cleanShort(seq) != "" {
			t.Fatalf("EncodeSignal(%q, %q, %+v) = %q: decoded %+v, %v", seq, account, ev, b, m, derr)
		}
	})
}
