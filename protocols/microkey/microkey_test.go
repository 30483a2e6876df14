package microkey

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

var defaultNow = time.Date(2025, 5, 29, 17, 7, 49, 0, time.UTC)

func TestDecodeCases(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			m, err := c.Decode([]byte(tc.raw), defaultNow)
			if tc.reason == accepted {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
			} else {
				var fe *protocols.FrameError
				if !errors.As(err, &fe) || fe.Protocol != Name || fe.Reason != tc.reason || !errors.Is(err, tc.sentinel) {
					t.Fatalf("Decode error %v, want reason %s and %v", err, tc.reason, tc.sentinel)
				}
			}
			if m == nil {
				t.Fatal("nil Message")
			}
			if m.Protocol != Name || m.Kind != tc.kind || m.Account != tc.account || m.Sequence != tc.seq || m.Line != tc.line {
				t.Errorf("Message %s/%s account %q seq %q line %q, want %s/%s %q %q %q",
					m.Protocol, m.Kind, m.Account, m.Sequence, m.Line, Name, tc.kind, tc.account, tc.seq, tc.line)
			}
			if !slices.Equal(m.Deviations, tc.devs) {
				t.Errorf("deviations %v, want %v", m.Deviations, tc.devs)
			}
			if !m.Timestamp.IsZero() {
				t.Errorf("Timestamp %v: Micro Key carries no time zone", m.Timestamp)
			}
			p, ok := m.Detail.(*Package)
			if !ok {
				t.Fatalf("Detail %T, want *Package", m.Detail)
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("Detail JSON: %v", err)
			}
			if p.Charset != tc.charset {
				t.Errorf("charset %q, want %q", p.Charset, tc.charset)
			}
			if len(m.Events) != len(tc.events) {
				t.Fatalf("%d events, want %d: %+v", len(m.Events), len(tc.events), m.Events)
			}
			for i, w := range tc.events {
				ev := m.Events[i]
				if ev.Account != w.account || ev.Format != w.format || ev.Code != w.code || ev.Qualifier != w.qualifier ||
					ev.Partition != w.partition || ev.Zone != w.zone || ev.Text != w.text || ev.Known != w.known ||
					!ev.PanelTime.IsZero() {
					t.Errorf("event %d = %+v, want %+v", i, ev, w)
				}
				if !slices.Equal(ev.Modifiers, w.mods) {
					t.Errorf("event %d modifiers %v, want %v", i, ev.Modifiers, w.mods)
				}
			}
			if got := string(c.Reply(m, err, defaultNow)); got != tc.reply {
				t.Errorf("reply %q, want %q", got, tc.reply)
			}
		})
	}
}

// TestRetransmission: a resent package carries the same Sequence, which the
// receiver keys idempotency on, and is acknowledged again.
func TestRetransmission(t *testing.T) {
	a, _ := caseByName("v1_vendor_sample")
	b, _ := caseByName("v2_vendor_sample_retransmitted")
	c := New(Options{})
	m1, err1 := c.Decode([]byte(a.raw), defaultNow)
	m2, err2 := c.Decode([]byte(b.raw), defaultNow.Add(time.Minute))
	if err1 != nil || err2 != nil || m1.Sequence != m2.Sequence || m1.Sequence != "10000" {
		t.Fatalf("sequences %q %q (%v, %v)", m1.Sequence, m2.Sequence, err1, err2)
	}
	if string(c.Reply(m2, nil, defaultNow)) != emulatorACK {
		t.Fatal("the retransmission is not acknowledged like the original")
	}
}

// TestReplyOutcomes: what the receiver's outcome makes of the answer.
func TestReplyOutcomes(t *testing.T) {
	c := New(Options{})
	tc, _ := caseByName("v1_vendor_sample")
	m, _ := c.Decode([]byte(tc.raw), defaultNow)
	for _, o := range []struct {
		name    string
		outcome error
		want    string
	}{
		{"ack", nil, emulatorACK},
		{"unknown_account_is_acked", protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), emulatorACK},
		{"store_failure_resend", protocols.Reject("receiver", protocols.ReasonStore, errors.New("disk full")), nak("10000", "Not stored, resend")},
		{"shutdown_resend", protocols.Reject("receiver", protocols.ReasonShutdown, nil), nak("10000", "Not stored, resend")},
		{"unknown_error_resend", errors.New("boom"), nak("10000", "Not stored, resend")},
		{"too_long", protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), nak("10000", "Message too long")},
		{"checksum", protocols.Reject(Name, protocols.ReasonChecksum, nil), emulatorNAK},
	} {
		if got := string(c.Reply(m, o.outcome, defaultNow)); got != o.want {
			t.Errorf("%s: %q, want %q", o.name, got, o.want)
		}
	}
	if got := string(c.Reply(nil, nil, defaultNow)); got != ack("") {
		t.Errorf("nil message: %q", got)
	}
	if got := string(c.Reply(&protocols.Message{Sequence: "<&>\x01"}, nil, defaultNow)); got != ack("&lt;&amp;&gt;") {
		t.Errorf("escaping: %q", got)
	}
	if got := New(Options{NoACKNAK: true}).Reply(m, nil, defaultNow); got != nil {
		t.Errorf("NoACKNAK: %q", got)
	}
}

