package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// The journal is what a frame's acknowledgement waits for [design.md §2
// rule 5]: Commit writes one entry per frame (the frame as received, its
// decoded events, what they resolved to at receipt), group-committed, and
// returns. The projection then builds, from the entries and in
// transactions of its own on the writer (sqlite.Projector), the frames
// row, its signals, incidents, station events and outbox rows, and
// deletes the entries it projected in that same transaction: a crash at
// any point leaves each entry in the journal or projected, never both and
// never neither. Reads that must see every frame acknowledged before them
// (the API, the idempotency check) wait for the projection first
// (Settle); it is a few milliseconds behind the ACK.

// The journal's statements, prepared on the writer's connection.
const (
	insertJournalSQL = `INSERT INTO journal (id, entry) VALUES (?, ?)`
	selectJournalSQL = `SELECT id, entry FROM journal WHERE id > ? ORDER BY id LIMIT ?`
	deleteJournalSQL = `DELETE FROM journal WHERE id <= ?`
)

// journalChunk is how many entries the projection reads at a time.
const journalChunk = 64

// journal is the projection's state. The writer alone changes the plain
// fields; the atomics are read by Settle, the gauges and the scrapes.
type journal struct {
	next  int64       // the id the next entry gets
	marks []batchMark // committed batches not yet projected, oldest first
	// batchLast is the last id of the batch being written.
	batchLast int64
	// reached is the last id the running projection projected.
	reached int64
	// poison is an entry whose projection failed on its own (not the
	// storage): it is projected as a frame alone, so that it cannot hold
	// the journal back.
	poison int64
	// sites are the sites the running projection's signals resolved to.
	sites []int64

	backlog   atomic.Int64
	oldest    atomic.Int64 // commit time (Unix ns) of the oldest waiting entry; 0 when none
	committed atomic.Int64 // last id committed
	projected atomic.Int64 // last id projected

	mu      sync.Mutex
	changed chan struct{} // closed at each projection
}

type batchMark struct {
	last int64
	at   time.Time
}

// loadJournal reads where the journal stands at open: entries a crash
// left are projected first thing.
func (s *Store) loadJournal(ctx context.Context) error {
	var jmax, jmin, count, fmax int64
	err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(max(id), 0), coalesce(min(id), 0), count(*) FROM journal`).
		Scan(&jmax, &jmin, &count)
	if err == nil {
		err = s.rdb.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM frames`).Scan(&fmax)
	}
	if err != nil {
		return fmt.Errorf("store: journal: %w", err)
	}
	j := &s.jr
	j.changed = make(chan struct{})
	j.next = max(jmax, fmax) + 1
	j.committed.Store(j.next - 1)
	j.projected.Store(j.next - 1)
	if count > 0 {
		j.projected.Store(jmin - 1)
		j.backlog.Store(count)
		// Committed before this start: due at once.
		j.marks = append(j.marks, batchMark{last: jmax, at: time.Unix(0, 1)})
		j.oldest.Store(1)
		s.log.Info("projecting the journal entries left by the last run", zap.Int64("entries", count))
	}
	return nil
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
	at := j.oldest.Load()
	if at == 0 {
		return 0
	}
	return max(0, now.Sub(time.Unix(0, at)))
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
	for {
		j.mu.Lock()
		ch := j.changed
		j.mu.Unlock()
		if j.projected.Load() >= target {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("store: projection behind: %w", context.Cause(ctx))
		}
	}
}

// ProjectionLag is the age of the oldest acknowledged frame not projected
// yet (0 when caught up).
func (s *Store) ProjectionLag() time.Duration { return s.jr.lag(s.opts.Now()) }

// Backlog is the projection backlog, for the writer (sqlite.Projector).
func (b *frameBatcher) Backlog() (int, time.Time) {
	j := &b.s.jr
	if len(j.marks) == 0 {
		return 0, time.Time{}
	}
	return int(j.backlog.Load()), j.marks[0].at
}

// projectionError is the failure of one entry's projection.
type projectionError struct {
	id  int64
	err error
}

func (e *projectionError) Error() string {
	return fmt.Sprintf("store: projecting journal entry %d: %v", e.id, e.err)
}

func (e *projectionError) Unwrap() error { return e.err }

