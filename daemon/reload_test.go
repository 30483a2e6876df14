package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// reloadSource is the configuration a reload reads: the test sets what the
// "file" says next, or that it cannot be read.
type reloadSource struct {
	mu   sync.Mutex
	cfg  *configs.Config
	fail error
}

func (s *reloadSource) set(cfg *configs.Config, fail error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg, s.fail = cfg, fail
}

// load is what configs.Load does after reading: validation, whole.
func (s *reloadSource) load() (*configs.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	c := *s.cfg
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// TestReloadWhileSignalsFlow: a reload adds a key, a listener and an
// output, removes a listener and changes the log level while a panel's
// connection stays open: the same connection's next frame is decrypted
// with the new key and ACKed, the removed listener's port refuses, the new
// listener and output work, and a change that needs a restart is named,
// not applied. An invalid configuration changes nothing and sets
// alarmrx_config_last_reload_successful to 0, and the next good one back
// to 1.
func TestReloadWhileSignalsFlow(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	src := &reloadSource{}
	level := zap.NewAtomicLevelAt(zap.DebugLevel)
	log := zaptest.NewLogger(t, zaptest.Level(level))
	r := runDaemonWith(t, cfg, Options{Logger: log, Version: "test", Load: src.load, LogLevel: &level})
	waitReady(t, "http://"+r.d.HTTPAddr())
	if v := testutil.ToFloat64(r.d.reloadMetrics.successful); v != 1 {
		t.Fatalf("alarmrx_config_last_reload_successful at start = %v, want 1", v)
	}
	started := testutil.ToFloat64(r.d.reloadMetrics.at)
	if started <= 0 {
		t.Fatalf("alarmrx_config_last_reload_success_timestamp_seconds at start = %v", started)
	}

	// A panel keeps one connection open across the reload.
	p := dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
	mustSend(t, p, frame("SIA-DCS", "ABCD", "0001", "#ABCD|NBA01", true), "ACK")
	mustSend(t, p, frame("SIA-DCS", "7777", "0002", "#7777|NBA02", true), "NAK") // no key for 7777 yet
	cloudAddr := r.addr("dc09-cloud", "tcp")

	next := *cfg
	next.Log.Level = "info"
	next.Store.Synchronous = "normal" // only at a restart
	next.Queue.ClaimTimeout = 7 * time.Minute
	next.Receivers = slices.Clone(cfg.Receivers)
	main := next.Receivers[0]
	main.Listeners = slices.Clone(main.Listeners)
	main.Listeners[0].Keys = append(slices.Clone(main.Listeners[0].Keys), configs.Key{Account: "7777", Key: hexKey256, Format: "hex"})
	added := configs.DefaultListener()
	added.Name, added.Protocol, added.Line, added.TCP = "dc09-added", "dc09", 2, "127.0.0.1:0"
	main.Listeners = append(main.Listeners, added)
	next.Receivers = []configs.Receiver{main} // dc09-cloud (receiver 2) goes
	next.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: 2 * time.Second,
		Retries: 2, Heartbeat: time.Hour, LineDigits: 3}}
	src.set(&next, nil)

	res, err := r.d.Reload(context.Background())
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got, want := res.Listeners, (receiver.ListenerChanges{Added: []string{"dc09-added"}, Removed: []string{"dc09-cloud"},
		Updated: []string{"dc09-main"}}); !equalChanges(got, want) {
		t.Fatalf("listener changes %+v, want %+v", got, want)
	}
	if !slices.Equal(res.Outputs.Started, []string{"automation"}) || len(res.Outputs.Stopped)+len(res.Outputs.Restarted) != 0 {
		t.Fatalf("output changes %+v", res.Outputs)
	}
	if !slices.Equal(res.RestartRequired, []string{"store.synchronous"}) {
		t.Fatalf("restart_required %v, want [store.synchronous]", res.RestartRequired)
	}
	for _, k := range []string{"log.level", "queue.claim_timeout", "receivers", "outputs.surgard"} {
		if !slices.Contains(res.Changed, k) {
			t.Fatalf("changed %v lacks %s", res.Changed, k)
		}
	}
	if level.Level() != zap.InfoLevel {
		t.Fatalf("log level %v after reload, want info", level.Level())
	}
	if got := r.d.config().Store.Synchronous; got != cfg.Store.Synchronous {
		t.Fatalf("store.synchronous in force %q, want the running %q", got, cfg.Store.Synchronous)
	}
	if v := testutil.ToFloat64(r.d.reloadMetrics.successful); v != 1 {
		t.Fatalf("alarmrx_config_last_reload_successful = %v, want 1", v)
	}

	// The connection opened before the reload takes the new key.
	mustSend(t, p, frame("SIA-DCS", "7777", "0003", "#7777|NBA03", true), "ACK")
	mustSend(t, p, frame("SIA-DCS", "ABCD", "0004", "#ABCD|NBA04", true), "ACK")
	if c, err := net.DialTimeout("tcp", cloudAddr, time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("the removed listener's port %s still accepts", cloudAddr)
	}
	q := dial(t, r, "dc09-added", "tcp", "", "")
	mustSend(t, q, frame("SIA-DCS", "4321", "0005", "#4321|NBA05", false), "ACK")
	a := connectAutomation(t, r.d.OutputAddrs()["automation"])
	var got []string
	for range 3 {
		rec := a.next(5 * time.Second)
		if rec == "" {
			break
		}
		a.answer(0x06)
		got = append(got, rec)
	}
	if len(got) != 3 || !strings.Contains(got[0], "7777") || !strings.Contains(got[2], "4321") {
		t.Fatalf("the added output delivered %q, want the three signals stored after the reload", got)
	}

	// An invalid configuration changes nothing.
	bad := next
	bad.Receivers = slices.Clone(next.Receivers)
	bad.Receivers[0].Listeners = nil
	bad.Queue.UnknownAccountPriority = 42
	src.set(&bad, nil)
	if _, err := r.d.Reload(context.Background()); err == nil {
		t.Fatal("an invalid configuration was reloaded")
	}
	src.set(nil, errors.New("config.yaml: yaml: line 3: mapping values are not allowed here"))
	if _, err := r.d.Reload(context.Background()); err == nil {
		t.Fatal("an unreadable configuration was reloaded")
	}
	if v := testutil.ToFloat64(r.d.reloadMetrics.successful); v != 0 {
		t.Fatalf("alarmrx_config_last_reload_successful after a failed reload = %v, want 0", v)
	}
	mustSend(t, p, frame("SIA-DCS", "7777", "0006", "#7777|NBA06", true), "ACK")
	mustSend(t, q, frame("SIA-DCS", "4321", "0007", "#4321|NBA07", false), "ACK")

	// Over HTTP: only the admin token may ask; a good file reloads.
	src.set(&next, nil)
	if code, _ := apiRequest(t, r, http.MethodPost, "/-/reload", ""); code != http.StatusUnauthorized {
		t.Fatalf("POST /-/reload without a token: HTTP %d, want 401", code)
	}
	code, body := apiRequest(t, r, http.MethodPost, "/-/reload", adminToken)
	if code != http.StatusOK {
		t.Fatalf("POST /-/reload: HTTP %d %s", code, body)
	}
	var out ReloadResult
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Changed) != 0 || !slices.Equal(out.RestartRequired, []string{"store.synchronous"}) {
		t.Fatalf("a reload of the same file: %s", body)
	}
	if v := testutil.ToFloat64(r.d.reloadMetrics.successful); v != 1 {
		t.Fatalf("alarmrx_config_last_reload_successful after a good reload = %v, want 1", v)
	}
	if at := testutil.ToFloat64(r.d.reloadMetrics.at); at < started {
		t.Fatalf("success timestamp went back: %v < %v", at, started)
	}
	src.set(&bad, nil)
	code, body = apiRequest(t, r, http.MethodPost, "/-/reload", adminToken)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "still running on the previous one") {
		t.Fatalf("POST /-/reload of an invalid file: HTTP %d %s", code, body)
	}
	if strings.Contains(string(body), hexKey256) || strings.Contains(string(body), adminToken) {
		t.Fatalf("the answer shows a secret: %s", body)
	}
}

