package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/outbox"
	"github.com/alarmrx/alarmrx/store/queue"
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

// commitItem is one frame in the writer's queue (engine.Writer.Submit).
type commitItem struct {
	msg *protocols.Message
	rec Receipt
	// duplicateOf, set by the journal's batch on PostgreSQL, is the frame
	// whose key this one met in dedupe_keys: nothing of it was written.
	duplicateOf int64
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
	// A database file lost for good takes the journal's entries nowhere:
	// nothing more is acknowledged. (A store that fails for a while keeps
	// taking frames into the journal, up to the projection's backlog bound,
	// and is unready meanwhile.)
	if err := s.db.Fenced(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	item := &commitItem{msg: msg, rec: rec}
	id, err := s.jdb.Submit(ctx, item)
	if err == nil && item.duplicateOf != 0 {
		return item.duplicateOf, ErrDuplicate
	}
	return id, err
}

// write runs fn in a transaction of its own on the writer and returns after
// it committed (nil) or rolled back (fn's error, or the commit's).
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.db.Write(ctx, fn)
}

// writeThen is write with after run on the writer once fn's transaction
// committed.
func (s *Store) writeThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error {
	return s.db.WriteThen(ctx, fn, after)
}

// UnknownAccountEvery is how often one unknown account raises its event
// and incident [design.md §2 rule 2: repeats are stored and ACKed, not
// re-alarmed].
const UnknownAccountEvery = time.Hour

// unknownRaisedSQL finds an unknown account's event since a time
// (station_events_at: the last hour's events).
const unknownRaisedSQL = `SELECT 1 FROM station_events WHERE at > ? AND kind = ? AND receiver = ? AND account = ? LIMIT 1`

