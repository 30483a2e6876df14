package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// Options configure the engine. The zero values of the tunables are
// replaced by the defaults the store documents.
type Options struct {
	Logger     *zap.Logger           // required; already named for the store
	Registerer prometheus.Registerer // required
	BatchMax   int
	PendingMax int
	// ProjectDelay and BacklogMax are the projection's (engine.Options).
	ProjectDelay time.Duration
	BacklogMax   int
	// Migrations holds the NNNN_name.sql files, at its top; nil applies
	// none (a second engine on a database the first one migrated: the
	// journal's).
	Migrations fs.FS
	// PoolMax caps the read pool's connections (default 8). The writer
	// has one connection of its own.
	PoolMax int
	// StatementTimeout bounds every statement (default 5s): a query that
	// hangs on a lock or a lost disk fails, and the store says so, rather
	// than holding the writer.
	StatementTimeout time.Duration
	// LockTimeout bounds the wait for a row or table lock (default 5s).
	LockTimeout time.Duration
	// ConnectWait is how long Open waits for a database that does not
	// answer yet (default 60s), saying so every 5s: nodes and their
	// database start in any order.
	ConnectWait time.Duration
	// ApplicationName names the connections in pg_stat_activity.
	ApplicationName string
	// Dialect is the SQL the pools take; nil is Dialect.
	Dialect core.Dialect
}

