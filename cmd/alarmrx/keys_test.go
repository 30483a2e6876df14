package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// TestKeysGenerateAndRotate runs the binary as a station's engineer
// would: two key files made with `keys generate`, a store sealed with the
// first, served; `keys rotate` refused beside the running daemon and for
// bad key files; after the daemon stopped, the rotation; the daemon then
// refuses the old key file and, pointed at the new one, decrypts a
// panel's frames with the account's key read back from the store.
func TestKeysGenerateAndRotate(t *testing.T) {
	bin := binary(t)
	run := func(args ...string) (int, string, string) { return runBinary(t, bin, args...) }
	dir := t.TempDir()
	oldKey, newKey := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	var keys [][]byte
	var printed string
	for _, path := range []string{oldKey, newKey} {
		code, out, errs := run("keys", "generate", path)
		// Run as root, it says whom to give the file to.
		if code != 0 || !strings.HasPrefix(out, "wrote a new secrets key to "+path+" (mode 0600)\n") {
			t.Fatalf("keys generate: exit %d\n%s%s", code, out, errs)
		}
		printed += out + errs
		fi, err := os.Stat(path)
		must(t, err)
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %04o", path, fi.Mode().Perm())
		}
		key, err := configs.ReadSecretsKey(path)
		must(t, err)
		keys = append(keys, key)
	}
	if bytes.Equal(keys[0], keys[1]) {
		t.Fatal("two generated keys are equal")
	}
	code, out, errs := run("keys", "generate", oldKey)
	if again, _ := configs.ReadSecretsKey(oldKey); code != 1 || !strings.Contains(errs, "exists") || !bytes.Equal(again, keys[0]) {
		t.Fatalf("keys generate onto a key file: exit %d\n%s%s", code, out, errs)
	}

	// A store sealed with the old key: an account with a DC-09 key, a
	// call list with a passcode.
	cfg := serveConfig{dataDir: filepath.Join(dir, "data"), httpPort: freePort(t), dcPort: freePort(t)}
	config := cfg.write(t, dir)
	base, err := os.ReadFile(config)
	must(t, err)
	withKey := func(path string) {
		must(t, os.WriteFile(config, append(base, "store: {secrets_key_file: "+path+"}\n"...), 0o644))
	}
	withKey(oldKey)
	const aesKey = "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4"
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(cfg.dataDir, store.FileName),
		store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), SecretsKey: keys[0]})
	must(t, err)
	must(t, s.SyncReceivers(ctx, []store.Receiver{{Number: 1, Name: "start-up test"}}))
	customer := &store.Customer{Name: "Bank"}
	must(t, s.Customers.Create(ctx, customer))
	site := &store.Site{CustomerID: customer.ID, Name: "Branch"}
	must(t, s.Sites.Create(ctx, site))
	key := aesKey
	must(t, s.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "5678", SiteID: site.ID, Key: &key, KeyFormat: "hex"}))
	passcode := "swordfish-4711"
	must(t, s.RespondingParties.Create(ctx, &store.RespondingParty{SiteID: site.ID, Position: 1, Name: "Ann", Passcode: &passcode}))
	must(t, s.Close())

	ready := func() {
		t.Helper()
		waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", cfg.httpPort), 30*time.Second)
	}
	sendEncrypted := func(seq int) {
		t.Helper()
		code, out, errs := runCmd(t, "send", "--addr", "127.0.0.1:"+strconv.Itoa(cfg.dcPort), "--account", "5678",
			"--key", aesKey, "--seq", strconv.Itoa(seq))
		if code != 0 || !strings.HasPrefix(out, "*ACK ") {
			t.Fatalf("an encrypted frame: exit %d\n%s%s", code, out, errs)
		}
	}
	serve := runServeProcess(t, config)
	ready()
	sendEncrypted(1)

	code, out, errs = run("keys", "rotate", "--config", config, "--new-key", newKey)
	if code != 1 || !strings.Contains(errs, "is in use by pid "+strconv.Itoa(serve.cmd.Process.Pid)) || !strings.Contains(errs, "stop alarmrx first") {
		t.Fatalf("keys rotate beside the daemon: exit %d\n%s%s", code, out, errs)
	}
	printed += out + errs
	if err := serve.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, serve.out.String())
	}

	sameKey := filepath.Join(dir, "copy-of-old.key")
	b, err := os.ReadFile(oldKey)
	must(t, err)
	must(t, os.WriteFile(sameKey, b, 0o600))
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no new key", nil, 2, "--new-key FILE names the new key"},
		{"a missing file", []string{"--new-key", filepath.Join(dir, "none.key")}, 1, "--new-key " + filepath.Join(dir, "none.key") + ": cannot read the key file"},
		{"the old key file", []string{"--new-key", oldKey}, 1, "is the key file store.secrets_key_file names"},
		{"the old key in another file", []string{"--new-key", sameKey}, 1, "the new secrets key is the key in use"},
	} {
		code, out, errs := run(append([]string{"keys", "rotate", "--config", config}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s%s", c.name, code, c.code, c.want, out, errs)
		}
		printed += out + errs
	}

	code, out, errs = run("keys", "rotate", "--config", config, "--new-key", newKey)
	if code != 0 || !strings.Contains(out, "re-sealed the DC-09 keys and passcodes with the new key, in one transaction: 2 values (accounts.dc09_key 1, responding_parties.passcode 1, responding_parties.duress_passcode 0)") ||
		!strings.Contains(out, "one step is left: point store.secrets_key_file at "+newKey+" in "+config) ||
		!strings.Contains(out, "then start alarmrx") || !strings.Contains(out, "keep "+oldKey+" (the old key)") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, errs)
	}
	printed += out + errs
	for _, k := range keys {
		if strings.Contains(strings.ToLower(printed), hex.EncodeToString(k)) {
			t.Fatalf("a key was printed:\n%s", printed)
		}
	}
	for _, secret := range []string{aesKey, passcode} {
		if strings.Contains(printed, secret) {
			t.Fatalf("a secret was printed:\n%s", printed)
		}
	}

	// The old key file no longer opens the store.
	if code, out := runServe(t, config, 30*time.Second, false); code == 0 || !strings.Contains(out, "encrypted with a different key") {
		t.Fatalf("serve with the old key after the rotation: exit %d\n%s", code, out)
	}
	withKey(newKey)
	serve = runServeProcess(t, config)
	ready()
	sendEncrypted(2)
	if err := serve.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, serve.out.String())
	}

	s, err = store.Open(ctx, filepath.Join(cfg.dataDir, store.FileName),
		store.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), SecretsKey: keys[1]})
	must(t, err)
	defer s.Close()
	got, ok := s.AccountKey(1, "5678")
	want, err := dc09.ParseKey(aesKey, "hex")
	must(t, err)
	if !ok {
		t.Fatal("the account has no key under the new key")
	}
	// The same key: a frame encrypted with the one decrypts with the other.
	frame, err := dc09.Encode(&dc09.Frame{Token: "SIA-DCS", Encrypted: true, Sequence: "0003", Line: "0", Account: "5678",
		Data: []byte("#5678|Nri1/BA001"), Timestamp: time.Now().UTC().Truncate(time.Second), HasTimestamp: true}, want, nil)
	must(t, err)
	if _, err := dc09.Parse(frame, got); err != nil {
		t.Fatalf("the account's key read back under the new key does not decrypt its frames: %v", err)
	}
	parties, err := s.RespondingParties.List(ctx, store.ListOptions{Where: map[string]any{"site_id": site.ID}})
	if err != nil || len(parties) != 1 || !parties[0].HasPasscode {
		t.Fatalf("the call list under the new key: %+v, %v", parties, err)
	}
}