// The projection's statements for every frame on SQLite, prepared once at
// Open (PostgreSQL's take a group of frames: project.go).
const (
	insertFrameSQL = `INSERT INTO frames
		(id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, encrypted,
		 account, frame_receiver, frame_line, sequence, frame_time, status, reason, deviations,
		 dedupe_key, detail, raw)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	insertSignalSQL = `INSERT INTO signals
		(frame_id, idx, received_at, receiver, account, format, event_code, qualifier, partition,
		 zone, "user", address, address_kind, known, description, category, priority, text,
		 modifiers, panel_time, account_id, site_id, resolution, test, on_test_id, handling, zone_description)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,
		 coalesce((SELECT description FROM zones WHERE account_id = ? AND number = ?), ''))`
	insertEventSQL = `INSERT INTO station_events (at, kind, receiver, account, detail)
		VALUES (?,?,?,?,?)`
)

// runawayMemoryMax bounds the watched signals a single node keeps in
// memory (queue.RunawayMemory).
const runawayMemoryMax = 100000

// frameBatcher projects the journal's entries into frames with their
// signals, incidents and outbox rows (journal.go), on the store's writer.
// Only that writer calls it, one transaction at a time, so its queue.Tx
// and buffers are reused.
type frameBatcher struct {
	s *Store
	q queue.Tx // its Touched are the incidents the last projection changed, published once it committed
	// outbox are the targets of the last projection (the rules in force
	// when it began), and queued marks, by index in them, the outputs it
	// gave outbox rows: they are woken once it committed.
	outbox []OutboxTarget
	queued []bool
	chunk  []journalRow
	ids    []int64 // the entries the projection took (PostgreSQL: deleted in its transaction)
	// The group being projected (projectGroup): its entries, its signals,
	// and the keys of the state they need.
	group             []projEntry
	sigs              []signalRow
	accounts, watches []string
	// runaways counts the runaway signals the last projection detected:
	// counted once it committed.
	runaways int
	// pruneAt is the receipt time (Unix ns) from which a projection next
	// prunes the runaway detector's idle rows.
	pruneAt int64
	// runawayMemory, on SQLite, holds the runaway detector's state, told
	// of each projection's outcome (nil on PostgreSQL: the store holds it).
	runawayMemory *queue.RunawayMemory
	out           outbox.Batch
	// opened counts the incidents the projections opened, by receipt
	// second, over the last minute: the automatic disaster mode's rate.
	opened incidentRate
	// modes are the disaster modes last read, at modesAt, at the store's
	// disasterVersion modesVersion (disasterSet).
	modes        []Disaster
	modesAt      time.Time
	modesVersion int64
}

func (b *frameBatcher) Statements() []string {
	if b.s.opts.Driver == DriverPostgres {
		return []string{insertFramesSQL, insertSignalsSQL, insertEventSQL, lockProjectionSQL, selectJournalAllSQL, deleteJournalSQL}
	}
	return []string{insertFrameSQL, insertSignalSQL, insertEventSQL, cursorSQL}
}

// WriteBatch is never called: frames are committed to the journal
// (journalBatcher) and projected here.
func (*frameBatcher) WriteBatch(context.Context, *engine.Tx, []any, []int64) error {
	return errors.New("store: frames are committed to the journal")
}

// Committed tells the gauges that a change of its own may have changed
// the counts.
func (b *frameBatcher) Committed([]any) { b.s.gauges.committedOne() }

// Released has nothing to do: the projection publishes (Projected).
func (*frameBatcher) Released([]any) {}

// begin readies a projection transaction: the queue's writer, the outbox
// marks and the statements bound to tx.
func (b *frameBatcher) begin(ctx context.Context, tx *engine.Tx) (*txStmts, error) {
	b.q.Reset(tx)
	// One batch projects under one set of rules: a reload takes effect
	// at the next batch, and the outbox marks index this batch's targets.
	rules := b.s.currentRules()
	b.outbox = rules.Outbox
	if len(b.queued) != len(b.outbox) {
		b.queued = make([]bool, len(b.outbox))
	}
	clear(b.queued) // a projection that failed leaves nothing to wake
	b.runaways = 0
	st := &txStmts{prepared: tx, outbox: b.outbox, queued: b.queued, q: &b.q, out: &b.out,
		arrays: core.BindsArrays(b.s.db.Dialect()), runaway: rules.Runaway, runaways: &b.runaways}
	b.out.Reset()
	var err error
	if !st.arrays {
		if st.frame, err = tx.Stmt(ctx, insertFrameSQL); err != nil {
			return nil, err
		}
		if st.signal, err = tx.Stmt(ctx, insertSignalSQL); err != nil {
			return nil, err
		}
	}
	if st.event, err = tx.Stmt(ctx, insertEventSQL); err != nil {
		return nil, err
	}
	return st, nil
}

// txStmts are the writer's prepared statements bound to one transaction.
type txStmts struct {
	frame, signal, event *sql.Stmt // frame and signal: SQLite's, a row at a time
	// arrays: the engine binds slices as arrays (PostgreSQL), and a
	// group's rows of a kind go in one statement.
	arrays bool
	q      *queue.Tx     // the queue's writer; its Touched are published after the commit
	out    *outbox.Batch // the outbox rows of the group's signals
	// prepared gives the writer's statements, prepared once on its
	// connection, bound to this transaction.
	prepared *engine.Tx
	outbox   []OutboxTarget
	queued   []bool // the outputs given rows, by index in outbox; nil: not tracked
	// runaway is the runaway detector's rules; runaways counts its trips,
	// and latest is the latest receipt projected (Unix ns).
	runaway  RunawayRules
	runaways *int
	latest   int64
	// disasters are the disaster modes on, read once per group.
	disasters *disasterSet
}

// queryRow is exec's for a query of one row.
func (st *txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return st.prepared.QueryRowContext(ctx, query, args...)
}

func (st *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return st.prepared.ExecContext(ctx, query, args...)
}

// detectRunaway applies the runaway detector to the handling of one
// signal it watches (watched) [design.md §2 rule 2]. It runs in the
// projection, on several nodes on the detector's state in the store, so
// that a panel swinging between two nodes trips it as it would on one.
func (st *txStmts) detectRunaway(ctx context.Context, rec *Receipt, account string, e *protocols.Event, h *Handling) error {
	key := queue.RunawayKey(rec.Receiver, account, e.Format, e.Code, e.Zone)
	trip, repeat, detail, err := st.q.ObserveRunaway(ctx, key, rec.ReceivedAt.UnixNano(), st.runaway)
	switch {
	case err != nil:
		return err
	case trip:
		h.Mode, h.Runaway, h.RunawayDetail = HandlingQueue, true, detail
		*st.runaways++
	case repeat:
		h.Mode = HandlingRepeat
	}
	return nil
}

// What a signal's account resolved to.
const (
	ResolutionResolved = "resolved" // found at receipt
	ResolutionUnknown  = "unknown"  // no such account on the receiver (yet)
	ResolutionClaimed  = "claimed"  // attached later, when the account was added
)

func nullID(id int64) any { return core.NullID(id) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// raiseTrouble writes a frame's station event and opens its trouble
// incident, or joins the one still open for the same account and kind.
func (st *txStmts) raiseTrouble(ctx context.Context, rec *Receipt, frameID int64) error {
	tr := rec.Trouble
	detail, err := core.JSONText(map[string]any{"frame_id": frameID, "listener": rec.Listener, "remote_addr": rec.RemoteAddr})
	if err != nil {
		return err
	}
	if _, err := st.event.ExecContext(ctx, rec.ReceivedAt.UnixNano(), tr.Kind, rec.Receiver, tr.Account, detail); err != nil {
		return err
	}
	return st.q.RaiseTrouble(ctx, &queue.Trouble{Kind: tr.Kind, Receiver: rec.Receiver, Account: tr.Account, Title: tr.Title,
		FrameID: frameID, ReceivedAt: rec.ReceivedAt, Listener: rec.Listener, RemoteAddr: rec.RemoteAddr})
}
