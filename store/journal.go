package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/queue"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// The journal is what a frame's acknowledgement waits for [design.md §2
// rule 5]: Commit writes one entry per frame (the frame as received, its
// decoded events, what they resolved to at receipt), group-committed by
// the journal's own writer in a database of its own (JournalFileName,
// beside the store's), and returns. The projection then builds, from the
// entries and in transactions of its own on the store's writer
// (engine.Projector), the frames row, its signals, incidents, station
// events and outbox rows, and records the last entry it projected in the
// same transaction (the projection table): a crash at any point leaves
// each entry projected or not, never both and never neither. The two
// writers run side by side, so acknowledging a frame never waits for a
// projection. The journal forgets what is projected as it writes the next
// entries. Reads that must see every frame acknowledged before them (the
// API, the idempotency check) wait for the projection first (Settle); it
// is a few milliseconds behind the ACK.

// JournalFileName is the journal's database in the data directory.
const JournalFileName = "journal.db"

// The journal's statements, prepared on the journal writer's connection,
// and the projection's.
const (
	insertJournalSQL = `INSERT INTO journal (id, entry) VALUES (?, ?)`
	// PostgreSQL's journal is a table of the database the nodes share: an
	// entry also says which node committed it, and when. Its ids come from
	// the database's sequence, so that no two nodes give one twice.
	// A batch's statements each take the whole batch (arrays), so that a
	// batch costs a few round trips to the database, not a few a frame.
	insertJournalNodeSQL = `INSERT INTO journal (id, entry, node, committed_at)
		SELECT i, e, ?, ? FROM unnest(?::bigint[], ?::bytea[]) AS t(i, e)`
	nextJournalIDsSQL = `SELECT nextval('journal_id_seq') FROM generate_series(1, ?)`
	// A key is taken by the first frame to commit it, or by one that
	// comes after its holder's window ended; a key not returned is
	// another frame's: its frame is a duplicate.
	takeDedupeKeysSQL = `INSERT INTO dedupe_keys (key, frame_id, at) SELECT k, f, ? FROM unnest(?::text[], ?::bigint[]) AS t(k, f)
		ON CONFLICT (key) DO UPDATE SET frame_id = excluded.frame_id, at = excluded.at WHERE dedupe_keys.at < ?
		RETURNING key`
	dedupeKeyHoldersSQL = `SELECT key, frame_id FROM dedupe_keys WHERE key = ANY(?)`
	// The keys a duplicate took before its other key was found taken.
	dropDedupeKeysSQL = `DELETE FROM dedupe_keys d USING unnest(?::text[], ?::bigint[]) AS t(k, f)
		WHERE d.key = t.k AND d.frame_id = t.f`
	// On PostgreSQL, every node's projection reads the entries of all
	// nodes, one projection at a time across them (the advisory lock,
	// released with the transaction; a node that finds it taken leaves its
	// entries to the node projecting), and deletes what it projected in
	// the same transaction: a node that died leaves its entries to the
	// next projection of any other, and outbox ids keep one order.
	lockProjectionSQL   = `SELECT pg_try_advisory_xact_lock(7217001)`
	selectJournalAllSQL = `SELECT id, entry FROM journal WHERE id > ? ORDER BY id LIMIT ?`
	deleteJournalSQL    = `DELETE FROM journal WHERE id = ANY(?)`
	// What a node must project: its own entries, and the others' that
	// waited past orphanAfter (their node died, or is cut off).
	journalRemainingSQL = `SELECT count(*) FILTER (WHERE node = ? OR committed_at < ?),
		coalesce(min(id) FILTER (WHERE node = ?), 0),
		coalesce(min(committed_at) FILTER (WHERE node = ? OR committed_at < ?), 0) FROM journal`
	orphanedJournalSQL = `SELECT count(*), coalesce(min(committed_at), 0) FROM journal WHERE committed_at < ?`
	// Keys past the dedupe window go a bounded number at a time, off the
	// acknowledgement path (pollShared).
	pruneDedupeKeysSQL = `WITH d AS (DELETE FROM dedupe_keys WHERE key IN
		(SELECT key FROM dedupe_keys WHERE at < ? ORDER BY at LIMIT 500) RETURNING 1) SELECT count(*) FROM d`
	trimJournalSQL   = `DELETE FROM journal WHERE id <= ?`
	selectJournalSQL = `SELECT id, entry FROM journal WHERE id > ? ORDER BY id LIMIT ?`
	cursorSQL        = `UPDATE projection SET cursor = ? WHERE id = 1`
)

// trimEvery is how many projected entries the journal lets gather before
// its next batch deletes them.
const trimEvery = 256

