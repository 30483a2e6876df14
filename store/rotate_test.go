package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

var secretsKey3 = bytes.Repeat([]byte{0x33}, SecretsKeySize)

// rotateDB is a connection of the test's own to the database of the store
// at path, past the store, on whichever engine the test runs.
func rotateDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite3", "file:"+path
	if testEngine != nil {
		_, pg, err := testEngine(path)
		if err != nil {
			t.Fatal(err)
		}
		driver, dsn = "pgx", pg
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// storedSecrets reads every non-empty value of every secret column as
// stored, keyed by column and row.
func storedSecrets(t *testing.T, path string) map[string]string {
	t.Helper()
	db := rotateDB(t, path)
	out := map[string]string{}
	for _, c := range secretColumns {
		rows, err := db.Query("SELECT id, " + c.column + " FROM " + c.table + " WHERE " + c.column + " <> ''")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var v string
			must(t, rows.Scan(&id, &v))
			out[c.String()+"/"+strconv.FormatInt(id, 10)] = v
		}
		must(t, rows.Err())
		rows.Close()
	}
	return out
}

// openedSecrets opens the stored values with key: every one must be sealed
// with it.
func openedSecrets(t *testing.T, stored map[string]string, key []byte) map[string]string {
	t.Helper()
	x := mustSecrets(t, key)
	out := map[string]string{}
	for k, v := range stored {
		name, _, _ := strings.Cut(k, "/")
		i := slices.IndexFunc(secretColumns, func(c secretColumn) bool { return c.String() == name })
		if !isSealed(v) {
			t.Fatalf("%s is stored in clear", k)
		}
		p, err := x.open(secretColumns[i], v)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = p
	}
	return out
}

// idleNodes ages the nodes' heartbeats on PostgreSQL past rotateNodeLive,
// as the minutes after the nodes stopped would: a store the test closed
// has stopped.
func idleNodes(t *testing.T, path string) {
	t.Helper()
	if testEngine == nil {
		return
	}
	if _, err := rotateDB(t, path).Exec(`UPDATE nodes SET heartbeat_at = heartbeat_at - ` +
		strconv.FormatInt(10*rotateNodeLive.Nanoseconds(), 10)); err != nil {
		t.Fatal(err)
	}
}

// rotateFixture is a store at a new path with the secrets fixture and a
// duress passcode, sealed with key (nil: in clear), closed, its node idle.
func rotateFixture(t *testing.T, key []byte) (string, *secretsFixture) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := openSecretsStore(t, path, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newSecretsFixture(t, s)
	p := &RespondingParty{SiteID: f.site.ID, Position: 4, Name: "Dee", Passcode: ptr("green-door-9"), DuressPasscode: ptr("red-door-6")}
	must(t, s.RespondingParties.Create(context.Background(), p))
	f.plaintexts = append(f.plaintexts, "green-door-9", "red-door-6")
	f.parties = append(f.parties, p)
	must(t, s.Close())
	idleNodes(t, path)
	return path, f
}

func rotate(t *testing.T, path string, old, next []byte, o RotateOptions) (*RotateResult, error) {
	t.Helper()
	return RotateSecretsKey(context.Background(), path, Options{Logger: zaptest.NewLogger(t), SecretsKey: old}, next, o)
}

