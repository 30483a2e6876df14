package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/alarmrx/alarmrx/store/core"
	"go.uber.org/zap"
)

// Secrets at rest. An account's DC-09 key and a responding party's passcode
// may be kept sealed in the database with AES-256-GCM under a key the
// station keeps in a file outside it (store.secrets_key_file): a copy of the
// database alone then does not give away the keys of the station's panels.
//
// A sealed value is sealPrefix + base64(nonce ‖ ciphertext ‖ tag), with a
// random 96-bit nonce per value. The additional data is the value's
// "table.column", so a sealed value moved to another column no longer
// opens. An empty value (no key, no passcode) is stored empty. Reads open
// sealed values and pass plaintext through, so a store can be switched on
// with plaintext rows still in it; Open seals those at start-up.
//
// Encryption at rest cannot be turned off: Open refuses a store with
// sealed values when no key, or another key, is configured. The key is
// changed with the daemons stopped by RotateSecretsKey (rotate.go), which
// seals every value again with a new one.

// sealPrefix marks a sealed value; its digit is the format's version.
const sealPrefix = "enc1:"

// Errors of secrets at rest. Neither ever carries a key or a value.
var (
	// ErrNoSecretsKey: the store holds sealed values but Open was given no
	// key to open them with.
	ErrNoSecretsKey = errors.New("store: no key configured for secrets at rest: " +
		"set store.secrets_key_file to the key file they were encrypted with (encryption at rest cannot be turned off)")
	// ErrWrongSecretsKey: a sealed value does not open with the configured
	// key: it was sealed with another one, or altered.
	ErrWrongSecretsKey = errors.New("store: encrypted with a different key (or altered): check store.secrets_key_file")
)

// SecretsKeySize is the length of the key for secrets at rest (AES-256).
const SecretsKeySize = 32

// secretColumn is one column that holds secrets.
type secretColumn struct {
	table, column string
	label         string // the record's name in errors
}

// aad binds a sealed value to its column.
func (c secretColumn) aad() []byte { return []byte(c.table + "." + c.column) }

func (c secretColumn) String() string { return c.table + "." + c.column }

var (
	accountKeyColumn = secretColumn{table: "accounts", column: "dc09_key", label: "account"}
	passcodeColumn   = secretColumn{table: "responding_parties", column: "passcode", label: "responding party"}
	duressColumn     = secretColumn{table: "responding_parties", column: "duress_passcode", label: "responding party"}
	// secretColumns are every column that holds secrets.
	secretColumns = []secretColumn{accountKeyColumn, passcodeColumn, duressColumn}
)

// secrets seals and opens the values of secret columns. A nil *secrets is a
// store without a key: it writes plaintext and refuses sealed values.
type secrets struct {
	aead cipher.AEAD
}

// newSecrets returns the sealer for key, nil when key is empty.
func newSecrets(key []byte) (*secrets, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != SecretsKeySize {
		return nil, fmt.Errorf("store: Options.SecretsKey must be %d bytes (AES-256), not %d", SecretsKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: secrets key: %w", err)
	}
	// A random 96-bit nonce per value, put in front of the ciphertext.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("store: secrets key: %w", err)
	}
	return &secrets{aead: aead}, nil
}

// isSealed reports whether a stored value is sealed.
func isSealed(v string) bool { return strings.HasPrefix(v, sealPrefix) }

// seal returns v as it is stored in column c: sealed when there is a key,
// unchanged when there is none or v is empty.
func (x *secrets) seal(c secretColumn, v string) string {
	if x == nil || v == "" {
		return v
	}
	return sealPrefix + base64.StdEncoding.EncodeToString(x.aead.Seal(nil, nil, []byte(v), c.aad()))
}

// open returns the plaintext of a value stored in column c. Plaintext
// passes through; a sealed value needs the key it was sealed with.
func (x *secrets) open(c secretColumn, v string) (string, error) {
	if !isSealed(v) {
		return v, nil
	}
	if x == nil {
		return "", ErrNoSecretsKey
	}
	raw, err := base64.StdEncoding.DecodeString(v[len(sealPrefix):])
	if err != nil {
		return "", ErrWrongSecretsKey
	}
	p, err := x.aead.Open(nil, nil, raw, c.aad())
	if err != nil {
		return "", ErrWrongSecretsKey
	}
	return string(p), nil
}

// openSecret scans a secret column into plaintext.
type openSecret struct {
	x   *secrets
	c   secretColumn
	dst *string
}

func (o openSecret) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case nil:
	default:
		return fmt.Errorf("store: %s holds %T", o.c, v)
	}
	p, err := o.x.open(o.c, s)
	if err != nil {
		return fmt.Errorf("%s: %w", o.c, err)
	}
	*o.dst = p
	return nil
}

