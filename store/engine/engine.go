package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// The writer's errors are the store's errors to its callers (the store
// re-exports them), so they read "store:".
var (
	// ErrClosed is returned by a write after Close has begun.
	ErrClosed = errors.New("store: closed")
	// ErrUnavailable wraps a failed commit: the rows are not stored and the
	// caller must not acknowledge them.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrOutcomeUnknown: the caller stopped waiting for a commit that was
	// already queued; it may still land.
	ErrOutcomeUnknown = errors.New("store: commit outcome not known yet")
	// ErrSchemaNewer: the database was written by a newer alarmrx; this
	// build never writes to it.
	ErrSchemaNewer = errors.New("store: database schema newer than this build")
)

// Options configure a Writer. The engine fills in the defaults the store
// documents before it builds one.
type Options struct {
	Logger     *zap.Logger           // required; already named for the store
	Registerer prometheus.Registerer // required
	BatchMax   int
	PendingMax int
	// ProjectDelay is how long committed items may wait for their
	// projection while commits keep the writer busy (Projector).
	ProjectDelay time.Duration
	// BacklogMax is the projection backlog beyond which the writer stops
	// taking commits until it has projected (backpressure).
	BacklogMax int
	// IdleProjectionRetry is how soon a projection that found nothing to
	// project while the backlog counts some is tried again: the entries'
	// commit not visible yet (SQLite, 1ms), or another node projecting
	// them (PostgreSQL). Default 1ms.
	IdleProjectionRetry time.Duration
	// SharedProjection says that the projector's backlog is shared with
	// other writers that project it too (several nodes on PostgreSQL): a
	// change of its own then does not wait for a projection that found
	// nothing, whose entries another writer is projecting.
	SharedProjection bool
	// IsStorageFailure tells the engine's errors that would fail any
	// transaction (a full disk, a lost connection) from those of one row.
	// StorageFault is one always.
	IsStorageFailure func(error) bool
	// Fenced, when set, is checked before every transaction: an error from
	// it fails the transaction as a storage failure (the SQLite file was
	// lost).
	Fenced func() error
	// Retryable, when set, tells a transaction that may succeed if run
	// again at once (a serialization failure, a deadlock): the writer runs
	// a change of its own or a batch again up to retryMax times.
	Retryable func(error) bool
}

// retryMax is how many times a retryable transaction runs again.
const retryMax = 3

// Writer is the group commit both engines share: one connection that every
// change goes through, in one order; batches that grow by themselves
// under load; the projection of what a batch derives; health.
type Writer struct {
	opts Options
	log  *zap.Logger
	conn *sql.DB // one connection: the writer's
	m    *metrics

	reqs    chan *request
	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	started bool
	done    chan struct{}
	healthy atomic.Bool
	lastErr atomic.Pointer[string]
	// faultHook, when set by a test, runs inside every write transaction;
	// an error from it fails the transaction as a full disk would.
	faultHook func() error
	faultMu   sync.Mutex
}

// NewWriter builds the writer on conn, a pool of one connection that
// nothing else writes through. Nothing is written before Start.
func NewWriter(conn *sql.DB, opts Options) *Writer {
	if opts.IdleProjectionRetry <= 0 {
		opts.IdleProjectionRetry = time.Millisecond
	}
	w := &Writer{opts: opts, log: opts.Logger, conn: conn,
		reqs: make(chan *request, opts.PendingMax), done: make(chan struct{})}
	w.healthy.Store(true)
	return w
}

// Start prepares the writer on its connection, with b for the batched
// items, and starts it.
func (db *Writer) Start(ctx context.Context, b Batcher) error {
	db.m = newMetrics(db.opts.Registerer)
	w, err := newWriter(ctx, db, b)
	if err != nil {
		return err
	}
	db.started = true
	go w.run()
	return nil
}

// Stop stops accepting writes and lets the writer finish every one already
// queued; it reports whether the writer had been started. Only the first
// call stops; later ones return at once.
func (db *Writer) Stop() (stopped bool) {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return false
	}
	db.closed = true
	close(db.reqs)
	db.mu.Unlock()
	if db.started {
		<-db.done
	}
	return true
}

// InjectFault makes every write transaction fail with fn's error while fn
// is set (nil clears it), as a full or read-only disk would. It exists for
// tests of the no-ACK-while-failing rule; a running station never calls it.
func (db *Writer) InjectFault(fn func() error) {
	db.faultMu.Lock()
	db.faultHook = fn
	db.faultMu.Unlock()
}

func (db *Writer) injectedFault() error {
	db.faultMu.Lock()
	fn := db.faultHook
	db.faultMu.Unlock()
	if fn == nil {
		return nil
	}
	if err := fn(); err != nil {
		return StorageFault{Err: err}
	}
	return nil
}

// Fenced is the engine's fence: nil while transactions may run.
func (db *Writer) Fenced() error {
	if db.opts.Fenced == nil {
		return nil
	}
	return db.opts.Fenced()
}

func (db *Writer) isStorageFailure(err error) bool {
	if errors.As(err, new(StorageFault)) {
		return true
	}
	return db.opts.IsStorageFailure != nil && db.opts.IsStorageFailure(err)
}

func (db *Writer) retryable(err error) bool {
	return db.opts.Retryable != nil && db.opts.Retryable(err)
}

// Healthy reports whether the last commit succeeded, and if not, why.
func (db *Writer) Healthy() (bool, string) {
	if db.healthy.Load() {
		return true, ""
	}
	if p := db.lastErr.Load(); p != nil {
		return false, *p
	}
	return false, "store unavailable"
}

// CheckHealthy is nil while the writer is healthy, and an ErrUnavailable
// error saying why while it is not.
func (db *Writer) CheckHealthy() error {
	if err := db.Fenced(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ok, why := db.Healthy(); !ok {
		return fmt.Errorf("%w: %s", ErrUnavailable, why)
	}
	return nil
}

func (db *Writer) markHealthy() {
	if !db.healthy.Swap(true) {
		db.log.Info("store recovered: commits succeed again")
	}
	db.m.up.Set(1)
}

// MarkUnhealthy marks the store failing with err: acknowledgements stop
// until a commit succeeds again.
func (db *Writer) MarkUnhealthy(err error) {
	why := err.Error()
	db.lastErr.Store(&why)
	if db.healthy.Swap(false) {
		db.log.Error("store commit failed: acknowledgements stop until it recovers", zap.Error(err))
	}
	if db.m != nil {
		db.m.up.Set(0)
	}
}
