package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/identity"
	"github.com/alarmrx/alarmrx/store/ontest"
	"github.com/alarmrx/alarmrx/store/outbox"
	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/alarmrx/alarmrx/store/queue"
	"github.com/alarmrx/alarmrx/store/records"
	"github.com/alarmrx/alarmrx/store/reports"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// FileName is the name of the SQLite database inside the data directory.
const FileName = sqlite.FileName

//go:embed migrations/*.sql migrations/postgres/*.sql journaldb/*.sql
var migrationFS embed.FS

// Migrations are the schema's migration files, at the top of the FS: the
// engine applies them at Open, and the domain parts' tests open an engine
// on the same schema.
func Migrations() fs.FS { return embeddedDir("migrations") }

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return sqlite.SchemaVersion(Migrations()) }

// PostgresMigrations are the schema's migration files for PostgreSQL: a
// baseline equal to SQLite's schema version 19, then one file for each
// later SQLite migration, of the same number.
func PostgresMigrations() fs.FS { return embeddedDir("migrations/postgres") }

// MigrationsFor are the migration files of the engine of dialect d.
func MigrationsFor(d core.Dialect) fs.FS {
	if d.Name() == postgres.Dialect.Name() {
		return PostgresMigrations()
	}
	return Migrations()
}

// JournalMigrations are the journal database's migration files.
func JournalMigrations() fs.FS { return embeddedDir("journaldb") }

func embeddedDir(dir string) fs.FS {
	sub, err := fs.Sub(migrationFS, dir)
	if err != nil {
		panic(err) // the directory is embedded: it is there
	}
	return sub
}

// IntegrityCheck says when the database's quick_check runs.
type IntegrityCheck = sqlite.IntegrityCheck

// The integrity check's modes (store.integrity_check: start, background,
// off).
const (
	IntegrityCheckAtOpen     = sqlite.CheckAtOpen
	IntegrityCheckAfterStart = sqlite.CheckAfterStart
	IntegrityCheckOff        = sqlite.CheckOff
)

// Options configure a Store.
type Options struct {
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	// Driver is the engine: DriverSQLite (the default; the database is the
	// file at Open's path) or DriverPostgres (the database DSN names).
	Driver string
	// DSN is the PostgreSQL database's connection string (URL or
	// key=value form). Its password is never logged.
	DSN string
	// PoolMax caps PostgreSQL's read connections (default 8); each store
	// has two writer connections besides (the journal's and the store's).
	PoolMax int
	// StatementTimeout bounds every PostgreSQL statement (default 5s).
	StatementTimeout time.Duration
	// NodeID names this node among those sharing a PostgreSQL database
	// (default: the host name); two nodes must not share one.
	NodeID string
	// DedupeWindow is how long a frame's dedupe key makes a copy of it a
	// duplicate on PostgreSQL, whichever node it reaches (default 10m,
	// dedupe.window).
	DedupeWindow time.Duration
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
	// OutboxQueued, when set, hears after each committed batch of frames
	// the names of the outputs it gave outbox rows (their wake-up). It runs
	// on the writer and must not block.
	OutboxQueued func(output string)
	// NoUpgradeBackup skips the copy of the SQLite database (and journal)
	// taken before a schema upgrade (sqlite.UpgradeBackupName, in the data
	// dir); `alarmrx serve --no-backup`.
	NoUpgradeBackup bool
	// IntegrityCheck says when the quick_check of an existing database
	// runs (it reads the whole file: about a second per GiB): at open (the
	// zero value; a damaged file is refused), after the start while the
	// store serves (a damaged file is fenced: acknowledgements stop), or
	// never. The journal, small, is always checked at open.
	IntegrityCheck IntegrityCheck
	// RebuildDetail rebuilds the detail of a frame its receiver stored
	// without one, because its protocol rebuilds it from the stored bytes
	// (registry.RebuildDetail); nil leaves such frames without detail.
	RebuildDetail func(protocol string, stored []byte) (json.RawMessage, bool)
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
	// ProjectDelay is how long an acknowledged frame may wait for its
	// signals, incidents and outbox rows to be built while frames keep
	// the writer busy. Default 5ms.
	ProjectDelay time.Duration
	// ProjectionBacklogMax is how many acknowledged frames may wait for
	// their projection before commits wait for it (backpressure).
	// Default 65536.
	ProjectionBacklogMax int
	// ProjectionLagMax is the projection lag beyond which the store is
	// not ready (Ping fails). Default 30s.
	ProjectionLagMax time.Duration
	// UnknownPollsMax bounds the unknown accounts whose polls are kept as
	// evidence between two FlushPolls. Default DefaultUnknownPollsMax.
	UnknownPollsMax int
	// Runaway is the runaway detector's rules (queue.runaway), applied by
	// the projection; the zero value turns it off.
	Runaway RunawayRules
	// FalseAlarms are the false alarm codes and the threshold of the
	// station event.
	FalseAlarms FalseAlarmRules
	// Disaster is the automatic disaster mode's rules (queue.disaster).
	Disaster DisasterRules
	// ActionPlans are the configuration's station plans (queue.action_plans),
	// over the built-in ones; checked (plan.Check) by whoever sets them.
	ActionPlans []ActionPlan

	// dialect, when set, is the engine's SQL dialect instead of SQLite's
	// own: the query plan test gives one that records every query text.
	dialect core.Dialect
}

