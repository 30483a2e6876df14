package daemon

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/manitou"
	"github.com/alarmrx/alarmrx/protocols/sos"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// dialectCase is one cloud dialect as a listener speaks it end to end:
// an alarm and its exact ACK, what is stored of it, a malformed message
// and its exact refusal, and a heartbeat and its answer.
type dialectCase struct {
	protocol string
	// alarm carries a sequence of its own, account account, event code
	// code in zone zone and a media link (the stored modifier's text).
	alarm, ack                 string
	account, code, zone, media string
	malformed, refusal         string
	heartbeat, heartbeatReply  string
}

var dialectCases = []dialectCase{{
	protocol: "manitou",
	alarm: "\x02<?xml version=\"1.0\"?><Signal Event=\"BA\" EvType=\"Alarm\" Account=\"1234\"><Area>1</Area><AreaInfo>Ground floor</AreaInfo>" +
		"<Zone>5</Zone><PointID>12</PointID><URL>https://portal.example.com/v/1?a=1&amp;z=5</URL></Signal>\x03",
	ack:     "\x02<?xml version=\"1.0\"?><Ack><RawNo>dvBNwz56IzVF</RawNo></Ack>\x03",
	account: "1234", code: "BA", zone: "5", media: "media_portal Value:https://portal.example.com/v/1?a=1&z=5",
	malformed: "\x02<Signal Event=\"BA\" Account=\"1234\"><URL>ftp://x.example/1</URL></Signal>\x03",
	refusal:   "\x02<?xml version=\"1.0\"?><Nak Index=\"1\" Code=\"21\"/>\x03",
	heartbeat: "\x02<Heartbeat/>\x03", heartbeatReply: string(manitou.Ack(manitou.RawNo([]byte("\x02<Heartbeat/>\x03")))),
}, {
	protocol: "masxml",
	alarm: "<?xml version='1.0' encoding='UTF-8'?><XMLMessageClass><MessageType>AJAX</MessageType><SourceID>5</SourceID>" +
		"<MessageSequenceNo>101</MessageSequenceNo><KeyValuePair><Key>Account</Key><Value>ABCDEF1234</Value></KeyValuePair>" +
		"<KeyValuePair><Key>EventCode</Key><Value>E130</Value></KeyValuePair><KeyValuePair><Key>Zone</Key><Value>12</Value></KeyValuePair>" +
		"<KeyValuePair><Key>URL</Key><Value>https://app.example.net/v/101</Value></KeyValuePair></XMLMessageClass>",
	ack:     `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>101</MessageSequenceNo><ResultCode>0</ResultCode><ResultText>ok</ResultText></AckNakClass>`,
	account: "ABCDEF1234", code: "130", zone: "12", media: "media_portal Value:https://app.example.net/v/101",
	malformed: "<XMLMessageClass><MessageType>AJAX</MessageType><SourceID>5</SourceID><MessageSequenceNo>102</MessageSequenceNo>" +
		"<KeyValuePair><Key>EventCode</Key><Value>E130</Value></KeyValuePair></XMLMessageClass>",
	refusal:        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>102</MessageSequenceNo><ResultCode>9</ResultCode><ResultText>Invalid XML</ResultText></AckNakClass>`,
	heartbeat:      "<XMLMessageClass><MessageType>HEARTBEAT</MessageType><SourceID>5</SourceID><MessageSequenceNo>103</MessageSequenceNo></XMLMessageClass>",
	heartbeatReply: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>103</MessageSequenceNo><ResultCode>0</ResultCode><ResultText>ok</ResultText></AckNakClass>`,
}, {
	protocol: "microkey",
	alarm: "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>10007</Sequence>" +
		"<Signal><LN>01</LN><ACC>8888</ACC><SI>E130</SI><PZ>102</PZ><A>1</A><VF>http://dvr.example.com/674/clip.avi</VF>" +
		"<DT>2025-05-29</DT><TM>17:07:48</TM></Signal></Signals><Checksum>3F7D</Checksum>\r",
	ack:     "\r<Response><Sequence>10007</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n",
	account: "8888", code: "130", zone: "102", media: "media_clip Value:http://dvr.example.com/674/clip.avi",
	malformed:      "\n<Signals Ver=\"1.0.0\"><SignalCount>2</SignalCount><Sequence>10008</Sequence><Signal><ACC>8888</ACC><SI>E130</SI></Signal></Signals><Checksum>0000</Checksum>\r",
	refusal:        "\r<Response><Sequence>10008</Sequence><Status>NAK</Status><Error>Signal count mismatch</Error></Response><Checksum>0000</Checksum>\n",
	heartbeat:      "\n<Signals Ver=\"1.0.0\"><SignalCount>0</SignalCount><Sequence>10009</Sequence></Signals><Checksum>0000</Checksum>\r",
	heartbeatReply: "\r<Response><Sequence>10009</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n",
}, {
	protocol: "sos",
	alarm: `<?xml version="1.0" encoding="ISO-8859-1"?><alarmrequest><reference>7</reference><receiver>42</receiver><alarmtype>AL</alarmtype>` +
		`<transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode><detector>5</detector>` +
		"<detectortext>K\xe4llare</detectortext></alarmrequest>",
	ack:     `<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>7</reference><status>0</status><info>OK</info><arrivaltime>{arrival}</arrivaltime></alarmresponse>`,
	account: "1234567", code: "BA", zone: "5", media: "attr_detectortext Value:Källare",
	malformed: `<?xml version="1.0" encoding="ISO-8859-1"?><alarmrequest><reference>8</reference><receiver>42</receiver>` +
		`<transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode></alarmrequest>`,
	refusal:        `<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>8</reference><status>7</status><info>MANDATORY_DATA_MISSING</info><arrivaltime>{arrival}</arrivaltime></alarmresponse>`,
	heartbeat:      `<?xml version="1.0" encoding="ISO-8859-1"?><pingrequest><transmittercode>1234567</transmittercode><transmittertype>SV300</transmittertype></pingrequest>`,
	heartbeatReply: `<?xml version="1.0" encoding="ISO-8859-1"?><pingresponse><status>0</status><info>OK</info><arrivaltime>{arrival}</arrivaltime></pingresponse>`,
}, {
	protocol: "sentinel",
	alarm:    "Device ID=ABC1234|Seq=0042|Event=E130|Zone=017|Area=1|MediaUrl=https://media.example.net/017.jpg\r\n",
	ack:      "\x06",
	account:  "ABC1234", code: "130", zone: "017", media: "media_snapshot Value:https://media.example.net/017.jpg",
	malformed: "Device ID=ABC1234|Seq=0043|Zone\r\n", refusal: "\x15",
	heartbeat: "\x06\x14", heartbeatReply: "\x06",
}}

