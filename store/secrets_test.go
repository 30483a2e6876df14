package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

var (
	secretsKey1 = bytes.Repeat([]byte{0x11}, SecretsKeySize)
	secretsKey2 = bytes.Repeat([]byte{0x22}, SecretsKeySize)
)

func mustSecrets(t *testing.T, key []byte) *secrets {
	t.Helper()
	x, err := newSecrets(key)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// tamper flips one bit of a sealed value's ciphertext.
func tamper(t *testing.T, v string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, sealPrefix))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	return sealPrefix + base64.StdEncoding.EncodeToString(raw)
}

func TestSealOpen(t *testing.T) {
	const plain = "F00DF00DF00DF00DF00DF00DF00DF00D"
	k1, k2 := mustSecrets(t, secretsKey1), mustSecrets(t, secretsKey2)
	sealed := k1.seal(accountKeyColumn, plain)
	for _, c := range []struct {
		name   string
		stored string // as in the column
		x      *secrets
		col    secretColumn
		want   string
		err    error
	}{
		{name: "round trip", stored: sealed, x: k1, col: accountKeyColumn, want: plain},
		{name: "round trip passcode", stored: k1.seal(passcodeColumn, "swordfish"), x: k1, col: passcodeColumn, want: "swordfish"},
		{name: "wrong key", stored: sealed, x: k2, col: accountKeyColumn, err: ErrWrongSecretsKey},
		{name: "wrong column", stored: sealed, x: k1, col: passcodeColumn, err: ErrWrongSecretsKey},
		{name: "tampered ciphertext", stored: tamper(t, sealed), x: k1, col: accountKeyColumn, err: ErrWrongSecretsKey},
		{name: "truncated", stored: sealed[:len(sealed)-8], x: k1, col: accountKeyColumn, err: ErrWrongSecretsKey},
		{name: "prefix only", stored: sealPrefix, x: k1, col: accountKeyColumn, err: ErrWrongSecretsKey},
		{name: "sealed without a key", stored: sealed, x: nil, col: accountKeyColumn, err: ErrNoSecretsKey},
		{name: "empty stays empty", stored: k1.seal(accountKeyColumn, ""), x: k1, col: accountKeyColumn, want: ""},
		{name: "plaintext passes through", stored: plain, x: k1, col: accountKeyColumn, want: plain},
		{name: "plaintext without a key", stored: plain, x: nil, col: accountKeyColumn, want: plain},
		{name: "no key seals nothing", stored: (*secrets)(nil).seal(passcodeColumn, "1234"), x: nil, col: passcodeColumn, want: "1234"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.x.open(c.col, c.stored)
			if c.err != nil {
				if !errors.Is(err, c.err) || got != "" {
					t.Fatalf("open = %q, %v; want error %v", got, err, c.err)
				}
				if strings.Contains(err.Error(), plain) {
					t.Fatalf("error shows the plaintext: %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("open = %q, %v; want %q", got, err, c.want)
			}
		})
	}

	if !strings.HasPrefix(sealed, sealPrefix) || strings.Contains(sealed, plain) {
		t.Errorf("sealed value %q", sealed)
	}
	if raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix)); len(raw) != 12+len(plain)+16 {
		t.Errorf("sealed value holds %d bytes, want nonce 12 + %d + tag 16", len(raw), len(plain))
	}
	if again := k1.seal(accountKeyColumn, plain); again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if _, err := newSecrets(secretsKey1[:16]); err == nil {
		t.Error("a 128-bit key was accepted")
	}
	if x, err := newSecrets(nil); x != nil || err != nil {
		t.Errorf("newSecrets(nil) = %v, %v; want no sealer", x, err)
	}
}