func (o *Options) setDefaults() error {
	if o.Logger == nil {
		return errors.New("store: Options.Logger is required")
	}
	o.Outbox = outbox.Prepared(o.Outbox)
	if o.Registerer == nil {
		return errors.New("store: Options.Registerer is required")
	}
	switch o.Driver {
	case "":
		o.Driver = DriverSQLite
	case DriverSQLite:
	case DriverPostgres:
		if o.DSN == "" {
			return errors.New("store: the postgres driver needs a DSN (store.dsn)")
		}
		if o.NodeID == "" {
			host, err := os.Hostname()
			if err != nil || host == "" {
				return errors.New("store: the postgres driver needs a node id (store.node_id): the host has no name")
			}
			o.NodeID = host
		}
	default:
		return fmt.Errorf("store: driver must be sqlite or postgres, not %q", o.Driver)
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
	if o.ProjectDelay <= 0 {
		o.ProjectDelay = 5 * time.Millisecond
	}
	if o.ProjectionBacklogMax <= 0 {
		o.ProjectionBacklogMax = 65536
	}
	if o.ProjectionLagMax <= 0 {
		o.ProjectionLagMax = 30 * time.Second
	}
	if o.DedupeWindow <= 0 {
		o.DedupeWindow = 10 * time.Minute
	}
	if o.UnknownPollsMax <= 0 {
		o.UnknownPollsMax = DefaultUnknownPollsMax
	}
	if o.PendingMax < o.BatchMax {
		o.PendingMax = max(8192, o.BatchMax)
	}
	return nil
}

// Store is the SQLite store. All writes go through the engine's one writer
// (store/sqlite); reads use a separate pool that WAL mode lets run beside
// the writer.
type Store struct {
	opts Options
	log  *zap.Logger
	db   engineDB
	jdb  engineDB // the journal (journal.go)
	// closing is closed when Close begins: a journal batch waiting for
	// room in the projection's backlog gives up.
	closing chan struct{}
	started time.Time   // this process's start: its heartbeat's (leases.go)
	rdb     core.Reader // the engine's readers: they wait for the projection
	m       *metrics

	closeMu sync.Mutex
	closed  bool

	// The station users, their sessions and the audit log (store/identity).
	*identity.StationUsers
	// The accounts' on-test periods and station events (store/ontest).
	*ontest.Tests
	// The morning reports, their deliveries and recipients (store/reports).
	*reports.MorningReports
	// The outputs' outbox and its undeliverable rows (store/outbox).
	*outbox.Outbox
	// The incidents and the operator steps on them (store/queue).
	*queue.Board

	idx   *records.Index
	sec   *secrets // nil: secrets are stored as plaintext
	queue *queueHub
	// gauges are the SQL-counted figures the scrapes read (gauges.go).
	gauges *gauges
	sites  *hub[SiteEvent]
	// peers are the other nodes on PostgreSQL (peers.go); nil on SQLite.
	peers *peers
	polls *pollBook // polls not yet written (polls.go)
	jr    journal   // the projection's state (journal.go)
	// incrementalVacuum tells that the file has incremental auto-vacuum:
	// retention can then shrink it (retention.go, vacuum.go).
	incrementalVacuum bool

	// rules are the options a reload replaces (live.go).
	rules atomic.Pointer[Rules]

	watchMu sync.Mutex
	// disasterVersion grows with every disaster mode this node switches,
	// so that the projection reads the modes again at once.
	disasterVersion atomic.Int64
	watchers        []func(old, new *Account)

	// The station's records (design.md §4), built by store/records: its
	// tables (Customers, Sites, Accounts, …) are the store's.
	*records.Kinds
}

// Open opens (creating if needed) the database at path, applies the embedded
// migrations and starts the writer. The directory holding path is the data
// directory: Open creates it (0700) when missing, takes its instance lock
// (a second alarmrx on it is refused), refuses a database that has gone
// missing from it or fails its integrity check, and watches the file for
// as long as the store is open. With Options.Driver postgres, the database
// is the one Options.DSN names and path's directory holds nothing of it.
func Open(ctx context.Context, path string, opts Options) (_ *Store, err error) {
	if testEngine != nil && opts.Driver == "" {
		if opts.Driver, opts.DSN, err = testEngine(path); err != nil {
			return nil, err
		}
	}
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	log := opts.Logger.Named("store")
	db, jdb, err := openEngines(ctx, path, opts, log)
	if err != nil {
		return nil, err
	}
	started, jstarted := false, false
	defer func() {
		if err != nil && !started {
			db.Abort()
		}
		if err != nil && !jstarted {
			jdb.Abort()
		}
	}()
	s := &Store{
		opts: opts,
		log:  log,
		db:   db,
		jdb:  jdb,
		rdb:  db.Read(),

		closing: make(chan struct{}),
		started: time.Now(),
	}
	s.rules.Store(rulesOf(opts))
	if err := s.openSecrets(ctx); err != nil {
		return nil, err
	}
	s.StationUsers = identity.New(db, identity.Options{Now: opts.Now, PasswordCost: s.passwordCost})
	s.Tests = s.newTests()
	s.MorningReports = s.newReports()
	s.Outbox = s.newOutbox()
	s.Board = s.newBoard()
	s.m = newMetrics(opts.Registerer)
	s.polls = newPollBook(opts.Registerer, opts.UnknownPollsMax)
	s.newKinds()
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
	s.log.Info("account index loaded", zap.Int("accounts", s.idx.AccountCount()), zap.Duration("took", time.Since(start)))
	if err := s.Kinds.LoadRules(ctx); err != nil {
		return nil, err
	}
	if err := s.warnIdentifierClashes(ctx); err != nil {
		return nil, err
	}
	if err := s.loadJournal(ctx); err != nil {
		return nil, err
	}
	if s.jr.shared {
		if err := s.claimNode(ctx); err != nil {
			return nil, err
		}
	}
	s.jr.registerMetrics(opts.Registerer, opts.Now)
	db.SetReadBarrier(s.readBarrier)
	if err := s.checkAutoVacuum(ctx); err != nil {
		return nil, err
	}
	if s.jr.shared {
		// Before the writers start: what they publish reaches the other
		// nodes from the first projection on.
		s.peers = newPeers(s)
		s.queue.tell = s.peers.tellQueue
		s.sites.tell = s.peers.tellSite
		go s.peers.run()
	}
	b := &frameBatcher{s: s}
	b.q.SetDialect(db.Dialect())
	if !s.jr.shared {
		// One process projects this store: the runaway detector's state
		// can be its own (queue.RunawayMemory).
		b.runawayMemory = queue.NewRunawayMemory(runawayMemoryMax)
		b.q.UseRunawayMemory(b.runawayMemory)
	}
	stopPeers := func() {
		if s.peers != nil {
			close(s.closing)
			close(s.peers.stop)
			<-s.peers.done
		}
	}
	if err := db.Start(ctx, b); err != nil {
		stopPeers()
		return nil, err
	}
	started = true
	if err := jdb.Start(ctx, &journalBatcher{s: s}); err != nil {
		stopPeers()
		_ = db.Close()
		return nil, err
	}
	jstarted = true
	// What a crash left in the journal is projected before the store is
	// used: the dedupe seed and the first reads see it.
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := s.Settle(sctx); err != nil {
		s.log.Warn("the journal left by the last run is not projected yet; the projection goes on", zap.Error(err))
	}
	cancel()
	if s.jr.shared {
		go s.pollShared()
		select {
		case <-s.peers.ready:
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			s.log.Warn("not listening to the other nodes yet: their changes reach this node once it does")
		}
	}
	go s.gauges.run()
	if s.jr.shared {
		// Open may have waited seconds since the claim (the journal left,
		// the listener): past nodeLive another process could have taken
		// the id. The daemon's heartbeat goes on from here.
		if err := s.Heartbeat(ctx, "", ""); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	durability := zap.String("synchronous", opts.Synchronous)
	if opts.Driver == DriverPostgres {
		durability = zap.String("synchronous_commit", "on")
	}
	s.log.Info("store opened", zap.String("driver", opts.Driver), zap.String("node_id", opts.NodeID), zap.String("path", db.Path()),
		zap.Int("schema_version", SchemaVersion()), durability, zap.Bool("created", db.Created()))
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil && opts.Driver == DriverSQLite && fi.Mode().Perm()&0o077 != 0 {
		// A directory alarmrx did not create is left as it is (a backup
		// agent may read it through its group), but said.
		s.log.Warn("the data dir may be read by other users: 0700 keeps the database private",
			zap.String("data_dir", dir), zap.String("mode", fmt.Sprintf("%04o", fi.Mode().Perm())))
	}
	return s, nil
}

// testEngine, set by the package's own tests alone (main_test.go), gives
// the engine of the stores they open without saying one: their second
// run stands on PostgreSQL.
var testEngine func(path string) (driver, dsn string, err error)

// openEngines opens the store's database and its journal: on SQLite two
// files in the data directory, each with a writer; on PostgreSQL one
// database, the journal a table of it, with a writer connection for each.
// The two engines' own metrics (writer, file, projection) are told apart
// by a db label: "store" is the database, "journal" the journal, whose
// commits are what frames are ACKed on.
func openEngines(ctx context.Context, path string, opts Options, log *zap.Logger) (db, jdb engineDB, err error) {
	storeReg := prometheus.WrapRegistererWith(prometheus.Labels{"db": "store"}, opts.Registerer)
	journalReg := prometheus.WrapRegistererWith(prometheus.Labels{"db": "journal"}, opts.Registerer)
	if opts.Driver == DriverPostgres {
		pdb, err := postgres.Open(ctx, opts.DSN, postgres.Options{
			Logger: log, Registerer: storeReg, BatchMax: opts.BatchMax, PendingMax: opts.PendingMax,
			ProjectDelay: opts.ProjectDelay, BacklogMax: opts.ProjectionBacklogMax, Migrations: PostgresMigrations(),
			PoolMax: opts.PoolMax, StatementTimeout: opts.StatementTimeout, LockTimeout: opts.BusyTimeout,
			ApplicationName: "alarmrx/" + opts.NodeID, Dialect: opts.dialect,
		})
		if err != nil {
			return nil, nil, err
		}
		pjdb, err := postgres.Open(ctx, opts.DSN, postgres.Options{
			Logger: log.Named("journal"), Registerer: journalReg, BatchMax: opts.BatchMax, PendingMax: opts.PendingMax,
			PoolMax: 2, StatementTimeout: opts.StatementTimeout, LockTimeout: opts.BusyTimeout,
			ApplicationName: "alarmrx/" + opts.NodeID + "/journal", Dialect: opts.dialect,
		})
		if err != nil {
			pdb.Abort()
			return nil, nil, err
		}
		return pdb, pjdb, nil
	}
	sdb, err := sqlite.Open(ctx, path, sqlite.Options{
		Logger: log, Registerer: storeReg,
		Synchronous: opts.Synchronous, BusyTimeout: opts.BusyTimeout,
		BatchMax: opts.BatchMax, PendingMax: opts.PendingMax, IntegrityCheck: opts.IntegrityCheck,
		NoUpgradeBackup: opts.NoUpgradeBackup, Now: opts.Now,
		FileCheckInterval: opts.FileCheckInterval, Migrations: Migrations(), Dialect: opts.dialect,
		ProjectDelay: opts.ProjectDelay, BacklogMax: opts.ProjectionBacklogMax,
	})
	if err != nil {
		return nil, nil, err
	}
	sjdb, err := sqlite.Open(ctx, filepath.Join(filepath.Dir(path), JournalFileName), sqlite.Options{
		Logger: log.Named("journal"), Registerer: journalReg,
		Synchronous: opts.Synchronous, BusyTimeout: opts.BusyTimeout, BatchMax: opts.BatchMax, PendingMax: opts.PendingMax,
		FileCheckInterval: opts.FileCheckInterval, Migrations: JournalMigrations(), SharedDir: true,
		NoUpgradeBackup: opts.NoUpgradeBackup, Now: opts.Now,
	})
	if err != nil {
		sdb.Abort()
		return nil, nil, err
	}
	return sdb, sjdb, nil
}

// InjectFault makes every write transaction fail with fn's error while fn
// is set (nil clears it), as a full or read-only disk would. It exists for
// tests of the no-ACK-while-failing rule; a running station never calls it.
func (s *Store) InjectFault(fn func() error) {
	s.db.InjectFault(fn)
	s.jdb.InjectFault(fn)
}

// Path returns the database file path.
func (s *Store) Path() string { return s.db.Path() }

// Healthy reports whether the last commit succeeded, and if not, why.
func (s *Store) Healthy() (bool, string) {
	if ok, why := s.jdb.Healthy(); !ok {
		return false, "journal: " + why
	}
	return s.db.Healthy()
}

// Ping checks that the database answers a read and that the writer is
// healthy, and that the projection is not too far behind; /-/ready uses
// it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return err
	}
	if err := s.jdb.Ping(ctx); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if lag := s.ProjectionLag(); lag > s.opts.ProjectionLagMax {
		return fmt.Errorf("%w: the projection of acknowledged frames is %s behind (store.projection_lag_max %s)",
			ErrUnavailable, lag.Round(time.Millisecond), s.opts.ProjectionLagMax)
	}
	return nil
}