// TestRebuildDetail: the Detail JSON is a function of the frame alone.
func TestRebuildDetail(t *testing.T) {
	c := New(Options{})
	for _, tc := range frameCases {
		m, err := c.Decode([]byte(tc.raw), defaultNow)
		got, ok := c.RebuildDetail([]byte(tc.raw))
		if err != nil {
			if ok {
				t.Errorf("%s: rebuilt a refused package's detail", tc.name)
			}
			continue
		}
		want, _ := json.Marshal(m.Detail)
		if !ok || string(got) != string(want) {
			t.Errorf("%s: rebuilt %s, want %s", tc.name, got, want)
		}
	}
}

// feeder drives Split the way the receiver does, read by read.
type feeder struct {
	c      *Codec
	buf    []byte
	frames []string
	err    error
}

func (f *feeder) feed(b []byte, atEOF bool) {
	if f.err != nil {
		return
	}
	f.buf = append(f.buf, b...)
	for {
		if len(f.buf) == 0 && !atEOF {
			return
		}
		adv, frame, err := f.c.Split(f.buf, atEOF)
		if err != nil {
			f.err = err
			return
		}
		if frame != nil {
			f.frames = append(f.frames, string(frame))
		}
		if adv == 0 {
			if frame == nil {
				return
			}
			continue
		}
		f.buf = f.buf[adv:]
		if len(f.buf) == 0 {
			return
		}
	}
}

func splitChunks(c *Codec, chunks ...[]byte) *feeder {
	f := &feeder{c: c}
	for i, ch := range chunks {
		f.feed(ch, i == len(chunks)-1)
	}
	return f
}

func TestSplitEveryBoundary(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			want := tc.wantFrames()
			raw := []byte(tc.raw)
			for i := 0; i <= len(raw); i++ {
				f := splitChunks(c, raw[:i], raw[i:])
				if f.err != nil && tc.opts.MaxFrameBytes > 0 && errors.Is(f.err, protocols.ErrFrameTooLong) && len(f.frames) == 0 {
					continue // cut past the small cap before the end: refused, as documented
				}
				if f.err != nil || !slices.Equal(f.frames, want) {
					t.Fatalf("cut at %d: frames %q, err %v; want %q", i, f.frames, f.err, want)
				}
			}
			f := &feeder{c: c}
			for i := range raw {
				f.feed(raw[i:i+1], false)
			}
			f.feed(nil, true)
			if !slices.Equal(f.frames, want) {
				t.Fatalf("byte by byte: %q, want %q", f.frames, want)
			}
		})
	}
}

// TestSplitStream: every splittable case back to back, in one stream, as a
// sender's connection carries them, with and without LF/CR.
func TestSplitStream(t *testing.T) {
	c := New(Options{})
	var stream []byte
	var want []string
	for _, tc := range frameCases {
		if tc.opts != (Options{}) {
			continue
		}
		stream = append(stream, tc.raw...)
		want = append(want, tc.wantFrames()...)
	}
	// t1 has no CR: its checksum closes it. Every frame must come out.
	f := splitChunks(c, stream)
	if f.err != nil || !slices.Equal(f.frames, want) {
		t.Fatalf("stream: %d frames (%v), want %d\n got %q\nwant %q", len(f.frames), f.err, len(want), f.frames, want)
	}
}

func TestSplitCap(t *testing.T) {
	c := New(Options{MaxFrameBytes: 64})
	// An unfinished package past the cap, nothing to resynchronise on.
	long := []byte("<Signals><Sequence>1</Sequence>" + string(make([]byte, 100)))
	for i := range long[31:] {
		long[31+i] = 'x'
	}
	if _, _, err := c.Split(long, false); protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("over the cap: %v", err)
	}
	// Another package starts inside the buffer: resynchronise on it.
	next := append(append([]byte{}, long...), "<Signals><SignalCount>0</SignalCount><Sequence>2</Sequence></Signals>\r"...)
	adv, frame, err := c.Split(next, false)
	if err != nil || frame != nil || adv != len(long) {
		t.Fatalf("resync: %d %q %v", adv, frame, err)
	}
	// Under the cap, incomplete: wait.
	if adv, frame, err := c.Split(long[:40], false); adv != 0 || frame != nil || err != nil {
		t.Fatalf("incomplete: %d %q %v", adv, frame, err)
	}
	// A declaration past the cap whose root is still forming: that root
	// is the package's own, not another package to resynchronise on.
	decl := []byte(declOpen + " " + strings.Repeat("0", 80) + "<Sig")
	if _, _, err := c.Split(decl, false); !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("declared, over the cap: %v", err)
	}
	// A second declaration forming there does resynchronise.
	decl = []byte(declOpen + " " + strings.Repeat("0", 80) + "<?x")
	if adv, frame, err := c.Split(decl, false); err != nil || frame != nil || adv != len(decl)-3 {
		t.Fatalf("second declaration: %d %q %v", adv, frame, err)
	}
}
