package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/mattn/go-sqlite3"
	"go.uber.org/zap"
)

// Frame statuses.
const (
	StatusAccepted = "accepted" // decoded and to be acknowledged; its events are signals
	StatusRejected = "rejected" // answered negatively; kept as evidence, never as events
)

// Receipt says where and when a frame arrived and what became of it.
type Receipt struct {
	ReceivedAt time.Time
	Receiver   int
	Line       int
	Listener   string
	Transport  string // tcp | udp
	RemoteAddr string
	Protocol   string
	Status     string           // StatusAccepted or StatusRejected
	Reason     protocols.Reason // for rejected frames
	DedupeKey  string
	// Detail is protocol extras as JSON (DC-09 extended data), "" when none.
	Detail string
	Raw    []byte
	// Resolutions holds what each event resolved to, by event index; a
	// missing entry is an unknown account.
	Resolutions []Resolution
	// UnknownAccounts are the accounts for which this frame raises the
	// "unknown account" station event (the pipeline raises one per account
	// per hour), written in the frame's own transaction, with an incident.
	UnknownAccounts []string
	// UnknownPriority is the priority of an unknown-account incident.
	UnknownPriority int
	// Handling says, by event index, what the queue does with each event;
	// a missing entry logs the event at its category's default priority.
	Handling []Handling
	// IdempotencyKey, when set, is recorded with the frame in the same
	// transaction (see MessageSeen). Accepted frames only.
	IdempotencyKey string
	// Trouble, when set, is a station event the frame raises, written in
	// its own transaction with a trouble incident for the operators
	// (opened, or joined while open).
	Trouble *Trouble
}

// Trouble is a station event a received frame raises about an account:
// a plain frame for an account that must encrypt, say.
type Trouble struct {
	Kind    string // station event and incident kind
	Account string // as stored: prefix applied
	Title   string // what the operator reads
}

type commitReq struct {
	msg    *protocols.Message
	rec    *Receipt
	result chan commitResult // buffered(1): the writer never blocks on it
	// write, when set, makes this a records change (the management API):
	// it runs alone in its own transaction on the writer's connection, so
	// records and signals share one writer and one order.
	write func(ctx context.Context, tx *sql.Tx) error
	// afterCommit, when set, runs on the writer once write committed, before
	// the next request: in-memory views (the account index) change in the
	// store's own commit order.
	afterCommit func()
}

type commitResult struct {
	frameID int64
	err     error
}

// Commit stores a frame and its events in one transaction, batched with the
// commits of other sessions, and returns after that transaction committed.
// Only then may the caller acknowledge the frame. msg may be nil for a
// rejected frame that did not decode.
//
// If ctx ends before the commit was queued, nothing is stored. If it ends
// while the commit is queued or being written, the outcome is not known
// yet: Commit returns a *PendingCommit (errors.Is ErrUnavailable and
// ErrOutcomeUnknown), whose Wait tells the outcome once the writer has it.
// The caller answers negatively meanwhile, and must not store a
// retransmission of the frame before it knows: the commit may still land.
func (s *Store) Commit(ctx context.Context, msg *protocols.Message, rec Receipt) (frameID int64, err error) {
	if msg == nil {
		msg = &protocols.Message{}
	}
	req := &commitReq{msg: msg, rec: &rec, result: make(chan commitResult, 1)}
	if err := s.enqueue(ctx, req); err != nil {
		return 0, err
	}
	select {
	case r := <-req.result:
		return r.frameID, r.err
	case <-ctx.Done():
		return 0, &PendingCommit{result: req.result, cause: context.Cause(ctx)}
	}
}

// ErrOutcomeUnknown: the caller stopped waiting for a commit that was
// already queued; it may still land.
var ErrOutcomeUnknown = errors.New("store: commit outcome not known yet")

// PendingCommit is a commit whose caller stopped waiting (its context
// ended) while the writer still had it. Every commit the writer takes gets
// an outcome, so Wait returns once the writer reached it.
type PendingCommit struct {
	result <-chan commitResult
	cause  error
	once   sync.Once
	out    commitResult
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
	return p.out.frameID, p.out.err
}

func (s *Store) injectedFault() error {
	s.faultMu.Lock()
	fn := s.faultHook
	s.faultMu.Unlock()
	if fn == nil {
		return nil
	}
	if err := fn(); err != nil {
		return storageFault{err}
	}
	return nil
}

