package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RunawayRules detect swinging signals [automation-research.md §6.3]:
// more than Max identical signals (receiver, account, code, zone) within
// Window trip the detector, which raises one runaway incident; the
// signal's repeats are then auto-logged on it until the signal has been
// quiet for Quiet. Max 0 turns the detector off.
type RunawayRules struct {
	Max           int
	Window, Quiet time.Duration
}

// idle is how long a watched signal's row stays of use after its last
// receipt: past both the window and the quiet time it says nothing.
func (r RunawayRules) idle() time.Duration { return max(r.Window, r.Quiet) }

// RunawayKey names one watched signal.
func RunawayKey(receiver int, account, format, code, zone string) string {
	return strconv.Itoa(receiver) + "/" + account + "/" + format + code + "/" + zone
}

// On several nodes the detector's state is the runaway_watch table,
// changed only by the projection: its transactions run one at a time
// across the nodes, so every node decides a signal alike, and a restart
// forgets nothing. A transaction reads its watched signals' rows at once
// (PrefetchRunaways) and writes them back at once, at Flush. A single
// node keeps the state in its process instead (RunawayMemory).
const (
	selectWatchSQL = `SELECT times, tripped, last_at FROM runaway_watch WHERE key = ?`
	// On an engine that binds arrays, a group's watched signals are read
	// in one statement and written back in one.
	selectWatchesSQL = `SELECT key, times, tripped, last_at FROM runaway_watch WHERE key = ANY(?::text[])`
	upsertWatchesSQL = `INSERT INTO runaway_watch (key, times, tripped, last_at)
		SELECT * FROM unnest(?::text[], ?::text[], ?::integer[], ?::bigint[])
		ON CONFLICT (key) DO UPDATE SET times = excluded.times, tripped = excluded.tripped, last_at = excluded.last_at`
	upsertWatchSQL = `INSERT INTO runaway_watch (key, times, tripped, last_at) VALUES (?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET times = excluded.times, tripped = excluded.tripped, last_at = excluded.last_at`
	// Rows idle past the rules' window and quiet time go a bounded number
	// at a time (runaway_watch_last_at).
	pruneWatchSQL = `DELETE FROM runaway_watch WHERE key IN
		(SELECT key FROM runaway_watch WHERE last_at < ? ORDER BY last_at LIMIT ?)`
)

// PruneBatch is how many idle rows one PruneRunaways deletes at most.
const PruneBatch = 1000

// watch is one watched signal in the transaction.
type watch struct {
	times   []int64 // receipts inside the window, oldest first (Unix ns)
	tripped bool
	last    int64
	dirty   bool
}

// ObserveRunaway records one signal of key received at (Unix ns) and says
// whether it trips the detector (the first signal over the limit, with
// why) or is a repeat of a tripped signal.
func (t *Tx) ObserveRunaway(ctx context.Context, key string, at int64, r RunawayRules) (trip, repeat bool, detail string, err error) {
	if r.Max <= 0 {
		return false, false, "", nil
	}
	w, err := t.watched(ctx, key)
	if err != nil {
		return false, false, "", err
	}
	w.dirty = true
	if w.tripped {
		if at-w.last < r.Quiet.Nanoseconds() {
			w.last = max(w.last, at)
			return false, true, "", nil
		}
		w.tripped, w.times = false, w.times[:0]
	}
	w.last = max(w.last, at)
	cut := at - r.Window.Nanoseconds()
	kept := w.times[:0]
	for _, x := range w.times {
		if x > cut {
			kept = append(kept, x)
		}
	}
	w.times = append(kept, at)
	if len(w.times) > r.Max {
		n := len(w.times)
		w.tripped, w.times = true, w.times[:0]
		return true, false, fmt.Sprintf("%d identical signals within %s", n, r.Window), nil
	}
	return false, false, "", nil
}

// watched is key's state, read from the store the first time the
// transaction meets it, unless PrefetchRunaways read it.
func (t *Tx) watched(ctx context.Context, key string) (*watch, error) {
	if w, ok := t.watches[key]; ok {
		return w, nil
	}
	if t.memory != nil {
		w := t.memory.entries[key] // a copy; the memory changes at Commit
		w.times = slices.Clone(w.times)
		t.keep(key, &w)
		return &w, nil
	}
	var times string
	var tripped int
	var last int64
	err := t.ex.QueryRowContext(ctx, selectWatchSQL, key).Scan(&times, &tripped, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t.keepWatch(key, "", 0, 0)
	case err != nil:
		return nil, err
	}
	return t.keepWatch(key, times, tripped, last)
}

func (t *Tx) keepWatch(key, times string, tripped int, last int64) (*watch, error) {
	w := &watch{tripped: tripped != 0, last: last}
	var err error
	if w.times, err = parseWatchTimes(times); err != nil {
		return nil, fmt.Errorf("store: runaway_watch %q: %w", key, err)
	}
	t.keep(key, w)
	return w, nil
}

