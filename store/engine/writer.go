package engine

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// A Batcher writes the items of one group-commit transaction; the engine
// knows nothing of what they are.
type Batcher interface {
	// Statements are prepared on the writer's connection at Start (a bad
	// one fails Start), so that the first batch pays no prepare.
	Statements() []string
	// WriteBatch writes items in tx and sets ids[i] to item i's id. A
	// batch that fails is written again one item at a time, unless the
	// storage failed.
	WriteBatch(ctx context.Context, tx *Tx, items []any, ids []int64) error
	// Committed runs on the writer after every committed transaction
	// (items is nil for a Write), before its callers are released: what a
	// released caller may read (counters) goes here. It must not block.
	Committed(items []any)
	// Released runs on the writer after the callers of a committed batch
	// got their outcome: what may follow them (notifications).
	Released(items []any)
}

// A Pacer is a Batcher that may hold a batch back before its transaction
// opens: the store's journal waits there for room in the projection's
// backlog. A wait inside the open transaction would hold the writer's
// locks all along and, on PostgreSQL, meet
// idle_in_transaction_session_timeout, which ends the connection.
type Pacer interface {
	// BeforeBatch returns once a batch may be written, or an error that
	// fails the batch (the store is closing).
	BeforeBatch() error
}

// A Projector is a Batcher whose committed items derive more rows (the
// signals, incidents and outbox rows of a frame), built after the items'
// commit, which is what their callers are answered on, in transactions of
// its own on the writer [design.md §2 rule 5]. The writer projects the
// backlog when it has waited ProjectDelay or reached projectSoon items,
// yields to waiting requests after projectChunkMin items unless the
// backlog is at BacklogMax (then it projects first: the bound on what the
// projector's source holds back is the source's, the store's journal
// waiting for room), and
// projects all of it before a change of its own, which so sees every item
// committed before it, and before it stops.
type Projector interface {
	// Backlog is how many committed items wait to be projected and when
	// the oldest of them was committed.
	Backlog() (items int, oldest time.Time)
	// Project projects waiting items in tx, oldest first, as long as more
	// (given how many it projected so far) says so and items wait, and
	// returns how many it projected.
	Project(ctx context.Context, tx *Tx, more func(done int) bool) (int, error)
	// Projected runs on the writer after Project's transaction committed
	// (err nil) or rolled back.
	Projected(n int, err error)
	// Wake is signalled when the backlog grew from another goroutine
	// (the items are committed by another writer: the journal's), so
	// that an idle writer schedules its projection.
	Wake() <-chan struct{}
}

// Projection tuning: see Projector.
const (
	projectChunkMin = 64   // items projected before yielding to waiting commits
	projectSoon     = 512  // a backlog this large is projected at once
	projectMax      = 4096 // items in one projection transaction
	// projectRetry spaces the attempts while projections fail.
	projectRetry = 100 * time.Millisecond
)

type request struct {
	item   any // a batch item; nil for a Write
	result chan result
	// write, when set, makes this a change of its own (the management
	// API): it runs alone in its own transaction on the writer's
	// connection, so that every change shares one writer and one order.
	write func(ctx context.Context, tx *sql.Tx) error
	// after, when set, runs on the writer once write committed, before the
	// next request: in-memory views (the account index) change in the
	// store's own commit order.
	after func()
}

type result struct {
	id  int64
	err error
}

// Submit queues item for the next batch and returns its id once the
// transaction holding it committed.
//
// If ctx ends before the item was queued, nothing is written. If it ends
// while the item is queued or being written, the outcome is not known
// yet: Submit returns a *PendingCommit (errors.Is ErrUnavailable and
// ErrOutcomeUnknown), whose Wait tells the outcome once the writer has it.
func (db *Writer) Submit(ctx context.Context, item any) (int64, error) {
	req := &request{item: item, result: make(chan result, 1)}
	if err := db.enqueue(ctx, req); err != nil {
		return 0, err
	}
	select {
	case r := <-req.result:
		return r.id, r.err
	case <-ctx.Done():
		return 0, &PendingCommit{result: req.result, cause: context.Cause(ctx)}
	}
}

// PendingCommit is a commit whose caller stopped waiting (its context
// ended) while the writer still had it. Every commit the writer takes gets
// an outcome, so Wait returns once the writer reached it.
type PendingCommit struct {
	result <-chan result
	cause  error
	once   sync.Once
	out    result
}

func (p *PendingCommit) Error() string {
	return fmt.Sprintf("store: commit: still pending when the wait ended (%v)", p.cause)
}

// Is makes errors.Is true for ErrUnavailable (nothing may be acknowledged)
// and ErrOutcomeUnknown.
func (p *PendingCommit) Is(target error) bool {
	return target == ErrUnavailable || target == ErrOutcomeUnknown
}