// sharedPoll is how often a node on PostgreSQL looks for entries other
// nodes committed and left unprojected (a node that died); orphanAfter is
// how long an entry waits before a node other than its own takes it as
// its own to project: a live node projects its entries within
// milliseconds, and any node's projection takes every node's entries.
const (
	sharedPoll  = time.Second
	orphanAfter = 2 * time.Second
)

// journalChunk is how many entries the projection reads at a time.
const journalChunk = 64

// journal is the projection's state. next, batchLast and trimmed are the
// journal writer's; reached, poison and sites the store writer's; marks
// is shared under mu; the atomics are read by Settle, the gauges and the
// scrapes.
type journal struct {
	next int64 // the id the next entry gets
	// batchLast is the last id of the batch being written, trimmed the
	// last id the journal deleted (trimming marks the one its batch
	// deletes).
	batchLast, trimmed, trimming int64
	marksMu                      sync.Mutex
	marks                        []batchMark // committed batches not yet projected, oldest first
	// reached is the last id the running projection projected.
	reached int64
	// poison is an entry whose projection failed on its own (not the
	// storage): it is projected as a frame alone, so that it cannot hold
	// the journal back. narrow is the last entry of a group whose
	// projection failed without saying which entry failed: the entries up
	// to it are projected one at a time, which finds the poison.
	poison, narrow int64
	// sites are the sites the running projection's signals resolved to.
	sites []int64

	// hurry asks the store's writer to project now, whatever the delay:
	// a reader waits for it (Settle).
	hurry     atomic.Bool
	backlog   atomic.Int64
	committed atomic.Int64 // last id committed
	projected atomic.Int64 // last id projected

	mu      sync.Mutex
	changed chan struct{} // closed at each projection
	wake    chan struct{} // tells the store's writer of new entries

	// On PostgreSQL (shared): batchN is how many entries the batch being
	// written holds (the others were duplicates); left is what the last
	// projection left in the journal
	// of every node; foreignAt is when the oldest entry not this node's
	// own was committed, while the backlog holds some.
	shared    bool
	batchN    int
	left      journalLeft
	foreignAt atomic.Int64
	pollDone  chan struct{}
}

// journalLeft is what a projection on PostgreSQL left in the journal for
// this node to project (its own entries and the orphaned ones of others),
// the oldest of its own (0: none), when the oldest of those to project
// was committed, and this node's last committed id when it looked.
type journalLeft struct {
	total, ownMin, oldestAt, committed int64
}

// remaining reads what is left in the journal for this node (journalLeft).
func (b *frameBatcher) remaining(ctx context.Context, tx *engine.Tx, committed int64) (journalLeft, error) {
	left := journalLeft{committed: committed}
	node, orphaned := b.s.opts.NodeID, time.Now().Add(-orphanAfter).UnixNano()
	err := tx.QueryRowContext(ctx, journalRemainingSQL, node, orphaned, node, node, orphaned).Scan(&left.total, &left.ownMin, &left.oldestAt)
	return left, err
}

type batchMark struct {
	last int64
	at   time.Time
	n    int64 // entries (PostgreSQL: this node's, duplicates left out)
}

// loadJournal reads where the journal stands at open, before either
// writer starts, and forgets the entries projected already: entries a
// crash left are projected first thing.
func (s *Store) loadJournal(ctx context.Context) error {
	if s.opts.Driver == DriverPostgres {
		return s.loadSharedJournal(ctx)
	}
	var cursor, fmax, jmax, count int64
	err := s.db.Setup().QueryRowContext(ctx, `SELECT cursor FROM projection WHERE id = 1`).Scan(&cursor)
	if err == nil {
		err = s.db.Setup().QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM frames`).Scan(&fmax)
	}
	if err != nil {
		// These are the first reads of the database's tables: with the
		// integrity check after the start, a damaged file shows here.
		return fmt.Errorf("store: journal: %w", s.db.Damaged(err))
	}
	_, err = s.jdb.Setup().ExecContext(ctx, trimJournalSQL, cursor)
	if err == nil {
		err = s.jdb.Setup().QueryRowContext(ctx, `SELECT coalesce(max(id), 0), count(*) FROM journal`).Scan(&jmax, &count)
	}
	if err != nil {
		return fmt.Errorf("store: journal: %w", s.jdb.Damaged(err))
	}
	j := &s.jr
	j.changed, j.wake = make(chan struct{}), make(chan struct{}, 1)
	j.next = max(jmax, fmax, cursor) + 1
	j.trimmed = cursor
	j.committed.Store(j.next - 1)
	j.projected.Store(cursor)
	if count > 0 {
		j.committed.Store(jmax)
		j.backlog.Store(count)
		// Committed before this start: due at once.
		j.marks = append(j.marks, batchMark{last: jmax, at: time.Unix(0, 1)})
		s.log.Info("projecting the journal entries left by the last run", zap.Int64("entries", count))
	}
	return nil
}

// loadSharedJournal reads where PostgreSQL's journal stands at open: what
// it holds is unprojected, of this node or another, and the next
// projection of any node takes it.
func (s *Store) loadSharedJournal(ctx context.Context) error {
	var count, ownMax int64
	err := s.db.Setup().QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM journal WHERE node = ?`,
		s.opts.NodeID).Scan(&count, &ownMax)
	if err != nil {
		return fmt.Errorf("store: journal: %w", err)
	}
	j := &s.jr
	j.shared = true
	j.changed, j.wake, j.pollDone = make(chan struct{}), make(chan struct{}, 1), make(chan struct{})
	j.committed.Store(ownMax)
	if count > 0 {
		// This node's, committed before this start: due at once. Other
		// nodes' entries are theirs to project, or anyone's once orphaned
		// (pollShared).
		j.backlog.Store(count)
		j.marks = append(j.marks, batchMark{last: ownMax, at: time.Unix(0, 1)})
		s.log.Info("projecting the journal entries this node left at its last run", zap.Int64("entries", count))
	}
	return nil
}

