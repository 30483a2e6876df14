package manitou

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

var testNow = time.Date(2026, 5, 29, 21, 7, 49, 0, time.UTC)

func TestCases(t *testing.T) {
	seqs := map[string]string{}
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			c := codecFor(tc)
			m, err := c.Decode([]byte(tc.raw), testNow)
			if m == nil {
				t.Fatal("nil Message")
			}
			if m.Protocol != Name || m.Kind != tc.kind {
				t.Errorf("protocol %q kind %q, want %q %q", m.Protocol, m.Kind, Name, tc.kind)
			}
			wantSeq := tc.seq
			if wantSeq == "" {
				wantSeq = RawNo([]byte(tc.raw))
			}
			if m.Sequence != wantSeq {
				t.Errorf("sequence %q, want %q", m.Sequence, wantSeq)
			}
			seqs[tc.name] = m.Sequence
			if tc.sameSeqAs != "" && m.Sequence != seqs[tc.sameSeqAs] {
				t.Errorf("retransmission: sequence %q, %s had %q", m.Sequence, tc.sameSeqAs, seqs[tc.sameSeqAs])
			}
			if got := string(c.Reply(m, err, testNow)); got != tc.reply {
				t.Errorf("reply %q, want %q", got, tc.reply)
			}
			if got := Sender(m); got != tc.sender {
				t.Errorf("sender %q, want %q", got, tc.sender)
			}
			checkNoSecret(t, m)
			if !casetest.CheckError(t, Name, err, tc.err, tc.reason) {
				return
			}
			if m.Account != tc.account || m.Line != tc.line {
				t.Errorf("account %q line %q, want %q %q", m.Account, m.Line, tc.account, tc.line)
			}
			f := m.Detail.(*Frame)
			if len(f.Signals) > 0 && f.Signals[0].AccountPlace != tc.place {
				t.Errorf("account place %q, want %q", f.Signals[0].AccountPlace, tc.place)
			}
			if len(m.Events) != len(tc.events) {
				t.Fatalf("%d events, want %d", len(m.Events), len(tc.events))
			}
			for i, w := range tc.events {
				ev := m.Events[i]
				if ev.Format != w.format || ev.Account != w.account || ev.Code != w.code || ev.Qualifier != w.qualifier ||
					ev.Partition != w.partition || ev.Zone != w.zone || ev.Text != w.text || ev.Known != w.known {
					t.Errorf("event %d: %+v, want %+v", i, ev, w)
				}
				if !slices.Equal(ev.Modifiers, w.mods) {
					t.Errorf("event %d modifiers %v, want %v", i, ev.Modifiers, w.mods)
				}
			}
		})
	}
}

// checkNoSecret: the Detail's JSON never holds the passkey, nor the
// base64 of a photo.
func checkNoSecret(t *testing.T, m *protocols.Message) {
	t.Helper()
	b, err := json.Marshal(m.Detail)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{testPasskey, "guess", "/9j/4A"} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatalf("Detail holds %q: %s", s, b)
		}
	}
	if _, ok := m.Detail.(json.Marshaler); !ok {
		t.Fatal("Detail is no json.Marshaler")
	}
}

func TestSplitCases(t *testing.T) {
	for _, tc := range splitCases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{MaxFrameBytes: tc.max})
			// Whole, and one byte at a time through bufio.Scanner.
			for _, chunk := range []int{len(tc.stream), 1} {
				got, err := scan(c, []byte(tc.stream), chunk)
				if tc.tooLong {
					if !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
						t.Fatalf("chunk %d: err %v, want too long", chunk, err)
					}
					continue
				}
				if err != nil || !slices.Equal(got, tc.frames) {
					t.Fatalf("chunk %d: %q, %v; want %q", chunk, got, err, tc.frames)
				}
			}
		})
	}
}

// oneByte is a reader that returns at most n bytes a read.
type oneByte struct {
	b []byte
	n int
}

func (r *oneByte) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errEOF
	}
	k := min(len(p), r.n, len(r.b))
	copy(p, r.b[:k])
	r.b = r.b[k:]
	return k, nil
}

var errEOF = errorsEOF()