// Unwrap returns the context's cause.
func (p *PendingCommit) Unwrap() error { return p.cause }

// Wait blocks until the writer has the commit's outcome: nil once it is
// stored. It may be called more than once.
func (p *PendingCommit) Wait() (frameID int64, err error) {
	p.once.Do(func() { p.out = <-p.result })
	return p.out.id, p.out.err
}

// StorageFault is a failure of the storage as a whole, not of one row: a
// fault InjectFault stands in for (as a full disk would be), or the
// database file lost.
type StorageFault struct{ Err error }

func (f StorageFault) Error() string { return f.Err.Error() }
func (f StorageFault) Unwrap() error { return f.Err }

// Write runs fn in a transaction of its own on the writer and returns after
// it committed (nil) or rolled back (fn's error, or the commit's). fn runs
// on the writer's goroutine with the writer's context: what the caller's
// ctx carries (a job's lease, say) fn reads from the caller's ctx, which
// it closes over.
func (db *Writer) Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.WriteThen(ctx, fn, nil)
}

// WriteThen is Write with after run on the writer once fn's transaction
// committed.
func (db *Writer) WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error {
	req := &request{write: fn, after: after, result: make(chan result, 1)}
	if err := db.enqueue(ctx, req); err != nil {
		return err
	}
	// Wait for the outcome even if ctx ends: the change may be committing,
	// and the caller must learn whether it did.
	return (<-req.result).err
}

func (db *Writer) enqueue(ctx context.Context, req *request) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	select {
	case db.reqs <- req:
		db.m.pending.Inc()
		return nil
	default:
	}
	// The queue is full: wait for room. The caller's session stops reading
	// meanwhile, which is the backpressure we want.
	db.m.backpressure.Inc()
	select {
	case db.reqs <- req:
		db.m.pending.Inc()
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: commit queue full: %w", context.Cause(ctx))
	}
}

type writer struct {
	db *Writer
	b  Batcher
	// conn is the writer's pool of one connection, which nothing else
	// uses once the writer runs: its statements are prepared on the pool
	// (a statement prepared on a *sql.Conn is prepared again by every
	// transaction that binds it; one prepared on the pool is reused).
	conn  *sql.DB
	cache *stmtCache
	batch []*request
	// items, ids and tx are reused from batch to batch: the writer is
	// the commit path of every signal.
	items []any
	ids   []int64
	tx    Tx
	// proj is b when it projects (nil otherwise); timer wakes the writer
	// when a backlog is due, retryAt holds projections back after one
	// failed.
	proj    Projector
	timer   *time.Timer
	retryAt time.Time
	// projected is set by a projection and cleared by a batch: commits
	// waiting after a projection that yielded to them go first.
	projected bool
	// idle is set when the last projection found nothing to project.
	idle bool
}