// pollShared looks, every sharedPoll until the store closes, for entries
// that other nodes committed and nobody projected yet, and gives them to
// this node's writer: a node that died leaves its acknowledged frames to
// the others. It reads on the journal's pool, not the store writer's.
func (s *Store) pollShared() {
	j := &s.jr
	defer close(j.pollDone)
	t := time.NewTicker(sharedPoll)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), sharedPoll)
		// The keys past the dedupe window, in steps of 500, up to 10,000 a
		// second: more than the frames a database takes.
		cutoff := time.Now().Add(-s.opts.DedupeWindow).UnixNano()
		for range 20 {
			var n int
			if err := s.jdb.Read().QueryRowContext(ctx, pruneDedupeKeysSQL, cutoff).Scan(&n); err != nil || n < 500 {
				break
			}
		}
		cancel()
		if j.backlog.Load() > 0 {
			continue // this node's writer projects already, all nodes' entries
		}
		ctx, cancel = context.WithTimeout(context.Background(), sharedPoll)
		var count, oldest int64
		err := s.jdb.Read().QueryRowContext(ctx, orphanedJournalSQL, time.Now().Add(-orphanAfter).UnixNano()).Scan(&count, &oldest)
		cancel()
		if err != nil || count == 0 {
			continue
		}
		j.foreignAt.Store(max(oldest, 1))
		j.backlog.CompareAndSwap(0, count)
		j.poke()
	}
}

func (j *journal) registerMetrics(reg prometheus.Registerer, now func() time.Time) {
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_store_projection_backlog",
		Help: "Acknowledged frames whose signals, incidents and outbox rows are not built yet.",
	}, func() float64 { return float64(j.backlog.Load()) })
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_store_projection_lag_seconds",
		Help: "Age of the oldest acknowledged frame not projected yet; 0 when the projection is caught up.",
	}, func() float64 { return j.lag(now()).Seconds() })
}

// lag is the age of the oldest waiting entry.
func (j *journal) lag(now time.Time) time.Duration {
	j.marksMu.Lock()
	defer j.marksMu.Unlock()
	// This node's own entries: what it acknowledged. (Another node's
	// lagging projection makes that node unready, not this one.)
	if len(j.marks) == 0 {
		return 0
	}
	return max(0, now.Sub(j.marks[0].at))
}

// oldest is when the oldest waiting entry was committed: this node's
// oldest batch, or on PostgreSQL another node's entry when that is older
// or this node has none waiting (its projection is due then). It is called
// with marksMu held.
func (j *journal) oldest() (time.Time, bool) {
	var at time.Time
	ok := len(j.marks) > 0
	if ok {
		at = j.marks[0].at
	}
	if f := j.foreignAt.Load(); f != 0 && j.backlog.Load() > 0 && (!ok || time.Unix(0, f).Before(at)) {
		at, ok = time.Unix(0, f), true
	}
	return at, ok
}

// room waits until the backlog is under max, or closing is closed.
func (j *journal) room(max int64, closing <-chan struct{}) error {
	if !j.await(func() bool { return j.backlog.Load() < max }, closing) {
		return errors.New("store: closing with the projection's backlog full")
	}
	return nil
}