// dialectConfig gives receiver 1 of a test configuration a listener of
// the case's protocol, "<protocol>-in" on line 9, supervised for
// heartbeatTimeout when it is a link.
func dialectConfig(t *testing.T, protocol string, heartbeatTimeout time.Duration) *configs.Config {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP, l.HeartbeatTimeout = protocol+"-in", protocol, 9, "127.0.0.1:0", heartbeatTimeout
	cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// exchange writes msg and reads exactly len(want) bytes back.
func exchange(t *testing.T, c net.Conn, msg, want string) {
	t.Helper()
	exchangeAt(t, c, msg, want, time.Time{})
}

// exchangeAt is exchange with {arrival} in want read as the receiver's
// time now, as SOS Access writes it.
func exchangeAt(t *testing.T, c net.Conn, msg, want string, now time.Time) {
	t.Helper()
	want = strings.ReplaceAll(want, "{arrival}", now.Format(sos.ArrivalTimeLayout))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("reply to %q: %q (%v), want %q", msg, got, err, want)
	}
}

// TestDialectsEndToEnd: for each cloud dialect, on a real listener: the
// alarm is ACKed with its exact bytes once stored, with its code, zone and
// media link; its retransmission is ACKed again and stored once; a
// malformed message gets the dialect's exact refusal and is kept as
// rejected evidence; heartbeats keep the listener's link up, silence
// fails it, and the next heartbeat restores it.
func TestDialectsEndToEnd(t *testing.T) {
	for _, dc := range dialectCases {
		t.Run(dc.protocol, func(t *testing.T) {
			clk := newTestClock()
			r := startDaemonAt(t, dialectConfig(t, dc.protocol, time.Second), clk)
			listener := dc.protocol + "-in"
			c, err := net.Dial("tcp", r.addr(listener, "tcp"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()

			exchangeAt(t, c, dc.alarm, dc.ack, clk.Now())
			got := signals(t, r, "account="+dc.account)
			if len(got) != 1 || got[0]["event_code"] != dc.code || got[0]["zone"] != dc.zone || got[0]["listener"] != listener ||
				!strings.Contains(fmt.Sprint(got[0]["modifiers"]), dc.media) {
				t.Fatalf("stored %v; want one signal %s in zone %s with %s", got, dc.code, dc.zone, dc.media)
			}
			exchangeAt(t, c, dc.alarm, dc.ack, clk.Now())
			if got := signals(t, r, "account="+dc.account); len(got) != 1 {
				t.Fatalf("after the retransmission %d signals, want 1", len(got))
			}
			exchangeAt(t, c, dc.malformed, dc.refusal, clk.Now())
			var rejected struct {
				Frames []struct{ Listener, Reason string } `json:"frames"`
			}
			apiGet(t, r, "/api/v1/frames?status=rejected", adminToken, &rejected)
			if len(rejected.Frames) != 1 || rejected.Frames[0].Listener != listener {
				t.Fatalf("rejected evidence %+v", rejected.Frames)
			}

			// Heartbeats every 300 ms keep the 1 s link up; silence fails it.
			for range 5 {
				exchangeAt(t, c, dc.heartbeat, dc.heartbeatReply, clk.Now())
				clk.Advance(300 * time.Millisecond)
			}
			if v := counter(t, r, "alarmrx_link_failures_total", "listener", listener); v != 0 {
				t.Fatalf("link failures while heartbeats came: %v", v)
			}
			clk.Advance(2 * time.Second)
			waitFor(t, 5*time.Second, func() bool {
				return counter(t, r, "alarmrx_link_failures_total", "listener", listener) == 1
			})
			exchangeAt(t, c, dc.heartbeat, dc.heartbeatReply, clk.Now())
			waitFor(t, 5*time.Second, func() bool { return gauge(t, r, "alarmrx_link_up", "listener", listener) == 1 })
		})
	}
}

// TestMonitoringURL: an event that carries no media link gets the
// listener's monitoring_url, filled with its account (as stored, and as
// sent) and zone, as its media_portal; one that carries a link keeps its
// own alone.
func TestMonitoringURL(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Receivers[1].AccountPrefix = "ABC"
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP = "sentinel-in", "sentinel", 9, "127.0.0.1:0"
	l.MonitoringURL = "https://monitoring.chekt.com/monitoring?act={account}&txid={account_sent}&zone={zone}"
	cfg.Receivers[1].Listeners = append(cfg.Receivers[1].Listeners, l)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	c, err := net.Dial("tcp", r.addr("sentinel-in", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exchange(t, c, "Account=1234|Seq=1|Event=E130|Zone=017\r\n", "\x06")
	exchange(t, c, "Account=1234|Seq=2|Event=E131|Zone=018|VideoUrl=https://v.example/clip/2\r\n", "\x06")
	got := signals(t, r, "account=ABC1234")
	links := map[string]string{}
	for _, sg := range got {
		links[fmt.Sprint(sg["event_code"])] = fmt.Sprint(sg["modifiers"])
	}
	if len(got) != 2 ||
		links["130"] != "[map[Name:media_portal Value:https://monitoring.chekt.com/monitoring?act=ABC1234&txid=1234&zone=017]]" ||
		strings.Contains(links["131"], "monitoring.chekt.com") || !strings.Contains(links["131"], "https://v.example/clip/2") {
		t.Fatalf("links by code: %v", links)
	}
}

// TestDialectPasskeys: with XML senders configured, a Manitou heartbeat
// must carry its sender's passkey and an SOS Access message its
// receiver's password; a wrong one gets the dialect's refusal, and no
// passkey is kept in the stored evidence.
func TestDialectPasskeys(t *testing.T) {
	const secret = "manitou-passkey-0123456789"
	cfg := testConfig(t, t.TempDir())
	for _, proto := range []string{"manitou", "sos"} {
		l := configs.DefaultListener()
		l.Name, l.Protocol, l.Line, l.TCP, l.HeartbeatTimeout = proto+"-in", proto, 9, "127.0.0.1:0", 0
		cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
	}
	cfg.XML.Senders = []configs.XMLSender{{ID: "cloud1", Passkey: secret, Receiver: 1, Line: 9}, {ID: "42", Passkey: "hxp4x9nnwxjatv8", Receiver: 1, Line: 9}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := newTestClock()
	r := startDaemonAt(t, cfg, clk)
	dial := func(listener string) net.Conn {
		c, err := net.Dial("tcp", r.addr(listener, "tcp"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	m := dial("manitou-in")
	good := "\x02<Heartbeat Source=\"cloud1\" Passkey=\"" + secret + "\"/>\x03"
	exchange(t, m, good, string(manitou.Ack(manitou.RawNo([]byte(good)))))
	exchange(t, m, "\x02<Heartbeat Source=\"cloud1\" Passkey=\"wrong-passkey-0123456789\"/>\x03", "\x02<?xml version=\"1.0\"?><Nak Index=\"0\" Code=\"40\"/>\x03")
	exchange(t, m, "\x02<Heartbeat Source=\"cloud1\"/>\x03", "\x02<?xml version=\"1.0\"?><Nak Index=\"0\" Code=\"40\"/>\x03")

	s := dial("sos-in")
	req := func(password string) string {
		return `<?xml version="1.0" encoding="ISO-8859-1"?><alarmrequest><authentication>` + password + `</authentication><reference>3</reference>` +
			`<receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>7654321</transmittercode><eventcode>FA</eventcode></alarmrequest>`
	}
	exchangeAt(t, s, req("hxp4x9nnwxjatv8"), `<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>3</reference><status>0</status><info>OK</info><arrivaltime>{arrival}</arrivaltime></alarmresponse>`, clk.Now())
	exchangeAt(t, s, req("wrongpassword12"), `<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>3</reference><status>4</status><info>NOT_AUTHORIZED</info><arrivaltime>{arrival}</arrivaltime></alarmresponse>`, clk.Now())
	if got := signals(t, r, "account=7654321"); len(got) != 1 || got[0]["event_code"] != "FA" {
		t.Fatalf("stored %v; want the authenticated alarm alone", got)
	}
	var frames struct {
		Frames []struct{ Raw string } `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?limit=100", adminToken, &frames)
	for _, f := range frames.Frames {
		if strings.Contains(f.Raw, "hxp4x9nnwxjatv8") || strings.Contains(f.Raw, "wrongpassword12") || strings.Contains(f.Raw, "passkey-0123456789") {
			t.Fatalf("a stored frame keeps a passkey: %q", f.Raw)
		}
	}
}

// TestOpenListenersAreWarnedOf: a listener of a dialect that carries no
// passkey, and a Manitou one, are warned of at start while no
// allowed_sources bounds them; one that has allowed_sources is not.
func TestOpenListenersAreWarnedOf(t *testing.T) {
	cfg := dialectConfig(t, "masxml", 0)
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP, l.AllowedSources = "sentinel-in", "sentinel", 9, "127.0.0.1:0", []string{"203.0.113.0/24"}
	cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
	core, logs := observer.New(zap.WarnLevel)
	warnOpenListeners(cfg, zap.New(core))
	var warned []string
	for _, e := range logs.FilterMessageSnippet("takes signals from any address").All() {
		warned = append(warned, e.ContextMap()["listener"].(string))
	}
	if !slices.Equal(warned, []string{"masxml-in"}) {
		t.Fatalf("warned of %v, want masxml-in alone", warned)
	}
}