func newWriter(ctx context.Context, db *Writer, b Batcher) (*writer, error) {
	w := &writer{db: db, b: b, conn: db.conn, batch: make([]*request, 0, db.opts.BatchMax),
		items: make([]any, 0, db.opts.BatchMax), ids: make([]int64, 0, db.opts.BatchMax),
		cache: &stmtCache{pool: db.conn, stmts: map[string]*sql.Stmt{}}}
	w.tx = Tx{cache: w.cache, bound: map[string]*sql.Stmt{}}
	if p, ok := b.(Projector); ok {
		w.proj = p
		w.timer = time.NewTimer(time.Hour)
		w.timer.Stop()
	}
	for _, q := range b.Statements() {
		if err := w.cache.prepare(ctx, q); err != nil {
			w.cache.close()
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
	}
	return w, nil
}

// run is the group-commit loop: take one request (waiting), then whatever
// else is already queued up to BatchMax, and write them in one transaction.
// Batches grow by themselves under load and stay at one when idle, so an
// idle receiver pays one fsync per signal and a busy one a fraction.
func (w *writer) run() {
	defer close(w.db.done)
	defer w.cache.close()
	for {
		if w.projectionDue() {
			w.project(false)
			continue
		}
		first, ok := w.next()
		if !ok {
			break
		}
		if first == nil {
			continue // a backlog came due
		}
		if first.write != nil {
			w.db.m.pending.Dec()
			w.runWrite(first)
			continue
		}
		w.batch = append(w.batch[:0], first)
		var next *request // a change of its own met while filling: it goes after the batch
	fill:
		for len(w.batch) < w.db.opts.BatchMax {
			select {
			case r, ok := <-w.db.reqs:
				if !ok {
					break fill
				}
				if r.write != nil {
					next = r
					break fill
				}
				w.batch = append(w.batch, r)
			default:
				break fill
			}
		}
		w.db.m.pending.Sub(float64(len(w.batch)))
		w.projected = false
		w.commitBatch(w.batch)
		clear(w.batch)
		if next != nil {
			w.db.m.pending.Dec()
			w.runWrite(next)
		}
	}
	// A clean stop leaves nothing to project at the next start.
	w.projectAll()
}

// next waits for the next request; nil when a backlog came due first,
// ok false once the queue is closed and drained.
func (w *writer) next() (r *request, ok bool) {
	n, oldest := 0, time.Time{}
	var wake <-chan struct{}
	if w.proj != nil {
		n, oldest = w.proj.Backlog()
		wake = w.proj.Wake()
	}
	if n == 0 {
		select {
		case r, ok = <-w.db.reqs:
			return r, ok
		case <-wake:
			return nil, true // look at the backlog again
		}
	}
	due := oldest.Add(w.db.opts.ProjectDelay)
	if w.retryAt.After(due) {
		due = w.retryAt
	}
	w.timer.Reset(time.Until(due))
	select {
	case r, ok = <-w.db.reqs:
		w.timer.Stop()
		return r, ok
	case <-wake:
		w.timer.Stop()
		return nil, true // the backlog grew: it may be due now
	case <-w.timer.C:
		return nil, true
	}
}

// projectionDue reports whether the backlog is to be projected now.
func (w *writer) projectionDue() bool {
	if w.proj == nil {
		return false
	}
	n, oldest := w.proj.Backlog()
	switch {
	case n == 0 || time.Now().Before(w.retryAt):
		return false
	case n >= w.db.opts.BacklogMax:
		return true
	case w.projected && len(w.db.reqs) > 0:
		return false
	}
	return n >= projectSoon || time.Since(oldest) >= w.db.opts.ProjectDelay
}

// projectAll projects the whole backlog, unless a projection fails.
func (w *writer) projectAll() {
	if w.proj == nil {
		return
	}
	for {
		if n, _ := w.proj.Backlog(); n == 0 || !w.project(true) {
			return
		}
		if w.idle {
			if w.db.opts.SharedProjection {
				return // another writer is projecting what is left
			}
			// Nothing was there to project, though the backlog counts
			// some (see project): look again after a while, not at once.
			time.Sleep(w.db.opts.IdleProjectionRetry)
		}
	}
}

// project runs one projection transaction; all makes it take a full
// transaction whatever waits. It reports whether it committed.
func (w *writer) project(all bool) bool {
	ctx := context.Background()
	start := time.Now()
	more := func(done int) bool {
		if done >= projectMax {
			return false
		}
		if all || done < projectChunkMin || len(w.db.reqs) == 0 {
			return true
		}
		n, _ := w.proj.Backlog()
		return n >= w.db.opts.BacklogMax
	}
	n, err := func() (int, error) {
		if err := w.db.Fenced(); err != nil {
			return 0, err
		}
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if err := w.db.injectedFault(); err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		w.tx.Tx = tx
		clear(w.tx.bound)
		n, err := w.proj.Project(ctx, &w.tx, more)
		w.tx.Tx = nil
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			_ = tx.Rollback()
		}
		w.cache.prepareLater(ctx)
		if err != nil {
			return 0, err
		}
		return n, nil
	}()
	if err != nil {
		w.db.m.projectErrors.Inc()
		if w.db.isStorageFailure(err) {
			w.db.MarkUnhealthy(err)
			w.retryAt = time.Now().Add(projectRetry)
		}
		w.proj.Projected(0, err)
		return false
	}
	w.retryAt = time.Time{}
	w.idle = n == 0
	if n == 0 {
		// Nothing was there to project though the backlog counts some:
		// the entries' commit is not visible to the projection's reader
		// yet. Look again shortly rather than at once, in a loop.
		w.retryAt = time.Now().Add(w.db.opts.IdleProjectionRetry)
	}
	w.projected = true
	w.db.m.projectSeconds.Observe(time.Since(start).Seconds())
	w.db.m.projectBatch.Observe(float64(n))
	w.db.markHealthy()
	w.proj.Projected(n, nil)
	return true
}