// storageFault is a failure of the storage as a whole, not of one row: a
// fault InjectFault stands in for (as a full disk would be), or the
// database file lost.
type storageFault struct{ error }

func (f storageFault) Unwrap() error { return f.error }

// write runs fn in a transaction of its own on the writer and returns after
// it committed (nil) or rolled back (fn's error, or the commit's).
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.writeThen(ctx, fn, nil)
}

// writeThen is write with after run on the writer once fn's transaction
// committed.
func (s *Store) writeThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error {
	req := &commitReq{write: fn, afterCommit: after, result: make(chan commitResult, 1)}
	if err := s.enqueue(ctx, req); err != nil {
		return err
	}
	// Wait for the outcome even if ctx ends: the change may be committing,
	// and the caller must learn whether it did.
	return (<-req.result).err
}

func (s *Store) enqueue(ctx context.Context, req *commitReq) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.reqs <- req:
		s.m.pending.Inc()
		return nil
	default:
	}
	// The queue is full: wait for room. The caller's session stops reading
	// meanwhile, which is the backpressure we want.
	s.m.backpressure.Inc()
	select {
	case s.reqs <- req:
		s.m.pending.Inc()
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: commit queue full: %w", context.Cause(ctx))
	}
}

type writer struct {
	s         *Store
	conn      *sql.Conn
	insFrame  *sql.Stmt
	insSignal *sql.Stmt
	insEvent  *sql.Stmt
	cache     *stmtCache
	batch     []*commitReq
}

