package xmlsignal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

const exampleDir = "../../testdata/xmlsignal"

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exampleDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExamples(t *testing.T) {
	c := New(0)
	m, err := c.Decode(readExample(t, "chekt-style.xml"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ev := m.Events[0]
	if m.Kind != "signals" || m.Account != "ABC1234" || m.Sequence != "6f1c1a0e-3f7b-4c7e-9d2a-1d2b9c0f7a11" ||
		ev.Format != "CID" || ev.Code != "130" || ev.Qualifier != protocols.QualifierNew || ev.Zone != "017" ||
		ev.Partition != "01" || ev.Category != protocols.CategoryBurglary || !strings.Contains(ev.Text, "person detected") {
		t.Fatalf("decoded %+v / %+v", m, ev)
	}
	if !ev.PanelTime.Equal(time.Date(2026, 11, 30, 9, 7, 48, 0, time.UTC)) {
		t.Fatalf("event time %v", ev.PanelTime)
	}
	mods := map[string]string{}
	for _, md := range ev.Modifiers {
		mods[md.Name] = md.Value
	}
	if mods["media_portal"] != "https://monitoring.chekt.com/monitoring?act=ABC1234&zone=017" || mods["attr_camera"] != "ch2" || mods["position"] != "40.7128,-74.006" {
		t.Fatalf("modifiers %v", mods)
	}
	j, err := c.Decode(readExample(t, "chekt-style.json"), time.Time{})
	if err != nil || j.Events[0].Code != "130" || j.Events[0].Zone != "017" {
		t.Fatalf("json: %+v %v", j, err)
	}
	hb, err := c.Decode(readExample(t, "heartbeat.xml"), time.Time{})
	if err != nil || hb.Kind != "heartbeat" || len(hb.Events) != 0 {
		t.Fatalf("heartbeat: %+v %v", hb, err)
	}
	two, err := c.Decode(readExample(t, "two-signals-sia.xml"), time.Time{})
	if err != nil || len(two.Events) != 2 || two.Events[0].Code != "FA" || two.Events[0].Zone != "3" ||
		two.Events[1].Qualifier != protocols.QualifierRestore {
		t.Fatalf("two signals: %+v %v", two, err)
	}
}

// badCases are messages every sender gets wrong once, with the result code
// and HTTP status each must get.
var badCases = []struct {
	name string
	body string
	code int
	http int
}{
	{"not XML", "<AlarmMessage", CodeInvalidXML, 400},
	{"wrong namespace", `<AlarmMessage xmlns="urn:other"><Header><MessageId>1</MessageId><Source>s</Source></Header></AlarmMessage>`, CodeInvalidXML, 400},
	{"wrong root", `<Alarm xmlns="urn:alarmrx:signal:1"/>`, CodeInvalidXML, 400},
	{"no message id", `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><Source>s</Source></Header></AlarmMessage>`, CodeMissing, 422},
	{"no account", sig(`<EventTime>2026-11-30T09:00:00Z</EventTime><Code format="CID">E130</Code>`), CodeMissing, 422},
	{"no code", sig(`<Account>1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime>`), CodeMissing, 422},
	{"time without zone", sig(`<Account>1234</Account><EventTime>2026-11-30T09:00:00</EventTime><Code format="CID">E130</Code>`), CodeWrongContent, 422},
	{"bad CID code", sig(`<Account>1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime><Code format="CID">E13X</Code>`), CodeWrongContent, 422},
	{"bad format", sig(`<Account>1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime><Code format="XYZ">E130</Code>`), CodeWrongContent, 422},
	{"account too long", sig(`<Account>12345678901234567</Account><EventTime>2026-11-30T09:00:00Z</EventTime><Code format="SIA">BA</Code>`), CodeWrongContent, 422},
	{"bad media kind", sig(`<Account>1234</Account><EventTime>2026-11-30T09:00:00Z</EventTime><Code format="SIA">BA</Code><Media><Link kind="gif">https://x/y</Link></Media>`), CodeWrongContent, 422},
	{"JSON with an unknown field", `{"header":{"message_id":"1","source":"s"},"colour":"red"}`, CodeInvalidXML, 400},
}

func sig(inner string) string {
	return `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>m1</MessageId><Source>s</Source></Header><Signal>` +
		inner + `</Signal></AlarmMessage>`
}

func TestBadMessages(t *testing.T) {
	c := New(0)
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Decode([]byte(tc.body), time.Time{})
			if err == nil {
				t.Fatal("accepted")
			}
			if m == nil {
				t.Fatal("no message to answer and keep")
			}
			if got := CodeFor(err); got != tc.code || HTTPStatus(got) != tc.http {
				t.Fatalf("code %d (HTTP %d), want %d (%d): %v", got, HTTPStatus(got), tc.code, tc.http, err)
			}
			reply := string(c.Reply(m, err, time.Time{}))
			if !strings.Contains(reply, `code="`) && !strings.Contains(reply, `"code":`) {
				t.Fatalf("reply %s", reply)
			}
		})
	}
	big := New(100)
	if _, err := big.Decode(make([]byte, 101), time.Time{}); CodeFor(err) != CodeInvalidLength || HTTPStatus(CodeInvalidLength) != 413 {
		t.Fatalf("over the limit: %v", err)
	}
	if CodeFor(protocols.Reject(Name, protocols.ReasonStore, nil)) != CodeNotTreated || HTTPStatus(CodeNotTreated) != 503 {
		t.Fatal("store failure must be code 5, HTTP 503")
	}
	var fe *protocols.FrameError
	_, err := c.Decode([]byte("<x"), time.Time{})
	if !errors.As(err, &fe) || fe.Protocol != Name {
		t.Fatalf("not a FrameError: %v", err)
	}
}