func equalChanges(a, b receiver.ListenerChanges) bool {
	return slices.Equal(a.Added, b.Added) && slices.Equal(a.Removed, b.Removed) &&
		slices.Equal(a.Replaced, b.Replaced) && slices.Equal(a.Updated, b.Updated)
}

// TestReloadRenewsCertificatesAndSenders: a TLS listener's certificate
// renewed at the same path is served from the next handshake on while the
// connection opened before goes on; an XML sender added by a reload is
// taken with its passkey and refused again once a reload removed it; a
// listener whose protocol changed is bound anew at its address.
func TestReloadRenewsCertificatesAndSenders(t *testing.T) {
	certFile, keyFile, oldPool := selfSigned(t)
	cfg := surgardConfig(t, func(l *configs.Listener) { l.TLSCert, l.TLSKey = certFile, keyFile })
	src := &reloadSource{}
	r := runDaemonWith(t, cfg, Options{Logger: zaptest.NewLogger(t), Version: "test", Load: src.load})
	waitReady(t, "http://"+r.d.HTTPAddr())
	addr := r.addr("surgard-in", "tcp")
	line := tlsSurgardLine(t, addr, oldPool)
	if got := line.send("501100 181234E13001017", 3*time.Second); got != 0x06 {
		t.Fatalf("record over TLS answered %#x", got)
	}
	if code, _, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml")); code == http.StatusOK {
		t.Fatalf("a sender not configured was taken: %s", raw)
	}

	// The certificate is renewed in place; a sender is added.
	newCert, newKey, newPool := selfSigned(t)
	for from, to := range map[string]string{newCert: certFile, newKey: keyFile} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	next := *cfg
	next.XML.Senders = []configs.XMLSender{{ID: "chekt", Passkey: chektPasskey, Receiver: 2, Line: 3}}
	src.set(&next, nil)
	res, err := r.d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Listeners.Updated, []string{"surgard-in"}) || !slices.Equal(res.Listeners.Added, []string{"xml-chekt"}) {
		t.Fatalf("listener changes %+v", res.Listeners)
	}
	if got := line.send("501100 181234E13001018", 3*time.Second); got != 0x06 {
		t.Fatalf("the connection opened before the renewal: record answered %#x", got)
	}
	if c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: oldPool}); err == nil {
		c.Close()
		t.Fatal("a new connection was served the old certificate")
	}
	c2, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: newPool})
	if err != nil {
		t.Fatalf("the renewed certificate is not served: %v", err)
	}
	c2.Close()
	code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml"))
	if code != http.StatusOK || resp.Status.Code != 0 {
		t.Fatalf("the added sender: %d %s", code, raw)
	}

	// The sender goes again, and surgard-in becomes a DC-09 listener.
	again := *cfg
	again.Receivers = slices.Clone(cfg.Receivers)
	again.Receivers[0].Listeners = slices.Clone(cfg.Receivers[0].Listeners)
	for i, l := range again.Receivers[0].Listeners {
		if l.Name == "surgard-in" {
			l.Protocol, l.TCP, l.TLSCert, l.TLSKey = "dc09", addr, "", ""
			again.Receivers[0].Listeners[i] = l
		}
	}
	src.set(&again, nil)
	if res, err = r.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Listeners.Replaced, []string{"surgard-in"}) || !slices.Equal(res.Listeners.Removed, []string{"xml-chekt"}) {
		t.Fatalf("listener changes %+v", res.Listeners)
	}
	if code, _, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml")); code == http.StatusOK {
		t.Fatalf("a removed sender was taken: %s", raw)
	}
	p := dial(t, r, "surgard-in", "tcp", "", "")
	mustSend(t, p, frame("SIA-DCS", "4321", "0001", "#4321|NBA01", false), "ACK")
}

