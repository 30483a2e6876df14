package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/output"
	"github.com/alarmrx/alarmrx/internal/ptytest"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// automation is a legacy automation program's end of a Sur-Gard output:
// it reads records (up to DC4) and answers each.
type automation struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func connectAutomation(t *testing.T, addr string) *automation {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &automation{t: t, c: c, rd: bufio.NewReader(c)}
}

// next reads one record within the wait, "" when none came.
func (a *automation) next(wait time.Duration) string {
	a.t.Helper()
	_ = a.c.SetReadDeadline(time.Now().Add(wait))
	rec, err := a.rd.ReadString(0x14)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(rec, "\x14")
}

func (a *automation) answer(b byte) {
	a.t.Helper()
	if _, err := a.c.Write([]byte{b}); err != nil {
		a.t.Fatal(err)
	}
}

// TestSurgardOutput: stored signals reach the automation as Sur-Gard records
// in order, each sent again until ACKed (a NAK resends it), kept while the
// automation is away and delivered after it reconnects; an idle link gets
// heartbeats.
func TestSurgardOutput(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: 2 * time.Second,
		Retries: 2, Heartbeat: 300 * time.Millisecond, LineDigits: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	addr := r.d.OutputAddrs()["automation"]
	p := dial(t, r, "dc09-main", "tcp", "", "")
	seq := 0
	send := func(data string) {
		t.Helper()
		seq++
		mustSend(t, p, frame("ADM-CID", "4321", fmt.Sprintf("%04d", seq), data, false), "ACK")
	}

	a := connectAutomation(t, addr)
	send("#4321|1130 01 017")
	rec := a.next(3 * time.Second)
	if rec != "501001 184321E13001017" {
		t.Fatalf("first record %q", rec)
	}
	a.answer(0x15) // NAK: the same record comes again
	if again := a.next(3 * time.Second); again != rec {
		t.Fatalf("after NAK got %q", again)
	}
	a.answer(0x06)

	// The automation goes away; two signals are stored meanwhile.
	_ = a.c.Close()
	send("#4321|3130 01 017")
	send("#4321|1110 02 003")
	waitFor(t, 5*time.Second, func() bool {
		return gauge(t, r, "alarmrx_output_up") == 0
	})
	if v := gauge(t, r, "alarmrx_output_pending"); v != 2 {
		t.Fatalf("pending %v, want 2", v)
	}
	// The gauge falls as the absence is noticed; its incident is stored
	// right after.
	var q queueView
	waitFor(t, 5*time.Second, func() bool {
		apiGet(t, r, "/api/v1/queue", adminToken, &q)
		return hasKind(q.Queue, store.IncidentLinkFail, false)
	})
	b := connectAutomation(t, addr)
	for _, want := range []string{"501001 184321R13001017", "501001 184321E11002003"} {
		got := b.next(3 * time.Second)
		if got != want {
			t.Fatalf("after reconnect got %q, want %q", got, want)
		}
		b.answer(0x06)
	}
	waitFor(t, 5*time.Second, func() bool { return gauge(t, r, "alarmrx_output_pending") == 0 })
	if v := gauge(t, r, "alarmrx_output_up"); v != 1 {
		t.Fatalf("output_up %v", v)
	}
	// Idle: a heartbeat, which must be ACKed too.
	hb := b.next(3 * time.Second)
	if !strings.HasPrefix(hb, "1") || !strings.Contains(hb, "@") {
		t.Fatalf("heartbeat %q", hb)
	}
	b.answer(0x06)
	if v := counter(t, r, "alarmrx_output_delivered_total"); v != 3 {
		t.Fatalf("delivered %v, want 3", v)
	}
}

func gauge(t *testing.T, r *running, name string, labels ...string) float64 {
	t.Helper()
	return sample(t, r, name, labels...).GetGauge().GetValue()
}