func TestReply(t *testing.T) {
	c := New(0)
	m, err := c.Decode(readExample(t, "two-signals-sia.xml"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 9, 8, 6, 0, time.UTC)
	got := string(c.Reply(m, nil, now))
	want := `<?xml version="1.0" encoding="UTF-8"?>
<AlarmResponse xmlns="urn:alarmrx:signal:1">
  <MessageId>msg-0002</MessageId>
  <Status code="0">OK</Status>
  <Signal index="1" status="accepted" eventId="chekt:msg-0002:1"></Signal>
  <Signal index="2" status="accepted" eventId="chekt:msg-0002:2"></Signal>
  <ReceivedAt>2026-11-30T09:08:06Z</ReceivedAt>
</AlarmResponse>
`
	if got != want {
		t.Fatalf("reply\n%s\nwant\n%s", got, want)
	}
	j, _ := c.Decode(readExample(t, "chekt-style.json"), time.Time{})
	if got := string(Answer(j, CodeDuplicate, now)); got != `{"message_id":"7a2d0f11-json-0001","status":{"code":10,"text":"DUPLICATE"},"signals":[{"index":1,"status":"duplicate","event_id":"chekt:7a2d0f11-json-0001:1"}],"received_at":"2026-11-30T09:08:06Z"}`+"\n" {
		t.Fatalf("json duplicate %s", got)
	}
}

func TestSplitTCP(t *testing.T) {
	c := New(0)
	one := string(readExample(t, "heartbeat.xml"))
	stream := "\x02" + one + "\x03\r\n" + one
	data := []byte(stream)
	var n int
	for len(data) > 0 {
		adv, frame, err := c.Split(data, false)
		if err != nil {
			t.Fatal(err)
		}
		if frame != nil {
			n++
			if _, err := c.Decode(frame, time.Time{}); err != nil {
				t.Fatalf("frame %d: %v", n, err)
			}
		}
		if adv == 0 {
			break
		}
		data = data[adv:]
	}
	if n != 2 {
		t.Fatalf("%d frames, want 2", n)
	}
}

func TestAuthOnTCP(t *testing.T) {
	c := New(0).WithAuth(func(source, passkey string) bool { return source == "chekt" && passkey == "k" })
	body := readExample(t, "heartbeat.xml")
	if _, err := c.Decode(body, time.Time{}); CodeFor(err) != CodeNotAuthorized || HTTPStatus(CodeNotAuthorized) != 401 {
		t.Fatalf("no passkey: %v", err)
	}
	with := strings.Replace(string(body), "<Source>chekt</Source>", "<Source>chekt</Source><Passkey>k</Passkey>", 1)
	m, err := c.Decode([]byte(with), time.Time{})
	if err != nil || m.Detail.(*Message).Header.Passkey != "" {
		t.Fatalf("with passkey: %v (passkey must be cleared)", err)
	}
}