// TestReloadRestartsChangedOutputs: a webhook whose URL changed is
// restarted and delivers the next signal to its new target, its metrics
// still exported under its name; a removed one stops and its metrics go;
// an unchanged output runs on untouched; the report mailer starts when a
// reload enables it.
func TestReloadRestartsChangedOutputs(t *testing.T) {
	hook := func(hits chan<- string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			hits <- string(b)
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	first, second, kept := make(chan string, 16), make(chan string, 16), make(chan string, 16)
	s1, s2, s3 := hook(first), hook(second), hook(kept)
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: s1.URL, Format: "json", Timeout: 2 * time.Second},
		{Name: "kept", URL: s3.URL, Format: "json", Timeout: 2 * time.Second}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src := &reloadSource{}
	r := runDaemonWith(t, cfg, Options{Logger: zaptest.NewLogger(t), Version: "test", Load: src.load})
	waitReady(t, "http://"+r.d.HTTPAddr())
	p := dial(t, r, "dc09-main", "tcp", "", "")
	// await waits for a delivery of account's signal. Delivery is at least
	// once: a webhook stopped by a reload while its request was under way
	// sends that signal again, so earlier signals may come first.
	await := func(ch <-chan string, account string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case b := <-ch:
				if strings.Contains(b, `"account":"`+account+`"`) {
					return
				}
			case <-timeout:
				t.Fatalf("no delivery of account %s", account)
			}
		}
	}
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	await(first, "4321")
	await(kept, "4321")

	next := *cfg
	next.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: s2.URL, Format: "json", Timeout: 2 * time.Second},
		cfg.Outputs.Webhooks[1]}
	next.Report.Enabled = true
	next.Report.SMTP.Host, next.Report.SMTP.Port, next.Report.SMTP.From = "127.0.0.1", 2525, "noc@example.com"
	src.set(&next, nil)
	res, err := r.d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Outputs.Restarted, []string{"psim"}) || !slices.Equal(res.Outputs.Started, []string{jobReport}) ||
		len(res.Outputs.Stopped) != 0 {
		t.Fatalf("output changes %+v", res.Outputs)
	}
	mustSend(t, p, frame("ADM-CID", "4322", "0002", "#4322|1130 01 017", false), "ACK")
	await(second, "4322")
	await(kept, "4322")
	for len(first) > 0 {
		if b := <-first; strings.Contains(b, `"account":"4322"`) {
			t.Fatalf("the old target got a signal stored after the reload: %s", b)
		}
	}
	if !hasSeries(t, r, "alarmrx_webhook_delivered_total", "output", "psim") {
		t.Fatal("the restarted webhook's alarmrx_webhook_delivered_total is gone")
	}

	gone := next
	gone.Outputs.Webhooks = next.Outputs.Webhooks[1:]
	src.set(&gone, nil)
	if res, err = r.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Outputs.Stopped, []string{"psim"}) {
		t.Fatalf("output changes %+v", res.Outputs)
	}
	if hasSeries(t, r, "alarmrx_webhook_delivered_total", "output", "psim") {
		t.Fatal("the removed webhook's alarmrx_webhook_delivered_total is still exported")
	}
	mustSend(t, p, frame("ADM-CID", "4323", "0003", "#4323|1130 01 017", false), "ACK")
	await(kept, "4323")
}

