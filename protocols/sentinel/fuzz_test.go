package sentinel

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// seeds returns the case table's streams and the fixtures in
// testdata/sentinel.
func seeds(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, tc := range cases {
		out = append(out, []byte(tc.raw))
	}
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.line"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzSplit: a stream fed whole or in two reads cut anywhere yields the
// same frames, each a slice of the input without CR or LF; with the small
// cap the cut stream may be refused earlier (the end of an over-long line
// is not in the buffer yet), so an error there allows a prefix.
func FuzzSplit(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, uint16(len(s)/2))
	}
	codecs := []*Codec{New(Options{}), New(Options{MaxFrameBytes: 48})}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		for _, c := range codecs {
			whole, werr := splitStream(c, data)
			parts, perr := splitStream(c, data[:at], data[at:])
			for _, err := range []error{werr, perr} {
				if errors.Is(err, errBadAdvance) {
					t.Fatalf("split broke the SplitFunc contract on %q", data)
				}
				if err != nil && protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Fatalf("split error %v", err)
				}
			}
			switch {
			case werr == nil && perr == nil:
				if !slices.Equal(whole, parts) {
					t.Fatalf("cut at %d: %q, whole %q", at, parts, whole)
				}
			case perr != nil:
				if len(parts) > len(whole) || !slices.Equal(parts, whole[:len(parts)]) {
					t.Fatalf("cut at %d: %q (%v) is not a prefix of %q", at, parts, perr, whole)
				}
			}
			for _, fr := range whole {
				if len(fr) == 0 || len(fr) > c.max+1 || strings.ContainsAny(fr, "\r\n") || !strings.Contains(string(data), fr) {
					t.Fatalf("frame %q of %q", fr, data)
				}
			}
		}
	})
}

// FuzzDecode: Decode never panics; a refusal is a FrameError of this
// protocol with ReasonSyntax or ReasonTooLong and is answered NAK; an
// accepted line is answered ACK, has an account and one event (a
// heartbeat none); Detail is a json.Marshaler whose JSON holds no secret;
// Redact keeps no secret either, and RebuildDetail renders Detail.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Add([]byte("Account=1|Event=E130|Password=s3cr3tvalue|Token=s3cr3tvalue"))
	c := New(Options{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := c.Decode(frame, time.Time{})
		reply := string(c.Reply(m, err, time.Time{}))
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name || (fe.Reason != protocols.ReasonSyntax && fe.Reason != protocols.ReasonTooLong) {
				t.Fatalf("error %v is not a documented %s FrameError", err, Name)
			}
			if reply != nak {
				t.Fatalf("refusal answered %q", reply)
			}
			if m == nil || m.Kind != KindRejected {
				t.Fatalf("refusal without a rejected message: %+v", m)
			}
		} else {
			if reply != ack {
				t.Fatalf("accepted line answered %q", reply)
			}
			switch m.Kind {
			case KindHeartbeat:
				if len(m.Events) != 0 {
					t.Fatalf("heartbeat with events")
				}
			case KindSignals:
				if m.Account == "" || len(m.Events) != 1 || m.Events[0].Account != m.Account || !validSequence(m.Sequence) {
					t.Fatalf("accepted %+v", m)
				}
			default:
				t.Fatalf("kind %q", m.Kind)
			}
			b, ok := c.RebuildDetail(frame)
			j, _ := json.Marshal(m.Detail)
			if !ok || string(b) != string(j) {
				t.Fatalf("rebuilt detail %s, detail %s", b, j)
			}
		}
		if m.Detail != nil {
			if _, ok := m.Detail.(json.Marshaler); !ok {
				t.Fatalf("detail %T", m.Detail)
			}
			j, err := json.Marshal(m.Detail)
			if err != nil {
				t.Fatal(err)
			}
			checkNoSecret(t, m.Detail.(*Frame), string(j))
		}
		// A passkey added to the line is kept nowhere.
		if !bytes.Contains(frame, []byte(secret)) {
			withKey := append(append([]byte{}, frame...), "|Passkey="+secret+"\r"...)
			if red := c.Redact(withKey); bytes.Contains(red, []byte(secret)) {
				t.Fatalf("redacted %q keeps the secret", red)
			}
			if m, _ := c.Decode(withKey, time.Time{}); m != nil {
				j, _ := json.Marshal(m.Detail)
				if strings.Contains(string(j), secret) {
					t.Fatalf("detail %s keeps the secret", j)
				}
				for _, ev := range m.Events {
					for _, md := range ev.Modifiers {
						if md.Value == secret {
							t.Fatalf("modifier %v keeps the secret", md)
						}
					}
				}
			}
		}
	})
}

const secret = "s3cr3tvalue"

// checkNoSecret: every pair whose key is secret reads Redacted.
func checkNoSecret(t *testing.T, f *Frame, j string) {
	t.Helper()
	for _, p := range f.Pairs {
		if isSecretKey(normKey(p.Key)) && p.Value != Redacted {
			t.Fatalf("secret %s kept in %s", p.Key, j)
		}
	}
}