// await waits, projection after projection, until ok holds (true) or stop
// is closed (false).
func (j *journal) await(ok func() bool, stop <-chan struct{}) bool {
	for {
		j.mu.Lock()
		ch := j.changed
		j.mu.Unlock()
		if ok() {
			return true
		}
		select {
		case <-ch:
		case <-stop:
			return false
		}
	}
}

// poke wakes the store's writer to look at the backlog.
func (j *journal) poke() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

func (j *journal) notify() {
	j.mu.Lock()
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// Settle waits until every frame whose Commit returned before the call is
// projected, so that a read after it sees them; it returns ctx's error if
// ctx ends first (the projection fails while the storage does).
func (s *Store) Settle(ctx context.Context) error {
	j := &s.jr
	target := j.committed.Load()
	if j.projected.Load() < target {
		j.hurry.Store(true)
		j.poke()
	}
	if !j.await(func() bool { return j.projected.Load() >= target }, ctx.Done()) {
		return fmt.Errorf("store: projection behind: %w", context.Cause(ctx))
	}
	return nil
}

// readBarrierWait bounds a read's wait for the projection: past it the
// read shows what is there (the projection fails while the storage does).
const readBarrierWait = 2 * time.Second

// readBarrier is the engine readers' wait for the projection (Settle, at
// most readBarrierWait); a read with nothing to wait for costs two atomic
// loads.
func (s *Store) readBarrier(ctx context.Context) {
	if s.jr.projected.Load() >= s.jr.committed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, readBarrierWait)
	_ = s.Settle(ctx)
	cancel()
}

// ProjectionLag is the age of the oldest acknowledged frame not projected
// yet (0 when caught up).
func (s *Store) ProjectionLag() time.Duration { return s.jr.lag(s.opts.Now()) }

// Backlog is the projection backlog, for the writer (engine.Projector).
func (b *frameBatcher) Backlog() (int, time.Time) {
	j := &b.s.jr
	j.marksMu.Lock()
	defer j.marksMu.Unlock()
	oldest, ok := j.oldest()
	if !ok {
		return 0, time.Time{}
	}
	// Due now: a reader waits, or a failed projection is being narrowed
	// down to its entry (narrow is the writer's own, and so is this
	// call).
	if j.hurry.Load() || j.narrow != 0 {
		return max(1, int(j.backlog.Load())), time.Unix(0, 1)
	}
	return int(j.backlog.Load()), oldest
}

// Wake is signalled at each journal commit (engine.Projector).
func (b *frameBatcher) Wake() <-chan struct{} { return b.s.jr.wake }

// projectionError is the failure of one entry's projection, or, group
// set, of a group of entries ending at id, which one not known.
type projectionError struct {
	id    int64
	err   error
	group bool
}

func (e *projectionError) Error() string {
	if e.group {
		return fmt.Sprintf("store: projecting the journal entries up to %d: %v", e.id, e.err)
	}
	return fmt.Sprintf("store: projecting journal entry %d: %v", e.id, e.err)
}

func (e *projectionError) Unwrap() error { return e.err }

// Project builds the frames, signals, incidents and outbox rows of the
// waiting entries and deletes the entries, in tx (engine.Projector).
func (b *frameBatcher) Project(ctx context.Context, tx *engine.Tx, more func(int) bool) (int, error) {
	j := &b.s.jr
	st, err := b.begin(ctx, tx)
	if err != nil {
		return 0, err
	}
	if j.shared {
		return b.projectShared(ctx, tx, st, more)
	}
	j.sites = j.sites[:0]
	// The journal's entries are read from its own database: what is
	// committed there is what was acknowledged.
	done, last, err := b.projectChunks(ctx, st, more, j.projected.Load(), false, func(last int64) (*sql.Rows, error) {
		return b.s.jdb.Read().QueryContext(ctx, selectJournalSQL, last, journalChunk)
	})
	if err != nil {
		return 0, err
	}
	if err := b.finish(ctx, st); err != nil {
		return 0, finishError(done, last, err)
	}
	if done > 0 {
		if _, err := tx.ExecContext(ctx, cursorSQL, last); err != nil {
			return 0, err
		}
	}
	j.reached = last
	return done, nil
}

