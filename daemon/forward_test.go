package daemon

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// TestDC09Forwarding: one alarmrx forwards the signals of the accounts
// it lists to a second one as a DC-09 transmitter. The primary endpoint is unreachable, so the
// output fails over to the backup, the second alarmrx; there each signal
// is stored once, in order, with its code, zone and media link, and the
// first receiver records it delivered only once the second ACKed it.
func TestDC09Forwarding(t *testing.T) {
	b := startDaemon(t, testConfig(t, t.TempDir()))
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	_ = dead.Close() // nothing listens there: the primary is down

	cfg := testConfig(t, t.TempDir())
	cfg.Outputs.Peers = []configs.PeerOutput{{Name: "partner", Format: "dc09",
		Endpoints: []string{deadAddr, b.addr("dc09-main", "tcp")}, AckTimeout: 2 * time.Second, Retries: 2,
		Accounts:  []string{"9876"}, // the partner monitors 9876, not 5555
		Heartbeat: time.Hour, Failback: time.Hour, KeyFormat: "hex", SenderID: "alarmrx", TransmitterType: "ARXRX"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startDaemon(t, cfg)
	p := dial(t, a, "dc09-main", "tcp", "", "")
	f := frame("SIA-DCS", "9876", "0001", "#9876|Nri1/BA005", false)
	f.XData = []dc09.XData{{ID: 'V', Value: []byte("https://v.example/clip/1")}}
	mustSend(t, p, f, "ACK")
	mustSend(t, p, frame("SIA-DCS", "5555", "0003", "#5555|Nri1/BA001", false), "ACK")
	mustSend(t, p, frame("ADM-CID", "9876", "0002", "#9876|3130 01 005", false), "ACK")

	waitFor(t, 10*time.Second, func() bool { return counter(t, a, "alarmrx_output_delivered_total", "output", "partner") == 2 })
	got := signals(t, b, "account=9876")
	if len(got) != 2 {
		t.Fatalf("the second alarmrx stored %d signals, want 2: %v", len(got), got)
	}
	first, second := got[0], got[1]
	if first["event_code"] != "BA" || first["zone"] != "005" || first["partition"] != "1" ||
		!strings.Contains(fmt.Sprint(first["modifiers"]), "media_clip Value:https://v.example/clip/1") {
		t.Fatalf("first forwarded signal %v", first)
	}
	if second["event_code"] != "130" || second["qualifier"] != "restore" || second["zone"] != "005" {
		t.Fatalf("second forwarded signal %v", second)
	}
	if got := signals(t, b, "account=5555"); len(got) != 0 {
		t.Fatalf("an account the output does not list was forwarded: %v", got)
	}
	if v := counter(t, a, "alarmrx_output_failovers_total", "output", "partner"); v < 1 {
		t.Fatalf("failovers %v: the dead primary was not passed over", v)
	}
	if v := gauge(t, a, "alarmrx_output_endpoint", "output", "partner", "endpoint", "1"); v != 1 {
		t.Fatalf("endpoint 1 (the backup) in use: %v", v)
	}
}

// TestPeerOutputsInEachDialect: for each dialect alarmrx sends in, one
// alarmrx sends its signals to a second one's listener of that dialect;
// the second stores each with its account, code and zone, and ACKs it
// in its dialect, which the first records as delivered.
func TestPeerOutputsInEachDialect(t *testing.T) {
	for _, format := range []string{"manitou", "masxml", "microkey", "native", "sentinel", "sos"} {
		t.Run(format, func(t *testing.T) {
			protocol, passkey := format, "hxp4x9nnwxjatv8"
			if format == "native" {
				protocol, passkey = "xmlsignal", "native-passkey-0123"
			}
			bcfg := dialectConfig(t, protocol, 0)
			if format == "native" {
				// The native schema's TCP listener takes configured senders,
				// the passkey in the message.
				bcfg.XML.Senders = []configs.XMLSender{{ID: "alarmrx", Passkey: passkey, Receiver: 1, Line: 9}}
				if err := bcfg.Validate(); err != nil {
					t.Fatal(err)
				}
			}
			b := startDaemon(t, bcfg)
			cfg := testConfig(t, t.TempDir())
			cfg.Outputs.Peers = []configs.PeerOutput{{Name: "automation", Format: format,
				Endpoints: []string{b.addr(protocol+"-in", "tcp")}, AckTimeout: 2 * time.Second, Retries: 2,
				Heartbeat: time.Hour, Failback: time.Hour, KeyFormat: "hex", SenderID: "alarmrx", TransmitterType: "ARXRX",
				Passkey: passkey, Receiver: "42"}}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			a := startDaemon(t, cfg)
			p := dial(t, a, "dc09-main", "tcp", "", "")
			mustSend(t, p, frame("SIA-DCS", "9876", "0001", "#9876|Nri1/BA005", false), "ACK")
			mustSend(t, p, frame("ADM-CID", "9876", "0002", "#9876|1110 01 007", false), "ACK")
			waitFor(t, 10*time.Second, func() bool {
				return counter(t, a, "alarmrx_output_delivered_total", "output", "automation") == 2
			})
			got := signals(t, b, "account=9876")
			if len(got) != 2 || got[0]["event_code"] != "BA" || got[0]["zone"] != "005" ||
				got[1]["event_code"] != "110" || got[1]["zone"] != "007" || got[1]["listener"] != protocol+"-in" {
				t.Fatalf("the second alarmrx stored %v", got)
			}
		})
	}
}
