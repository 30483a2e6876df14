package daemon

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"
)

// TestNoSecretInResponsesOrLogs sets every kind of secret — an account's
// DC-09 key, a call-list passcode, a user's password, an XML passkey, a
// webhook token, the admin token — uses them rightly and wrongly through
// the API, and checks that none appears in any response, error or log line.
//
// The passkeys also come in every form a parser accepts and a string match
// misses (CDATA, "<Passkey >", a prefix with its xmlns, an attribute, the
// JSON escape "pass\u006bey"), over HTTP and over an xmlsignal TCP
// listener; DC-09 frames carry a key-change block [K…] in clear and
// encrypted; the webhook URL carries a password. The station API must still
// show the (redacted) raw frames, the portal no raw frame at all.
func TestNoSecretInResponsesOrLogs(t *testing.T) {
	const (
		accountKey = "F00DF00DF00DF00DF00DF00DF00DF00D"
		passcode   = "swordfish-4711"
		password   = "correct horse battery staple"
		hookToken  = "hook-token-5e3cr3t"
		hookPass   = "hook-pass-9q8w7e"
		hookQuery  = "hook-query-1z2x3c"
		// Passkeys of senders that put them where a string match misses.
		cdataKey  = "cdata-passkey-7f3a91"
		spaceKey  = "space-passkey-2b8c44"
		prefixKey = "prefix-passkey-9d1e07"
		jsonKey   = "jsonu-passkey-e4a2b9"
		tcpKey    = "tcpxm-passkey-5c77d2"
		// Secrets that authenticate nothing but must not be kept either.
		attrKey  = "attrb-passkey-61c0d5"
		wrongKey = "wrong-passkey-0a9b3f"
		// DC-09 key-change blocks, in a plain and in an encrypted frame.
		plainK = "AB12CD34EF56AB12CD34EF56AB12CD34"
		encK   = "9876FEDC9876FEDC9876FEDC9876FEDC"
	)
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := xmlConfig(t)
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: "http://alarmrx:" + hookPass + "@127.0.0.1:1/none", Format: "json",
		Token: hookToken, Timeout: 100_000_000}}
	for id, key := range map[string]string{"cdata": cdataKey, "spaced": spaceKey, "prefixed": prefixKey, "jsonu": jsonKey, "tcpxm": tcpKey} {
		cfg.XML.Senders = append(cfg.XML.Senders, configs.XMLSender{ID: id, Passkey: key, Receiver: 2, Line: 3})
	}
	addXMLTCP(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := runDaemon(t, cfg, zap.New(core))
	d := r.d
	waitReady(t, "http://"+d.HTTPAddr())

	var bodies, station, portal bytes.Buffer
	do := func(c *http.Client, method, path, token, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+d.HTTPAddr()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if strings.HasPrefix(body, "{") && strings.HasSuffix(path, "/login") {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies.Write(b)
		bodies.WriteString(resp.Header.Get("WWW-Authenticate"))
		return resp.StatusCode, b
	}
	call := func(method, path, token, body string) int {
		t.Helper()
		code, _ := do(http.DefaultClient, method, path, token, body)
		return code
	}
	var site struct {
		ID         int64  `json:"id"`
		Identifier string `json:"identifier"`
	}
	var cust struct {
		ID int64 `json:"id"`
	}
	apiPost(t, r, "/api/v1/customers", map[string]any{"name": "Acme"}, &cust)
	apiPost(t, r, "/api/v1/sites", map[string]any{"customer_id": cust.ID, "name": "Acme yard"}, &site)
	var acct struct {
		ID int64 `json:"id"`
	}
	_, b := do(http.DefaultClient, "POST", "/api/v1/accounts", adminToken, `{"receiver":1,"number":"7777","site_id":`+itoa(site.ID)+
		`,"dc09_key":"`+accountKey+`"}`)
	_ = json.Unmarshal(b, &acct)
	call("POST", "/api/v1/accounts", adminToken, `{"receiver":1,"number":"7778","site_id":`+itoa(site.ID)+`,"dc09_key":"`+accountKey+`00"}`)
	call("POST", "/api/v1/accounts", adminToken, `{"receiver":2,"number":"1234","site_id":`+itoa(site.ID)+`}`)
	call("GET", "/api/v1/accounts", adminToken, "")
	call("GET", "/api/v1/receivers/1/accounts/7777", adminToken, "")
	call("POST", "/api/v1/responding-parties", adminToken, `{"site_id":`+itoa(site.ID)+`,"position":1,"name":"Ann","passcode":"`+passcode+`"}`)
	call("GET", "/api/v1/responding-parties", adminToken, "")
	call("POST", "/api/v1/users", adminToken, `{"username":"ann","role":"operator","password":"`+password+`"}`)
	call("POST", "/api/v1/users", adminToken, `{"username":"bob","role":"operator","password":"short"}`)
	call("GET", "/api/v1/users", adminToken, "")
	call("GET", "/api/v1/audit?limit=1000", adminToken, "")
	call("POST", "/api/v1/login", "", `{"username":"ann","password":"`+password+`x"}`)
	call("POST", "/api/v1/login", "", `{"username":"ann","password":"`+password+`"}`)
	call("GET", "/api/v1/signals", adminToken+"x", "")
	call("POST", "/xml/v1/signals", chektPasskey+"x", string(example(t, "chekt-style.xml")))
	call("POST", "/xml/v1/signals", chektPasskey, strings.Replace(string(example(t, "chekt-style.xml")), "<Source>chekt</Source>",
		"<Source>chekt</Source><Passkey>"+chektPasskey+"</Passkey>", 1))

	// The passkey in the body, in the forms a string match misses; each
	// message authenticates with it (or, for the attribute, with the
	// header) and is stored.
	xmlMsg := func(id, header, source string) string {
		s := strings.Replace(string(example(t, "chekt-style.xml")), "6f1c1a0e-3f7b-4c7e-9d2a-1d2b9c0f7a11", id, 1)
		s = strings.Replace(s, "<Header>", header, 1)
		return strings.Replace(s, "<Source>chekt</Source>", source, 1)
	}
	for _, m := range []struct{ name, path, token, body string }{
		{"CDATA", "/xml/v1/signals", "", xmlMsg("m-cdata", "<Header>", "<Source>cdata</Source><Passkey><![CDATA["+cdataKey+"]]></Passkey>")},
		{"spaces in the tags", "/xml/v1/signals", "", xmlMsg("m-space", "<Header>", "<Source>spaced</Source><Passkey >"+spaceKey+"</Passkey\n>")},
		{"prefix", "/xml/v1/signals", "", xmlMsg("m-prefix", "<Header>",
			`<Source>prefixed</Source><s:Passkey xmlns:s="urn:alarmrx:signal:1">`+prefixKey+`</s:Passkey>`)},
		{"attribute", "/xml/v1/signals", chektPasskey, xmlMsg("m-attr", `<Header passkey="`+attrKey+`">`, "<Source>chekt</Source>")},
		{"JSON escape", "/json/v1/signals", "", strings.Replace(strings.Replace(string(example(t, "chekt-style.json")),
			`"source": "chekt"`, `"source": "jsonu", "pass\u006bey": "`+jsonKey+`"`, 1), "7a2d0f11-json-0001", "m-json", 1)},
	} {
		if code := call("POST", m.path, m.token, m.body); code != http.StatusOK {
			t.Errorf("%s: HTTP %d, want 200", m.name, code)
		}
	}

	// The same over the framed TCP listener: one accepted, one refused for
	// a wrong passkey (kept as rejected evidence).
	conn, err := net.Dial("tcp", r.addr("xml-tcp", "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tcpOK := xmlMsg("m-tcp", "<Header >", `<Source>tcpxm</Source><p:Passkey xmlns:p="urn:alarmrx:signal:1" ><![CDATA[`+tcpKey+`]]></p:Passkey >`)
	tcpBad := xmlMsg("m-tcp-bad", "<Header>", "<Source>chekt</Source><Passkey >"+wrongKey+"</Passkey>")
	if _, err := conn.Write([]byte(tcpOK + "\r\n" + tcpBad + "\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	dec := xml.NewDecoder(conn)
	for i, want := range []int{xmlsignal.CodeOK, xmlsignal.CodeNotAuthorized} {
		var resp xmlsignal.Response
		if err := dec.Decode(&resp); err != nil || resp.Status.Code != want {
			t.Fatalf("TCP answer %d: code %d (%v), want %d", i+1, resp.Status.Code, err, want)
		}
	}

	// DC-09 key-change blocks: in clear, and inside an encrypted frame, from
	// an account on test (so that the portal's test results list them).
	if code := apiPost(t, r, "/api/v1/accounts/"+itoa(acct.ID)+"/tests", map[string]any{"duration": "1h", "reason": "key change",
		"authorised_by": "dispatch"}, nil); code != http.StatusCreated {
		t.Fatalf("on test: HTTP %d", code)
	}
	// 7777 has a key, so its plain frame is refused (DUH) and kept as
	// rejected evidence: redacted like any stored frame.
	plain := frame(dc09.TokenSIA, "7777", "0001", "#7777|NYK00", false)
	plain.XData = []dc09.XData{{ID: 'K', Value: []byte(plainK)}, {ID: 'I', Value: []byte("key change")}}
	mustSend(t, dial(t, r, "dc09-main", "tcp", "", ""), plain, dc09.TokenDUH)
	enc := frame(dc09.TokenSIA, "7777", "0002", "#7777|NYK00", true)
	enc.XData = []dc09.XData{{ID: 'K', Value: []byte(encK)}}
	mustSend(t, dial(t, r, "dc09-main", "tcp", accountKey, "hex"), enc, dc09.TokenACK)

	// What the station sees: every frame, redacted.
	for _, path := range []string{"/api/v1/signals?limit=1000", "/api/v1/frames?limit=1000"} {
		_, b := do(http.DefaultClient, "GET", path, adminToken, "")
		station.Write(b)
	}
	var frames struct {
		Frames []struct {
			Raw    string          `json:"raw"`
			Detail json.RawMessage `json:"detail"`
		} `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?limit=1000", adminToken, &frames)
	var evidence strings.Builder
	for _, f := range frames.Frames {
		var detail bytes.Buffer
		_ = json.Compact(&detail, f.Detail)
		evidence.WriteString(f.Raw + "\n" + detail.String() + "\n")
	}

	// What a portal user of the site sees: the signals, no frame.
	call("POST", "/api/v1/portal-users", adminToken, `{"scope":"site:`+itoa(site.ID)+`","kind":"manager","username":"pat","password":"pat's long password"}`)
	jar, _ := cookiejar.New(nil)
	pc := &http.Client{Jar: jar}
	if code, b := do(pc, "POST", "/portal/api/login", "", `{"identifier":"`+site.Identifier+`","username":"pat","password":"pat's long password"}`); code != http.StatusOK {
		t.Fatalf("portal login: %d %s", code, b)
	}
	var code int
	var list struct {
		Signals []struct {
			ID int64 `json:"id"`
		} `json:"signals"`
	}
	code, b = do(pc, "GET", "/portal/api/signals?site_id="+itoa(site.ID), "", "")
	portal.Write(b)
	if err := json.Unmarshal(b, &list); err != nil || code != http.StatusOK || len(list.Signals) == 0 {
		t.Fatalf("portal signals: HTTP %d, %d signals (%v)", code, len(list.Signals), err)
	}
	paths := []string{"/portal/api/accounts/" + itoa(acct.ID) + "/test-results"}
	for _, sg := range list.Signals {
		paths = append(paths, "/portal/api/signals/"+itoa(sg.ID))
	}
	for _, path := range paths {
		code, b := do(pc, "GET", path, "", "")
		if code != http.StatusOK {
			t.Errorf("portal %s: HTTP %d", path, code)
		}
		portal.Write(b)
	}

	printed, _ := yaml.Marshal(cfg.Redacted())
	bodies.Write(printed)
	// check-config also prints what serve would not start with: a URL
	// whose query carries the secret.
	shown := *cfg
	shown.Outputs.Webhooks = append(slices.Clone(cfg.Outputs.Webhooks), configs.Webhook{Name: "q",
		URL: "https://hooks.example/in?api_key=" + hookQuery, Format: "json"})
	printed, _ = yaml.Marshal(shown.Redacted())
	bodies.Write(printed)
	r.stop()

	secrets := []string{accountKey, strings.ToLower(accountKey), passcode, password, chektPasskey, hookToken, adminToken,
		hookPass, hookQuery, cdataKey, spaceKey, prefixKey, jsonKey, tcpKey, attrKey, wrongKey, plainK, encK}
	for _, s := range slices.Clone(secrets) {
		secrets = append(secrets, hex.EncodeToString([]byte(s))) // as raw_hex would show it
	}
	text := bodies.String() + station.String() + portal.String() + evidence.String()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a response or the printed configuration holds the secret %.6s…", s)
		}
	}
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + toString(v)
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line leaks the secret %.6s…: %s", s, e.Message)
			}
		}
	}
	if strings.Contains(portal.String(), `"raw`) {
		t.Error("the portal shows raw frames")
	}
	// The station keeps its evidence: the frames, with the secrets blanked.
	for _, want := range []string{"<Source>cdata</Source><Passkey>[redacted]</Passkey>", "<Passkey >[redacted]</Passkey\n>",
		`<s:Passkey xmlns:s="urn:alarmrx:signal:1">[redacted]</s:Passkey>`, `<Header passkey="[redacted]">`,
		`"pass\u006bey": "[redacted]"`, `<p:Passkey xmlns:p="urn:alarmrx:signal:1" >[redacted]</p:Passkey >`,
		"<Passkey >[redacted]</Passkey>", "[K[redacted]][Ikey change]", `{"ID":"K","Value":"[redacted]"}`} {
		if !strings.Contains(evidence.String(), want) {
			t.Errorf("the station API lacks the redacted evidence %s", want)
		}
	}
	if !strings.Contains(text, `"has_dc09_key": true`) || !strings.Contains(text, `"has_passcode": true`) ||
		!strings.Contains(portal.String(), `"protocol": "xmlsignal"`) || !strings.Contains(portal.String(), `"protocol": "dc09"`) {
		t.Fatal("the calls did not run as planned")
	}
}