// projectChunks projects the entries after last that read gives, a chunk
// at a time, as long as more says so, and returns how many it projected
// and the last one's id; shared keeps their ids in b.ids (PostgreSQL: the
// projection deletes them).
func (b *frameBatcher) projectChunks(ctx context.Context, st *txStmts, more func(int) bool, last int64, shared bool,
	read func(last int64) (*sql.Rows, error)) (done int, _ int64, err error) {
	for more(done) {
		rows, err := read(last)
		if err != nil {
			return 0, 0, err
		}
		b.chunk, err = core.AppendRows(b.chunk[:0], rows, func(sc core.RowScanner) (journalRow, error) {
			var r journalRow
			return r, sc.Scan(&r.id, &r.entry)
		})
		if err != nil {
			return 0, 0, err
		}
		if len(b.chunk) == 0 {
			b.s.jr.narrow = 0 // the entries it named are gone (another node's projection took them)
			break
		}
		// The entries this chunk gives the projection: the first, which
		// the loop's more allowed (asked again, more may say no by now:
		// commits came while the chunk was read), then as many as more
		// allows, and one at a time up to an entry whose group failed.
		take := 1
		for take < len(b.chunk) && b.chunk[take-1].id > b.s.jr.narrow && more(done+take) {
			take++
		}
		group := b.group[:0]
		for _, r := range b.chunk[:take] {
			en, err := b.decode(r)
			if err != nil {
				return 0, 0, &projectionError{id: r.id, err: err}
			}
			group = append(group, en)
		}
		b.group = group
		if err := b.projectGroup(ctx, st, group); err != nil {
			return 0, 0, err
		}
		if shared {
			for _, r := range b.chunk[:take] {
				b.ids = append(b.ids, r.id)
			}
		}
		last = b.chunk[take-1].id
		done += take
		narrowing := last <= b.s.jr.narrow
		if last >= b.s.jr.narrow {
			b.s.jr.narrow = 0 // past the group that failed
		}
		if narrowing || take < len(b.chunk) {
			// More said no; or, narrowing, one entry a transaction, so
			// that a failure of the transaction's end (finish) is that
			// entry's too.
			return done, last, nil
		}
	}
	return done, last, nil
}

// runawayPruneEvery is how much receipt time passes between two prunes
// of the runaway detector's idle rows, while each prune deletes fewer
// than a batch.
const runawayPruneEvery = 10 * time.Second

// finishError is a failure of finish in a projection of done entries up
// to last: the entry's when it is one, else theirs (group), which the
// next projections narrow down an entry a transaction.
func finishError(done int, last int64, err error) error {
	if done == 0 {
		return err
	}
	return &projectionError{id: last, err: err, group: done > 1}
}

// finish writes what the projection's signals changed on the queue, then,
// when it is due, prunes the runaway detector's idle rows: by the
// latest receipt projected, not the clock, so that a projection that
// lags does not forget a runaway its backlog still holds.
func (b *frameBatcher) finish(ctx context.Context, st *txStmts) error {
	if err := b.q.Flush(ctx); err != nil {
		return err
	}
	if st.latest == 0 || st.latest < b.pruneAt {
		return nil
	}
	n, err := b.q.PruneRunaways(ctx, st.latest, st.runaway)
	if err != nil {
		return err
	}
	if n < queue.PruneBatch {
		b.pruneAt = st.latest + runawayPruneEvery.Nanoseconds()
	}
	return nil
}

type journalRow struct {
	id    int64
	entry []byte
}

// projectShared is Project on PostgreSQL: the entries of every node, one
// projection at a time across the nodes, deleted as they are projected.
func (b *frameBatcher) projectShared(ctx context.Context, tx *engine.Tx, st *txStmts, more func(int) bool) (int, error) {
	j := &b.s.jr
	// What this node committed before the journal is read: if none of
	// its entries is left after, all of those are projected.
	committed := j.committed.Load()
	var locked bool
	if err := tx.QueryRowContext(ctx, lockProjectionSQL).Scan(&locked); err != nil {
		return 0, err
	}
	if !locked {
		// Another node is projecting, this node's entries with its own:
		// what it leaves says how far they are.
		left, err := b.remaining(ctx, tx, committed)
		if err != nil {
			return 0, err
		}
		j.left = left
		return 0, nil
	}
	sel, err := tx.Stmt(ctx, selectJournalAllSQL)
	if err != nil {
		return 0, err
	}
	b.ids = b.ids[:0]
	j.sites = j.sites[:0]
	done, last, err := b.projectChunks(ctx, st, more, 0, true, func(last int64) (*sql.Rows, error) {
		return sel.QueryContext(ctx, last, journalChunk)
	})
	if err != nil {
		return 0, err
	}
	if err := b.finish(ctx, st); err != nil {
		return 0, finishError(done, last, err)
	}
	if len(b.ids) > 0 {
		if _, err := tx.ExecContext(ctx, deleteJournalSQL, b.ids); err != nil {
			return 0, err
		}
	}
	left, err := b.remaining(ctx, tx, committed)
	if err != nil {
		return 0, err
	}
	j.left = left
	return done, nil
}

