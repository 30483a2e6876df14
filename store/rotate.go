package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Rotating the key of secrets at rest (alarmrx keys rotate). Every value
// of every secret column (secretColumns) is opened with the old key and
// sealed again with the new one, and every value still in clear is sealed
// with the new one, in one transaction: a rotation that fails or is cut
// short (a crash, a power loss) leaves the store wholly under the old key,
// one that commits leaves it wholly under the new one. A daemon holds its
// key in memory from its start, so a rotation runs with the daemons
// stopped, and they start again with the new key file:
//
//   - SQLite: the data directory's instance lock is taken, as restore
//     takes it; a running alarmrx refuses the rotation (its pid named).
//   - PostgreSQL: a rotation is refused while a node's heartbeat is under
//     rotateNodeLive old, unless forced. The tables of the secret columns
//     are locked against writes for the transaction (reads go on), so
//     that no value written beside it is left under the old key.
//
// A value that opens with the new key already is left as it is: a
// rotation run again after one that committed, or after a forced one
// while nodes still on the old key wrote keys or passcodes, re-seals what
// is under the old key and nothing else. A value that opens with neither
// key fails the rotation with ErrWrongSecretsKey.
//
// On SQLite the rotation runs with secure delete and ends with a
// truncating checkpoint, as sealing at Open does: the values sealed with
// the old key leave the file's pages and its WAL. Backups, and the copies
// an upgrade or a restore keeps in the data dir, stay under the old key.

// Errors of a rotation. None carries a key or a value.
var (
	// ErrSameSecretsKey: the new key is the one the store is sealed with.
	ErrSameSecretsKey = errors.New("store: the new secrets key is the key in use: give a new key")
	// ErrRotateWithoutKey: no key is configured, so there is none to
	// rotate.
	ErrRotateWithoutKey = errors.New("store: no secrets key is configured (store.secrets_key_file), so there is none to rotate: " +
		"to encrypt the keys and passcodes at rest, set store.secrets_key_file to a new key file and start alarmrx (it seals them at start-up)")
	// ErrNodesRunning: nodes are running on the PostgreSQL database, with
	// the old key in memory.
	ErrNodesRunning = errors.New("store: nodes are running on the database")
	// ErrRotateSchema: the database is not at this build's schema version.
	ErrRotateSchema = errors.New("store: the database's schema is not this alarmrx's")
)

// rotateNodeLive is how recent a heartbeat makes a node running, as for a
// copy: a node beats every second, and one stopped a moment ago still
// counts.
const rotateNodeLive = copyTargetLive

// RotateOptions configure a rotation.
type RotateOptions struct {
	// Force rotates on PostgreSQL while nodes run. They keep the old key
	// until they restart: until then they cannot open the values sealed
	// with the new one (a passcode check fails on them), and a key or
	// passcode they write is sealed with the old one (which a rotation
	// run again, with the same two keys, re-seals).
	Force bool

	// afterWrite, set by the package's tests, runs after each value
	// written (n counts them); its error fails the rotation there.
	afterWrite func(ctx context.Context, n int) error
}

// RotatedColumn is what a rotation did to one secret column.
type RotatedColumn struct {
	Column   string // table.column
	Resealed int    // sealed with the old key, now with the new one
	Sealed   int    // stored in clear, now sealed with the new key
	Already  int    // sealed with the new key before (left as they were)
}

// RotateResult is what a rotation did. Nothing was written when Resealed
// and Sealed are both 0.
type RotateResult struct {
	Columns                   []RotatedColumn
	Resealed, Sealed, Already int
	// Running are the nodes whose heartbeat was recent when a forced
	// rotation ran on PostgreSQL: they still hold the old key.
	Running []string
}

