package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"go.uber.org/zap"
)

// gauges keeps the figures that take SQL to count (open incidents by
// priority, each output's pending outbox) for the scrape callbacks, so that
// a scrape, or a console polling the dashboard, never queries the database:
// the counts change only when a transaction commits, so the writer says
// when they may have changed and one refresher goroutine recounts them, at
// most once per interval however many commits and scrapes there are, and
// spaced by ten times the last recount's duration, so that counting a long
// backlog (an automation away for hours) takes at most a tenth of a
// reader's time.
//
// A reader waits (bounded) for the recount covering every commit that had
// returned before it asked, so a figure read after a signal was
// acknowledged includes that signal, as when the scrape counted itself.
type gauges struct {
	s        *Store
	interval time.Duration
	// failures limits the lines of failed recounts to one per 10 s: the
	// figures are then missing from the scrape, and the log says why.
	failures *ratelog.Limiter
	// committed counts the transactions committed; the writer bumps it
	// before it releases the commits' callers.
	committed atomic.Uint64
	kick      chan struct{} // capacity 1: "committed moved on"
	snap      atomic.Pointer[gaugeSnap]
	stop      chan struct{}
	done      chan struct{}
}

// gaugeSnap is one recount. The incidents are kept by hold time rather
// than by held or not, so that a hold running out shows at the next scrape
// without a recount.
type gaugeSnap struct {
	gen    uint64 // the committed count the recount saw (at least)
	err    error
	open   []openIncidents
	outbox map[string]outboxLag
	next   chan struct{} // closed when a newer recount replaces this one
}

type openIncidents struct {
	priority  int
	heldUntil int64 // Unix nanoseconds; 0 when not held
	n         float64
}

type outboxLag struct {
	n      int
	oldest time.Time
}

// gaugeWait bounds how long a reader waits for a recount beyond the
// interval; after it the last figures are served as they are.
const gaugeWait = time.Second

func newGauges(s *Store, interval time.Duration) *gauges {
	g := &gauges{s: s, interval: interval, kick: make(chan struct{}, 1), failures: ratelog.New(10 * time.Second),
		stop: make(chan struct{}), done: make(chan struct{})}
	g.snap.Store(&gaugeSnap{next: make(chan struct{})})
	return g
}

// committedOne is the writer's note that a transaction committed: an
// atomic add and a send that never blocks, so the commit path does not
// wait for the recount.
func (g *gauges) committedOne() {
	g.committed.Add(1)
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// run recounts after commits until stopped, leaving at least interval
// (or ten times the last recount's duration) between two recounts.
func (g *gauges) run() {
	defer close(g.done)
	var last time.Time
	gap := g.interval
	for {
		select {
		case <-g.kick:
		case <-g.stop:
			return
		}
		if g.snap.Load().gen >= g.committed.Load() {
			continue // an earlier recount already saw these commits
		}
		if wait := gap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-g.stop:
				t.Stop()
				return
			}
		}
		last = time.Now()
		g.refresh(context.Background())
		gap = max(g.interval, 10*time.Since(last))
	}
}

// close stops the refresher; readers get the last recount from then on.
func (g *gauges) close() {
	close(g.stop)
	<-g.done
}

// refresh recounts now and publishes the figures.
func (g *gauges) refresh(ctx context.Context) {
	gen := g.committed.Load() // read first: the counts include at least these commits
	// The recount follows each projection; it counts what that projection
	// left, and asks for no other (current settles when a scrape asks).
	ctx, cancel := context.WithTimeout(engine.AsProjected(ctx), gaugeWait)
	defer cancel()
	sn := &gaugeSnap{gen: gen, next: make(chan struct{})}
	sn.open, sn.err = g.countOpen(ctx)
	if sn.err == nil {
		targets := g.s.currentRules().Outbox
		sn.outbox = make(map[string]outboxLag, len(targets))
		for _, t := range targets {
			n, oldest, err := g.s.Outbox.QueryLag(ctx, t.Name)
			if err != nil {
				sn.err = err
				break
			}
			sn.outbox[t.Name] = outboxLag{n: n, oldest: oldest}
		}
	}
	if sn.err != nil {
		if ok, suppressed := g.failures.Allow("recount", time.Now()); ok {
			g.s.log.Warn("queue and outbox figures not recounted; the scrape leaves them out", zap.Error(sn.err),
				zap.Int("suppressed", suppressed))
		}
	}
	old := g.snap.Swap(sn)
	close(old.next)
}

func (g *gauges) countOpen(ctx context.Context) ([]openIncidents, error) {
	rows, err := g.s.rdb.QueryContext(ctx, `SELECT priority, held_until, count(*) FROM incidents
		WHERE status = 'open' GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: count open incidents: %w", err)
	}
	return core.AppendRows(nil, rows, func(r core.RowScanner) (openIncidents, error) {
		var o openIncidents
		var held sql.NullInt64
		err := r.Scan(&o.priority, &held, &o.n)
		o.heldUntil = held.Int64
		return o, err
	})
}

// current returns the figures covering every commit made before the call,
// waiting for the refresher up to gaugeWait past the interval, or until
// ctx ends; then the latest figures there are.
func (g *gauges) current(ctx context.Context) *gaugeSnap {
	// Frames acknowledged before the call count once they are projected.
	sctx, cancel := context.WithTimeout(ctx, g.interval+gaugeWait)
	_ = g.s.Settle(sctx)
	cancel()
	want := g.committed.Load()
	var timeout <-chan time.Time
	for {
		sn := g.snap.Load()
		if sn.gen >= want {
			return sn
		}
		if timeout == nil {
			t := time.NewTimer(g.interval + gaugeWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-sn.next:
		case <-g.done:
			return g.snap.Load()
		case <-timeout:
			return sn
		case <-ctx.Done():
			return sn
		}
	}
}