// TestWebhookOutput: each signal reaches the automation URL at least once,
// in order, with its event id as idempotency key, also across a failing
// target; incident steps follow as JSON.
func TestWebhookOutput(t *testing.T) {
	type hit struct {
		key, body string
	}
	hits := make(chan hit, 32)
	var fails atomic.Int32
	fails.Store(2) // the target is down for the first two requests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer hook-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		hits <- hit{r.Header.Get("Idempotency-Key"), string(b)}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: srv.URL, Format: "json", Token: "hook-token",
		Timeout: 2 * time.Second, IncidentUpdates: true}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	mustSend(t, p, frame("ADM-CID", "4321", "0002", "#4321|3130 01 017", false), "ACK")
	var got []hit
	timeout := time.After(15 * time.Second)
	for len(got) < 2 {
		select {
		case h := <-hits:
			got = append(got, h)
		case <-timeout:
			t.Fatalf("webhook got %d of 2", len(got))
		}
	}
	var first, second output.WebhookSignal
	_ = json.Unmarshal([]byte(got[0].body), &first)
	_ = json.Unmarshal([]byte(got[1].body), &second)
	if got[0].key != first.EventID || first.Code != "130" || first.Qualifier != "new" || second.Qualifier != "restore" ||
		first.Zone != "017" || first.Account != "4321" {
		t.Fatalf("bodies in order? %+v / %+v", first, second)
	}
	if v := counter(t, r, "alarmrx_webhook_failures_total"); v != 2 {
		t.Fatalf("failures %v, want 2", v)
	}
	// An operator step on the incident is forwarded too.
	apiPost(t, r, "/api/v1/users", map[string]any{"username": "ann", "role": "operator", "password": "ann's long password"}, nil)
	_, sess, err := r.d.store.Login(context.Background(), "ann", "ann's long password", "127.0.0.1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	if _, err := r.d.store.Act(context.Background(), q.Queue[0].ID, store.Actor{ID: sess.User.ID, Name: "ann"}, store.Step{Action: "claim"},
		store.QueueRules{ClaimTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	select {
	case h := <-hits:
		var inc output.WebhookIncident
		if err := json.Unmarshal([]byte(h.body), &inc); err != nil || inc.Type != "incident" || inc.Action != "claimed" || inc.Incident.ClaimedByName != "ann" {
			t.Fatalf("incident update %s (%v)", h.body, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no incident update")
	}
}

// TestSurgardOutputOverSerial delivers records to automation on a serial
// port (a socat pty pair) and waits for each ACK.
func TestSurgardOutputOverSerial(t *testing.T) {
	automationEnd, ourEnd, _ := ptytest.Pair(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", AckTimeout: time.Second, Retries: 2,
		Heartbeat: time.Hour, LineDigits: 3, Serial: configs.Serial{Device: ourEnd, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	port, err := os.OpenFile(automationEnd, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	rd := bufio.NewReader(port)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	_ = port.SetReadDeadline(time.Now().Add(5 * time.Second))
	rec, err := rd.ReadString(0x14)
	if err != nil || rec != "501001 184321E13001017\x14" {
		t.Fatalf("record %q, %v", rec, err)
	}
	if _, err := port.Write([]byte{0x06}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return counter(t, r, "alarmrx_output_delivered_total") == 1 })
}

// undeliverableView is GET /api/v1/outputs/{name}/undeliverable.
type undeliverableView struct {
	Items []store.UndeliverableItem `json:"items"`
}

// TestSurgardOutputUndeliverable: signals no Sur-Gard record carries (a
// Contact ID code with no SIA twin from an account that is neither 4 nor 10
// digits: DC-09 #ABC|1102 01 022 and #12345|1999 01 021, XML E999 for
// ABC1234) are never sent and never marked delivered: each is kept as
// undeliverable with its reason, counted, listed in the API, and one
// trouble incident is open for the output. The signals around them go out
// in order, an unknown code from a 4-digit account as it is.
func TestSurgardOutputUndeliverable(t *testing.T) {
	cfg := xmlConfig(t)
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: 2 * time.Second,
		Retries: 2, Heartbeat: time.Hour, LineDigits: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	a := connectAutomation(t, r.d.OutputAddrs()["automation"])
	p := dial(t, r, "dc09-main", "tcp", "", "")
	seq := 0
	send := func(account, data string) {
		t.Helper()
		seq++
		mustSend(t, p, frame("ADM-CID", account, fmt.Sprintf("%04d", seq), data, false), "ACK")
	}
	send("4321", "#4321|1130 01 017")
	send("ABC", "#ABC|1102 01 022")
	send("12345", "#12345|1999 01 021")
	body := `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Header><MessageId>undeliverable-1</MessageId><Source>chekt</Source></Header>
<Signal><Account>ABC1234</Account><EventTime>` + time.Now().UTC().Format(time.RFC3339) + `</EventTime><Code format="CID">E999</Code>
<Zone>017</Zone></Signal></AlarmMessage>`
	if code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, []byte(body)); code != 200 || resp.Status.Code != 0 {
		t.Fatalf("xml post: %d %s", code, raw)
	}
	send("4321", "#4321|3130 01 017")
	send("4321", "#4321|1999 01 021")

	for _, want := range []string{"501001 184321E13001017", "501001 184321R13001017", "501001 184321E99901021"} {
		got := a.next(5 * time.Second)
		if got != want {
			t.Fatalf("record %q, want %q", got, want)
		}
		a.answer(0x06)
	}
	waitFor(t, 5*time.Second, func() bool { return gauge(t, r, "alarmrx_output_pending") == 0 })
	if v := counter(t, r, "alarmrx_output_undeliverable_total", "output", "automation"); v != 3 {
		t.Fatalf("undeliverable_total %v, want 3", v)
	}
	if v := counter(t, r, "alarmrx_output_delivered_total"); v != 3 {
		t.Fatalf("delivered_total %v, want 3", v)
	}

	var u undeliverableView
	if code := apiGet(t, r, "/api/v1/outputs/automation/undeliverable", adminToken, &u); code != 200 || len(u.Items) != 3 {
		t.Fatalf("undeliverable list: %d %+v", code, u)
	}
	for i, want := range []struct{ account, code, reason string }{
		{"ABC", "102", "Contact ID 102 has no SIA code for the SIA record (S), and the Contact ID records (5, Q) take accounts of exactly 4 or 10 digits, not ABC (3)"},
		{"12345", "999", "not 12345 (5)"},
		{"ABC1234", "999", "not ABC1234 (7)"},
	} {
		it := u.Items[i]
		got := signals(t, r, "account="+want.account)
		if it.Account != want.account || it.Code != want.code || !strings.Contains(it.Reason, want.reason) || it.At.IsZero() ||
			it.SignalID == 0 || len(got) != 1 || got[0]["id"] != float64(it.SignalID) {
			t.Errorf("undeliverable %d: %+v (signals %v)", i, it, got)
		}
	}
	var q queueView
	apiGet(t, r, "/api/v1/queue", adminToken, &q)
	n := 0
	for _, in := range q.Queue {
		if in.Kind == store.IncidentOutputUndeliverable {
			n++
			if in.SignalCount != 3 || !strings.Contains(in.Title, "automation") {
				t.Errorf("incident %+v", in)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d undeliverable incidents in %+v", n, q.Queue)
	}
	if code := apiGet(t, r, "/api/v1/outputs/nosuch/undeliverable", adminToken, &u); code != http.StatusNotFound {
		t.Fatalf("unknown output: %d", code)
	}
	if code := apiGet(t, r, "/api/v1/outputs/automation/undeliverable", "", &u); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", code)
	}
}

// TestSurgardOutputHeartbeatAndText: heartbeats carry the output's receiver
// and line (default: the first receiver's number and line 000, as the SG
// Automation Output Protocol writes them), and text reaches the automation
// in 7-bit ASCII, transliterated: the CHeKT-style example's "camera –
// person" (with its zone text) becomes "camera - person".
func TestSurgardOutputHeartbeatAndText(t *testing.T) {
	cfg := xmlConfig(t)
	cfg.Outputs.Surgard = []configs.SurgardOutput{
		{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: time.Second, Retries: 2, Heartbeat: 300 * time.Millisecond, LineDigits: 3},
		{Name: "mlr2", TCP: "127.0.0.1:0", AckTimeout: time.Second, Retries: 2, Heartbeat: 300 * time.Millisecond, LineDigits: 1,
			Receiver: 12, Line: 4},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	a := connectAutomation(t, r.d.OutputAddrs()["automation"])
	m := connectAutomation(t, r.d.OutputAddrs()["mlr2"])
	if hb := a.next(3 * time.Second); hb != "101000           @    " {
		t.Fatalf("heartbeat %q", hb)
	}
	a.answer(0x06)
	if hb := m.next(3 * time.Second); hb != "10C4           @    " {
		t.Fatalf("heartbeat with receiver 12, line 4, one line digit: %q", hb)
	}
	m.answer(0x06)

	if code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml")); code != 200 || resp.Status.Code != 0 {
		t.Fatalf("post: %d %s", code, raw)
	}
	want := "S02003[#ABC1234|Nri01/ti09:07:48/da11-30-26/BA017^Front door camera - person detected - Lobby camera^]"
	for rec := a.next(3 * time.Second); ; rec = a.next(3 * time.Second) {
		a.answer(0x06)
		if strings.HasPrefix(rec, "1") && strings.Contains(rec, "@") {
			continue // a heartbeat before the record
		}
		if rec != want {
			t.Fatalf("record %q, want %q", rec, want)
		}
		break
	}
}

// TestSurgardOutputRefusesSecondClient: while one automation is connected,
// other connections are closed at once and counted, with one log line per
// 10 s however many come; the first keeps receiving records.
func TestSurgardOutputRefusesSecondClient(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: 2 * time.Second,
		Retries: 2, Heartbeat: time.Hour, LineDigits: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	r := runDaemon(t, cfg, zap.New(core))
	waitReady(t, "http://"+r.d.HTTPAddr())
	addr := r.d.OutputAddrs()["automation"]
	first := connectAutomation(t, addr)
	waitFor(t, 5*time.Second, func() bool { return logs.FilterMessage("automation connected").Len() == 1 })

	const others = 300
	for i := range others {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("connection %d: read %d, %v; want it closed", i, n, err)
		}
		_ = c.Close()
	}
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_output_connections_refused_total", "output", "automation") == others
	})
	if n := logs.FilterMessageSnippet("connection refused").Len(); n < 1 || n > 2 {
		t.Fatalf("%d log lines for %d refused connections", n, others)
	}

	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	if rec := first.next(5 * time.Second); rec != "501001 184321E13001017" {
		t.Fatalf("first automation got %q", rec)
	}
	first.answer(0x06)
	waitFor(t, 5*time.Second, func() bool { return counter(t, r, "alarmrx_output_delivered_total") == 1 })
	if n := logs.FilterMessage("automation connected").Len(); n != 1 {
		t.Fatalf("%d automation connections taken", n)
	}
}

// TestSurgardOutputDropsSilentAutomation: a connection that answers none
// of the retries of a record is closed (its automation may be gone without
// a FIN), so that the automation can connect again and get the record.
func TestSurgardOutputDropsSilentAutomation(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: 300 * time.Millisecond,
		Retries: 2, Heartbeat: time.Hour, LineDigits: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	addr := r.d.OutputAddrs()["automation"]
	silent := connectAutomation(t, addr)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	for range 2 {
		if rec := silent.next(3 * time.Second); rec != "501001 184321E13001017" {
			t.Fatalf("silent automation got %q", rec)
		}
	}
	_ = silent.c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := silent.rd.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("silent connection not closed: %v", err)
	}
	waitFor(t, 2*time.Second, func() bool { return gauge(t, r, "alarmrx_output_up") == 0 })
	again := connectAutomation(t, addr)
	if rec := again.next(3 * time.Second); rec != "501001 184321E13001017" {
		t.Fatalf("after reconnecting: %q", rec)
	}
	again.answer(0x06)
	waitFor(t, 5*time.Second, func() bool { return counter(t, r, "alarmrx_output_delivered_total") == 1 })
}
