package daemon

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestNoSecretInLogs runs the daemon at debug level through good and bad
// encrypted traffic and checks that no key (hex, ascii or raw bytes) and no
// admin token shows up in any log line or field.
func TestNoSecretInLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := testConfig(t, t.TempDir())
	r := runDaemon(t, cfg, zap.New(core))
	d := r.d
	waitReady(t, "http://"+d.HTTPAddr())

	for _, k := range []struct{ key, format, account string }{
		{hexKey, "hex", "1234"},     // right key
		{hexKey256, "hex", "1234"},  // wrong key
		{asciiKey, "ascii", "5678"}, // right ascii key
		{hexKey, "hex", "9999"},     // no key for the account
		{hexKey256, "hex", "ABCD"},  // right AES-256 key
		{asciiKey, "ascii", "ABCD"}, // wrong key
	} {
		key, err := dc09.ParseKey(k.key, k.format)
		if err != nil {
			t.Fatal(err)
		}
		p, err := panel.Dial(context.Background(), panel.Options{Addr: r.addr("dc09-main", "tcp"), Key: key, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = p.Send(context.Background(), frame("SIA-DCS", k.account, "0001", "#"+k.account+"|NBA01", true))
		_ = p.Close()
	}
	apiGet(t, r, "/api/v1/signals", "wrong-"+adminToken, nil)
	r.stop()

	asciiHex := hex.EncodeToString([]byte(asciiKey))
	raw128, _ := hex.DecodeString(hexKey)
	secrets := []string{hexKey, strings.ToLower(hexKey), hexKey256, strings.ToLower(hexKey256), asciiKey,
		asciiHex, strings.ToUpper(asciiHex), string(raw128), adminToken}
	if logs.Len() == 0 {
		t.Fatal("no log lines captured")
	}
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + toString(v)
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line leaks a secret: %s", e.Message)
			}
		}
	}
}

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}
