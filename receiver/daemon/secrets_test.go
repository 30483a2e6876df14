package daemon

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"
)

// TestNoSecretInResponsesOrLogs sets every kind of secret — an account's
// DC-09 key, a call-list passcode, a user's password, an XML passkey, a
// webhook token, the admin token — uses them rightly and wrongly through
// the API, and checks that none appears in any response, error or log line.
func TestNoSecretInResponsesOrLogs(t *testing.T) {
	const (
		accountKey = "F00DF00DF00DF00DF00DF00DF00DF00D"
		passcode   = "swordfish-4711"
		password   = "correct horse battery staple"
		hookToken  = "hook-token-5e3cr3t"
	)
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := xmlConfig(t)
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "psim", URL: "http://127.0.0.1:1/none", Format: "json", Token: hookToken,
		Timeout: 100_000_000}}
	r := runDaemon(t, cfg, zap.New(core))
	d := r.d
	waitReady(t, "http://"+d.HTTPAddr())

	var bodies bytes.Buffer
	call := func(method, path, token, body string) {
		req, _ := http.NewRequest(method, "http://"+d.HTTPAddr()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies.Write(b)
		bodies.WriteString(resp.Header.Get("WWW-Authenticate"))
	}
	site := newSite(t, r)
	call("POST", "/api/v1/accounts", adminToken, `{"receiver":1,"number":"7777","site_id":`+itoa(site)+`,"dc09_key":"`+accountKey+`"}`)
	call("POST", "/api/v1/accounts", adminToken, `{"receiver":1,"number":"7778","site_id":`+itoa(site)+`,"dc09_key":"`+accountKey+`00"}`)
	call("GET", "/api/v1/accounts", adminToken, "")
	call("GET", "/api/v1/receivers/1/accounts/7777", adminToken, "")
	call("POST", "/api/v1/responding-parties", adminToken, `{"site_id":`+itoa(site)+`,"position":1,"name":"Ann","passcode":"`+passcode+`"}`)
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
	call("GET", "/api/v1/signals?limit=1000", adminToken, "")
	call("GET", "/api/v1/frames?limit=1000", adminToken, "")
	printed, _ := yaml.Marshal(cfg.Redacted())
	bodies.Write(printed)
	r.stop()

	secrets := []string{accountKey, strings.ToLower(accountKey), passcode, password, chektPasskey, hookToken, adminToken}
	text := bodies.String()
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
	if !strings.Contains(text, `"has_dc09_key": true`) || !strings.Contains(text, `"has_passcode": true`) {
		t.Fatal("the calls did not run as planned")
	}
}