// Projected publishes what a projection changed once it committed: the
// incidents to the consoles, the outbox rows to their outputs, the
// signals to their sites' live views (engine.Projector).
func (b *frameBatcher) Projected(n int, err error) {
	j := &b.s.jr
	if m := b.runawayMemory; m != nil {
		if err != nil {
			m.Discard()
		} else {
			m.Commit()
		}
	}
	if err != nil {
		b.q.Reset(nil)
		clear(b.queued)
		var pe *projectionError
		switch {
		case errors.As(err, &pe) && !b.s.db.IsStorageFailure(err) && pe.group:
			j.narrow = pe.id
			b.s.log.Warn("projection failed on a group of journal entries; they are projected one at a time to find the one that fails",
				zap.Int64("up_to_frame_id", pe.id), zap.Error(err))
		case errors.As(err, &pe) && !b.s.db.IsStorageFailure(err):
			j.poison = pe.id
			b.s.log.Error("projection failed on one journal entry; it is stored as a frame alone", zap.Int64("frame_id", pe.id), zap.Error(err))
		default:
			b.s.log.Warn("projection failed; retrying", zap.Error(err))
		}
		return
	}
	if j.shared {
		// What is left says how far this node's own entries are
		// projected, by this node or another, and what waits of all.
		l := j.left
		reached := l.committed
		if l.ownMin != 0 {
			reached = l.ownMin - 1
		}
		j.reached = max(j.projected.Load(), reached)
		// What waits: what the projection left, and what this node
		// committed since it looked (a batch that committed meanwhile).
		j.marksMu.Lock()
		since := int64(0)
		for _, m := range j.marks {
			if m.last > l.committed {
				since += m.n
			}
		}
		// (The count read after them may hold them already: the larger
		// of the two, never a backlog of none while some wait.)
		j.backlog.Store(max(l.total, since))
		j.marksMu.Unlock()
		j.foreignAt.Store(l.oldestAt)
	} else {
		j.backlog.Add(-int64(n))
	}
	j.projected.Store(j.reached)
	j.hurry.Store(false)
	j.marksMu.Lock()
	drop := 0
	for drop < len(j.marks) && j.marks[drop].last <= j.reached {
		drop++
	}
	j.marks = append(j.marks[:0], j.marks[drop:]...)
	j.marksMu.Unlock()
	if j.poison != 0 && j.poison <= j.reached {
		j.poison = 0
	}

	b.s.gauges.committedOne()
	j.notify()
	b.s.m.runaways.Add(float64(b.runaways))
	for _, e := range b.q.Touched {
		b.s.queue.publish(e)
	}
	if wake := b.s.opts.OutboxQueued; wake != nil {
		for i, q := range b.queued {
			if q {
				wake(b.outbox[i].Name)
				b.queued[i] = false
			}
		}
	}
	b.q.Reset(nil)
	for _, site := range j.sites {
		b.s.sites.publish(SiteEvent{SiteID: site, Kind: "signal"})
	}
}

// journalBatcher writes the journal writer's batches: each frame's entry,
// and, every trimEvery projected entries, the deletion of those.
type journalBatcher struct {
	s     *Store
	entry []byte // the buffer entries are encoded in
	// PostgreSQL's batch, reused from one to the next.
	keys    batchKeys
	arena   []byte   // the batch's entries, one after the other
	offs    []int    // where each starts in arena
	entries [][]byte // arena cut into them
	written []int64  // their ids
}

// batchKeys are the dedupe and idempotency keys of one batch.
type batchKeys struct {
	first  map[string]int // key → the batch's first frame (index) with it
	sameAs map[int]int    // frame → the earlier frame of the batch it duplicates
	keys   []string       // the keys to take, and the frame ids taking them
	frames []int64
	taken  []string // those the database gave
}

func (k *batchKeys) reset() {
	if k.first == nil {
		k.first, k.sameAs = map[string]int{}, map[int]int{}
	}
	clear(k.first)
	clear(k.sameAs)
	k.keys, k.frames, k.taken = k.keys[:0], k.frames[:0], k.taken[:0]
}

// The kinds of keys in dedupe_keys, by their prefix.
const (
	dedupeKeyPrefix  = "dedupe:"  // a frame's dedupe key
	messageKeyPrefix = "message:" // an XML message's idempotency key
)

// frameKeys are the keys a frame takes, in the order they are checked:
// its dedupe key (an accepted frame's), then its idempotency key; "" for
// none.
func frameKeys(rec *Receipt) [2]string {
	var keys [2]string
	if rec.DedupeKey != "" && (rec.Status == "" || rec.Status == StatusAccepted) {
		keys[0] = dedupeKeyPrefix + storableKey(rec.DedupeKey)
	}
	if rec.IdempotencyKey != "" {
		keys[1] = messageKeyPrefix + storableKey(rec.IdempotencyKey)
	}
	return keys
}