func scan(c *Codec, stream []byte, chunk int) ([]string, error) {
	s := bufio.NewScanner(&oneByte{b: stream, n: chunk})
	s.Buffer(make([]byte, 16), c.maxFrame+16)
	s.Split(c.Split)
	var out []string
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out, s.Err()
}

func TestReplyOutcomes(t *testing.T) {
	c := New(Options{})
	m, err := c.Decode([]byte(frame(`<Signal Event="BA" Account="1"/>`)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	raw := m.Detail.(*Frame).RawNo
	for _, tt := range []struct {
		outcome error
		want    string
	}{
		{nil, ack(raw)},
		{protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), ack(raw)},
		{protocols.Reject("receiver", protocols.ReasonStore, errors.New("disk")), nak("0", "30")},
		{protocols.Reject("receiver", protocols.ReasonShutdown, nil), nak("0", "30")},
		{errors.New("anything"), nak("0", "30")},
		{protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), nak("0", "10")},
	} {
		if got := string(c.Reply(m, tt.outcome, testNow)); got != tt.want {
			t.Errorf("Reply(%v) = %q, want %q", tt.outcome, got, tt.want)
		}
	}
	if got := string(c.Reply(nil, nil, testNow)); got != "\x02<?xml version=\"1.0\"?><Ack/>\x03" {
		t.Errorf("Reply(nil) = %q", got)
	}
}

func TestRawNo(t *testing.T) {
	// The same XML framed or not, with white space around the frame, has one
	// RawNo; another frame has another.
	a := RawNo([]byte(frame(`<Ping/>`)))
	if b := RawNo([]byte("\r\n" + frame(`<Ping/>`) + "\r\n")); a != b || RawNo([]byte(`<Ping/>`)) != a {
		t.Errorf("RawNo differs by framing: %s %s", a, b)
	}
	if len(a) != RawNoLen || !validRawNo(a) || RawNo([]byte(frame(`<Ping />`))) == a {
		t.Errorf("RawNo %q", a)
	}
}

func TestRedact(t *testing.T) {
	c := New(Options{})
	for _, tt := range []struct{ in, want string }{
		{frame(`<Heartbeat Passkey="` + testPasskey + `"/>`), frame(`<Heartbeat Passkey="[redacted]"/>`)},
		{"\r\n" + frame(`<Heartbeat><passKEY>`+testPasskey+`</passKEY></Heartbeat>`) + "\r\n", "\r\n" + frame(`<Heartbeat><passKEY>[redacted]</passKEY></Heartbeat>`) + "\r\n"},
		{frame(`<Signals Passkey="` + testPasskey + `"><Signal Event="BA" Account="1"/></Signals>`), frame(`<Signals Passkey="[redacted]"><Signal Event="BA" Account="1"/></Signals>`)},
		{frame(`<Heartbeat Passkey="` + testPasskey + `"`), "\x02…[rest not kept: not well-formed]\x03"},
	} {
		got := string(c.Redact([]byte(tt.in)))
		if got != tt.want || strings.Contains(got, testPasskey) {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	plain := []byte(frame(`<Ping/>`))
	if got := c.Redact(plain); &got[0] != &plain[0] {
		t.Error("a frame with no passkey was copied")
	}
}

func errorsEOF() error { return io.EOF }

// TestRedactLatin1: a frame in ISO-8859-1 or Windows-1252 that cannot hold
// a passkey is kept as received; one that may is never kept with it.
func TestRedactLatin1(t *testing.T) {
	c := New(Options{})
	for _, name := range []string{"latin1", "windows1252"} {
		tc, _ := caseByName(name)
		if got := string(c.Redact([]byte(tc.raw))); got != tc.raw {
			t.Errorf("%s: Redact = %q", name, got)
		}
	}
	in := frame("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Heartbeat Passkey=\"" + testPasskey + "\"><Info>Caf\xe9</Info></Heartbeat>")
	if got := c.Redact([]byte(in)); bytes.Contains(got, []byte(testPasskey)) || got[0] != STX || got[len(got)-1] != ETX {
		t.Errorf("Redact = %q", got)
	}
}