// Project builds the frames, signals, incidents and outbox rows of the
// waiting entries and deletes the entries, in tx (sqlite.Projector).
func (b *frameBatcher) Project(ctx context.Context, tx *sqlite.Tx, more func(int) bool) (int, error) {
	j := &b.s.jr
	st, err := b.begin(ctx, tx)
	if err != nil {
		return 0, err
	}
	sel, err := tx.Stmt(ctx, selectJournalSQL)
	if err != nil {
		return 0, err
	}
	done, last := 0, j.projected.Load()
	j.sites = j.sites[:0]
fill:
	for more(done) {
		rows, err := sel.QueryContext(ctx, last, journalChunk)
		if err != nil {
			return 0, err
		}
		b.chunk, err = sqlite.AppendRows(b.chunk[:0], rows, func(sc sqlite.RowScanner) (journalRow, error) {
			var r journalRow
			err := sc.Scan(&r.id, &r.entry)
			return r, err
		})
		if err != nil {
			return 0, err
		}
		if len(b.chunk) == 0 {
			break
		}
		for _, r := range b.chunk {
			if done > 0 && !more(done) {
				break fill
			}
			if err := b.projectOne(ctx, st, r); err != nil {
				return 0, &projectionError{id: r.id, err: err}
			}
			last = r.id
			done++
		}
	}
	if err := b.q.Flush(ctx); err != nil {
		return 0, err
	}
	if done > 0 {
		if _, err := tx.ExecContext(ctx, deleteJournalSQL, last); err != nil {
			return 0, err
		}
	}
	j.reached = last
	return done, nil
}

type journalRow struct {
	id    int64
	entry []byte
}

// projectOne builds one entry's rows. The poison entry gets its frame row
// alone (its events and what they would raise are left out, and said).
func (b *frameBatcher) projectOne(ctx context.Context, st *txStmts, r journalRow) error {
	m, rec, err := decodeEntry(r.entry)
	if r.id == b.s.jr.poison {
		b.s.log.Error("journal entry stored as a frame without its signals: its projection failed",
			zap.Int64("frame_id", r.id), zap.NamedError("cause", err))
		if err != nil {
			m, rec = &protocols.Message{}, &Receipt{Status: StatusRejected, Reason: protocols.ReasonUnknown, Raw: r.entry}
		}
		m.Events, rec.UnknownAccounts, rec.Trouble, rec.IdempotencyKey = nil, nil, nil, ""
		err = nil
	}
	if err != nil {
		return err
	}
	if err := st.insertFrame(ctx, r.id, m, rec); err != nil {
		return err
	}
	for _, res := range rec.Resolutions {
		if res.SiteID != 0 && (len(b.s.jr.sites) == 0 || b.s.jr.sites[len(b.s.jr.sites)-1] != res.SiteID) {
			b.s.jr.sites = append(b.s.jr.sites, res.SiteID)
		}
	}
	return nil
}

// Projected publishes what a projection changed once it committed: the
// incidents to the consoles, the outbox rows to their outputs, the
// signals to their sites' live views (sqlite.Projector).
func (b *frameBatcher) Projected(n int, err error) {
	j := &b.s.jr
	if err != nil {
		b.q.Reset(nil)
		clear(b.queued)
		var pe *projectionError
		if errors.As(err, &pe) && !sqlite.IsStorageFailure(err) {
			j.poison = pe.id
			b.s.log.Error("projection failed on one journal entry; it is stored as a frame alone", zap.Int64("frame_id", pe.id), zap.Error(err))
		} else {
			b.s.log.Warn("projection failed; retrying", zap.Error(err))
		}
		return
	}
	j.projected.Store(j.reached)
	j.backlog.Add(-int64(n))
	drop := 0
	for drop < len(j.marks) && j.marks[drop].last <= j.reached {
		drop++
	}
	j.marks = append(j.marks[:0], j.marks[drop:]...)
	if len(j.marks) == 0 {
		j.oldest.Store(0)
	} else {
		j.oldest.Store(j.marks[0].at.UnixNano())
	}
	if j.poison != 0 && j.poison <= j.reached {
		j.poison = 0
	}
	b.s.gauges.committedOne()
	j.notify()
	for _, e := range b.q.Touched {
		b.s.queue.publish(e)
	}
	if wake := b.s.opts.OutboxQueued; wake != nil {
		for i, q := range b.queued {
			if q {
				wake(b.s.opts.Outbox[i].Name)
				b.queued[i] = false
			}
		}
	}
	b.q.Reset(nil)
	for _, site := range j.sites {
		b.s.sites.publish(SiteEvent{SiteID: site, Kind: "signal"})
	}
}