// TestRotateSecretsKey: every DC-09 key and passcode sealed with the old
// key is sealed with the new one, in one step; the store then opens with
// the new key, and every value reads back as it was, and no longer with
// the old key. A second run finds everything under the new key and writes
// nothing.
func TestRotateSecretsKey(t *testing.T) {
	path, f := rotateFixture(t, secretsKey1)
	before := storedSecrets(t, path)
	plain := openedSecrets(t, before, secretsKey1)
	if len(plain) != 6 {
		t.Fatalf("the fixture has %d secrets, want 6", len(plain))
	}

	res, err := rotate(t, path, secretsKey1, secretsKey2, RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resealed != 6 || res.Sealed != 0 || res.Already != 0 || len(res.Running) != 0 {
		t.Fatalf("rotation: %+v", res)
	}
	var names []string
	for _, c := range res.Columns {
		names = append(names, c.Column)
	}
	if want := []string{"accounts.dc09_key", "responding_parties.passcode", "responding_parties.duress_passcode"}; !slices.Equal(names, want) ||
		res.Columns[0].Resealed != 2 || res.Columns[1].Resealed != 3 || res.Columns[2].Resealed != 1 {
		t.Fatalf("columns %+v, want every secret column (%v)", res.Columns, want)
	}
	after := storedSecrets(t, path)
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) {
		t.Fatalf("values %v after the rotation, %v before", slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}
	for k, v := range after {
		if v == before[k] {
			t.Errorf("%s is stored as before", k)
		}
	}
	if got := openedSecrets(t, after, secretsKey2); !maps.Equal(got, plain) {
		t.Fatalf("under the new key: %v, want %v", got, plain)
	}
	if testEngine == nil {
		// Secure delete and the checkpoint: no value sealed with the old
		// key is left in the file.
		all := fileBytes(t, path)
		for k, v := range before {
			if bytes.Contains(all, []byte(v)) {
				t.Errorf("the file still holds %s sealed with the old key", k)
			}
		}
	}

	if _, err := openSecretsStore(t, path, secretsKey1, nil); !errors.Is(err, ErrWrongSecretsKey) {
		t.Fatalf("opened with the old key: %v", err)
	}
	s, err := openSecretsStore(t, path, secretsKey2, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAccountKeys(t, s, f)
	ctx := context.Background()
	for _, p := range f.parties {
		var result string
		err := s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
			_, result, err = s.checkPasscode(ctx, tx, f.site.ID, p.ID, "green-door-9")
			return err
		})
		switch p.Name {
		case "Cid": // no passcode
			if err == nil {
				t.Errorf("%s: checked without a passcode", p.Name)
			}
		case "Dee":
			if err != nil || result != PasscodePassed {
				t.Errorf("%s: passcode check %q, %v", p.Name, result, err)
			}
		default:
			if err != nil || result != PasscodeFailed {
				t.Errorf("%s: passcode check %q, %v", p.Name, result, err)
			}
		}
	}
	must(t, s.Close())
	idleNodes(t, path)

	// Again with the same keys: everything is under the new key already.
	res, err = rotate(t, path, secretsKey1, secretsKey2, RotateOptions{})
	if err != nil || res.Resealed != 0 || res.Sealed != 0 || res.Already != 6 {
		t.Fatalf("second rotation: %+v, %v", res, err)
	}
	if got := storedSecrets(t, path); !maps.Equal(got, after) {
		t.Fatal("a rotation with nothing to do wrote")
	}
}

// TestRotateSecretsKeyRefusals: a rotation without a key, to the same key,
// from a key that does not open the values, onto a database of another
// schema or a missing one is refused, writes nothing, and shows no key and
// no secret.
func TestRotateSecretsKeyRefusals(t *testing.T) {
	path, f := rotateFixture(t, secretsKey1)
	before := storedSecrets(t, path)
	var errs []error
	for _, c := range []struct {
		name      string
		old, next []byte
		want      error
	}{
		{"no key configured", nil, secretsKey2, ErrRotateWithoutKey},
		{"the same key", secretsKey1, bytes.Clone(secretsKey1), ErrSameSecretsKey},
		{"a wrong old key", secretsKey3, secretsKey2, ErrWrongSecretsKey},
		{"a short new key", secretsKey1, secretsKey2[:16], nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rotate(t, path, c.old, c.next, RotateOptions{})
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("rotation: %v, want %v", err, c.want)
			}
			errs = append(errs, err)
		})
	}
	for _, err := range errs {
		for _, secret := range append(slices.Clone(f.plaintexts), string(secretsKey1), string(secretsKey2), string(secretsKey3),
			hex.EncodeToString(secretsKey1), hex.EncodeToString(secretsKey2)) {
			if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret)) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	}
	if !strings.Contains(errs[2].Error(), "opens with neither the old key nor the new one") {
		t.Errorf("a wrong old key: %v", errs[2])
	}

	// A database of an older schema: its secret columns may be others.
	db := rotateDB(t, path)
	bump := `PRAGMA user_version = ` + strconv.Itoa(SchemaVersion()-1)
	if testEngine != nil {
		bump = `UPDATE schema_version SET version = version - 1`
	}
	if _, err := db.Exec(bump); err != nil {
		t.Fatal(err)
	}
	if _, err := rotate(t, path, secretsKey1, secretsKey2, RotateOptions{}); !errors.Is(err, ErrRotateSchema) ||
		!strings.Contains(err.Error(), "start this version's alarmrx on it once") {
		t.Fatalf("an older schema: %v", err)
	}
	if !maps.Equal(storedSecrets(t, path), before) {
		t.Fatal("a refused rotation wrote")
	}

	if testEngine == nil {
		// No database: nothing is created, not even the lock file.
		dir := t.TempDir()
		_, err := rotate(t, filepath.Join(dir, FileName), secretsKey1, secretsKey2, RotateOptions{})
		if !errors.Is(err, ErrDatabaseMissing) {
			t.Fatalf("no database: %v", err)
		}
		if names, _ := os.ReadDir(dir); len(names) != 0 {
			t.Fatalf("a rotation without a database left %v", names)
		}
	}
}