func newWriter(ctx context.Context, s *Store) (*writer, error) {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: writer connection: %w", err)
	}
	w := &writer{s: s, conn: conn, batch: make([]*commitReq, 0, s.opts.BatchMax),
		cache: &stmtCache{conn: conn, stmts: map[string]*sql.Stmt{}}}
	w.insFrame, err = conn.PrepareContext(ctx, `INSERT INTO frames
		(received_at, receiver, line, listener, transport, remote_addr, protocol, kind, encrypted,
		 account, frame_receiver, frame_line, sequence, frame_time, status, reason, deviations,
		 dedupe_key, detail, raw)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	w.insSignal, err = conn.PrepareContext(ctx, `INSERT INTO signals
		(frame_id, idx, received_at, receiver, account, format, event_code, qualifier, partition,
		 zone, user, address, address_kind, known, description, category, priority, text,
		 modifiers, panel_time, account_id, site_id, resolution, test, on_test_id, handling, zone_description)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,
		 coalesce((SELECT description FROM zones WHERE account_id = ? AND number = ?), ''))`)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	w.insEvent, err = conn.PrepareContext(ctx, `INSERT INTO station_events (at, kind, receiver, account, detail)
		VALUES (?,?,?,?,?)`)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	return w, nil
}

// run is the group-commit loop: take one request (waiting), then whatever
// else is already queued up to BatchMax, and write them in one transaction.
// Batches grow by themselves under load and stay at one when idle, so an
// idle receiver pays one fsync per signal and a busy one a fraction.
func (w *writer) run() {
	defer close(w.s.done)
	defer func() {
		_ = w.insFrame.Close()
		_ = w.insSignal.Close()
		_ = w.insEvent.Close()
		w.cache.close()
		_ = w.conn.Close()
	}()
	for first := range w.s.reqs {
		if first.write != nil {
			w.s.m.pending.Dec()
			w.runWrite(first)
			continue
		}
		w.batch = append(w.batch[:0], first)
		var next *commitReq // a records change met while filling: it goes after the batch
	fill:
		for len(w.batch) < w.s.opts.BatchMax {
			select {
			case r, ok := <-w.s.reqs:
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
		w.s.m.pending.Sub(float64(len(w.batch)))
		w.commitBatch(w.batch)
		clear(w.batch)
		if next != nil {
			w.s.m.pending.Dec()
			w.runWrite(next)
		}
	}
}

// runWrite runs one records change in its own transaction. Its error goes
// back to the caller; only storage failures mark the store unhealthy (a
// conflict or a validation error is the caller's, not the disk's).
func (w *writer) runWrite(r *commitReq) {
	ctx := context.Background()
	err := func() error {
		if err := w.s.fenceError(); err != nil {
			return err
		}
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := r.write(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}()
	if err == nil {
		w.s.gauges.committedOne()
		w.s.markHealthy()
		if r.afterCommit != nil {
			r.afterCommit()
		}
	}
	if err != nil && isStorageFailure(err) {
		w.s.m.commitErrors.Inc()
		w.s.markUnhealthy(err)
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r.result <- commitResult{err: err}
}

func (w *writer) commitBatch(batch []*commitReq) {
	start := time.Now()
	ids, touched, err := w.writeTx(batch)
	w.s.m.commitSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		w.s.m.batchSize.Observe(float64(len(batch)))
		w.s.gauges.committedOne()
		w.s.markHealthy()
		for i, r := range batch {
			w.s.m.countStored(r)
			r.result <- commitResult{frameID: ids[i]}
		}
		for _, e := range touched {
			w.s.queue.publish(e)
		}
		for _, r := range batch {
			w.s.publishSignal(r.rec.Resolutions)
		}
		return
	}
	if len(batch) > 1 && !isStorageFailure(err) {
		// One bad row must not sink the others: write them one by one.
		for _, r := range batch {
			w.commitBatch([]*commitReq{r})
		}
		return
	}
	w.s.m.commitErrors.Inc()
	if isStorageFailure(err) {
		w.s.markUnhealthy(err)
	} else {
		// One row refused (a constraint, a race between two copies of one
		// message): the store is fine, only this request is not stored;
		// its sender is told to retry and is answered from what is stored.
		w.s.log.Warn("commit refused one request", zap.Error(err))
	}
	for _, r := range batch {
		r.result <- commitResult{err: fmt.Errorf("%w: %w", ErrUnavailable, err)}
	}
}

// publishSignal tells the live views of the sites a stored frame resolved
// to, once per site.
func (s *Store) publishSignal(res []Resolution) {
	var last int64
	for _, r := range res {
		if r.SiteID != 0 && r.SiteID != last {
			s.sites.publish(SiteEvent{SiteID: r.SiteID, Kind: "signal"})
			last = r.SiteID
		}
	}
}

// isStorageFailure tells errors that would fail any transaction (disk full,
// read-only file, I/O error, lock held too long) from errors tied to one row.
func isStorageFailure(err error) bool {
	if errors.As(err, new(storageFault)) {
		return true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrBusy, sqlite3.ErrLocked,
		sqlite3.ErrCantOpen, sqlite3.ErrCorrupt, sqlite3.ErrNotADB, sqlite3.ErrNoLFS:
		return true
	}
	return false
}

func (w *writer) writeTx(batch []*commitReq) ([]int64, []QueueEvent, error) {
	ctx := context.Background()
	if err := w.s.fenceError(); err != nil {
		return nil, nil, err
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := w.s.injectedFault(); err != nil {
		_ = tx.Rollback()
		return nil, nil, err
	}
	ids := make([]int64, len(batch))
	st := &txStmts{
		tx:       tx,
		frame:    tx.StmtContext(ctx, w.insFrame),
		signal:   tx.StmtContext(ctx, w.insSignal),
		event:    tx.StmtContext(ctx, w.insEvent),
		prepared: w.cache,
		outbox:   w.s.opts.Outbox,
	}
	for i, r := range batch {
		id, err := st.insertFrame(ctx, r.msg, r.rec)
		if err != nil {
			_ = tx.Rollback()
			return nil, nil, err
		}
		ids[i] = id
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return nil, nil, err
	}
	return ids, st.touched, nil
}

// txStmts are the writer's prepared statements bound to one transaction.
type txStmts struct {
	tx                   *sql.Tx
	frame, signal, event *sql.Stmt
	touched              []QueueEvent // incidents changed, published after the commit
	// prepared holds the writer's statements by SQL text, prepared once on
	// its connection; bound caches them bound to this transaction. Both are
	// nil outside the writer's batches (operator steps), where statements
	// are prepared per call.
	prepared *stmtCache
	bound    map[string]*sql.Stmt
	outbox   []OutboxTarget
}

// stmtCache prepares each statement once on the writer's connection: the
// queue's statements run for every alarm signal, and preparing them anew
// each time would cost the single writer more than the inserts themselves.
type stmtCache struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
}

func (st *txStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := st.bound[query]; ok {
		return s, nil
	}
	p, ok := st.prepared.stmts[query]
	if !ok {
		var err error
		if p, err = st.prepared.conn.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		st.prepared.stmts[query] = p
	}
	if st.bound == nil {
		st.bound = map[string]*sql.Stmt{}
	}
	b := st.tx.StmtContext(ctx, p)
	st.bound[query] = b
	return b, nil
}

func (st *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st.prepared == nil {
		return st.tx.ExecContext(ctx, query, args...)
	}
	s, err := st.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (st *txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st.prepared == nil {
		return st.tx.QueryRowContext(ctx, query, args...)
	}
	s, err := st.stmt(ctx, query)
	if err != nil {
		// Let the query fail the usual way, with the prepare error.
		return st.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (st *txStmts) insertFrame(ctx context.Context, m *protocols.Message, rec *Receipt) (int64, error) {
	status := rec.Status
	if status == "" {
		status = StatusAccepted
	}
	reason := ""
	if status == StatusRejected {
		reason = rec.Reason.String()
	}
	var devs []string
	for _, d := range m.Deviations {
		devs = append(devs, d.String())
	}
	received := rec.ReceivedAt.UnixNano()
	res, err := st.frame.ExecContext(ctx,
		received, rec.Receiver, rec.Line, rec.Listener, rec.Transport, rec.RemoteAddr,
		rec.Protocol, m.Kind, boolInt(m.Encrypted), m.Account, m.Receiver, m.Line, m.Sequence,
		nullTime(m.Timestamp), status, reason, strings.Join(devs, ","), rec.DedupeKey, rec.Detail,
		rec.Raw)
	if err != nil {
		return 0, err
	}
	frameID, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, acct := range rec.UnknownAccounts {
		detail, err := json.Marshal(map[string]any{"frame_id": frameID, "listener": rec.Listener, "remote_addr": rec.RemoteAddr})
		if err != nil {
			return 0, err
		}
		if _, err := st.event.ExecContext(ctx, received, EventUnknownAccount, rec.Receiver, acct, string(detail)); err != nil {
			return 0, err
		}
		if err := st.openUnknownIncident(ctx, rec, acct); err != nil {
			return 0, err
		}
	}
	if rec.Trouble != nil {
		if err := st.raiseTrouble(ctx, rec, frameID); err != nil {
			return 0, err
		}
	}
	if status != StatusAccepted {
		return frameID, nil
	}
	if rec.IdempotencyKey != "" {
		if _, err := st.exec(ctx, `INSERT INTO message_ids (key, frame_id, at) VALUES (?,?,?)`,
			rec.IdempotencyKey, frameID, received); err != nil {
			return 0, err
		}
	}
	for i := range m.Events {
		e := &m.Events[i]
		mods := ""
		if len(e.Modifiers) > 0 {
			b, err := json.Marshal(e.Modifiers)
			if err != nil {
				return 0, err
			}
			mods = string(b)
		}
		account := e.Account
		if account == "" {
			account = m.Account
		}
		var res Resolution
		if i < len(rec.Resolutions) {
			res = rec.Resolutions[i]
		}
		resolution := ResolutionUnknown
		if res.Known() {
			resolution = ResolutionResolved
		}
		h := rec.handling(i, e)
		sres, err := st.signal.ExecContext(ctx,
			frameID, i, received, rec.Receiver, account, e.Format, e.Code, e.Qualifier.String(),
			e.Partition, e.Zone, e.User, e.Address, e.AddressKind.String(), boolInt(e.Known),
			e.Description, e.Category.String(), h.Priority, e.Text, mods,
			nullTime(e.PanelTime), nullID(res.AccountID), nullID(res.SiteID), resolution,
			boolInt(res.OnTestID != 0), nullID(res.OnTestID), h.Mode, res.AccountID, res.Zone)
		if err != nil {
			return 0, err
		}
		signalID, err := sres.LastInsertId()
		if err != nil {
			return 0, err
		}
		if err := st.queueSignal(ctx, signalID, rec, e, account, res, h); err != nil {
			return 0, err
		}
		if err := st.queueOutbox(ctx, st.outbox, signalID, received, e, res.OnTestID != 0); err != nil {
			return 0, err
		}
	}
	return frameID, nil
}

// What a signal's account resolved to.
const (
	ResolutionResolved = "resolved" // found at receipt
	ResolutionUnknown  = "unknown"  // no such account on the receiver (yet)
	ResolutionClaimed  = "claimed"  // attached later, when the account was added
)

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func (s *Store) markHealthy() {
	if !s.healthy.Swap(true) {
		s.log.Info("store recovered: commits succeed again")
	}
	s.m.up.Set(1)
}

func (s *Store) markUnhealthy(err error) {
	why := err.Error()
	s.lastErr.Store(&why)
	if s.healthy.Swap(false) {
		s.log.Error("store commit failed: acknowledgements stop until it recovers", zap.Error(err))
	}
	s.m.up.Set(0)
}