func (b *journalBatcher) Statements() []string {
	if b.s.opts.Driver == DriverPostgres {
		return []string{insertJournalNodeSQL, nextJournalIDsSQL, takeDedupeKeysSQL, dedupeKeyHoldersSQL, dropDedupeKeysSQL}
	}
	return []string{insertJournalSQL, trimJournalSQL}
}

// BeforeBatch waits, before the batch's transaction opens, while the
// projection's backlog is at store.projection_backlog_max: the frames
// wait, and the sessions behind them stop reading (backpressure), instead
// of the backlog growing.
func (b *journalBatcher) BeforeBatch() error {
	return b.s.jr.room(int64(b.s.opts.ProjectionBacklogMax), b.s.closing)
}

// WriteBatch writes each frame's entry; the ids are the frames'.
func (b *journalBatcher) WriteBatch(ctx context.Context, tx *engine.Tx, items []any, ids []int64) error {
	j := &b.s.jr
	if j.shared {
		return b.writeShared(ctx, tx, items, ids)
	}
	ins, err := tx.Stmt(ctx, insertJournalSQL)
	if err != nil {
		return err
	}
	id := j.next
	for i, it := range items {
		c := it.(*commitItem)
		b.entry = encodeEntry(b.entry, c.msg, &c.rec)
		if _, err := ins.ExecContext(ctx, id, b.entry); err != nil {
			return err
		}
		ids[i] = id
		id++
	}
	j.batchLast = id - 1
	j.trimming = j.trimmed
	if p := j.projected.Load(); p-j.trimmed >= trimEvery {
		if _, err := tx.ExecContext(ctx, trimJournalSQL, p); err != nil {
			return err
		}
		j.trimming = p
	}
	return nil
}

// writeShared is WriteBatch on PostgreSQL: the ids are the database's
// sequence's, and a frame whose dedupe or idempotency key another frame
// holds (of this node or another, committed or committing, or earlier in
// this batch) is not written: it is that frame's duplicate. Whatever the
// batch's size, it takes four statements, five with a duplicate.
func (b *journalBatcher) writeShared(ctx context.Context, tx *engine.Tx, items []any, ids []int64) error {
	j := &b.s.jr
	rows, err := tx.QueryContext(ctx, nextJournalIDsSQL, len(items))
	if err != nil {
		return err
	}
	seq, err := core.AppendRows(make([]int64, 0, len(items)), rows, func(sc core.RowScanner) (int64, error) {
		var id int64
		err := sc.Scan(&id)
		return id, err
	})
	if err != nil {
		return err
	}
	if len(seq) != len(items) {
		return fmt.Errorf("store: journal: %d ids for %d entries", len(seq), len(items))
	}
	slices.Sort(seq)
	now := time.Now().UnixNano()
	cutoff := now - b.s.opts.DedupeWindow.Nanoseconds()

	// The batch's own duplicates first: a frame whose key an earlier frame
	// of the batch has is that frame's; the others' keys are taken
	// together.
	k := &b.keys
	k.reset()
	for i, it := range items {
		c := it.(*commitItem)
		c.duplicateOf = 0
		ids[i] = seq[i]
		keys := frameKeys(&c.rec)
		holder := -1
		for _, key := range keys {
			if h, ok := k.first[key]; ok && key != "" {
				holder = h
				break
			}
		}
		if holder >= 0 {
			k.sameAs[i] = holder
			continue
		}
		for _, key := range keys {
			if key != "" {
				k.first[key] = i
				k.keys, k.frames = append(k.keys, key), append(k.frames, seq[i])
			}
		}
	}
	if len(k.keys) > 0 {
		rows, err := tx.QueryContext(ctx, takeDedupeKeysSQL, now, k.keys, k.frames, cutoff)
		if err != nil {
			return err
		}
		taken, err := core.AppendRows(k.taken[:0], rows, func(sc core.RowScanner) (string, error) {
			var key string
			err := sc.Scan(&key)
			return key, err
		})
		if err != nil {
			return err
		}
		k.taken = taken
		if len(taken) < len(k.keys) {
			if err := b.holdersOf(ctx, tx, items, ids, seq); err != nil {
				return err
			}
		}
	}
	// The entries go in one buffer, cut into one slice each once all are
	// encoded (the buffer may move while it grows).
	last, arena, offs, written := j.committed.Load(), b.arena[:0], b.offs[:0], b.written[:0]
	for i, it := range items {
		c := it.(*commitItem)
		if h, ok := k.sameAs[i]; ok {
			c.duplicateOf = ids[h] // the earlier frame's id, or the frame that one duplicates
			ids[i] = c.duplicateOf
			continue
		}
		if c.duplicateOf != 0 {
			continue
		}
		b.entry = encodeEntry(b.entry, c.msg, &c.rec)
		offs = append(offs, len(arena))
		arena = append(arena, b.entry...)
		written, last = append(written, ids[i]), ids[i]
	}
	entries := b.entries[:0]
	for n, off := range offs {
		end := len(arena)
		if n+1 < len(offs) {
			end = offs[n+1]
		}
		entries = append(entries, arena[off:end:end])
	}
	b.arena, b.offs, b.written, b.entries = arena, offs, written, entries
	if len(written) > 0 {
		if _, err := tx.ExecContext(ctx, insertJournalNodeSQL, b.s.opts.NodeID, now, written, entries); err != nil {
			return err
		}
	}
	j.batchLast, j.batchN = last, len(written)
	return nil
}