// TestRotateSecretsKeyFailsWhole: a rotation that fails after some values
// were written, by an error or a cancelled context, leaves every value as
// it was, under the old key.
func TestRotateSecretsKeyFailsWhole(t *testing.T) {
	path, f := rotateFixture(t, secretsKey1)
	before := storedSecrets(t, path)
	injected := errors.New("the disk is full")
	for _, c := range []struct {
		name string
		hook func(cancel context.CancelFunc) func(context.Context, int) error
		want error
	}{
		{"an error", func(context.CancelFunc) func(context.Context, int) error {
			return func(_ context.Context, n int) error {
				if n == 4 { // after both keys and a passcode
					return injected
				}
				return nil
			}
		}, injected},
		{"a cancelled context", func(cancel context.CancelFunc) func(context.Context, int) error {
			return func(_ context.Context, n int) error {
				if n == 3 {
					cancel()
				}
				return nil
			}
		}, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := RotateSecretsKey(ctx, path, Options{Logger: zaptest.NewLogger(t), SecretsKey: secretsKey1}, secretsKey2,
				RotateOptions{afterWrite: c.hook(cancel)})
			if !errors.Is(err, c.want) {
				t.Fatalf("rotation: %v, want %v", err, c.want)
			}
			if got := storedSecrets(t, path); !maps.Equal(got, before) {
				t.Fatal("a failed rotation changed the stored values")
			}
			if _, err := openSecretsStore(t, path, secretsKey2, nil); !errors.Is(err, ErrWrongSecretsKey) {
				t.Fatalf("opened with the new key after a failed rotation: %v", err)
			}
			s, err := openSecretsStore(t, path, secretsKey1, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkAccountKeys(t, s, f)
			must(t, s.Close())
			idleNodes(t, path)
		})
	}
}

// TestRotateSecretsKeySealsPlaintext: values stored in clear (a store
// written without a key, or a value put back in clear) are sealed with
// the new key by the rotation.
func TestRotateSecretsKeySealsPlaintext(t *testing.T) {
	path, f := rotateFixture(t, nil)
	res, err := rotate(t, path, secretsKey1, secretsKey2, RotateOptions{})
	if err != nil || res.Sealed != 6 || res.Resealed != 0 {
		t.Fatalf("rotation of a store in clear: %+v, %v", res, err)
	}
	got := openedSecrets(t, storedSecrets(t, path), secretsKey2)
	if want := slices.Sorted(slices.Values(f.plaintexts)); !slices.Equal(slices.Sorted(maps.Values(got)), want) {
		t.Fatalf("sealed %v, want %v", slices.Sorted(maps.Values(got)), want)
	}

	// Under a key, with one account's key put back in clear.
	path, f = rotateFixture(t, secretsKey1)
	if _, err := rotateDB(t, path).Exec(`UPDATE accounts SET dc09_key = '` + *f.accounts[1].Key + `' WHERE id = ` + strconv.FormatInt(f.accounts[1].ID, 10)); err != nil {
		t.Fatal(err)
	}
	res, err = rotate(t, path, secretsKey1, secretsKey2, RotateOptions{})
	if err != nil || res.Sealed != 1 || res.Resealed != 5 {
		t.Fatalf("rotation: %+v, %v", res, err)
	}
	s, err := openSecretsStore(t, path, secretsKey2, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAccountKeys(t, s, f)
}

// TestRotateSecretsKeyBesideADaemon: on SQLite a rotation is refused while
// a store holds the data dir, naming its pid; on PostgreSQL while a node's
// heartbeat is recent, naming the node, unless forced: then it names the
// nodes that still hold the old key.
func TestRotateSecretsKeyBesideADaemon(t *testing.T) {
	path, _ := rotateFixture(t, secretsKey1)
	before := storedSecrets(t, path)
	s, err := openSecretsStore(t, path, secretsKey1, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rotate(t, path, secretsKey1, secretsKey2, RotateOptions{Force: testEngine == nil})
	if testEngine == nil {
		// --force does not reach past SQLite's instance lock.
		if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "in use by pid "+strconv.Itoa(os.Getpid())) ||
			!strings.Contains(err.Error(), "stop alarmrx first") {
			t.Fatalf("beside a running store: %v", err)
		}
		if !maps.Equal(storedSecrets(t, path), before) {
			t.Fatal("a refused rotation wrote")
		}
		return
	}
	if !errors.Is(err, ErrNodesRunning) || !strings.Contains(err.Error(), `node "`+s.NodeID()+`" (heartbeat `) {
		t.Fatalf("beside a running node: %v", err)
	}
	if !maps.Equal(storedSecrets(t, path), before) {
		t.Fatal("a refused rotation wrote")
	}
	res, err := rotate(t, path, secretsKey1, secretsKey2, RotateOptions{Force: true})
	if err != nil || res.Resealed != 6 || !slices.Equal(res.Running, []string{s.NodeID()}) {
		t.Fatalf("forced rotation: %+v, %v", res, err)
	}
	openedSecrets(t, storedSecrets(t, path), secretsKey2)
}