// Close stops accepting commits, lets the writer finish every commit already
// queued, and closes the database. It is the last step of shutdown.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.closing)
	if s.jr.shared {
		<-s.jr.pollDone
	}
	s.gauges.close()
	// The store's writer projects every entry committed so far before it
	// closes (the receiver stopped before: no more frames come); an entry
	// committed after is projected at the next start.
	err := s.db.Close()
	if s.jr.shared {
		// What that projection changed is told the other nodes, then
		// the sender ends (on the journal's pool, closed last).
		close(s.peers.stop)
		<-s.peers.done
	}
	err = errors.Join(err, s.jdb.Close())
	s.log.Info("store closed")
	return err
}

// The engine's errors and names, as the store's callers know them.
const LockFileName = sqlite.LockFileName

// Errors of the engine (store/sqlite).
var (
	// ErrClosed is returned by Commit after Close has begun.
	ErrClosed = sqlite.ErrClosed
	// ErrUnavailable wraps a failed commit: the rows are not stored and the
	// caller must not acknowledge them.
	ErrUnavailable = sqlite.ErrUnavailable
	// ErrOutcomeUnknown: the caller stopped waiting for a commit that was
	// already queued; it may still land.
	ErrOutcomeUnknown = sqlite.ErrOutcomeUnknown
	// ErrFileLost: the database file was deleted or replaced while the
	// store had it open.
	ErrFileLost = sqlite.ErrFileLost
	// ErrDataDirInUse: another alarmrx holds the data directory's lock.
	ErrDataDirInUse = sqlite.ErrDataDirInUse
	// ErrDataDir: the data directory cannot hold the database.
	ErrDataDir = sqlite.ErrDataDir
	// ErrDatabaseMissing: the data directory has held a database, and it
	// is gone.
	ErrDatabaseMissing = sqlite.ErrDatabaseMissing
	// ErrDatabaseDamaged: the database file is not a usable SQLite
	// database, or fails its integrity check.
	ErrDatabaseDamaged = sqlite.ErrDatabaseDamaged
	// ErrSchemaNewer: the database was written by a newer alarmrx.
	ErrSchemaNewer = sqlite.ErrSchemaNewer
)

// PendingCommit is a commit whose caller stopped waiting while the writer
// still had it; see engine.PendingCommit.
type PendingCommit = engine.PendingCommit

// Compact rewrites the database at path, with alarmrx stopped, so that it
// has incremental auto-vacuum and no free pages: the one-off step that
// lets a database created before this version shrink (`alarmrx compact`).
// It returns the size on disk before and after; see sqlite.Compact.
func Compact(ctx context.Context, path string) (before, after int64, err error) {
	return sqlite.Compact(ctx, path)
}

// CheckDataDir reports why dir cannot hold alarmrx's database, without
// changing anything; check-config calls it.
func CheckDataDir(dir string) error { return sqlite.CheckDataDir(dir) }

// DataDirHolder reports whether an alarmrx holds dir's lock now, and its
// pid (sqlite.DataDirHolder); doctor asks it.
func DataDirHolder(dir string) (pid string, held bool, err error) { return sqlite.DataDirHolder(dir) }

// DatabaseVersion reads the schema version of the SQLite database at path
// without writing to it, beside a daemon that may have it open.
func DatabaseVersion(ctx context.Context, path string) (int, error) {
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: %s: %w", path, err)
	}
	return v, nil
}