// holdersOf finds, for each frame of the batch that did not get every key
// it asked for, the frame holding the first of them: it is that frame's
// duplicate (duplicateOf, and its id), and the keys it did get are given
// back, as if it had never come.
func (b *journalBatcher) holdersOf(ctx context.Context, tx *engine.Tx, items []any, ids, seq []int64) error {
	k := &b.keys
	got := make(map[string]bool, len(k.taken))
	for _, key := range k.taken {
		got[key] = true
	}
	var missing []string
	for _, key := range k.keys {
		if !got[key] {
			missing = append(missing, key)
		}
	}
	rows, err := tx.QueryContext(ctx, dedupeKeyHoldersSQL, missing)
	if err != nil {
		return err
	}
	type held struct {
		key   string
		frame int64
	}
	found, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (held, error) {
		var h held
		err := sc.Scan(&h.key, &h.frame)
		return h, err
	})
	if err != nil {
		return err
	}
	holders := make(map[string]int64, len(found))
	for _, h := range found {
		holders[h.key] = h.frame
	}
	var dropKeys []string
	var dropFrames []int64
	for i, it := range items {
		c := it.(*commitItem)
		if _, ok := k.sameAs[i]; ok {
			continue
		}
		keys := frameKeys(&c.rec)
		for _, key := range keys {
			if key == "" || got[key] {
				continue
			}
			holder, ok := holders[key]
			if !ok {
				// Given back by another node between the two statements:
				// the batch is written again, frame by frame.
				return fmt.Errorf("store: journal: the holder of a dedupe key went meanwhile")
			}
			c.duplicateOf, ids[i] = holder, holder
			for _, mine := range keys {
				if mine != "" && got[mine] {
					dropKeys, dropFrames = append(dropKeys, mine), append(dropFrames, seq[i])
				}
			}
			break
		}
	}
	if len(dropKeys) > 0 {
		if _, err := tx.ExecContext(ctx, dropDedupeKeysSQL, dropKeys, dropFrames); err != nil {
			return err
		}
	}
	return nil
}

// Committed counts what a batch stored, before its callers may read the
// counters, adds its entries to the projection's backlog and wakes the
// store's writer.
func (b *journalBatcher) Committed(items []any) {
	if items == nil {
		return
	}
	j := &b.s.jr
	if j.shared {
		b.committedShared(items)
		return
	}
	for _, it := range items {
		b.s.m.countStored(it.(*commitItem))
	}
	j.next, j.trimmed = j.batchLast+1, j.trimming
	now := time.Now()
	j.marksMu.Lock()
	j.marks = append(j.marks, batchMark{last: j.batchLast, at: now})
	j.backlog.Add(int64(len(items)))
	j.committed.Store(j.batchLast)
	j.marksMu.Unlock()
	j.poke()
}

// committedShared is Committed on PostgreSQL, where a duplicate in the
// batch stored nothing.
func (b *journalBatcher) committedShared(items []any) {
	j := &b.s.jr
	for _, it := range items {
		if c := it.(*commitItem); c.duplicateOf == 0 {
			b.s.m.countStored(c)
		}
	}
	if j.batchN == 0 {
		return
	}
	now := time.Now()
	j.marksMu.Lock()
	j.marks = append(j.marks, batchMark{last: j.batchLast, at: now, n: int64(j.batchN)})
	j.backlog.Add(int64(j.batchN))
	j.committed.Store(j.batchLast)
	j.marksMu.Unlock()
	j.poke()
}

// Released has nothing to do: what a frame changes is published once it
// is projected (frameBatcher.Projected).
func (*journalBatcher) Released([]any) {}
