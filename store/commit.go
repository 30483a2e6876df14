package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// The projection's statements for every frame, prepared once at Open.
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
	// PostgreSQL's driver has no last insert id: the id comes back as a
	// row. (On SQLite the row costs the hot path a result set per signal;
	// the rowid comes with the insert.)
	insertSignalReturningSQL = insertSignalSQL + ` RETURNING id`
	insertEventSQL           = `INSERT INTO station_events (at, kind, receiver, account, detail)
		VALUES (?,?,?,?,?)`
)

// frameBatcher projects the journal's entries into frames with their
// signals, incidents and outbox rows (journal.go), on the store's writer.
// Only that writer calls it, one transaction at a time, so its queue.Tx
// and buffers are reused.
type frameBatcher struct {
	s *Store
	q queue.Tx // its Touched are the incidents the last projection changed, published once it committed
	// queued marks, by index in Options.Outbox, the outputs the last
	// projection gave outbox rows: they are woken once it committed.
	queued []bool
	chunk  []journalRow
	ids    []int64 // the entries the projection took (PostgreSQL: deleted in its transaction)
	// runaways counts the runaway signals the last projection detected:
	// counted once it committed.
	runaways int
	// pruneAt is the receipt time (Unix ns) from which a projection next
	// prunes the runaway detector's idle rows.
	pruneAt int64
}

func (b *frameBatcher) Statements() []string {
	if b.s.opts.Driver == DriverPostgres {
		return []string{insertFrameSQL, insertSignalReturningSQL, insertEventSQL, lockProjectionSQL, selectJournalAllSQL, deleteJournalSQL}
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
	if len(b.queued) != len(b.s.opts.Outbox) {
		b.queued = make([]bool, len(b.s.opts.Outbox))
	}
	clear(b.queued) // a projection that failed leaves nothing to wake
	b.runaways = 0
	st := &txStmts{prepared: tx, outbox: b.s.opts.Outbox, queued: b.queued, q: &b.q,
		returning: b.s.opts.Driver == DriverPostgres, runaway: b.s.opts.Runaway, runaways: &b.runaways}
	var err error
	if st.frame, err = tx.Stmt(ctx, insertFrameSQL); err != nil {
		return nil, err
	}
	signalSQL := insertSignalSQL
	if st.returning {
		signalSQL = insertSignalReturningSQL
	}
	if st.signal, err = tx.Stmt(ctx, signalSQL); err != nil {
		return nil, err
	}
	if st.event, err = tx.Stmt(ctx, insertEventSQL); err != nil {
		return nil, err
	}
	return st, nil
}

// txStmts are the writer's prepared statements bound to one transaction.
type txStmts struct {
	frame, signal, event *sql.Stmt
	returning            bool      // signal is insertSignalReturningSQL
	q                    *queue.Tx // the queue's writer; its Touched are published after the commit
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
}

// queryRow is exec's for a query of one row.
func (st *txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return st.prepared.QueryRowContext(ctx, query, args...)
}

func (st *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return st.prepared.ExecContext(ctx, query, args...)
}

func (st *txStmts) insertFrame(ctx context.Context, frameID int64, m *protocols.Message, rec *Receipt) error {
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
	st.latest = max(st.latest, received)
	_, err := st.frame.ExecContext(ctx, frameID,
		received, rec.Receiver, rec.Line, rec.Listener, rec.Transport, rec.RemoteAddr,
		rec.Protocol, m.Kind, boolInt(m.Encrypted), m.Account, m.Receiver, m.Line, m.Sequence,
		nullTime(m.Timestamp), status, reason, strings.Join(devs, ","), rec.DedupeKey, rec.Detail,
		rec.Raw)
	if err != nil {
		return err
	}
	for _, acct := range rec.UnknownAccounts {
		// Each node's receiver lets an unknown account through once an
		// hour; the database keeps the first (the projection runs one at
		// a time across the nodes), so that two nodes raise one event and
		// one incident, not one each.
		var one int
		err := st.queryRow(ctx, unknownRaisedSQL, received-UnknownAccountEvery.Nanoseconds(), EventUnknownAccount,
			rec.Receiver, acct).Scan(&one)
		if err == nil {
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		detail, err := json.Marshal(map[string]any{"frame_id": frameID, "listener": rec.Listener, "remote_addr": rec.RemoteAddr})
		if err != nil {
			return err
		}
		if _, err := st.event.ExecContext(ctx, received, EventUnknownAccount, rec.Receiver, acct, string(detail)); err != nil {
			return err
		}
		if err := st.q.OpenUnknownIncident(ctx, rec.Receiver, acct, rec.ReceivedAt, rec.UnknownPriority, rec.Listener); err != nil {
			return err
		}
	}
	if rec.Trouble != nil {
		if err := st.raiseTrouble(ctx, rec, frameID); err != nil {
			return err
		}
	}
	if status != StatusAccepted {
		return nil
	}
	if rec.IdempotencyKey != "" {
		if _, err := st.exec(ctx, `INSERT INTO message_ids (key, frame_id, at) VALUES (?,?,?)`,
			rec.IdempotencyKey, frameID, received); err != nil {
			return err
		}
	}
	for i := range m.Events {
		e := &m.Events[i]
		mods := ""
		if len(e.Modifiers) > 0 {
			b, err := json.Marshal(e.Modifiers)
			if err != nil {
				return err
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
		if err := st.detectRunaway(ctx, rec, account, e, &h); err != nil {
			return err
		}
		args := []any{frameID, i, received, rec.Receiver, account, e.Format, e.Code, e.Qualifier.String(),
			e.Partition, e.Zone, e.User, e.Address, e.AddressKind.String(), boolInt(e.Known),
			e.Description, e.Category.String(), h.Priority, e.Text, mods,
			nullTime(e.PanelTime), nullID(res.AccountID), nullID(res.SiteID), resolution,
			boolInt(res.OnTestID != 0), nullID(res.OnTestID), h.Mode, res.AccountID, res.Zone}
		var signalID int64
		var err error
		if st.returning {
			err = st.signal.QueryRowContext(ctx, args...).Scan(&signalID)
		} else {
			var r sql.Result
			if r, err = st.signal.ExecContext(ctx, args...); err == nil {
				signalID, err = r.LastInsertId()
			}
		}
		if err != nil {
			return err
		}
		sig := queue.Signal{ID: signalID, ReceivedAt: rec.ReceivedAt, Receiver: rec.Receiver, Account: account,
			AccountID: res.AccountID, SiteID: res.SiteID, Event: e}
		if err := st.q.QueueSignal(ctx, &sig, h); err != nil {
			return err
		}
		if err := outbox.QueueSignal(ctx, st.prepared, st.outbox, st.queued, signalID, received, e, res.OnTestID != 0); err != nil {
			return err
		}
	}
	return nil
}

// detectRunaway applies the runaway detector to one signal's handling
// [design.md §2 rule 2]. It runs in the projection, on the detector's
// state in the store, so that a panel swinging between two nodes trips
// it as it would on one. A signal in an on-test scope is not watched; a
// journal entry of an older build may carry its receiver's decision,
// which stands.
func (st *txStmts) detectRunaway(ctx context.Context, rec *Receipt, account string, e *protocols.Event, h *Handling) error {
	if h.Mode == HandlingTest || h.Mode == HandlingRepeat || h.Runaway {
		return nil
	}
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

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
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