// RotateSecretsKey seals every DC-09 key and passcode of the store at
// path (opts: its engine and its key, as the daemon opens it) with newKey
// in place of opts.SecretsKey, in one transaction. It refuses a store no
// key is configured for (ErrRotateWithoutKey), a new key equal to the old
// one (ErrSameSecretsKey), a sealed value the old key does not open
// (ErrWrongSecretsKey), a database of another schema version
// (ErrRotateSchema), a data dir a daemon holds (ErrDataDirInUse) and,
// unless forced, a PostgreSQL database nodes run on (ErrNodesRunning).
func RotateSecretsKey(ctx context.Context, path string, opts Options, newKey []byte, o RotateOptions) (_ *RotateResult, err error) {
	if testEngine != nil && opts.Driver == "" {
		if opts.Driver, opts.DSN, err = testEngine(path); err != nil {
			return nil, err
		}
	}
	if len(opts.SecretsKey) == 0 {
		return nil, ErrRotateWithoutKey
	}
	old, err := newSecrets(opts.SecretsKey)
	if err != nil {
		return nil, err
	}
	if len(newKey) != SecretsKeySize {
		return nil, fmt.Errorf("store: the new secrets key must be %d bytes (AES-256), not %d", SecretsKeySize, len(newKey))
	}
	if subtle.ConstantTimeCompare(opts.SecretsKey, newKey) == 1 {
		return nil, ErrSameSecretsKey
	}
	next, err := newSecrets(newKey)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	r := &rotation{old: old, next: next, o: o, res: &RotateResult{}}
	switch opts.Driver {
	case "", DriverSQLite:
		return r.onSQLite(ctx, path)
	case DriverPostgres:
		if opts.DSN == "" {
			return nil, errors.New("store: the postgres driver needs a DSN (store.dsn)")
		}
		return r.onPostgres(ctx, opts)
	}
	return nil, fmt.Errorf("store: driver must be sqlite or postgres, not %q", opts.Driver)
}

// rotation is one rotation under way.
type rotation struct {
	old, next *secrets
	o         RotateOptions
	res       *RotateResult
}

func (r *rotation) onSQLite(ctx context.Context, path string) (_ *RotateResult, err error) {
	db, closeDB, err := sqlite.OpenStopped(ctx, path)
	if err != nil {
		if errors.Is(err, ErrDataDirInUse) {
			return nil, fmt.Errorf("%w: stop alarmrx first (it holds the old key in memory, and would seal what it writes with it)", err)
		}
		return nil, err
	}
	defer func() {
		if e := closeDB(); e != nil && err == nil {
			err = fmt.Errorf("store: rotate: %s: %w", path, e)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: rotate: %s: %w", path, err)
	}
	defer conn.Close()
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return nil, fmt.Errorf("store: rotate: %s: %w", path, err)
	}
	if err := checkRotateSchema(path, version, SchemaVersion()); err != nil {
		return nil, err
	}
	// The old sealed values leave the pages they are in: they would open
	// with the old key, which a rotation may be retiring because it got
	// out.
	if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = 1"); err != nil {
		return nil, fmt.Errorf("store: rotate: %s: %w", path, err)
	}
	changed, err := r.run(ctx, conn, nil)
	if err != nil || !changed {
		return r.res, err
	}
	var busy, frames, done int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return nil, fmt.Errorf("store: rotate: %s: checkpoint: %w", path, err)
	}
	return r.res, nil
}

func (r *rotation) onPostgres(ctx context.Context, opts Options) (*RotateResult, error) {
	pdb, err := postgres.Open(ctx, opts.DSN, postgres.Options{Logger: opts.Logger.Named("store"), Registerer: prometheus.NewRegistry(),
		StatementTimeout: opts.StatementTimeout, LockTimeout: opts.BusyTimeout, ApplicationName: "alarmrx/keys-rotate",
		ConnectWait: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	defer pdb.Abort()
	location := pdb.Path()
	conn, err := pdb.Setup().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: rotate: %s: %w", location, err)
	}
	defer conn.Close()
	var version int
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return nil, fmt.Errorf("%w: %s holds no alarmrx schema: %v", ErrRotateSchema, location, err)
	}
	if err := checkRotateSchema(location, version, postgres.SchemaVersion(PostgresMigrations())); err != nil {
		return nil, err
	}
	if _, err := r.run(ctx, conn, r.holdPostgres); err != nil {
		return nil, err
	}
	return r.res, nil
}

// checkRotateSchema refuses a database of another schema version than
// this build's: its secret columns may be others.
func checkRotateSchema(location string, version, want int) error {
	switch {
	case version > want:
		return fmt.Errorf("%w: %s has schema version %d, newer than this alarmrx's %d: rotate with the alarmrx version that wrote it (%w)",
			ErrRotateSchema, location, version, want, ErrSchemaNewer)
	case version < want:
		return fmt.Errorf("%w: %s has schema version %d, this alarmrx writes %d: start this version's alarmrx on it once (it migrates at start), stop it, then rotate",
			ErrRotateSchema, location, version, want)
	}
	return nil
}