func (t *Tx) keep(key string, w *watch) {
	if t.watches == nil {
		t.watches = map[string]*watch{}
	}
	t.watches[key] = w
	t.watchOrder = append(t.watchOrder, key)
}

// PrefetchRunaways reads, in one statement, the watched signals (keys of
// RunawayKey) the transaction is about to observe, on an engine that
// binds arrays; elsewhere each is read when first met.
func (t *Tx) PrefetchRunaways(ctx context.Context, keys []string) error {
	if !t.arrays || t.memory != nil {
		return nil
	}
	want := unread(keys, func(k string) bool { _, ok := t.watches[k]; return ok })
	if len(want) == 0 {
		return nil
	}
	rows, err := t.ex.QueryContext(ctx, selectWatchesSQL, want)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, times string
		var tripped int
		var last int64
		if err := rows.Scan(&key, &times, &tripped, &last); err != nil {
			return err
		}
		if _, err := t.keepWatch(key, times, tripped, last); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range want {
		if _, ok := t.watches[k]; !ok {
			if _, err := t.keepWatch(k, "", 0, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushWatches writes back the watched signals the transaction changed.
func (t *Tx) flushWatches(ctx context.Context) error {
	defer t.clearWatches()
	if t.memory != nil {
		for _, key := range t.watchOrder {
			if w := t.watches[key]; w.dirty {
				t.memory.stage(key, *w)
			}
		}
		return nil
	}
	var keys, times []string
	var tripped, last []int64
	var b strings.Builder
	for _, key := range t.watchOrder {
		w := t.watches[key]
		if !w.dirty {
			continue
		}
		b.Reset()
		for i, x := range w.times {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(x, 10))
		}
		var trip int64
		if w.tripped {
			trip = 1
		}
		if !t.arrays {
			if _, err := t.ex.ExecContext(ctx, upsertWatchSQL, key, b.String(), trip, w.last); err != nil {
				return err
			}
			continue
		}
		keys, times = append(keys, key), append(times, b.String())
		tripped, last = append(tripped, trip), append(last, w.last)
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := t.ex.ExecContext(ctx, upsertWatchesSQL, keys, times, tripped, last)
	return err
}

func (t *Tx) clearWatches() {
	clear(t.watches)
	t.watchOrder = t.watchOrder[:0]
}

func parseWatchTimes(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	times := make([]int64, len(parts))
	for i, p := range parts {
		x, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, err
		}
		times[i] = x
	}
	return times, nil
}

// PruneRunaways deletes up to PruneBatch watched signals whose last
// receipt is older than the rules' window and quiet time before now (Unix
// ns), and says how many went: PruneBatch says more may be left.
func (t *Tx) PruneRunaways(ctx context.Context, now int64, r RunawayRules) (int64, error) {
	if t.memory != nil {
		t.memory.pruneBefore = max(t.memory.pruneBefore, now-r.idle().Nanoseconds())
		return 0, nil
	}
	res, err := t.ex.ExecContext(ctx, pruneWatchSQL, now-r.idle().Nanoseconds(), PruneBatch)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RunawayMemory keeps the detector's state in the process instead of the
// store, for a store that one process alone projects (SQLite): there no
// other node can decide differently, and the detector costs no row a
// signal, at the price of forgetting a swing when the process restarts.
// A transaction's changes reach it when the caller says the transaction
// committed (Commit), never when it rolled back (Discard), so that a
// projection tried again does not count its signals twice.
type RunawayMemory struct {
	max         int
	entries     map[string]watch
	pending     map[string]watch
	pruneBefore int64 // the pending prune: entries last seen before it go
}

// NewRunawayMemory returns a memory of at most max watched signals: the
// idle ones go at each prune (PruneRunaways), and past max any go, down
// to half (a signal forgotten is counted anew: it alarms rather than
// being suppressed).
func NewRunawayMemory(max int) *RunawayMemory {
	return &RunawayMemory{max: max, entries: map[string]watch{}, pending: map[string]watch{}}
}

// UseRunawayMemory makes the transactions of t keep the detector's state
// in m instead of the store.
func (t *Tx) UseRunawayMemory(m *RunawayMemory) { t.memory = m }

func (m *RunawayMemory) stage(key string, w watch) {
	w.dirty = false
	m.pending[key] = w
}

// Commit applies the last transaction's changes.
func (m *RunawayMemory) Commit() {
	for k, w := range m.pending {
		m.entries[k] = w
	}
	clear(m.pending)
	if m.pruneBefore != 0 {
		for k, w := range m.entries {
			if w.last < m.pruneBefore {
				delete(m.entries, k)
			}
		}
		m.pruneBefore = 0
	}
	if len(m.entries) > m.max {
		for k := range m.entries {
			if len(m.entries) <= m.max/2 {
				break
			}
			delete(m.entries, k)
		}
	}
}

// Discard drops the last transaction's changes: it rolled back.
func (m *RunawayMemory) Discard() {
	clear(m.pending)
	m.pruneBefore = 0
}

// Len is how many watched signals the memory holds.
func (m *RunawayMemory) Len() int { return len(m.entries) }