// openSecretsStore opens the store at path with key (nil: none).
func openSecretsStore(t *testing.T, path string, key []byte, log *zap.Logger) (*Store, error) {
	t.Helper()
	if log == nil {
		log = zaptest.NewLogger(t)
	}
	s, err := Open(context.Background(), path, Options{Logger: log, Registerer: prometheus.NewRegistry(), SecretsKey: key})
	if err == nil {
		t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

// secretsFixture creates a site with two accounts with keys (hex and ascii)
// and two responding parties with passcodes, through the store's API.
type secretsFixture struct {
	site       *Site
	accounts   []*Account
	parties    []*RespondingParty
	plaintexts []string // every key and passcode
}

func newSecretsFixture(t *testing.T, s *Store) *secretsFixture {
	t.Helper()
	ctx := context.Background()
	must(t, s.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP 1"}}))
	c := &Customer{Name: "Bank"}
	must(t, s.Customers.Create(ctx, c))
	f := &secretsFixture{site: &Site{CustomerID: c.ID, Name: "Branch"}}
	must(t, s.Sites.Create(ctx, f.site))
	for _, a := range []*Account{
		{Receiver: 1, Number: "1234", SiteID: f.site.ID, Key: ptr("603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4"), KeyFormat: "hex"},
		{Receiver: 1, Number: "5678", SiteID: f.site.ID, Key: ptr("Sixteen-chars-ok"), KeyFormat: "ascii"},
		{Receiver: 1, Number: "9999", SiteID: f.site.ID}, // no key
	} {
		key := a.Key
		if key != nil {
			f.plaintexts = append(f.plaintexts, *key)
		}
		must(t, s.Accounts.Create(ctx, a))
		a.Key = key // Create cleared it; the tests compare with it
		f.accounts = append(f.accounts, a)
	}
	for _, p := range []*RespondingParty{
		{SiteID: f.site.ID, Position: 1, Name: "Ann", Passcode: ptr("swordfish-4711")},
		{SiteID: f.site.ID, Position: 2, Name: "Bob", Passcode: ptr("blue-elephant-22")},
		{SiteID: f.site.ID, Position: 3, Name: "Cid"}, // no passcode
	} {
		if p.Passcode != nil {
			f.plaintexts = append(f.plaintexts, *p.Passcode)
		}
		must(t, s.RespondingParties.Create(ctx, p)) // clears p.Passcode
		f.parties = append(f.parties, p)
	}
	return f
}

// rawSecrets reads every stored key and passcode with a connection of its
// own, past the store.
func rawSecrets(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, c := range secretColumns {
		rows, err := db.Query("SELECT " + c.column + " FROM " + c.table + " ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		rows.Close()
	}
	return out
}

// fileBytes checkpoints the WAL into the database with a connection of its
// own and returns the bytes of the database file and of any WAL left.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// checkAccountKeys checks that the account index holds the fixture's keys.
func checkAccountKeys(t *testing.T, s *Store, f *secretsFixture) {
	t.Helper()
	for _, a := range f.accounts {
		got, ok := s.AccountKey(1, a.Number)
		if a.Key == nil {
			if ok {
				t.Errorf("account %s has a key in the index", a.Number)
			}
			continue
		}
		if !ok {
			t.Errorf("account %s has no key in the index", a.Number)
			continue
		}
		// The same key: a frame encrypted with the one decrypts with the other.
		want, err := dc09.ParseKey(*a.Key, a.KeyFormat)
		if err != nil {
			t.Fatal(err)
		}
		frame, err := dc09.Encode(&dc09.Frame{Token: "SIA-DCS", Encrypted: true, Sequence: "0001", Line: "0", Account: a.Number,
			Data: []byte("#" + a.Number + "|Nri1/BA001"), Timestamp: time.Now().UTC().Truncate(time.Second), HasTimestamp: true}, want, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc09.Parse(frame, got); err != nil {
			t.Errorf("account %s: the index's key does not decrypt a frame made with the stored key: %v", a.Number, err)
		}
	}
}

// TestSecretsEncryptedAtRest: with a key configured, keys and passcodes
// written through the store's API never reach the database file as
// plaintext, and still work: the account index has the keys, records say
// a key or passcode is set, an import of the same keys changes nothing.
func TestSecretsEncryptedAtRest(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	s, err := openSecretsStore(t, path, secretsKey1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newSecretsFixture(t, s)
	// An update that keeps the key (nil), one that keeps the passcode, and
	// an import that gives the same key again.
	a := *f.accounts[0]
	a.Key, a.Notes = nil, "updated"
	must(t, s.Accounts.Update(ctx, a.ID, &a))
	p := *f.parties[0]
	p.Passcode, p.Role = nil, "contact"
	must(t, s.RespondingParties.Update(ctx, p.ID, &p))
	rep, err := s.ImportAccounts(ctx, strings.NewReader("receiver,number,site_id,dc09_key,dc09_key_format,notes\n"+
		"1,1234,"+strconv.FormatInt(f.site.ID, 10)+","+*f.accounts[0].Key+",hex,updated\n"+
		"1,4321,"+strconv.FormatInt(f.site.ID, 10)+",000102030405060708090A0B0C0D0E0F,hex,\n"), false)
	if err != nil || !rep.Applied || rep.Unchanged != 1 || rep.Created != 1 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	f.plaintexts = append(f.plaintexts, "000102030405060708090A0B0C0D0E0F")
	f.accounts = append(f.accounts, &Account{Number: "4321", Key: ptr("000102030405060708090A0B0C0D0E0F"), KeyFormat: "hex"})

	checkAccountKeys(t, s, f)
	got, err := s.Accounts.Get(ctx, f.accounts[0].ID)
	if err != nil || !got.HasKey || got.Key != nil || got.KeyFormat != "hex" {
		t.Fatalf("account read back: %+v, %v", got, err)
	}
	parties, err := s.RespondingParties.List(ctx, ListOptions{Where: map[string]any{"site_id": f.site.ID}})
	if err != nil || len(parties) != 3 || !parties[0].HasPasscode || !parties[1].HasPasscode || parties[2].HasPasscode ||
		parties[0].Passcode != nil || parties[0].Role != "contact" {
		t.Fatalf("responding parties read back: %+v, %v", parties, err)
	}

	raw := rawSecrets(t, path)
	var sealed int
	for _, v := range raw {
		switch {
		case v == "":
		case strings.HasPrefix(v, sealPrefix):
			sealed++
		default:
			t.Errorf("a column holds plaintext: %q", v)
		}
	}
	if sealed != len(f.plaintexts) {
		t.Errorf("%d sealed values, want %d: %q", sealed, len(f.plaintexts), raw)
	}
	all := fileBytes(t, path)
	for _, p := range f.plaintexts {
		if bytes.Contains(all, []byte(p)) {
			t.Errorf("the database file holds %q", p)
		}
	}

	// Reopened with the key, the index is loaded from the sealed values.
	must(t, s.Close())
	s, err = openSecretsStore(t, path, secretsKey1, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAccountKeys(t, s, f)
	must(t, s.Close())
}

// TestSecretsSealedAtStartup: a store written without a key has its
// plaintext keys and passcodes sealed when it is opened with one, in one
// step that logs how many and not what.
func TestSecretsSealedAtStartup(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	s, err := openSecretsStore(t, path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newSecretsFixture(t, s)
	must(t, s.Close())
	all := fileBytes(t, path)
	for _, p := range f.plaintexts {
		if !bytes.Contains(all, []byte(p)) {
			t.Fatalf("without a key the file should hold %q as plaintext", p)
		}
	}

	core, logs := observer.New(zapcore.DebugLevel)
	s, err = openSecretsStore(t, path, secretsKey1, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	entries := logs.FilterMessage("plaintext secrets encrypted at rest").All()
	if len(entries) != 1 {
		t.Fatalf("%d log lines on sealing, want 1", len(entries))
	}
	if m := entries[0].ContextMap(); m["dc09_keys"] != int64(2) || m["passcodes"] != int64(2) {
		t.Errorf("sealing logged %v, want 2 keys and 2 passcodes", m)
	}
	for _, e := range logs.All() {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, p := range f.plaintexts {
			if strings.Contains(line, p) {
				t.Errorf("log line shows %q: %s", p, line)
			}
		}
	}
	checkAccountKeys(t, s, f)
	if got, err := s.RespondingParties.Get(context.Background(), f.parties[0].ID); err != nil || !got.HasPasscode {
		t.Fatalf("responding party after sealing: %+v, %v", got, err)
	}
	for _, v := range rawSecrets(t, path) {
		if v != "" && !strings.HasPrefix(v, sealPrefix) {
			t.Errorf("left as plaintext: %q", v)
		}
	}
	must(t, s.Close())
	// Secure delete and the checkpoint leave no copy behind in the file.
	all = fileBytes(t, path)
	for _, p := range f.plaintexts {
		if bytes.Contains(all, []byte(p)) {
			t.Errorf("after sealing the file still holds %q", p)
		}
	}

	// Opened again, there is nothing left to seal.
	core, logs = observer.New(zapcore.DebugLevel)
	s, err = openSecretsStore(t, path, secretsKey1, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if n := logs.FilterMessage("plaintext secrets encrypted at rest").Len(); n != 0 {
		t.Errorf("sealed again on the second open (%d lines)", n)
	}
	checkAccountKeys(t, s, f)
}

// TestSecretsRefusedWithoutOrWithAnotherKey: a store with sealed values
// does not open without its key or with another one, and says which
// setting to look at, without showing a key.
func TestSecretsRefusedWithoutOrWithAnotherKey(t *testing.T) {
	onSQLiteOnly(t)
	path := filepath.Join(t.TempDir(), FileName)
	s, err := openSecretsStore(t, path, secretsKey1, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newSecretsFixture(t, s)
	must(t, s.Close())

	_, noKey := openSecretsStore(t, path, nil, nil)
	if err := noKey; !errors.Is(err, ErrNoSecretsKey) || !strings.Contains(err.Error(), "store.secrets_key_file") ||
		!strings.Contains(err.Error(), "4 DC-09 keys or passcodes") {
		t.Fatalf("opened without the key: %v", err)
	}
	_, otherKey := openSecretsStore(t, path, secretsKey2, nil)
	if err := otherKey; !errors.Is(err, ErrWrongSecretsKey) || !strings.Contains(err.Error(), "encrypted with a different key") ||
		!strings.Contains(err.Error(), "check store.secrets_key_file") {
		t.Fatalf("opened with another key: %v", err)
	}
	if _, err := openSecretsStore(t, path, secretsKey1[:16], nil); err == nil {
		t.Fatal("opened with a 128-bit key")
	}
	for _, e := range []error{noKey, otherKey} {
		for _, p := range append(f.plaintexts, string(secretsKey1), string(secretsKey2)) {
			if strings.Contains(e.Error(), p) {
				t.Errorf("error shows %q: %v", p, e)
			}
		}
	}

	// A sealed key moved into the passcode column does not open there.
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE responding_parties SET passcode = (SELECT dc09_key FROM accounts WHERE number = '1234') WHERE name = 'Ann'`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	_, err = openSecretsStore(t, path, secretsKey1, nil)
	if !errors.Is(err, ErrWrongSecretsKey) || !strings.Contains(err.Error(), "passcode of responding party") {
		t.Fatalf("opened with a key moved into the passcode column: %v", err)
	}
}

// TestSecretsThatLookSealedAreRefused: a key or passcode that begins as a
// sealed value does would be taken for one, so it is refused.
func TestSecretsThatLookSealedAreRefused(t *testing.T) {
	s, err := openSecretsStore(t, filepath.Join(t.TempDir(), FileName), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newSecretsFixture(t, s)
	var fe *FieldError
	err = s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "7777", SiteID: f.site.ID, Key: ptr(sealPrefix + "abcdefghijk"), KeyFormat: "ascii"})
	if !errors.As(err, &fe) || fe.Field != "dc09_key" {
		t.Fatalf("account key %q: %v", sealPrefix+"abcdefghijk", err)
	}
	err = s.RespondingParties.Create(ctx, &RespondingParty{SiteID: f.site.ID, Position: 4, Name: "Dan", Passcode: ptr(sealPrefix + "1")})
	if !errors.As(err, &fe) || fe.Field != "passcode" {
		t.Fatalf("passcode %q: %v", sealPrefix+"1", err)
	}
}