func (o *Options) setDefaults() {
	if o.PoolMax <= 0 {
		o.PoolMax = 8
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = 5 * time.Second
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.ConnectWait <= 0 {
		o.ConnectWait = 60 * time.Second
	}
	if o.ApplicationName == "" {
		o.ApplicationName = "alarmrx"
	}
	if o.Dialect == nil {
		o.Dialect = Dialect
	}
}

// DB is one PostgreSQL database as the store uses it: a writer connection
// that every change of this node goes through, in one order (the engine's
// group commit), and a pool of connections for reads.
type DB struct {
	*engine.Writer
	opts     Options
	log      *zap.Logger
	location string // the DSN without its password
	created  bool
	wdb      *sql.DB // one connection: the writer's
	rdb      *sql.DB // readers
	readers  engine.Readers
	size     atomic.Int64 // pg_database_size, recounted in the background
	stop     chan struct{}
	sizeDone chan struct{}
	stopOnce sync.Once
	started  bool
}

// Open connects to the database dsn names and applies the migrations.
// Every connection commits with synchronous_commit on, whatever the DSN or
// the server's configuration say: a commit returns once it is on the
// primary's disk, and only then is anything acknowledged. Nothing is
// written through the writer until Start; Setup gives the writer's pool to
// changes made at open.
func Open(ctx context.Context, dsn string, opts Options) (_ *DB, err error) {
	opts.setDefaults()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's error may quote the DSN, password and all.
		return nil, errors.New("store: postgres: the DSN cannot be parsed")
	}
	location := Location(cfg)
	setSession(cfg, opts.ApplicationName, opts.StatementTimeout, opts.LockTimeout, 30*time.Second)
	connector := core.RebindConnector(stdlib.GetConnector(*cfg), opts.Dialect)
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	wdb := sql.OpenDB(connector)
	closers = append(closers, func() { _ = wdb.Close() })
	// One writer connection: one order of this node's changes, and its
	// prepared statements stay hot.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := waitForDatabase(ctx, wdb, location, opts); err != nil {
		return nil, err
	}
	var sync string
	if err := wdb.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&sync); err != nil {
		return nil, fmt.Errorf("store: postgres %s: %w", location, err)
	}
	if sync != "on" {
		return nil, fmt.Errorf("store: postgres %s: synchronous_commit is %q, not on: commits would return before they are durable", location, sync)
	}
	created := false
	if opts.Migrations != nil {
		var fresh bool
		if err := wdb.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NULL`).Scan(&fresh); err != nil {
			return nil, fmt.Errorf("store: postgres %s: %w", location, err)
		}
		if _, err := Migrate(ctx, wdb, opts.Migrations, opts.Logger.With(zap.String("database", location))); err != nil {
			return nil, fmt.Errorf("store: postgres %s: %w", location, err)
		}
		created = fresh
	}
	rdb := sql.OpenDB(connector)
	closers = append(closers, func() { _ = rdb.Close() })
	rdb.SetMaxOpenConns(opts.PoolMax)
	rdb.SetMaxIdleConns(opts.PoolMax)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{opts: opts, log: opts.Logger, location: location, created: created, wdb: wdb, rdb: rdb,
		stop: make(chan struct{}), sizeDone: make(chan struct{})}
	db.readers.Pool = rdb
	db.Writer = engine.NewWriter(wdb, engine.Options{Logger: opts.Logger, Registerer: opts.Registerer,
		BatchMax: opts.BatchMax, PendingMax: opts.PendingMax, ProjectDelay: opts.ProjectDelay, BacklogMax: opts.BacklogMax,
		IsStorageFailure: IsStorageFailure, Retryable: Retryable,
		// Nothing found: another node is projecting this node's entries
		// with its own (store's journal), and is asked again shortly.
		IdleProjectionRetry: 10 * time.Millisecond, SharedProjection: true})
	return db, nil
}

// waitForDatabase pings until the database answers, ctx ends or
// ConnectWait passed; an error that no wait mends (a refused password, a
// missing database) ends it at once.
func waitForDatabase(ctx context.Context, db *sql.DB, location string, opts Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.ConnectWait)
	defer cancel()
	said := time.Time{}
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		if !IsStorageFailure(err) || ctx.Err() != nil {
			return fmt.Errorf("store: postgres %s: %w", location, err)
		}
		if time.Since(said) >= 5*time.Second {
			opts.Logger.Warn("waiting for the database", zap.String("database", location), zap.Error(err))
			said = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// setSession sets what every session of alarmrx runs with: commits that
// return only once durable, the timeouts (0: none), its name in
// pg_stat_activity, and UTC.
func setSession(cfg *pgx.ConnConfig, application string, statement, lock, idleInTx time.Duration) {
	p := cfg.RuntimeParams
	p["synchronous_commit"] = "on"
	p["statement_timeout"] = strconv.FormatInt(statement.Milliseconds(), 10)
	p["lock_timeout"] = strconv.FormatInt(lock.Milliseconds(), 10)
	p["idle_in_transaction_session_timeout"] = strconv.FormatInt(idleInTx.Milliseconds(), 10)
	p["application_name"] = application
	p["timezone"] = "UTC"
}

// Connect opens one session of its own on the database dsn names, for a
// tool's long statements (store copy's COPY): synchronous_commit on, no
// statement timeout, lockWait for locks. It returns the database's
// location, which errors and logs may say (the DSN has the password).
func Connect(ctx context.Context, dsn, application string, lockWait time.Duration) (*pgx.Conn, string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, "", errors.New("store: postgres: the DSN cannot be parsed")
	}
	location := Location(cfg)
	setSession(cfg, application, 0, lockWait, 0)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, location, fmt.Errorf("store: postgres %s: %w", location, err)
	}
	return conn, location, nil
}

// Location names the database cfg connects to, without its password:
// what logs and errors say.
func Location(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Abort undoes an Open whose caller failed before Start.
func (db *DB) Abort() {
	_ = db.rdb.Close()
	_ = db.wdb.Close()
}

// Created tells that Open migrated an empty database.
func (db *DB) Created() bool { return db.created }

// Setup is the writer's pool for changes made at open, between Open and
// Start; from Start on, every write goes through the writer.
func (db *DB) Setup() *sql.DB { return db.wdb }

// Read is the pool of read connections.
func (db *DB) Read() core.Reader { return &db.readers }

// SetReadBarrier makes every query of Read call barrier first (see
// engine.Readers). Set it before Start.
func (db *DB) SetReadBarrier(barrier func(context.Context)) { db.readers.Barrier = barrier }

// Start begins taking writes, with b for the batched items.
func (db *DB) Start(ctx context.Context, b engine.Batcher) error {
	if err := db.Writer.Start(ctx, b); err != nil {
		return err
	}
	db.started = true
	promauto.With(db.opts.Registerer).NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_store_bytes",
		Help: "Size on disk of the database (PostgreSQL: pg_database_size, recounted every 15s).",
	}, func() float64 { return float64(db.size.Load()) })
	go db.countSize(15 * time.Second)
	return nil
}

// countSize recounts the database's size every interval, off the scrape.
func (db *DB) countSize(interval time.Duration) {
	defer close(db.sizeDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var n int64
		if err := db.rdb.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err == nil {
			db.size.Store(n)
		}
		cancel()
		select {
		case <-db.stop:
			return
		case <-t.C:
		}
	}
}

// FileBytes is the database's size on disk as last counted.
func (db *DB) FileBytes() int64 { return db.size.Load() }

// Damaged is err: PostgreSQL reports damage in its own errors.
func (db *DB) Damaged(err error) error { return err }

// Fenced is nil: nothing outside the database fences it.
func (db *DB) Fenced() error { return nil }

// IsStorageFailure is the engine's IsStorageFailure.
func (db *DB) IsStorageFailure(err error) bool { return IsStorageFailure(err) }

// Path is where the database is, without its password.
func (db *DB) Path() string { return db.location }

// Ping checks that the database answers a read and that the writer is
// healthy.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: ping: %w", engine.ErrUnavailable, err)
	}
	return db.CheckHealthy()
}

// Close stops accepting writes, lets the writer finish every one already
// queued, and closes the connections.
func (db *DB) Close() error {
	if !db.Stop() {
		return nil
	}
	if db.started {
		close(db.stop)
		<-db.sizeDone
	}
	return errors.Join(db.rdb.Close(), db.wdb.Close())
}

// Dialect returns the engine's SQL dialect.
func (db *DB) Dialect() core.Dialect { return db.opts.Dialect }
