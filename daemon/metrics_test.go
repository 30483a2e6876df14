package daemon

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// fullConfig is the test configuration with every part that registers
// metrics: DC-09 on TCP and UDP, a supervised Sur-Gard listener, XML on
// TCP and over HTTP (a supervised and an unsupervised sender), a Sur-Gard
// output and a webhook output, and the HTTP API. The report registers no
// metrics.
func fullConfig(t *testing.T, webhookURL string) *configs.Config {
	t.Helper()
	cfg := surgardConfig(t, func(l *configs.Listener) { l.HeartbeatTimeout = time.Hour })
	addXMLTCP(cfg)
	cfg.XML.Senders = []configs.XMLSender{
		{ID: "chekt", Passkey: chektPasskey, Receiver: 2, Line: 3, HeartbeatTimeout: time.Hour},
		{ID: "quiet", Passkey: "quiet-passkey-0123456789abcdef", Receiver: 2, Line: 5},
	}
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: time.Second,
		Retries: 1, Heartbeat: time.Hour, LineDigits: 3}}
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: webhookURL, Format: "json", Timeout: 2 * time.Second}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// seriesSet is every label value of every alarmrx_ series, as
// "metric/label=value".
func seriesSet(mfs []*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "alarmrx_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				out[mf.GetName()+"/"+lp.GetName()+"="+lp.GetValue()] = true
			}
		}
	}
	return out
}

// TestMetricsLintEveryRegistry lints everything a daemon with every part
// registers (the receiver's own test lints only the receiver's), after
// traffic through each part: names, units, help texts and types as
// promlint wants them, the alarmrx_ prefix, and labels from closed sets.
// The label sets are closed in two ways a test can see: every value
// is created at start-up (traffic adds no new series), and the values
// naming a part name a configured one; account numbers and addresses
// never appear.
func TestMetricsLintEveryRegistry(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	cfg := fullConfig(t, hook.URL)
	r := startDaemon(t, cfg)
	atStart, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}

	// Traffic through every part: accepted, duplicate, rejected and
	// unknown-token DC-09 frames on TCP and UDP, Sur-Gard records and a
	// heartbeat, XML over TCP and HTTP (one refused), the API refusing a
	// token, the outputs delivering.
	a := connectAutomation(t, r.d.OutputAddrs()["automation"])
	p := dial(t, r, "dc09-main", "tcp", "", "")
	f := frame("ADM-CID", "4321", "0001", "#4321|1130 01 017", false)
	mustSend(t, p, f, "ACK")
	mustSend(t, p, f, "ACK") // a retransmission
	mustSend(t, p, frame("FOO-BAR", "4321", "0002", "", false), "DUH")
	pk := dial(t, r, "dc09-main", "udp", hexKey256, "hex")
	mustSend(t, pk, frame("SIA-DCS", "9999", "0003", "#9999|NBA01", true), "NAK") // no key for 9999
	s := dialSurgard(t, r)
	if got := s.send("501100 181234E13001017", 2*time.Second); got != surgard.ACK {
		t.Fatalf("Sur-Gard record answered %#x", got)
	}
	if got := s.send("101000           @    ", 2*time.Second); got != surgard.ACK {
		t.Fatalf("Sur-Gard heartbeat answered %#x", got)
	}
	if code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, example(t, "chekt-style.xml")); code != http.StatusOK || resp.Status.Code != xmlsignal.CodeOK {
		t.Fatalf("XML post: %d %s", code, raw)
	}
	if code, _, raw := postSignals(t, r, "/xml/v1/signals", "wrong-passkey", example(t, "heartbeat.xml")); code == http.StatusOK {
		t.Fatalf("XML post with a wrong passkey: %d %s", code, raw)
	}
	if code := apiGet(t, r, "/api/v1/signals", "wrong", nil); code != http.StatusUnauthorized {
		t.Fatalf("API with a wrong token: HTTP %d", code)
	}
	for range 3 { // 4321 (once: the retransmission is a duplicate), 1234 on the Sur-Gard line, ABC1234 over XML
		if rec := a.next(5 * time.Second); rec == "" {
			t.Fatal("the Sur-Gard output sent no record")
		}
		a.answer(surgard.ACK)
	}
	waitFor(t, 5*time.Second, func() bool {
		return counter(t, r, "alarmrx_output_delivered_total") == 3 && counter(t, r, "alarmrx_webhook_delivered_total") == 3
	})

	mfs, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}

	names := 0
	for _, mf := range mfs {
		name := mf.GetName()
		switch {
		case strings.HasPrefix(name, "alarmrx_"):
			names++
		case strings.HasPrefix(name, "go_"), strings.HasPrefix(name, "process_"):
			// The Go runtime and process collectors.
		default:
			t.Errorf("metric %s: not named alarmrx_*", name)
		}
	}
	// Every part's metrics are there (a part that registers nothing would
	// make the rest of the test vacuous for it).
	known := map[string]bool{}
	for _, mf := range mfs {
		known[mf.GetName()] = true
	}
	for _, want := range []string{
		"alarmrx_frames_received_total", "alarmrx_store_up", "alarmrx_output_up", "alarmrx_webhook_delivered_total",
		"alarmrx_http_connections_refused_total", "alarmrx_http_server_errors_total", "alarmrx_signal_messages_refused_total",
		"alarmrx_evidence_kept_total", "alarmrx_link_up", "alarmrx_queue_incidents", "alarmrx_build_info",
	} {
		if !known[want] {
			t.Errorf("%s not registered", want)
		}
	}

	// Traffic created no series: every label value existed at start-up.
	before := seriesSet(atStart)
	var added []string
	for s := range seriesSet(mfs) {
		if !before[s] {
			added = append(added, s)
		}
	}
	sort.Strings(added)
	for _, s := range added {
		t.Errorf("label value created by traffic, not at start-up: %s", s)
	}

	// Values that name a part name a configured one.
	allowed := map[string]map[string]bool{
		"listener": {}, "output": {"automation": true, "psim": true},
		// "alarmrx" is the receiver's own events (supervision) on its
		// internal listener of each receiver.
		"protocol": {dc09.Name: true, surgard.Name: true, xmlsignal.Name: true, "alarmrx": true},
		"version":  {"test": true},
	}
	for _, rc := range cfg.Receivers {
		allowed["listener"][fmt.Sprintf("internal-r%d", rc.Number)] = true
		for _, lc := range rc.Listeners {
			allowed["listener"][lc.Name] = true
		}
	}
	for _, sc := range cfg.XML.Senders {
		allowed["listener"][XMLListener(sc.ID)] = true
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "alarmrx_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				v := lp.GetValue()
				if set, ok := allowed[lp.GetName()]; ok && !set[v] {
					t.Errorf("%s{%s=%q}: not a configured %s", mf.GetName(), lp.GetName(), v, lp.GetName())
				}
				for _, leak := range []string{"4321", "9999", "1234", "127.0.0.1", chektPasskey} {
					if strings.Contains(v, leak) {
						t.Errorf("%s{%s=%q}: an account, address or secret as a label value", mf.GetName(), lp.GetName(), v)
					}
				}
			}
		}
	}
	if names < 40 {
		t.Fatalf("only %d alarmrx_ metrics gathered", names)
	}
}
