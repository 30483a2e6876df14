package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// FileName is the name of the SQLite database inside the data directory.
const FileName = "alarmrx.db"

// Options configure the engine. The zero values of the tunables are
// replaced by the defaults the store documents.
type Options struct {
	Logger     *zap.Logger           // required; already named for the store
	Registerer prometheus.Registerer // required
	// Synchronous is "full" or "normal" (validated by the store).
	Synchronous string
	BusyTimeout time.Duration
	BatchMax    int
	PendingMax  int
	// ProjectDelay is how long committed items may wait for their
	// projection while commits keep the writer busy (Projector).
	ProjectDelay time.Duration
	// BacklogMax is the projection backlog beyond which the writer stops
	// taking commits until it has projected (backpressure).
	BacklogMax int
	// IntegrityCheck says when the quick_check of an existing database
	// runs: in Open (the zero value), after Start, or never.
	IntegrityCheck IntegrityCheck
	// FileCheckInterval is how often the database file is checked to be
	// still the one open.
	FileCheckInterval time.Duration
	// Migrations holds the NNNN_name.sql files, at its top.
	Migrations fs.FS
	// NoUpgradeBackup skips the copy of an existing database that a
	// schema change takes first (migrate); the default takes it.
	NoUpgradeBackup bool
	// Now stamps the upgrade copy's name; nil is time.Now.
	Now func() time.Time
	// SharedDir opens a database beside another one of the store in the
	// same data directory, whose instance lock that one holds (the
	// journal beside the database): the directory is neither prepared nor
	// locked again, and the file is created when missing.
	SharedDir bool
	// Dialect is the SQL the engine's pools take; nil is SQLite's own
	// (Dialect), which the driver reads as written. Another dialect has
	// every query text of every connection rebound (core.RebindConnector)
	// and must render SQL SQLite runs, such as numbered "?1" placeholders:
	// it proves that the domain parts' queries all go through the engine.
	Dialect core.Dialect
}

// DB is one SQLite database: a writer connection that every change goes
// through, in one order (writer.go), and a pool of read-only connections
// that WAL mode lets run beside it.
type DB struct {
	*engine.Writer
	opts    Options
	dialect core.Dialect // the pools' connections rebind every query for it
	log     *zap.Logger
	path    string
	created bool
	wdb     *sql.DB        // one connection: the writer's
	rdb     *sql.DB        // readers
	readers engine.Readers // rdb behind the read barrier (Read)
	m       *metrics
	started bool

	// lock is the data directory's instance lock; dbFile the database
	// file as opened, watched against the file at path; fence, once set,
	// fails every commit (the file was lost).
	lock      *dirLock
	dbFile    *os.File
	fence     atomic.Pointer[error]
	stopWatch chan struct{}
	watchDone chan struct{}
	// The integrity check after Start (CheckAfterStart): its stop, and
	// closed when it has ended.
	checkCancel context.CancelFunc
	checkDone   chan struct{}
}

// Open opens (creating if needed) the database at path and applies the
// migrations. The directory holding path is the data directory: Open
// creates it (0700) when missing, takes its instance lock (a second
// alarmrx on it is refused), and refuses a database that has gone missing
// from it or fails its integrity check. Nothing is written through the
// writer until Start; Setup gives the writer's pool to changes made at open.
func Open(ctx context.Context, path string, opts Options) (_ *DB, err error) {
	dir := filepath.Dir(path)
	var lock *dirLock
	if !opts.SharedDir {
		if err := prepareDataDir(dir); err != nil {
			return nil, err
		}
		if lock, err = lockDataDir(dir); err != nil {
			return nil, err
		}
	}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
			lock.release()
		}
	}()
	created, err := prepareDatabaseFile(path, lock != nil && lock.existed)
	if err != nil {
		return nil, err
	}
	if created {
		if err := initNewFile(ctx, path); err != nil {
			return nil, err
		}
	}
	if opts.Dialect == nil {
		opts.Dialect = Dialect
	}
	wdb, err := openPool(dsn(path, opts, false), opts.Dialect)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	closers = append(closers, func() { _ = wdb.Close() })
	// One writer connection: SQLite allows one writer at a time anyway, and
	// a single connection keeps the prepared statements and the WAL hot.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := wdb.PingContext(ctx); err != nil {
		return nil, openError(path, err)
	}
	if !created && opts.IntegrityCheck == CheckAtOpen {
		if err := quickCheck(ctx, wdb, path); err != nil {
			return nil, err
		}
	}
	if err := migrate(ctx, wdb, path, opts); err != nil {
		return nil, err
	}
	// The watched descriptor: the file SQLite opened, which must stay the
	// file at path.
	dbFile, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	closers = append(closers, func() { _ = dbFile.Close() })
	rdb, err := openPool(dsn(path, opts, true), opts.Dialect)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	closers = append(closers, func() { _ = rdb.Close() })
	rdb.SetMaxOpenConns(4)
	db := &DB{
		opts:      opts,
		dialect:   opts.Dialect,
		log:       opts.Logger,
		path:      path,
		created:   created,
		wdb:       wdb,
		rdb:       rdb,
		lock:      lock,
		dbFile:    dbFile,
		stopWatch: make(chan struct{}),
		watchDone: make(chan struct{}),
	}
	db.Writer = engine.NewWriter(wdb, engine.Options{Logger: opts.Logger, Registerer: opts.Registerer,
		BatchMax: opts.BatchMax, PendingMax: opts.PendingMax, ProjectDelay: opts.ProjectDelay, BacklogMax: opts.BacklogMax,
		IsStorageFailure: IsStorageFailure, Fenced: db.Fenced})
	db.readers.Pool = rdb
	return db, nil
}

