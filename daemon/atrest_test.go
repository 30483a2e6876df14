package daemon

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap/zaptest"
)

// writeSecretsKey writes a key file for store.secrets_key_file.
func writeSecretsKey(t *testing.T, hexKey string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretsAtRestEndToEnd: with store.secrets_key_file set, an account's
// DC-09 key and a call-list passcode given through the API are stored
// sealed, the key still decrypts the account's frames (after a restart
// too), the API only says that they are set, and the daemon refuses to
// start without the key or with another one.
func TestSecretsAtRestEndToEnd(t *testing.T) {
	const (
		stationKey = "8F1C2B7D4E6A9035C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F708192"
		otherKey   = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
		passcode   = "swordfish-4711"
	)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Store.SecretsKeyFile = writeSecretsKey(t, stationKey, 0o600)
	r := startDaemon(t, cfg)
	site := newSite(t, r)
	var acct store.Account
	if code := apiPost(t, r, "/api/v1/accounts", map[string]any{"receiver": 1, "number": "1234", "site_id": site,
		"dc09_key": hexKey256, "dc09_key_format": "hex"}, &acct); code != http.StatusCreated {
		t.Fatalf("account: %d", code)
	}
	var party store.RespondingParty
	if code := apiPost(t, r, "/api/v1/responding-parties", map[string]any{"site_id": site, "position": 1, "name": "Ann",
		"passcode": passcode}, &party); code != http.StatusCreated {
		t.Fatalf("responding party: %d", code)
	}
	p := dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
	mustSend(t, p, frame("SIA-DCS", "1234", "0001", "#1234|Nri1/BA001", true), "ACK")
	old := dial(t, r, "dc09-main", "tcp", hexKey, "hex") // the listener's key for 1234
	mustSend(t, old, frame("SIA-DCS", "1234", "0002", "#1234|Nri1/BA001", true), "NAK")

	var got map[string]any
	apiGet(t, r, "/api/v1/accounts/"+itoa(acct.ID), adminToken, &got)
	if _, shown := got["dc09_key"]; shown || got["has_dc09_key"] != true {
		t.Errorf("account from the API: %v", got)
	}
	var parties struct {
		Items []map[string]any `json:"items"`
	}
	apiGet(t, r, "/api/v1/responding-parties?site_id="+itoa(site), adminToken, &parties)
	if len(parties.Items) != 1 || parties.Items[0]["has_passcode"] != true {
		t.Errorf("responding parties from the API: %v", parties.Items)
	}
	if _, shown := parties.Items[0]["passcode"]; shown {
		t.Errorf("the API shows the passcode: %v", parties.Items[0])
	}
	r.stop()

	// Past the store: the columns hold sealed values, and the file no
	// plaintext.
	path := filepath.Join(dir, store.FileName)
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var key, code string
	if err := db.QueryRow(`SELECT dc09_key FROM accounts WHERE id = ?`, acct.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT passcode FROM responding_parties WHERE id = ?`, party.ID).Scan(&code); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	for _, v := range []string{key, code} {
		if !strings.HasPrefix(v, "enc1:") || strings.Contains(v, hexKey256) || strings.Contains(v, passcode) {
			t.Errorf("stored %q, want a sealed value", v)
		}
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{hexKey256, strings.ToLower(hexKey256), passcode} {
		if bytes.Contains(file, []byte(s)) {
			t.Errorf("the database file holds %.6s…", s)
		}
	}

	// Restarted with the key, the account's frames still decrypt.
	r = startDaemon(t, cfg)
	p = dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
	mustSend(t, p, frame("SIA-DCS", "1234", "0003", "#1234|Nri1/BA002", true), "ACK")
	r.stop()

	// Without the key file, with another key, or with a key file others
	// may read, the daemon does not start, and says why without a key.
	refused := func(name, keyFile string, want error, says string) {
		t.Helper()
		c := testConfig(t, dir)
		c.Store.SecretsKeyFile = keyFile
		d, err := New(context.Background(), c, Options{Logger: zaptest.NewLogger(t)})
		if err == nil {
			d.closeAll()
			t.Fatalf("%s: the daemon started", name)
		}
		t.Logf("%s: %v", name, err)
		if (want != nil && !errors.Is(err, want)) || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v; want %q", name, err, says)
		}
		for _, s := range []string{stationKey, otherKey, hexKey256, passcode} {
			if strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(s[:min(16, len(s))])) {
				t.Errorf("%s: the error shows a key: %v", name, err)
			}
		}
	}
	refused("no key", "", store.ErrNoSecretsKey, "set store.secrets_key_file")
	refused("other key", writeSecretsKey(t, otherKey, 0o600), store.ErrWrongSecretsKey, "encrypted with a different key")
	readable := writeSecretsKey(t, stationKey, 0o644)
	refused("readable key file", readable, nil, "store.secrets_key_file: "+readable+": mode 0644")
}
