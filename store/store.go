package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// FileName is the name of the SQLite database inside the data directory.
const FileName = "alarmrx.db"

// Options configure a Store.
type Options struct {
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	// Synchronous is SQLite's synchronous level: "full" (default; every
	// commit fsyncs the WAL, so an acknowledged signal survives power loss)
	// or "normal" (survives a process crash, not a power loss).
	Synchronous string
	BusyTimeout time.Duration // default 5s
	// BatchMax caps the commits written in one transaction.
	BatchMax int // default 1024
	// PendingMax caps commits waiting for the writer; beyond it Commit
	// blocks, which pauses the sessions that call it (backpressure).
	PendingMax int // default 8192
	// Now is the clock for record times and on-test periods; nil → time.Now.
	Now func() time.Time
	// Outbox lists the automation outputs: every stored signal an output
	// wants gets an outbox row in the signal's own transaction.
	Outbox []OutboxTarget
	// SkipIntegrityCheck leaves out the quick_check of an existing database
	// at start-up (it reads the whole file: about a second per GiB).
	SkipIntegrityCheck bool
	// FileCheckInterval is how often the database file is checked to be
	// still the one open (deleted or replaced stops commits). Default 1s.
	FileCheckInterval time.Duration
	// PasswordCost is the bcrypt cost of password hashes; 0 means 11
	// (about 50-100 ms a check). Tests lower it.
	PasswordCost int
	// GaugeInterval is the least time between two recounts of the gauges
	// that take SQL (open incidents, outbox lag); they are recounted after
	// commits, never on a scrape, and a scrape waits for the recount of
	// the commits before it. Default 50ms; a recount that takes long
	// spaces the next ones further (gauges.go).
	GaugeInterval time.Duration
	// SecretsKey (SecretsKeySize bytes) seals DC-09 keys and call-list
	// passcodes at rest with AES-256-GCM; nil stores them as plaintext.
	SecretsKey []byte
}