// Abort undoes an Open whose caller failed before Start: the connections
// close and the lock is released.
func (db *DB) Abort() {
	_ = db.rdb.Close()
	_ = db.dbFile.Close()
	_ = db.wdb.Close()
	db.lock.release()
}

// Created tells that Open created the database file.
func (db *DB) Created() bool { return db.created }

// Setup is the writer's pool for changes made at open, between Open and
// Start (sealing secrets at rest); from Start on, every write goes through
// the writer.
func (db *DB) Setup() *sql.DB { return db.wdb }

// Read is the pool of read-only connections.
func (db *DB) Read() core.Reader { return &db.readers }

// SetReadBarrier makes every query of Read call barrier first: the
// store's wait for its projection, so that a read sees every frame
// acknowledged before it. barrier bounds its own wait; past it the read
// shows what is there. Set it before Start; it must not be called on the
// writer.
func (db *DB) SetReadBarrier(barrier func(context.Context)) { db.readers.Barrier = barrier }

// Start begins taking writes: it prepares the writer on its connection,
// with b for the batched items, and starts it and the file watch.
func (db *DB) Start(ctx context.Context, b engine.Batcher) error {
	db.m = newMetrics(db.opts.Registerer, func() float64 { return float64(db.FileBytes()) })
	db.m.fileOK.Set(1)
	if err := db.Writer.Start(ctx, b); err != nil {
		return err
	}
	db.m.integrity = newIntegrityGauge(db.opts.Registerer)
	switch {
	case db.opts.IntegrityCheck == CheckOff:
		db.setIntegrityState("off")
	case db.created || db.opts.IntegrityCheck == CheckAtOpen:
		db.setIntegrityState("passed") // by Open, or a new file
	}
	db.started = true
	go db.watchFile(db.opts.FileCheckInterval)
	if !db.created && db.opts.IntegrityCheck == CheckAfterStart {
		ctx, cancel := context.WithCancel(context.Background())
		db.checkCancel, db.checkDone = cancel, make(chan struct{})
		db.setIntegrityState("running")
		go db.checkAfterStart(ctx)
	}
	return nil
}

// Damaged is err, or when err says the database file is damaged (not a
// database, or malformed), an ErrDatabaseDamaged error naming the file and
// telling to restore a backup.
func (db *DB) Damaged(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
		return openError(db.path, err)
	}
	return err
}

// openError names a database SQLite cannot read as such.
// openPool opens a pool on dsn; a dialect other than SQLite's rebinds
// every query its connections take.
func openPool(dsn string, d core.Dialect) (*sql.DB, error) {
	if d == Dialect {
		return sql.Open("sqlite3", dsn)
	}
	return sql.OpenDB(core.RebindConnector(dsnConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{}}, d)), nil
}

// dsnConnector opens the driver's connections on one DSN.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

func openError(path string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
		return dirErrorf(ErrDatabaseDamaged, "database %s is not a usable SQLite database (%v): restore it from a backup", path, err)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// quickCheck runs SQLite's quick_check (every page and index entry is
// well-formed; O(database size), without the index-to-table cross check of
// integrity_check) and refuses a database that fails it: writing into a
// damaged file can spread the damage, and a station must restore a backup
// instead. The first problems found are in the error.
func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return openError(path, err)
	}
	found, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (string, error) {
		var line string
		err := sc.Scan(&line)
		return line, err
	})
	if err != nil {
		return openError(path, err)
	}
	if len(found) == 1 && found[0] == "ok" {
		return nil
	}
	return dirErrorf(ErrDatabaseDamaged, "database %s fails its integrity check (%s): restore it from a backup",
		path, strings.Join(found, "; "))
}

// OpenReadOnly opens the database at path for reading only, on one
// connection, beside a daemon that may be writing it: WAL lets a reader's
// transaction keep one snapshot while the writer goes on. It takes no
// lock of the data directory and writes nothing.
func OpenReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, dirErrorf(ErrDatabaseMissing, "database %s does not exist", path)
	case err != nil:
		return nil, dirErrorf(ErrDataDir, "database %s: %v", path, errReason(err))
	case !fi.Mode().IsRegular():
		return nil, dirErrorf(ErrDatabaseDamaged, "database %s is not a regular file", path)
	}
	db, err := sql.Open("sqlite3", dsn(path, Options{BusyTimeout: 5 * time.Second, Synchronous: "full"}, true))
	if err != nil {
		return nil, openError(path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, openError(path, err)
	}
	return db, nil
}

// dsn builds the go-sqlite3 connection string. WAL lets readers run beside
// the writer; synchronous FULL makes every commit durable; immediate
// transactions take the write lock up front so a batch never fails half way
// on a lock upgrade. (Incremental auto-vacuum is set once, when the file is
// created: initNewFile.)
func dsn(path string, o Options, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(o.BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", strings.ToUpper(o.Synchronous))
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_cache_size", "-16384") // KiB: 16 MiB a reader
	} else {
		q.Set("_txlock", "immediate")
		// The writer's working set: the tails of the tables and of
		// their indexes, and the open incidents (64 MiB).
		q.Set("_cache_size", "-65536")
	}
	return "file:" + path + "?" + q.Encode()
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers a read and that the writer is
// healthy.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return db.CheckHealthy()
}

// Close stops accepting writes, lets the writer finish every one already
// queued, and closes the database.
func (db *DB) Close() error {
	if !db.Stop() {
		return nil
	}
	if db.started {
		if db.checkCancel != nil {
			db.checkCancel()
			<-db.checkDone
		}
		close(db.stopWatch)
		<-db.watchDone
	}
	err := errors.Join(db.rdb.Close(), db.wdb.Close(), db.dbFile.Close())
	db.lock.release()
	return err
}