// runWrite runs one change in its own transaction. Its error goes back to
// the caller; only storage failures mark the store unhealthy (a conflict
// or a validation error is the caller's, not the disk's).
func (w *writer) runWrite(r *request) {
	ctx := context.Background()
	// A change of its own sees every frame committed before it: an
	// account added claims the signals received for it until then.
	w.projectAll()
	run := func() error {
		if err := w.db.Fenced(); err != nil {
			return err
		}
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		// An injected fault stands in for the storage failing: every
		// transaction fails, a change of its own as a batch.
		if err := w.db.injectedFault(); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := r.write(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	err := run()
	// A serialization failure or a deadlock is the database's, not the
	// change's: the same change runs again and may well commit.
	for try := 0; err != nil && try < retryMax && w.db.retryable(err); try++ {
		w.db.m.retries.Inc()
		err = run()
	}
	if err == nil {
		w.b.Committed(nil)
		w.db.markHealthy()
		if r.after != nil {
			r.after()
		}
	}
	if err != nil && w.db.isStorageFailure(err) {
		w.db.m.commitErrors.Inc()
		w.db.MarkUnhealthy(err)
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r.result <- result{err: err}
}

func (w *writer) commitBatch(batch []*request) {
	defer clear(w.items)
	start := time.Now()
	err := w.writeTx(batch)
	for try := 0; err != nil && try < retryMax && w.db.retryable(err); try++ {
		w.db.m.retries.Inc()
		err = w.writeTx(batch)
	}
	w.db.m.commitSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		w.db.m.batchSize.Observe(float64(len(batch)))
		w.b.Committed(w.items)
		w.db.markHealthy()
		for i, r := range batch {
			r.result <- result{id: w.ids[i]}
		}
		w.b.Released(w.items)
		return
	}
	if len(batch) > 1 && !w.db.isStorageFailure(err) {
		// One bad row must not sink the others: write them one by one.
		for _, r := range batch {
			w.commitBatch([]*request{r})
		}
		return
	}
	w.db.m.commitErrors.Inc()
	if w.db.isStorageFailure(err) {
		w.db.MarkUnhealthy(err)
	} else {
		// One row refused (a constraint, a race between two copies of one
		// message): the store is fine, only this request is not stored;
		// its sender is told to retry and is answered from what is stored.
		w.db.log.Warn("commit refused one request", zap.Error(err))
	}
	for _, r := range batch {
		r.result <- result{err: fmt.Errorf("%w: %w", ErrUnavailable, err)}
	}
}

// writeTx writes batch in one transaction, leaving its items and their
// ids in w.items and w.ids.
func (w *writer) writeTx(batch []*request) error {
	ctx := context.Background()
	if err := w.db.Fenced(); err != nil {
		return err
	}
	if p, ok := w.b.(Pacer); ok {
		if err := p.BeforeBatch(); err != nil {
			return err
		}
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := w.db.injectedFault(); err != nil {
		_ = tx.Rollback()
		return err
	}
	w.items, w.ids = w.items[:0], w.ids[:0]
	for _, r := range batch {
		w.items = append(w.items, r.item)
		w.ids = append(w.ids, 0)
	}
	// The statements bound to the last transaction went with it.
	w.tx.Tx = tx
	clear(w.tx.bound)
	err = w.b.WriteBatch(ctx, &w.tx, w.items, w.ids)
	w.tx.Tx = nil
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		_ = tx.Rollback()
	}
	w.cache.prepareLater(ctx)
	return err
}

// Tx is a batch's transaction on the writer's connection; Stmt gives the
// writer's prepared statements bound to it. It is valid only during
// WriteBatch.
type Tx struct {
	*sql.Tx
	cache *stmtCache
	bound map[string]*sql.Stmt
}

// Stmt returns query prepared once on the writer's connection and bound
// to this transaction: the queue's statements run for every alarm signal,
// and preparing them anew each time would cost the single writer more
// than the inserts themselves.
func (t *Tx) Stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.bound[query]; ok {
		return s, nil
	}
	var b *sql.Stmt
	if p := t.cache.stmts[query]; p != nil {
		b = t.Tx.StmtContext(ctx, p)
	} else {
		// The one connection is this transaction's: the statement is
		// prepared in it for now, and on the pool once it ended.
		var err error
		if b, err = t.Tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		t.cache.later = append(t.cache.later, query)
	}
	t.bound[query] = b
	return b, nil
}

// ExecContext runs query as Stmt prepares it: once on the writer's
// connection. A batch runs the same few statements for every frame, so
// the domain parts' in-transaction functions take a *Tx as the executor
// of the commit path; a query whose text varies belongs on the embedded
// *sql.Tx instead, which prepares it each time.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.Stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryRowContext runs query as Stmt prepares it, like ExecContext; a
// statement that fails to prepare fails the row's Scan with its error.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := t.Stmt(ctx, query)
	if err != nil {
		// Let the query fail the usual way, with the prepare error.
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// stmtCache holds the writer's statements by SQL text, prepared once on
// its connection.
type stmtCache struct {
	pool  *sql.DB
	stmts map[string]*sql.Stmt
	// later are the queries first met inside a transaction, to prepare on
	// the pool once it ended (prepareLater).
	later []string
}

func (c *stmtCache) prepare(ctx context.Context, query string) error {
	if _, ok := c.stmts[query]; ok {
		return nil
	}
	p, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	c.stmts[query] = p
	return nil
}

// prepareLater prepares on the pool the queries the last transaction met
// first; one that fails is prepared in its transactions again.
func (c *stmtCache) prepareLater(ctx context.Context) {
	for _, q := range c.later {
		_ = c.prepare(ctx, q)
	}
	c.later = c.later[:0]
}

func (c *stmtCache) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
}
