package sos

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

// secretsIn are the passwords the table's messages carry.
var secretsIn = []string{testPassword, "l4x85dshyrbla27", "wrongpassword00", "nnwxjatv8"}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			c := codecFor(tc)
			m, err := c.Decode([]byte(tc.raw), testNow)
			if m == nil {
				t.Fatal("no message")
			}
			ok := casetest.CheckError(t, Name, err, tc.err, tc.reason)
			if m.Protocol != Name || m.Kind != tc.kind || m.Account != tc.account || m.Receiver != tc.receiver || m.Sequence != tc.seq {
				t.Errorf("message %s/%s account %q receiver %q seq %q, want %s/%s %q %q %q",
					m.Protocol, m.Kind, m.Account, m.Receiver, m.Sequence, Name, tc.kind, tc.account, tc.receiver, tc.seq)
			}
			if !m.Timestamp.Equal(tc.ts) {
				t.Errorf("timestamp %v, want %v", m.Timestamp, tc.ts)
			}
			if got := string(c.Reply(m, err, testNow)); got != tc.reply {
				t.Errorf("reply\n got %q\nwant %q", got, tc.reply)
			}
			checkNoSecret(t, m, err)
			if !ok {
				if len(m.Events) != 0 {
					t.Errorf("%d events in a rejected message", len(m.Events))
				}
				return
			}
			if len(m.Events) != len(tc.events) {
				t.Fatalf("%d events, want %d", len(m.Events), len(tc.events))
			}
			for i, want := range tc.events {
				ev := m.Events[i]
				got := wantEvent{format: ev.Format, account: ev.Account, code: ev.Code, qualifier: ev.Qualifier,
					partition: ev.Partition, zone: ev.Zone, text: ev.Text, known: ev.Known, mods: ev.Modifiers}
				if want.qualifier == protocols.QualifierNone && !want.known {
					got.qualifier = protocols.QualifierNone // unknown codes: whatever alarmcode says
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("event %d\n got %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

// checkNoSecret: no password in the Detail's JSON or the error.
func checkNoSecret(t *testing.T, m *protocols.Message, err error) {
	t.Helper()
	if _, ok := m.Detail.(json.Marshaler); !ok {
		t.Fatalf("Detail %T is not a json.Marshaler", m.Detail)
	}
	b, jerr := json.Marshal(m.Detail)
	if jerr != nil {
		t.Fatal(jerr)
	}
	for _, s := range secretsIn {
		if bytes.Contains(b, []byte(s)) || err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("the password %q shows in the detail %s or the error %v", s, b, err)
		}
	}
}

func TestReplyOutcomes(t *testing.T) {
	c := New(Options{})
	tc, _ := caseByName("s7_reference")
	m, err := c.Decode([]byte(tc.raw), testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range replyCases {
		t.Run(rc.name, func(t *testing.T) {
			if got, want := string(c.Reply(m, rc.outcome, testNow)), reply("alarmresponse", "1", rc.status); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if got, want := string(c.Reply(nil, nil, testNow)), ack(""); got != want {
		t.Errorf("nil message: got %q, want %q", got, want)
	}
}

// TestAnswer: the receiver's own answers (duplicate, pings too often).
func TestAnswer(t *testing.T) {
	c := New(Options{})
	alarmTC, _ := caseByName("s7_reference")
	pingTC, _ := caseByName("s7_ping")
	am, _ := c.Decode([]byte(alarmTC.raw), testNow)
	pm, _ := c.Decode([]byte(pingTC.raw), testNow)
	for _, x := range []struct {
		m      *protocols.Message
		status int
		want   string
	}{
		{am, StatusDuplicatedAlarm, reply("alarmresponse", "1", StatusDuplicatedAlarm)},
		{pm, StatusPingTooOften, reply("pingresponse", "734632", StatusPingTooOften)},
		{pm, StatusServiceUnavailable, reply("pingresponse", "734632", StatusServiceUnavailable)},
		{am, 6, reply("alarmresponse", "1", StatusOtherError)}, // not a status of the table
	} {
		if got := string(Answer(x.m, x.status, testNow)); got != x.want {
			t.Errorf("Answer(%d): got %q, want %q", x.status, got, x.want)
		}
	}
	if StatusFor(errors.New("anything")) != StatusServerError {
		t.Error("an unknown outcome is not SERVER_ERROR")
	}
}

func TestSender(t *testing.T) {
	c := New(Options{})
	tc, _ := caseByName("s7_reference")
	m, _ := c.Decode([]byte(tc.raw), testNow)
	if got := Sender(m); got != "42" {
		t.Errorf("Sender %q, want 42", got)
	}
	if Sender(nil) != "" || Sender(&protocols.Message{Protocol: "dc09", Receiver: "1"}) != "" {
		t.Error("Sender of no message or another protocol's is not empty")
	}
}

func TestSplit(t *testing.T) {
	for _, sc := range splitCases {
		t.Run(sc.name, func(t *testing.T) {
			c := New(Options{MaxFrameBytes: sc.max})
			frames, err := splitAll(c, []byte(sc.stream), 0)
			if sc.tooLong {
				if !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Fatalf("error %v, want a too_long ErrFrameTooLong", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(frames, sc.frames) {
				t.Errorf("frames\n got %q\nwant %q", frames, sc.frames)
			}
			for cut := 1; cut < len(sc.stream); cut++ {
				got, err := splitAll(c, []byte(sc.stream), cut)
				if err != nil || !reflect.DeepEqual(got, frames) {
					t.Fatalf("fed in pieces of %d: %q, %v", cut, got, err)
				}
			}
		})
	}
}

// splitAll frames stream as a receiver does, fed in pieces of chunk bytes
// (0: whole), and returns the frames.
func splitAll(c *Codec, stream []byte, chunk int) ([]string, error) {
	var frames []string
	var buf []byte
	for fed := 0; fed < len(stream) || len(buf) > 0; {
		n := len(stream) - fed
		if chunk > 0 && n > chunk {
			n = chunk
		}
		buf = append(buf, stream[fed:fed+n]...)
		fed += n
		atEOF := fed == len(stream)
		for len(buf) > 0 {
			adv, frame, err := c.Split(buf, atEOF)
			if err != nil {
				return frames, err
			}
			if frame != nil {
				frames = append(frames, string(frame))
			}
			if adv == 0 {
				break
			}
			buf = buf[adv:]
		}
		if atEOF {
			break
		}
	}
	return frames, nil
}

// TestRedact: the evidence of every case holds no password, and a
// message as the source writes it loses only its password.
func TestRedact(t *testing.T) {
	c := New(Options{})
	for _, tc := range decodeCases {
		ev := c.Redact([]byte(tc.raw))
		for _, s := range secretsIn {
			if bytes.Contains(ev, []byte(s)) {
				t.Errorf("%s: the evidence holds %q: %q", tc.name, s, ev)
			}
		}
	}
	tc, _ := caseByName("latin1")
	got := string(c.Redact([]byte(tc.raw)))
	// The bytes as received, ISO-8859-1 kept, but for the password.
	want := strings.Replace(tc.raw, testPassword, "[redacted]", 1)
	if got != want {
		t.Errorf("latin1 evidence\n got %q\nwant %q", got, want)
	}
	utf, _ := caseByName("utf8")
	if got := c.Redact([]byte(utf.raw)); string(got) != utf.raw {
		t.Errorf("a message without a password changed: %q", got)
	}
}
