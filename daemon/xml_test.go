package daemon

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/alarmrx/alarmrx/store"
)

const chektPasskey = "chekt-passkey-0123456789abcdef"

func xmlConfig(t *testing.T) *configs.Config {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.XML.Senders = []configs.XMLSender{{ID: "chekt", Passkey: chektPasskey, Receiver: 2, Line: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// postSignals posts a body and returns the status, the decoded response
// and the raw answer.
func postSignals(t *testing.T, r *running, path, passkey string, body []byte) (int, xmlsignal.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.d.HTTPAddr()+path, bytes.NewReader(body))
	if passkey != "" {
		req.Header.Set("Authorization", "Bearer "+passkey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out xmlsignal.Response
	if xmlsignal.IsJSON(b) {
		_ = jsonUnmarshal(b, &out)
	} else {
		_ = xml.Unmarshal(b, &out)
	}
	return resp.StatusCode, out, string(b)
}

func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/xmlsignal/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCHeKTStyleXMLEndToEnd sends the CHeKT-style example: one camera
// alarm for ABC1234 zone 017 with a portal link; it is stored, resolved to
// the site with the zone's description, queued, and its link is on the
// incident; a retry is a duplicate; the JSON twin works the same way.
func TestCHeKTStyleXMLEndToEnd(t *testing.T) {
	r := startDaemon(t, xmlConfig(t))
	site := newSite(t, r)
	var acct store.Account
	apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 2, "number": "1234", "site_id": site}, &acct)
	apiPost(t, r, "/api/v1/zones", map[string]any{"account_id": acct.ID, "number": "017", "description": "Lobby camera"}, nil)

	code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml"))
	if code != 200 || resp.Status.Code != 0 || len(resp.Signals) != 1 || resp.Signals[0].Status != "accepted" ||
		resp.Signals[0].EventID != "chekt:6f1c1a0e-3f7b-4c7e-9d2a-1d2b9c0f7a11:1" {
		t.Fatalf("post: %d %s", code, raw)
	}
	got := signals(t, r, "account=ABC1234")
	if len(got) != 1 || got[0]["protocol"] != "xmlsignal" || got[0]["resolution"] != "resolved" || got[0]["zone_description"] != "Lobby camera" ||
		got[0]["listener"] != "xml-chekt" || got[0]["line"] != 3.0 || got[0]["handling"] != "queued" {
		t.Fatalf("stored: %v", got)
	}
	if !strings.Contains(fmt.Sprint(got[0]["modifiers"]), "media_portal Value:https://monitoring.chekt.com/monitoring?act=ABC1234&zone=017") {
		t.Fatalf("portal link not kept: %v", got[0]["modifiers"])
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if len(q.Queue) != 1 || q.Queue[0].Account != "ABC1234" {
		t.Fatalf("queue: %+v", q.Queue)
	}

	// The sender retries: code 10, the same event id, nothing stored twice.
	code, resp, raw = postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml"))
	if code != 200 || resp.Status.Code != xmlsignal.CodeDuplicate || resp.Signals[0].EventID != "chekt:6f1c1a0e-3f7b-4c7e-9d2a-1d2b9c0f7a11:1" {
		t.Fatalf("retry: %d %s", code, raw)
	}
	if n := len(signals(t, r, "account=ABC1234")); n != 1 {
		t.Fatalf("%d signals after the retry", n)
	}

	// The JSON twin.
	code, resp, raw = postSignals(t, r, "/json/v1/signals", chektPasskey, example(t, "chekt-style.json"))
	if code != 200 || resp.Status.Code != 0 || !strings.HasPrefix(raw, "{") {
		t.Fatalf("json: %d %s", code, raw)
	}

	// Heartbeat: zero signals, answered OK, stores no signal.
	code, resp, raw = postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "heartbeat.xml"))
	if code != 200 || resp.Status.Code != 0 {
		t.Fatalf("heartbeat: %d %s", code, raw)
	}
	if n := len(signals(t, r, "account=ABC1234")); n != 2 {
		t.Fatalf("%d signals after JSON and heartbeat, want 2", n)
	}
}

// TestXMLBadInput gives every kind of bad message its code and status; none
// creates a signal.
func TestXMLBadInput(t *testing.T) {
	r := startDaemon(t, xmlConfig(t))
	good := example(t, "chekt-style.xml")
	for _, tc := range []struct {
		name, passkey string
		body          []byte
		status, code  int
	}{
		{"no passkey", "", good, 401, xmlsignal.CodeNotAuthorized},
		{"wrong passkey", "not-the-passkey-at-all", good, 401, xmlsignal.CodeNotAuthorized},
		{"source of another sender", chektPasskey, bytes.Replace(good, []byte("<Source>chekt"), []byte("<Source>other"), 1), 401, xmlsignal.CodeNotAuthorized},
		{"malformed", chektPasskey, []byte("<AlarmMessage xmlns=\"urn:alarmrx:signal:1\"><Header>"), 400, xmlsignal.CodeInvalidXML},
		{"wrong namespace", chektPasskey, bytes.Replace(good, []byte("urn:alarmrx:signal:1"), []byte("urn:example"), 1), 400, xmlsignal.CodeInvalidXML},
		{"missing account", chektPasskey, bytes.Replace(good, []byte("<Account>ABC1234</Account>"), nil, 1), 422, xmlsignal.CodeMissing},
		{"wrong content", chektPasskey, bytes.Replace(good, []byte(">E130<"), []byte(">E1X0<"), 1), 422, xmlsignal.CodeWrongContent},
		{"too large", chektPasskey, append(append([]byte{}, good...), bytes.Repeat([]byte(" "), 100_001)...), 413, xmlsignal.CodeInvalidLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, resp, raw := postSignals(t, r, "/xml/v1/signals", tc.passkey, tc.body)
			if code != tc.status || resp.Status.Code != tc.code {
				t.Fatalf("got %d code %d, want %d code %d: %s", code, resp.Status.Code, tc.status, tc.code, raw)
			}
			if strings.Contains(raw, chektPasskey) {
				t.Fatal("the passkey came back")
			}
		})
	}
	if n := len(signals(t, r, "")); n != 0 {
		t.Fatalf("bad input stored %d signals", n)
	}
	// The malformed ones from the authenticated sender are kept as evidence.
	var frames struct {
		Frames []store.Frame `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?status=rejected", adminToken, &frames)
	if len(frames.Frames) < 3 {
		t.Fatalf("rejected frames kept: %d", len(frames.Frames))
	}
	if v := counter(t, r, "alarmrx_signal_messages_refused_total", "code", "4"); v != 3 {
		t.Fatalf("refused code 4 = %v", v)
	}
}

// TestXMLStoreFailureIsCode5: while the store fails, messages get code 5
// (HTTP 503, Retry-After) and the sender keeps them for its failover path.
func TestXMLStoreFailureIsCode5(t *testing.T) {
	r := startDaemon(t, xmlConfig(t))
	r.d.store.InjectFault(func() error { return errStoreDown })
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.d.HTTPAddr()+"/xml/v1/signals", bytes.NewReader(example(t, "chekt-style.xml")))
	req.Header.Set("X-Receiver-Passkey", chektPasskey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	r.d.store.InjectFault(nil)
	// The sender retries, as Retry-After tells it: the store is back once
	// its writer's next transaction commits.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml"))
		if code == 200 && resp.Status.Code == 0 {
			break
		}
		if code != 503 || time.Now().After(deadline) {
			t.Fatalf("after recovery: %d %s", code, raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestXMLSenderSupervision: a sender that stops posting (heartbeats
// included) fails its link; its next message restores it.
func TestXMLSenderSupervision(t *testing.T) {
	cfg := xmlConfig(t)
	cfg.XML.Senders[0].HeartbeatTimeout = 500 * time.Millisecond
	r := startDaemon(t, cfg)
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_link_failures_total", "listener", "xml-chekt") == 1
	})
	if code, _, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "heartbeat.xml")); code != 200 {
		t.Fatalf("heartbeat: %d %s", code, raw)
	}
	var evs struct {
		Items []store.StationEvent `json:"items"`
	}
	waitFor(t, 5*time.Second, func() bool {
		apiGet(t, r, "/api/v1/station-events?kind=link_restore", adminToken, &evs)
		return len(evs.Items) == 1
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// withPasskey puts chekt's passkey in a message's Header, as a sender on
// TCP must.
func withPasskey(msg []byte) []byte {
	return bytes.Replace(msg, []byte("<Source>chekt</Source>"), []byte("<Source>chekt</Source><Passkey>"+chektPasskey+"</Passkey>"), 1)
}

// addXMLTCP gives receiver 2 of a test configuration an XML listener on
// TCP, "xml-tcp" (line 4), whose senders put the passkey in Header/Passkey.
func addXMLTCP(cfg *configs.Config) {
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP, l.HeartbeatTimeout = "xml-tcp", "xmlsignal", 4, "127.0.0.1:0", 0
	cfg.Receivers[1].Listeners = append(cfg.Receivers[1].Listeners, l)
}

// TestXMLOverTCP: the same messages on a framed TCP listener, the passkey
// in Header/Passkey; one answer per message, in order.
func TestXMLOverTCP(t *testing.T) {
	cfg := xmlConfig(t)
	addXMLTCP(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	c, err := net.Dial("tcp", r.addr("xml-tcp", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	withKey := withPasskey(example(t, "chekt-style.xml"))
	noKey := bytes.Replace(example(t, "two-signals-sia.xml"), []byte("msg-0002"), []byte("msg-0003"), 1)
	if _, err := c.Write(append(append(withKey, "\r\n"...), noKey...)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	dec := xml.NewDecoder(c)
	for i, want := range []int{xmlsignal.CodeOK, xmlsignal.CodeNotAuthorized} {
		var resp xmlsignal.Response
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		if resp.Status.Code != want {
			t.Fatalf("answer %d: code %d, want %d", i+1, resp.Status.Code, want)
		}
	}
	if got := signals(t, r, "account=ABC1234"); len(got) != 1 || got[0]["transport"] != "tcp" || got[0]["line"] != 4.0 {
		t.Fatalf("stored %v", got)
	}
}

// TestXMLOverTCPHonoursMaxBody: on TCP as over HTTP, a message under
// xml.max_body_bytes is accepted however long (it was reset above 8 KB),
// and one over it gets code 1 before the connection closes.
func TestXMLOverTCPHonoursMaxBody(t *testing.T) {
	cfg := xmlConfig(t)
	cfg.XML.MaxBodyBytes = 20000
	addXMLTCP(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	message := func(id string, textBytes int) []byte {
		b := withPasskey(example(t, "chekt-style.xml"))
		b = bytes.Replace(b, []byte("6f1c1a0e-3f7b-4c7e-9d2a-1d2b9c0f7a11"), []byte(id), 1)
		return bytes.Replace(b, []byte("<Text>"), []byte("<Text>"+strings.Repeat("x", textBytes)), 1)
	}
	exchange := func(msg []byte) (xmlsignal.Response, net.Conn, error) {
		c, err := net.Dial("tcp", r.addr("xml-tcp", "tcp"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		go func() { _, _ = c.Write(msg) }()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var resp xmlsignal.Response
		err = xml.NewDecoder(c).Decode(&resp)
		return resp, c, err
	}
	under := message("msg-under", 15000)
	if len(under) > cfg.XML.MaxBodyBytes || len(under) < 15000 {
		t.Fatalf("message of %d bytes", len(under))
	}
	resp, _, err := exchange(under)
	if err != nil || resp.Status.Code != xmlsignal.CodeOK {
		t.Fatalf("%d-byte message: %v, code %d; want code 0", len(under), err, resp.Status.Code)
	}
	over := message("msg-over", 25000)
	resp, c, err := exchange(over)
	if err != nil || resp.Status.Code != xmlsignal.CodeInvalidLength {
		t.Fatalf("%d-byte message: %v, code %d; want code 1", len(over), err, resp.Status.Code)
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after code 1: read %d, %v; want the connection closed", n, err)
	}
	if got := signals(t, r, "account=ABC1234"); len(got) != 1 {
		t.Fatalf("stored %d signals, want the one under the limit", len(got))
	}
}

// TestXMLOverTCPIsSupervisedBySender: an XML listener on TCP is not a
// link of its own (its heartbeat_timeout, the 90 s default, raised false
// link failures); messages on it check their sender in, and the sender's
// heartbeat_timeout (0 = unsupervised) decides.
func TestXMLOverTCPIsSupervisedBySender(t *testing.T) {
	cfg := xmlConfig(t)
	addXMLTCP(cfg)
	cfg.Receivers[1].Listeners[1].HeartbeatTimeout = 300 * time.Millisecond // ignored for XML
	cfg.XML.Senders[0].HeartbeatTimeout = time.Second
	cfg.XML.Senders = append(cfg.XML.Senders, configs.XMLSender{ID: "quiet", Passkey: "quiet-passkey-0123456789abcdef", Receiver: 2, Line: 5})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := newTestClock()
	r := startDaemonAt(t, cfg, clk)
	c, err := net.Dial("tcp", r.addr("xml-tcp", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heartbeat := withPasskey(example(t, "heartbeat.xml"))
	dec := xml.NewDecoder(c)
	sent := 0
	beat := func() {
		t.Helper()
		sent++
		hb := bytes.Replace(heartbeat, []byte("hb-2026-11-30T09:10:00Z"), []byte(fmt.Sprintf("hb-%04d", sent)), 1)
		if _, err := c.Write(hb); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		var resp xmlsignal.Response
		if err := dec.Decode(&resp); err != nil || resp.Status.Code != xmlsignal.CodeOK {
			t.Fatalf("heartbeat %d: %v code %d", sent, err, resp.Status.Code)
		}
	}
	// Heartbeats over TCP every 300 ms for 2.4 s, on the daemon's clock,
	// keep chekt's 1 s link up.
	start := clk.Now()
	for range 8 {
		beat()
		clk.Advance(300 * time.Millisecond)
	}
	lastBeat := clk.Now().Add(-300 * time.Millisecond)
	// Silence: chekt's own timeout fails its link, once, counted from the
	// last heartbeat (a link the heartbeats did not keep up fails from the
	// start).
	clk.Advance(time.Second)
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_link_failures_total", "listener", "xml-chekt") == 1
	})
	var evs struct {
		Items []store.StationEvent `json:"items"`
	}
	// The failure's station event is written after the count, off the
	// receiver's path.
	waitFor(t, 5*time.Second, func() bool {
		apiGet(t, r, "/api/v1/station-events?kind=link_fail", adminToken, &evs)
		return len(evs.Items) > 0
	})
	if len(evs.Items) != 1 || !strings.Contains(string(evs.Items[0].Detail), "xml-chekt") {
		t.Fatalf("link failures %+v; want chekt's alone (xml-tcp is no link, quiet is unsupervised)", evs.Items)
	}
	if at := evs.Items[0].At; at.Before(lastBeat.Add(time.Second)) {
		t.Fatalf("chekt's link failed %s after the first heartbeat, within 1 s of the last one (%s)",
			at.Sub(start), lastBeat.Sub(start))
	}
	// A heartbeat over TCP brings the link back.
	beat()
	waitFor(t, 5*time.Second, func() bool { return gauge(t, r, "alarmrx_link_up", "listener", "xml-chekt") == 1 })
	// Neither the TCP listener nor the unsupervised sender is a link at
	// all: no link series of theirs exists.
	mfs, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "alarmrx_link_up" && mf.GetName() != "alarmrx_link_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "listener" && (lp.GetValue() == "xml-tcp" || lp.GetValue() == "xml-quiet") {
					t.Errorf("%s{listener=%q}: supervised as a link", mf.GetName(), lp.GetValue())
				}
			}
		}
	}
}

// TestJSONRefusalsAreJSON: what the JSON endpoint refuses before reading a
// message (no passkey, a body over the limit) is answered in JSON, as its
// Content-Type says.
func TestJSONRefusalsAreJSON(t *testing.T) {
	r := startDaemon(t, xmlConfig(t))
	good := example(t, "chekt-style.json")
	for _, tc := range []struct {
		name, passkey string
		body          []byte
		code          int
	}{
		{"no passkey", "", good, xmlsignal.CodeNotAuthorized},
		{"too large", chektPasskey, append(append([]byte{}, good...), bytes.Repeat([]byte(" "), 100_001)...), xmlsignal.CodeInvalidLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+r.d.HTTPAddr()+"/json/v1/signals", bytes.NewReader(tc.body))
			if tc.passkey != "" {
				req.Header.Set("Authorization", "Bearer "+tc.passkey)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var out xmlsignal.Response
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" || jsonUnmarshal(b, &out) != nil || out.Status.Code != tc.code {
				t.Fatalf("Content-Type %q, body %q; want JSON with code %d", ct, b, tc.code)
			}
		})
	}
}