// TestKeysRotateOnPostgres: beside a node running on PostgreSQL a
// rotation is refused, naming the node and --force; forced, it names the
// node that still holds the old key, and the node restarted with the new
// key file decrypts the account's frames.
func TestKeysRotateOnPostgres(t *testing.T) {
	dsn, dir, bin := processesOnPostgres(t)
	run := func(args ...string) (int, string, string) { return runBinary(t, bin, args...) }
	oldKey, newKey := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	for _, path := range []string{oldKey, newKey} {
		if code, out, errs := run("keys", "generate", path); code != 0 {
			t.Fatalf("keys generate: exit %d\n%s%s", code, out, errs)
		}
	}
	n := &clusterNode{name: "node-a", bin: bin, cfg: filepath.Join(dir, "node-a.yaml"),
		dc09: fmt.Sprintf("127.0.0.1:%d", freePort(t)), http: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	withKey := func(path string) {
		must(t, os.WriteFile(n.cfg, []byte(fmt.Sprintf(`data_dir: %s
log: {level: warn}
http: {listen: "%s", admin_token: %s}
store: {driver: postgres, dsn: "%s", node_id: node-a, secrets_key_file: %s}
receivers:
  - number: 1
    name: rotation test
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "%s"}
`, filepath.Join(dir, "node-a"), n.http, clusterToken, dsn, path, n.dc09)), 0o600))
	}
	withKey(oldKey)
	n.start(t)
	defer func() {
		if n.cmd.ProcessState == nil {
			_ = n.cmd.Process.Kill()
		}
	}()
	const aesKey = "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4"
	conn := []string{"--server", "http://" + n.http, "--token", clusterToken}
	for _, c := range []struct{ cmd, csv string }{
		{"customers", "identifier,name\nC1,Bank\n"},
		{"sites", "identifier,name,customer\nS1,Branch,C1\n"},
		{"accounts", "receiver,number,site,dc09_key,dc09_key_format\n1,5678,S1," + aesKey + ",hex\n"},
	} {
		path := filepath.Join(dir, c.cmd+".csv")
		must(t, os.WriteFile(path, []byte(c.csv), 0o600))
		if code, out, errs := runCmd(t, append([]string{c.cmd, "import", path}, conn...)...); code != 0 {
			t.Fatalf("%s import: exit %d\n%s%s", c.cmd, code, out, errs)
		}
	}
	sendEncrypted := func(seq int) {
		t.Helper()
		code, out, errs := runCmd(t, "send", "--addr", n.dc09, "--account", "5678", "--key", aesKey, "--seq", strconv.Itoa(seq))
		if code != 0 || !strings.HasPrefix(out, "*ACK ") {
			t.Fatalf("an encrypted frame: exit %d\n%s%s", code, out, errs)
		}
	}
	sendEncrypted(1)

	code, out, errs := run("keys", "rotate", "--config", n.cfg, "--new-key", newKey)
	if code != 1 || !strings.Contains(errs, `node "node-a" (heartbeat `) || !strings.Contains(errs, "give --force") {
		t.Fatalf("keys rotate beside a node: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run("keys", "rotate", "--config", n.cfg, "--new-key", newKey, "--force")
	if code != 0 || !strings.Contains(out, ": 1 value (accounts.dc09_key 1, ") || !strings.Contains(out, "then restart every node now") ||
		!strings.Contains(out, "these nodes still hold the old key: node-a;") {
		t.Fatalf("keys rotate --force: exit %d\n%s%s", code, out, errs)
	}
	// The node still receives: its index holds the keys it read at its start.
	sendEncrypted(2)
	n.stop()
	withKey(newKey)
	n.start(t)
	sendEncrypted(3)
	n.stop()
}
