package masxml

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestCases(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("case %s twice", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			c := tc.codec()
			inputs := tc.inputs()
			if len(inputs) == 0 {
				t.Fatal("nothing to decode")
			}
			for _, in := range inputs {
				m, err := c.Decode([]byte(in), testNow)
				checkOutcome(t, tc, m, err)
				if got := string(c.Reply(m, err, testNow)); got != tc.reply {
					t.Errorf("reply\n got %q\nwant %q", got, tc.reply)
				}
			}
		})
	}
}

func checkOutcome(t *testing.T, tc testCase, m *protocols.Message, err error) {
	t.Helper()
	if tc.reason == accepted {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
	} else {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || fe.Reason != tc.reason || !errors.Is(err, tc.sentinel) {
			t.Fatalf("error %v, want %s / %v", err, tc.reason, tc.sentinel)
		}
	}
	if m == nil {
		t.Fatal("no message")
	}
	w := tc.msg
	if m.Protocol != Name || m.Kind != w.kind || m.Account != w.account || m.Sequence != w.seq || Sender(m) != w.sender {
		t.Fatalf("message %s/%s account %q seq %q sender %q, want %+v", m.Protocol, m.Kind, m.Account, m.Sequence, Sender(m), w)
	}
	if !m.Timestamp.IsZero() || m.Receiver != "" || m.Line != "" {
		t.Fatalf("MASXML carries no time, receiver or line: %+v", m)
	}
	if len(m.Events) != len(w.events) {
		t.Fatalf("%d events, want %d: %+v", len(m.Events), len(w.events), m.Events)
	}
	for i, we := range w.events {
		ev := m.Events[i]
		got := wantEvent{format: ev.Format, account: ev.Account, code: ev.Code, qualifier: ev.Qualifier,
			partition: ev.Partition, zone: ev.Zone, user: ev.User, text: ev.Text, known: ev.Known, mods: ev.Modifiers}
		if !reflect.DeepEqual(got, we) {
			t.Errorf("event %d\n got %+v\nwant %+v", i, got, we)
		}
	}
	d, ok := m.Detail.(*Message)
	if !ok || d == nil {
		t.Fatalf("detail %T", m.Detail)
	}
	if !reflect.DeepEqual(d.Photos, w.photos) {
		t.Errorf("photos %+v, want %+v", d.Photos, w.photos)
	}
	if _, err := json.Marshal(m.Detail); err != nil {
		t.Fatal(err)
	}
}

// TestNoPhotoBytes: the detail records a photo, never its bytes.
func TestNoPhotoBytes(t *testing.T) {
	for _, name := range []string{"photo_packetdata", "photo_payload_chunk"} {
		tc, _ := caseByName(name)
		m, err := tc.codec().Decode([]byte(tc.raw), testNow)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(m.Detail)
		if strings.Contains(string(j), photoB64[:20]) || strings.Contains(string(j), photoB64[60:80]) {
			t.Fatalf("%s: the photo is in the detail: %s", name, j)
		}
	}
}

// TestReplyOutcomes: the receiver's outcomes map onto the result codes.
func TestReplyOutcomes(t *testing.T) {
	c := New(Options{})
	m, err := c.Decode([]byte(emulatorAjax), testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		outcome error
		want    string
	}{
		{nil, ack("101")},
		{protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), ack("101")},
		{protocols.Reject("receiver", protocols.ReasonStore, nil), nak("101", 10, "Not stored, retry")},
		{protocols.Reject("receiver", protocols.ReasonShutdown, nil), nak("101", 10, "Not stored, retry")},
		{errors.New("anything else"), nak("101", 10, "Not stored, retry")},
		{protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), poorly("101")},
		{protocols.Reject(Name, protocols.ReasonToken, nil), invalid("101")},
	} {
		if got := string(c.Reply(m, o.outcome, testNow)); got != o.want {
			t.Errorf("%v: %q, want %q", o.outcome, got, o.want)
		}
	}
	if got := string(c.Reply(nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), testNow)); got != poorly("0000") {
		t.Errorf("nil message: %q", got)
	}
	if got := string(Answer("42", 77)); got != nak("42", 10, "Not stored, retry") {
		t.Errorf("unknown code: %q", got)
	}
}

// TestCaps: signals, pairs, photos and field lengths are bounded.
func TestCaps(t *testing.T) {
	c := New(Options{MaxFrameBytes: 1 << 20})
	var pairs []string
	for range MaxSignals + 1 {
		pairs = append(pairs, "EventCode", "E130")
	}
	m, err := c.Decode([]byte(msg("AJAX", "1", append([]string{"Account", "1"}, pairs...)...)), testNow)
	if !errors.Is(err, ErrWrongContent) || m.Sequence != "1" {
		t.Fatalf("%d signals: %v", MaxSignals+1, err)
	}
	m, err = c.Decode([]byte(msg("AJAX", "1", append([]string{"Account", "1"}, pairs[:2*MaxSignals]...)...)), testNow)
	if err != nil || len(m.Events) != MaxSignals {
		t.Fatalf("%d signals: %v", MaxSignals, err)
	}
	var many []string
	for range MaxPairs + 1 {
		many = append(many, "Note", "x")
	}
	if _, err := c.Decode([]byte(msg("AJAX", "1", many...)), testNow); !errors.Is(err, ErrWrongContent) {
		t.Fatalf("%d pairs: %v", MaxPairs+1, err)
	}
	for _, p := range [][]string{
		{"Account", "1", "EventCode", "E130", "Text", strings.Repeat("t", MaxText+1)},
		{"Account", "1", "EventCode", "E130", "Note", strings.Repeat("t", MaxText+1)},
		{"Account", "1", "EventCode", "E130", "URL", "https://x/" + strings.Repeat("u", MaxURL)},
		{"Account", "1", "EventCode", "E130", "Zone", strings.Repeat("1", MaxAddress+1)},
		{"Account", "1", "EventCode", "E130", strings.Repeat("k", MaxKey+1), "v"},
	} {
		if _, err := c.Decode([]byte(msg("AJAX", "1", p...)), testNow); !errors.Is(err, ErrWrongContent) {
			t.Errorf("%.60s…: %v", p[len(p)-2], err)
		}
	}
	photos := strings.Repeat("<PacketData>AAAA</PacketData>", MaxPhotos+3)
	body := msg("AJAX", "1", "Account", "1", "EventCode", "E130")
	body = strings.TrimSuffix(body, "</XMLMessageClass>") + photos + "</XMLMessageClass>"
	m, err = c.Decode([]byte(body), testNow)
	if err != nil || len(m.Detail.(*Message).Photos) != MaxPhotos || m.Detail.(*Message).PhotosDropped != 3 {
		t.Fatalf("photos: %v", err)
	}
}

// TestDefaultCap: Options.MaxFrameBytes ≤ 0 is the documented default.
func TestDefaultCap(t *testing.T) {
	if New(Options{}).max != DefaultMaxFrameBytes || New(Options{MaxFrameBytes: -1}).max != DefaultMaxFrameBytes {
		t.Fatal("default cap")
	}
}
