package storetest

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// Numbered is a dialect of numbered placeholders, in the "?1" form SQLite
// runs: on it, the engine rebinds every query a part runs, as an engine of
// "$1" placeholders would, and the part's tests show its SQL still means
// the same once rebound.
type Numbered struct{}

func (Numbered) Name() string                { return "numbered" }
func (Numbered) Rebind(q string) string      { return core.RebindNumbered(q, "?") }
func (Numbered) Least(a, b string) string    { return sqlite.Dialect.Least(a, b) }
func (Numbered) Greatest(a, b string) string { return sqlite.Dialect.Greatest(a, b) }

// ForEachDialect runs test on an engine of SQLite's dialect, on one of
// numbered placeholders, and on PostgreSQL (skipped without a server:
// pgtest.Database).
func ForEachDialect(t *testing.T, test func(t *testing.T, d core.Dialect)) {
	for _, d := range []core.Dialect{sqlite.Dialect, Numbered{}, postgres.Dialect} {
		t.Run(d.Name(), func(t *testing.T) { test(t, d) })
	}
}

// ForEachEngine runs test with a place for a whole store (store.Open) on
// SQLite and on PostgreSQL (skipped without a server: pgtest.Database).
func ForEachEngine(t *testing.T, test func(t *testing.T, p Place)) {
	for _, d := range []core.Dialect{sqlite.Dialect, postgres.Dialect} {
		t.Run(d.Name(), func(t *testing.T) { test(t, NewPlace(t, d)) })
	}
}

// IsPostgres tells the dialect of the PostgreSQL engine.
func IsPostgres(d core.Dialect) bool { return d.Name() == postgres.Dialect.Name() }

// A Place is where a test's store stands: the file at Path, or on
// PostgreSQL's dialect the database DSN names (Driver "postgres"), to
// give store.Options and StartEngine alike.
type Place struct {
	Path   string
	Driver string
	DSN    string
}

// NewPlace returns a new place for the test's store on dialect d.
func NewPlace(t *testing.T, d core.Dialect) Place {
	t.Helper()
	p := Place{Path: filepath.Join(t.TempDir(), sqlite.FileName)}
	if IsPostgres(d) {
		p.Driver, p.DSN = "postgres", pgtest.Database(t)
	}
	return p
}

// Engine is what the domain parts' tests use of an engine: the SQLite
// engine and the PostgreSQL one are both one.
type Engine interface {
	Read() core.Reader
	Setup() *sql.DB
	Submit(ctx context.Context, item any) (int64, error)
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Dialect() core.Dialect
	Close() error
}

// Clock is a test's time: it moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// StartEngine opens the engine on the database at p with the given
// schema (the engine's own migrations), on dialect d, starts its writer
// with b, and closes it when the test ends.
func StartEngine(t *testing.T, p Place, d core.Dialect, migrations fs.FS, b engine.Batcher) Engine {
	t.Helper()
	ctx := context.Background()
	var db interface {
		Engine
		Start(context.Context, engine.Batcher) error
		Abort()
	}
	var err error
	if p.DSN != "" {
		db, err = postgres.Open(ctx, p.DSN, postgres.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
			BatchMax: 8, PendingMax: 64, Migrations: migrations, Dialect: d})
	} else {
		db, err = sqlite.Open(ctx, p.Path, sqlite.Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
			Synchronous: "full", BusyTimeout: 5 * time.Second, BatchMax: 8, PendingMax: 64, FileCheckInterval: time.Second,
			Migrations: migrations, Dialect: d})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(ctx, b); err != nil {
		db.Abort()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Calls records, in order, the hooks a part called.
type Calls struct {
	mu    sync.Mutex
	calls []string
}

// Hook records one call.
func (c *Calls) Hook(what string) {
	c.mu.Lock()
	c.calls = append(c.calls, what)
	c.mu.Unlock()
}

// Called returns the calls so far.
func (c *Calls) Called() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}