func (o *Options) setDefaults() error {
	if o.Logger == nil {
		return errors.New("store: Options.Logger is required")
	}
	if o.Registerer == nil {
		return errors.New("store: Options.Registerer is required")
	}
	switch o.Synchronous {
	case "":
		o.Synchronous = "full"
	case "full", "normal":
	default:
		return fmt.Errorf("store: synchronous must be full or normal, not %q", o.Synchronous)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.BatchMax <= 0 {
		o.BatchMax = 1024
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GaugeInterval <= 0 {
		o.GaugeInterval = 50 * time.Millisecond
	}
	if o.FileCheckInterval <= 0 {
		o.FileCheckInterval = time.Second
	}
	if o.PendingMax < o.BatchMax {
		o.PendingMax = max(8192, o.BatchMax)
	}
	return nil
}

// Store is the SQLite store. All writes go through one writer goroutine;
// reads use a separate pool that WAL mode lets run beside the writer.
type Store struct {
	opts    Options
	log     *zap.Logger
	path    string
	wdb     *sql.DB // one connection: the writer's
	rdb     *sql.DB // readers
	m       *metrics
	reqs    chan *commitReq
	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	done    chan struct{}
	healthy atomic.Bool
	lastErr atomic.Pointer[string]
	// faultHook, when set by a test, runs inside every write transaction;
	// an error from it fails the transaction as a full disk would.
	faultHook func() error
	faultMu   sync.Mutex

	// lock is the data directory's instance lock; dbFile the database
	// file as opened, watched against the file at path; fence, once set,
	// fails every commit (the file was lost).
	lock      *dirLock
	dbFile    *os.File
	fence     atomic.Pointer[error]
	stopWatch chan struct{}
	watchDone chan struct{}

	// dummy is the hash a login of an unknown user is checked against.
	dummy     []byte
	dummyOnce sync.Once

	idx   *accountIndex
	rules atomic.Pointer[map[int]prefixRule] // receivers' account prefix rules
	sec   *secrets                           // nil: secrets are stored as plaintext
	queue *queueHub
	// gauges are the SQL-counted figures the scrapes read (gauges.go).
	gauges *gauges
	sites  *hub[SiteEvent]

	watchMu  sync.Mutex
	watchers []func(old, new *Account)

	// The station's records (design.md §4).
	Customers         *Records[Customer]
	Installers        *Records[Installer]
	Technicians       *Records[Technician]
	Sites             *Records[Site]
	Accounts          *Records[Account]
	Zones             *Records[Zone]
	RespondingParties *Records[RespondingParty]
	Authorities       *Records[Authority]
	// CustomerContacts are the people of a customer: billing, HQ viewers,
	// morning report recipients.
	CustomerContacts *Records[CustomerContact]
}

// Open opens (creating if needed) the database at path, applies the embedded
// migrations and starts the writer. The directory holding path is the data
// directory: Open creates it (0700) when missing, takes its instance lock
// (a second alarmrx on it is refused), refuses a database that has gone
// missing from it or fails its integrity check, and watches the file for
// as long as the store is open.
func Open(ctx context.Context, path string, opts Options) (_ *Store, err error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := prepareDataDir(dir); err != nil {
		return nil, err
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return nil, err
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
	created, err := prepareDatabaseFile(path, lock.existed)
	if err != nil {
		return nil, err
	}
	wdb, err := sql.Open("sqlite3", dsn(path, opts, false))
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
	if !created && !opts.SkipIntegrityCheck {
		if err := quickCheck(ctx, wdb, path); err != nil {
			return nil, err
		}
	}
	if err := migrate(ctx, wdb, path); err != nil {
		return nil, err
	}
	// The watched descriptor: the file SQLite opened, which must stay the
	// file at path.
	dbFile, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	closers = append(closers, func() { _ = dbFile.Close() })
	rdb, err := sql.Open("sqlite3", dsn(path, opts, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	closers = append(closers, func() { _ = rdb.Close() })
	rdb.SetMaxOpenConns(4)
	s := &Store{
		opts:      opts,
		log:       opts.Logger.Named("store"),
		path:      path,
		wdb:       wdb,
		rdb:       rdb,
		reqs:      make(chan *commitReq, opts.PendingMax),
		done:      make(chan struct{}),
		lock:      lock,
		dbFile:    dbFile,
		stopWatch: make(chan struct{}),
		watchDone: make(chan struct{}),
	}
	if err := s.openSecrets(ctx); err != nil {
		return nil, err
	}
	s.m = newMetrics(opts.Registerer)
	s.healthy.Store(true)
	s.m.fileOK.Set(1)
	s.newTables()
	s.newContactTable()
	s.queue = &queueHub{hub: newHub(QueueEvent{Action: "resync"}), visible: s.m.observeVisible}
	s.sites = newHub(SiteEvent{})
	start := time.Now()
	if s.idx, err = s.loadIndex(ctx); err != nil {
		return nil, err
	}
	s.m.registerIndex(opts.Registerer, s.AccountCount)
	s.gauges = newGauges(s, opts.GaugeInterval)
	s.gauges.refresh(ctx)
	if err := opts.Registerer.Register(newQueueCollector(s)); err != nil {
		return nil, fmt.Errorf("store: metrics: %w", err)
	}
	s.log.Info("account index loaded", zap.Int("accounts", len(s.idx.byNumber)), zap.Duration("took", time.Since(start)))
	if err := s.loadRules(ctx); err != nil {
		return nil, err
	}
	if err := s.warnIdentifierClashes(ctx); err != nil {
		return nil, err
	}
	w, err := newWriter(ctx, s)
	if err != nil {
		return nil, err
	}
	go w.run()
	go s.gauges.run()
	go s.watchFile(opts.FileCheckInterval)
	s.log.Info("store opened", zap.String("path", path), zap.Int("schema_version", SchemaVersion()),
		zap.String("synchronous", opts.Synchronous), zap.Bool("created", created))
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// A directory alarmrx did not create is left as it is (a backup
		// agent may read it through its group), but said.
		s.log.Warn("the data dir may be read by other users: 0700 keeps the database private",
			zap.String("data_dir", dir), zap.String("mode", fmt.Sprintf("%04o", fi.Mode().Perm())))
	}
	return s, nil
}

// openError names a database SQLite cannot read as such.
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
	found, err := appendRows(nil, rows, func(sc rowScanner) (string, error) {
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

// dsn builds the go-sqlite3 connection string. WAL lets readers run beside
// the writer; synchronous FULL makes every commit durable; immediate
// transactions take the write lock up front so a batch never fails half way
// on a lock upgrade.
func dsn(path string, o Options, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(o.BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", strings.ToUpper(o.Synchronous))
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// InjectFault makes every write transaction fail with fn's error while fn
// is set (nil clears it), as a full or read-only disk would. It exists for
// tests of the no-ACK-while-failing rule; a running station never calls it.
func (s *Store) InjectFault(fn func() error) {
	s.faultMu.Lock()
	s.faultHook = fn
	s.faultMu.Unlock()
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Healthy reports whether the last commit succeeded, and if not, why.
func (s *Store) Healthy() (bool, string) {
	if s.healthy.Load() {
		return true, ""
	}
	if p := s.lastErr.Load(); p != nil {
		return false, *p
	}
	return false, "store unavailable"
}

// Ping checks that the database answers a read and that the writer is
// healthy; /-/ready uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := s.fenceError(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ok, why := s.Healthy(); !ok {
		return fmt.Errorf("%w: %s", ErrUnavailable, why)
	}
	return nil
}

// Close stops accepting commits, lets the writer finish every commit already
// queued, and closes the database. It is the last step of shutdown.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.done
	s.gauges.close()
	close(s.stopWatch)
	<-s.watchDone
	err := errors.Join(s.rdb.Close(), s.wdb.Close(), s.dbFile.Close())
	s.lock.release()
	s.log.Info("store closed")
	return err
}
