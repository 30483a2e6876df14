package receiver

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// dedupe recognises retransmitted frames: panels resend a frame, with the
// same sequence number, when our ACK was late or lost [DC-09 §3.11, test plan
// C.2.3.7]. A retransmission is acknowledged again but stored once. Entries
// live for the window and the table is capped; the oldest entries go first.
type dedupe struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	byKey map[string]*dedupeEntry
	order []*dedupeEntry // insertion order = expiry order (the window is fixed)
	head  int
}

type dedupeEntry struct {
	key     string
	at      time.Time
	done    chan struct{} // closed when the first copy's commit finished
	stored  bool          // set before done is closed
	evicted bool
}

func newDedupe(window time.Duration, max int) *dedupe {
	return &dedupe{window: window, max: max, byKey: make(map[string]*dedupeEntry)}
}

// begin registers key as being committed now. If the key is already known
// (committed, or being committed by another session) it returns that entry
// and first=false; the caller waits for entry.done and answers from it.
func (d *dedupe) begin(key string, now time.Time) (e *dedupeEntry, first bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	if e := d.byKey[key]; e != nil {
		return e, false
	}
	e = &dedupeEntry{key: key, at: now, done: make(chan struct{})}
	d.add(e)
	return e, true
}

// seed adds a key known to be stored (loaded from the store at start-up).
func (d *dedupe) seed(key string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byKey[key] != nil {
		return
	}
	e := &dedupeEntry{key: key, at: at, done: make(chan struct{}), stored: true}
	close(e.done)
	d.add(e)
}

// finish records the outcome of the first copy's commit. A failed commit
// forgets the key so that the panel's retransmission is stored afresh.
func (d *dedupe) finish(e *dedupeEntry, stored bool) {
	d.mu.Lock()
	e.stored = stored
	if !stored && !e.evicted && d.byKey[e.key] == e {
		delete(d.byKey, e.key)
		e.evicted = true
	}
	d.mu.Unlock()
	close(e.done)
}

func (d *dedupe) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.byKey)
}

func (d *dedupe) add(e *dedupeEntry) {
	d.byKey[e.key] = e
	d.order = append(d.order, e)
	for len(d.byKey) > d.max && d.head < len(d.order) {
		d.evict(d.order[d.head])
		d.order[d.head] = nil
		d.head++
	}
	d.compact()
}

func (d *dedupe) expire(now time.Time) {
	for d.head < len(d.order) && now.Sub(d.order[d.head].at) > d.window {
		d.evict(d.order[d.head])
		d.order[d.head] = nil
		d.head++
	}
	d.compact()
}

func (d *dedupe) evict(e *dedupeEntry) {
	if !e.evicted && d.byKey[e.key] == e {
		delete(d.byKey, e.key)
	}
	e.evicted = true
}

// compact reclaims the consumed front of the order slice once it dominates.
func (d *dedupe) compact() {
	if d.head > 1024 && d.head > len(d.order)/2 {
		n := copy(d.order, d.order[d.head:])
		clear(d.order[n:])
		d.order = d.order[:n]
		d.head = 0
	}
}

// dedupeKey identifies a frame's content: receiver, transmitter account,
// sequence, kind and every decoded event. The frame's timestamp and, for
// encrypted frames, the random pad are left out: a retransmission may carry
// a fresh timestamp and always carries a fresh pad. Frames without events
// (link tests) are not deduplicated: they store nothing an operator sees.
func dedupeKey(receiver int, account string, m *protocols.Message) string {
	// Without a sequence number (Sur-Gard records) a retransmission cannot
	// be told from a genuine repeat of the same event; storing a copy twice
	// is the lesser harm than dropping a real signal.
	if len(m.Events) == 0 || m.Sequence == "" {
		return ""
	}
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	w(strconv.Itoa(receiver))
	w(m.Protocol)
	w(account)
	w(m.Sequence)
	w(m.Kind)
	for i := range m.Events {
		e := &m.Events[i]
		w(e.Account)
		w(e.Format)
		w(e.Code)
		w(e.Qualifier.String())
		w(e.Partition)
		w(e.Address)
		w(e.Text)
		for _, mod := range e.Modifiers {
			w(mod.Name)
			w(mod.Value)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