// holdPostgres, first in the rotation's transaction on PostgreSQL, refuses
// the rotation while nodes run (unless forced), and locks the tables of
// the secret columns against writes until the commit; reads go on. The
// nodes are looked at before the lock, which waits behind the writes of
// nodes that run, so that a refusal comes at once, and again once it is
// held.
func (r *rotation) holdPostgres(ctx context.Context, tx *sql.Tx) error {
	if err := r.checkNodes(ctx, tx); err != nil {
		return err
	}
	var tables []string
	for _, c := range secretColumns {
		if !slices.Contains(tables, c.table) {
			tables = append(tables, c.table)
		}
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(tables, ", ")+` IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("store: rotate: lock %s: %w", strings.Join(tables, ", "), err)
	}
	return r.checkNodes(ctx, tx)
}

// checkNodes refuses the rotation while a node's heartbeat is recent,
// unless forced; forced, it records the nodes.
func (r *rotation) checkNodes(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, `+dbNowSQL+` - heartbeat_at FROM nodes WHERE heartbeat_at > `+dbNowSQL+` - ? ORDER BY id`,
		rotateNodeLive.Nanoseconds())
	if err != nil {
		return fmt.Errorf("store: rotate: the nodes: %w", err)
	}
	defer rows.Close()
	var ids, said []string
	for rows.Next() {
		var id string
		var ns int64
		if err := rows.Scan(&id, &ns); err != nil {
			return fmt.Errorf("store: rotate: the nodes: %w", err)
		}
		ids = append(ids, id)
		said = append(said, fmt.Sprintf("node %q (heartbeat %s ago)", id, time.Duration(max(ns, 0)).Round(time.Millisecond)))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: rotate: the nodes: %w", err)
	}
	if len(ids) > 0 && !r.o.Force {
		return fmt.Errorf("%w with the old key in memory: %s: stop every node first (a stopped node counts as running until its last heartbeat is %s old)",
			ErrNodesRunning, strings.Join(said, ", "), rotateNodeLive)
	}
	r.res.Running = ids
	return nil
}

// run re-seals every secret column on conn in one transaction, after hold
// (nil: nothing) ran first in it, and reports whether it committed a
// change.
func (r *rotation) run(ctx context.Context, conn *sql.Conn, hold func(context.Context, *sql.Tx) error) (changed bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: rotate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if hold != nil {
		if err := hold(ctx, tx); err != nil {
			return false, err
		}
	}
	written := 0
	for _, c := range secretColumns {
		rc, err := r.column(ctx, tx, c, &written)
		if err != nil {
			return false, err
		}
		r.res.Columns = append(r.res.Columns, rc)
		r.res.Resealed += rc.Resealed
		r.res.Sealed += rc.Sealed
		r.res.Already += rc.Already
	}
	if written == 0 {
		return false, nil // rolled back: nothing to write
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: rotate: commit: %w", err)
	}
	return true, nil
}

// column re-seals the values of one secret column in tx; written counts
// the values written so far.
func (r *rotation) column(ctx context.Context, tx *sql.Tx, c secretColumn, written *int) (RotatedColumn, error) {
	rc := RotatedColumn{Column: c.String()}
	type update struct {
		id int64
		v  string // sealed with the new key
	}
	var todo []update
	rows, err := tx.QueryContext(ctx, "SELECT id, "+c.column+" FROM "+c.table+" WHERE "+c.column+" <> '' ORDER BY id")
	if err != nil {
		return rc, fmt.Errorf("store: rotate: %s: %w", c, err)
	}
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return rc, fmt.Errorf("store: rotate: %s: %w", c, err)
		}
		if !isSealed(v) {
			todo = append(todo, update{id, r.next.seal(c, v)})
			rc.Sealed++
			continue
		}
		if p, err := r.old.open(c, v); err == nil {
			todo = append(todo, update{id, r.next.seal(c, p)})
			rc.Resealed++
			continue
		}
		if _, err := r.next.open(c, v); err == nil {
			rc.Already++
			continue
		}
		rows.Close()
		return rc, fmt.Errorf("store: rotate: the %s of %s %d opens with neither the old key nor the new one: %w",
			c.column, c.label, id, ErrWrongSecretsKey)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rc, fmt.Errorf("store: rotate: %s: %w", c, err)
	}
	if len(todo) == 0 {
		return rc, nil
	}
	st, err := tx.PrepareContext(ctx, "UPDATE "+c.table+" SET "+c.column+" = ? WHERE id = ?")
	if err != nil {
		return rc, fmt.Errorf("store: rotate: %s: %w", c, err)
	}
	defer st.Close()
	for _, u := range todo {
		if _, err := st.ExecContext(ctx, u.v, u.id); err != nil {
			return rc, fmt.Errorf("store: rotate: the %s of %s %d: %w", c.column, c.label, u.id, err)
		}
		*written++
		if r.o.afterWrite != nil {
			if err := r.o.afterWrite(ctx, *written); err != nil {
				return rc, fmt.Errorf("store: rotate: the %s of %s %d: %w", c.column, c.label, u.id, err)
			}
		}
	}
	return rc, nil
}