// hasSeries reports whether the daemon exports metric with label=value.
func hasSeries(t *testing.T, r *running, metric, label, value string) bool {
	t.Helper()
	mfs, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return true
				}
			}
		}
	}
	return false
}

// TestReloadRenamesAndRetypesOutputs: a Sur-Gard output renamed on its
// port is stopped before its successor binds the port; an output that
// becomes another kind under the same name is stopped before the new one
// registers the same metrics (it would panic the reload, and the daemon
// with it, otherwise).
func TestReloadRenamesAndRetypesOutputs(t *testing.T) {
	port := freeTCPPort(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "auto", TCP: port, AckTimeout: 2 * time.Second, Retries: 2,
		Heartbeat: time.Hour, LineDigits: 3}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src := &reloadSource{}
	r := runDaemonWith(t, cfg, Options{Logger: zaptest.NewLogger(t), Version: "test", Load: src.load})
	waitReady(t, "http://"+r.d.HTTPAddr())

	renamed := *cfg
	renamed.Outputs.Surgard = []configs.SurgardOutput{cfg.Outputs.Surgard[0]}
	renamed.Outputs.Surgard[0].Name = "automation"
	src.set(&renamed, nil)
	res, err := r.d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Outputs.Started, []string{"automation"}) || !slices.Equal(res.Outputs.Stopped, []string{"auto"}) {
		t.Fatalf("output changes %+v", res.Outputs)
	}
	if got := r.d.OutputAddrs(); got["automation"] != port || len(got) != 1 {
		t.Fatalf("outputs after the rename %v, want automation on %s", got, port)
	}
	a := connectAutomation(t, port)
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false), "ACK")
	if rec := a.next(5 * time.Second); !strings.Contains(rec, "4321") {
		t.Fatalf("the renamed output delivered %q", rec)
	}
	a.answer(0x06)

	retyped := renamed
	retyped.Outputs.Surgard = nil
	retyped.Outputs.Peers = []configs.PeerOutput{{Name: "automation", Format: "dc09", Endpoints: []string{r.addr("dc09-cloud", "tcp")},
		AckTimeout: 2 * time.Second, Retries: 2, Heartbeat: time.Hour, Failback: time.Hour, KeyFormat: "hex",
		SenderID: "alarmrx", TransmitterType: "ARXRX"}}
	src.set(&retyped, nil)
	if res, err = r.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Outputs.Restarted, []string{"automation"}) {
		t.Fatalf("output changes %+v", res.Outputs)
	}
	if len(r.d.OutputAddrs()) != 0 {
		t.Fatalf("a Sur-Gard port is still open: %v", r.d.OutputAddrs())
	}
	if !hasSeries(t, r, "alarmrx_output_up", "output", "automation") {
		t.Fatal("the peer's alarmrx_output_up is not exported")
	}
}

// freeTCPPort returns a 127.0.0.1 address with a port nothing listens on.
func freeTCPPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