// checkNotSealed refuses a secret that would read as sealed: stored as
// plaintext (no key configured), it would make the next Open refuse the
// store.
func checkNotSealed(field string, v *string) error {
	if v != nil && isSealed(*v) {
		return core.Invalid(field, "must not begin with %q", sealPrefix)
	}
	return nil
}

// openSecrets sets up secrets at rest at Open, after the migrations and
// before anything is read. With a key it checks that every sealed value
// opens with it and seals every plaintext value left, in one transaction.
// Without a key it refuses a store that holds sealed values.
func (s *Store) openSecrets(ctx context.Context) error {
	sec, err := newSecrets(s.opts.SecretsKey)
	if err != nil {
		return err
	}
	s.sec = sec
	if sec == nil {
		var n int
		for _, c := range secretColumns {
			var k int
			q := "SELECT count(*) FROM " + c.table + " WHERE substr(" + c.column + ", 1, ?) = ?"
			if err := s.db.Setup().QueryRowContext(ctx, q, len(sealPrefix), sealPrefix).Scan(&k); err != nil {
				return fmt.Errorf("store: check secrets at rest: %w", err)
			}
			n += k
		}
		if n > 0 {
			return fmt.Errorf("store: %d DC-09 keys or passcodes in the database are encrypted: %w", n, ErrNoSecretsKey)
		}
		return nil
	}
	return s.sealPlaintext(ctx)
}

// sealPlaintext seals the plaintext secrets still in the store. On SQLite,
// secure delete zeroes the space the plaintext leaves in the database
// pages, and a truncating checkpoint clears it from the WAL. PostgreSQL
// keeps the old row versions until a vacuum reuses their space, and its
// WAL and backups keep them too: the README's deployment section says to
// put its data on encrypted storage.
func (s *Store) sealPlaintext(ctx context.Context) (err error) {
	conn, err := s.db.Setup().Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: seal secrets: %w", err)
	}
	defer conn.Close()
	if s.opts.Driver != DriverSQLite {
		return s.sealPlaintextIn(ctx, conn, false)
	}
	var secureDelete int
	if err := conn.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&secureDelete); err != nil {
		return fmt.Errorf("store: seal secrets: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = 1"); err != nil {
		return fmt.Errorf("store: seal secrets: %w", err)
	}
	defer func() {
		// PRAGMA takes no bound parameters; the value is SQLite's own integer.
		if _, e := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA secure_delete = %d", secureDelete)); e != nil && err == nil {
			err = fmt.Errorf("store: seal secrets: %w", e)
		}
	}()
	return s.sealPlaintextIn(ctx, conn, true)
}

// sealPlaintextIn seals the plaintext secrets on conn, in one transaction,
// and checkpoints SQLite's WAL after it when checkpoint is set.
func (s *Store) sealPlaintextIn(ctx context.Context, conn *sql.Conn, checkpoint bool) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: seal secrets: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	counts := make([]int, len(secretColumns))
	for i, c := range secretColumns {
		type plain struct {
			id int64
			v  string
		}
		var todo []plain
		rows, err := tx.QueryContext(ctx, "SELECT id, "+c.column+" FROM "+c.table+" WHERE "+c.column+" <> ''")
		if err != nil {
			return fmt.Errorf("store: seal secrets: %w", err)
		}
		for rows.Next() {
			var p plain
			if err := rows.Scan(&p.id, &p.v); err != nil {
				rows.Close()
				return fmt.Errorf("store: seal secrets: %w", err)
			}
			if !isSealed(p.v) {
				todo = append(todo, p)
				continue
			}
			if _, err := s.sec.open(c, p.v); err != nil {
				rows.Close()
				return fmt.Errorf("store: %s of %s %d: %w", c.column, c.label, p.id, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: seal secrets: %w", err)
		}
		if len(todo) == 0 {
			continue
		}
		st, err := tx.PrepareContext(ctx, "UPDATE "+c.table+" SET "+c.column+" = ? WHERE id = ?")
		if err != nil {
			return fmt.Errorf("store: seal secrets: %w", err)
		}
		for _, p := range todo {
			if _, err := st.ExecContext(ctx, s.sec.seal(c, p.v), p.id); err != nil {
				st.Close()
				return fmt.Errorf("store: seal %s of %s %d: %w", c.column, c.label, p.id, err)
			}
		}
		st.Close()
		counts[i] = len(todo)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: seal secrets: %w", err)
	}
	if checkpoint {
		var busy, frames, done int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
			return fmt.Errorf("store: seal secrets: checkpoint: %w", err)
		}
	}
	s.log.Info("plaintext secrets encrypted at rest", zap.Int("dc09_keys", counts[0]), zap.Int("passcodes", counts[1]+counts[2]))
	return nil
}
