package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"time"

	"github.com/alarmrx/alarmrx/store/engine"
	"go.uber.org/zap"
)

// ErrSchemaNewer: the database was written by a newer alarmrx; this build
// never writes to it.
var ErrSchemaNewer = engine.ErrSchemaNewer

// migrateLock is the key of the advisory lock that serialises migrators
// (two nodes starting together on one database): "alarmrx_" in ASCII.
// Advisory locks are per database, so databases on one server do not wait
// for each other.
const migrateLock int64 = 0x616c61726d72785f

// migrations are the files of fsys, a baseline first.
func migrations(fsys fs.FS) ([]engine.Migration, error) { return engine.Migrations(fsys, true) }

// SchemaVersion is the schema version the migrations in fsys produce (the
// highest file number), 0 when they are not a valid sequence.
func SchemaVersion(fsys fs.FS) int {
	ms, err := migrations(fsys)
	if err != nil {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Migrate applies every migration in fsys (NNNN_name.sql files at its top)
// newer than the database's version, and returns the version the database
// then has (on an error, the last one known). A fresh database starts with
// the first file, the baseline. The version is the one row of table
// schema_version, created when missing.
//
// Each file is applied in a transaction of its own together with the
// version bump, so that a failing file leaves the database at the version
// before it. Each transaction first takes an advisory lock (migrateLock)
// and only then reads the version: concurrent migrators take turns, and
// the later ones find the work done. A file must not hold transaction
// control statements; it may hold several statements (without bound
// parameters, pgx runs the text in the simple protocol, which allows that).
//
// A database newer than the files is refused, with an error wrapping
// ErrSchemaNewer, rather than written to. Neither the session's
// statement_timeout nor its lock_timeout bounds the wait for the lock (ctx
// does: another node's migration may take longer); the migrations' own
// statements keep the session's lock_timeout, so that one waiting behind
// a running node's transaction fails rather than stops every query queued
// behind it. Migrate needs one connection at a time.
//
// On log (nil: none) Migrate says what it does, as the SQLite engine does:
// "schema created" with the version reached for a fresh database; for an
// older one, "upgrading the database's schema" with both versions, then
// "schema migration applied" with each file's name, version and time
// taken; and a wait of more than a second for another node's migration.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *zap.Logger) (version int, err error) {
	ms, err := migrations(fsys)
	if err != nil {
		return 0, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	fresh, said := false, false
	for first := true; ; first = false {
		st, err := migrateStep(ctx, db, ms)
		if st.waited > time.Second {
			log.Info("waited for another node's schema migration", zap.Duration("took", st.waited))
		}
		if err != nil || st.applied == nil {
			if err == nil && fresh {
				log.Info("schema created", zap.Int("version", st.version))
			}
			return st.version, err
		}
		if first {
			fresh = st.from == 0
		}
		if fresh {
			continue
		}
		if !said {
			log.Info("upgrading the database's schema; PostgreSQL takes no copy first: a pg_dump made before is the way back",
				zap.Int("from", st.from), zap.Int("to", ms[len(ms)-1].Version))
			said = true
		}
		log.Info("schema migration applied", zap.String("migration", st.applied.Name), zap.Int("version", st.applied.Version),
			zap.Duration("took", st.took))
	}
}

// step is what one migrateStep did.
type step struct {
	version int               // the database's version afterwards
	from    int               // its version before (0: none yet)
	applied *engine.Migration // nil: nothing left to do, or an error
	took    time.Duration     // applying it, the lock taken
	waited  time.Duration     // for the lock
}

// migrateStep applies the next pending migration of ms, if any, in one
// transaction.
func migrateStep(ctx context.Context, db *sql.DB, ms []engine.Migration) (st step, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("store: migrate: %w", err)
	}
	defer func() {
		if err != nil || st.applied == nil {
			_ = tx.Rollback()
		}
	}()
	// The session's statement_timeout bounds the store's queries, not the
	// wait for another node's migration nor a migration's own statements;
	// its lock_timeout bounds the migrations' waits for table locks, not
	// the wait for the migrators' lock: ctx bounds those.
	var lockTimeout string
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('lock_timeout')`).Scan(&lockTimeout); err != nil {
		return st, fmt.Errorf("store: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return st, fmt.Errorf("store: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
		return st, fmt.Errorf("store: migrate: %w", err)
	}
	began := time.Now()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return st, fmt.Errorf("store: migrate: lock: %w", err)
	}
	st.waited = time.Since(began)
	if _, err := tx.ExecContext(ctx, `SELECT set_config('lock_timeout', $1, true)`, lockTimeout); err != nil {
		return st, fmt.Errorf("store: migrate: %w", err)
	}
	began = time.Now()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return st, fmt.Errorf("store: migrate: create schema_version: %w", err)
	}
	var rows, current int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(version), 0) FROM schema_version`).Scan(&rows, &current); err != nil {
		return st, fmt.Errorf("store: migrate: read schema version: %w", err)
	}
	st.version, st.from = current, current
	base, latest := ms[0].Version, ms[len(ms)-1].Version
	switch {
	case rows > 1:
		return step{}, fmt.Errorf("store: migrate: table schema_version holds %d rows, not one", rows)
	case current > latest:
		return st, &schemaError{sentinel: ErrSchemaNewer, msg: fmt.Sprintf(
			"store: database has schema version %d, newer than this build's %d: "+
				"run the alarmrx version that wrote it, or restore a backup made by this version", current, latest)}
	case current == latest:
		return st, nil // rolled back: nothing was written
	case rows == 1 && current < base:
		return st, fmt.Errorf("store: database has schema version %d, older than this build's baseline %d: "+
			"no migration leads from it", current, base)
	}
	next := ms[0]
	if rows == 1 {
		next = ms[current-base+1]
	}
	if _, err := tx.ExecContext(ctx, next.SQL); err != nil {
		return st, fmt.Errorf("store: migration %s: %w", next.Name, err)
	}
	bump := `UPDATE schema_version SET version = $1`
	if rows == 0 {
		bump = `INSERT INTO schema_version (version) VALUES ($1)`
	}
	if _, err := tx.ExecContext(ctx, bump, next.Version); err != nil {
		return st, fmt.Errorf("store: migration %s: set version: %w", next.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("store: migration %s: commit: %w", next.Name, err)
	}
	st.version, st.applied, st.took = next.Version, &next, time.Since(began)
	return st, nil
}

// schemaError is a sentinel with its reason, read as one line.
type schemaError struct {
	sentinel error
	msg      string
}

func (e *schemaError) Error() string { return e.msg }
func (e *schemaError) Unwrap() error { return e.sentinel }
