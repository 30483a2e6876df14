package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// Handling modes: what the queue does with one signal (stored in
// signals.handling).
const (
	HandlingQueue  = "queued"   // opens or joins its account's incident
	HandlingAttach = "attached" // joins the open incident if there is one (restores, unknown accounts), else logged
	HandlingLog    = "logged"   // stored only (openings, closings, tests, info)
	HandlingTest   = "test"     // in an on-test scope: stored, listed as a test result, never queued
	HandlingRepeat = "repeat"   // a runaway's repeat: auto-logged on its incident, never alarmed again
	// HandlingGrouped: a signal of a storm, in a disaster mode's scope and
	// categories, joins the mode's one incident instead of its account's.
	HandlingGrouped = "grouped"
)

// Incident kinds.
const (
	IncidentAlarm          = "alarm"
	IncidentUnknownAccount = "unknown_account"
	IncidentRunaway        = "runaway"
	IncidentDisaster       = "disaster" // a disaster mode's grouped signals
)

// TroublePriority is the priority of the trouble incidents frames raise:
// supervisory/trouble (design.md §5).
const TroublePriority = 6

// Incident statuses.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// SystemUser is the name on action-log entries the receiver writes itself.
const SystemUser = "system"

// Handling is the pipeline's decision for one event.
type Handling struct {
	Mode     string
	Priority int // effective priority (1 most urgent), overrides applied
	// Runaway marks the signal that tripped the runaway detector: its
	// incident becomes (or is flagged as) a runaway incident.
	Runaway bool
	// RunawayDetail says why, for the action log ("11 signals in 2m0s").
	RunawayDetail string
	// Group is the disaster mode a grouped signal joins (HandlingGrouped):
	// its key and what its incident is called.
	Group, GroupTitle string
}

// Event tells subscribers that an incident changed.
type Event struct {
	IncidentID int64  `json:"incident_id"`
	Action     string `json:"action"`
	// ReceivedAt is the receipt time of the signal that caused the change,
	// zero for operator steps.
	ReceivedAt time.Time `json:"-"`
}

// IncidentKey names the account an incident belongs to: its id when known
// (accountID not 0), else receiver and number, so that an unknown
// account's signals group too.
func IncidentKey(receiver int, account string, accountID int64) string {
	if accountID != 0 {
		return "id:" + strconv.FormatInt(accountID, 10)
	}
	return "unknown:" + strconv.Itoa(receiver) + "/" + account
}

// Execer runs statements in the caller's transaction: a *sql.Tx, or the
// writer's batch (*engine.Tx), which prepares each statement once on its
// connection.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Tx writes incidents in the caller's transaction and gathers, in
// Touched, the changes to publish once it committed. QueueSignal raises
// an incident's priority with the engine's scalar minimum: it needs the
// engine's dialect (SetDialect). The rest is portable SQL, but for the
// statements an engine that binds arrays (PostgreSQL) runs instead of a
// row at a time: those are that engine's own.
type Tx struct {
	ex      Execer
	Touched []Event
	// Opened counts the alarm and unknown-account incidents the
	// transaction opened, for the disaster mode's rate (the caller reads
	// and zeroes it).
	Opened  int
	d       core.Dialect
	joinSQL string // the dialect's statement that joins signals to an open incident
	// open holds the open incidents QueueSignal found or opened in this
	// transaction, by account key, and joins what their signals change,
	// written once per incident by Flush: a batch holds many signals of
	// one account, and nothing else changes an incident inside the
	// writer's transaction.
	open      map[string]openIncident
	joins     map[int64]*join
	joinOrder []int64
	// links are the signals joined to incidents (incident_signals), also
	// written by Flush; arrays says the engine binds slices as arrays, so
	// that Flush writes each kind of row in one statement.
	links  []link
	arrays bool
	// watches are the runaway detector's watched signals the transaction
	// read (ObserveRunaway), written back by Flush.
	watches    map[string]*watch
	watchOrder []string
	memory     *RunawayMemory // nil: the detector's state is the store's
}

type link struct {
	incident, signal int64
	role             string
}

type openIncident struct {
	id       int64
	priority int
}

// join is what the signals of a transaction change on one open incident.
type join struct {
	signals  int
	lastAt   int64
	priority int  // the least (most urgent) priority joined; 0 none
	runaway  bool // a signal tripped the runaway detector
	restored int  // -1: as it was; 0 or 1: the last signal's word
}

// SetDialect sets the engine's SQL dialect, once: the writer reuses its Tx
// for every batch, so the statement is rendered once too.
func (t *Tx) SetDialect(d core.Dialect) {
	t.d = d
	t.arrays = core.BindsArrays(d)
	t.joinSQL = `UPDATE incidents SET signal_count = signal_count + ?, last_signal_at = ` + d.Greatest("last_signal_at", "?") + `,
			restored = CASE WHEN ? < 0 THEN restored ELSE ? END,
			priority = CASE WHEN ? = 0 THEN priority ELSE ` + d.Least("priority", "?") + ` END,
			kind = CASE WHEN ? = 1 THEN 'runaway' ELSE kind END WHERE id = ?`
}

// Flush writes what the transaction's signals changed on their open
// incidents, one statement per incident, and on the runaway detector's
// watched signals. The writer calls it before the transaction commits.
func (t *Tx) Flush(ctx context.Context) error {
	if err := t.flushWatches(ctx); err != nil {
		return err
	}
	if len(t.joinOrder) > 0 && t.d == nil {
		return errors.New("store: queue: a Tx that queues signals needs the engine's dialect")
	}
	if err := t.flushLinks(ctx); err != nil {
		return err
	}
	if t.arrays {
		return t.flushJoinsAsArrays(ctx)
	}
	for _, id := range t.joinOrder {
		j := t.joins[id]
		if _, err := t.ex.ExecContext(ctx, t.joinSQL, j.signals, j.lastAt, j.restored, j.restored,
			j.priority, j.priority, j.runaway, id); err != nil {
			return err
		}
	}
	t.clearJoins()
	return nil
}

// The statements of a Flush on an engine that binds arrays: one for all
// the transaction's rows of a kind.
const (
	insertLinksSQL = `INSERT INTO incident_signals (incident_id, signal_id, role)
		SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[])`
	insertLinkSQL = `INSERT INTO incident_signals (incident_id, signal_id, role) VALUES (?,?,?)`
	joinAllSQL    = `UPDATE incidents i SET signal_count = i.signal_count + t.n,
			last_signal_at = GREATEST(i.last_signal_at, t.at),
			restored = CASE WHEN t.r < 0 THEN i.restored ELSE t.r END,
			priority = CASE WHEN t.p = 0 THEN i.priority ELSE LEAST(i.priority, t.p) END,
			kind = CASE WHEN t.ru = 1 THEN 'runaway' ELSE i.kind END
		FROM unnest(?::bigint[], ?::integer[], ?::bigint[], ?::integer[], ?::integer[], ?::integer[]) AS t(id, n, at, r, p, ru)
		WHERE i.id = t.id`
	openIncidentsSQL = `SELECT account_key, id, priority FROM incidents WHERE account_key = ANY(?::text[]) AND status = 'open'`
)

func (t *Tx) flushLinks(ctx context.Context) error {
	defer func() { t.links = t.links[:0] }()
	if len(t.links) == 0 {
		return nil
	}
	if !t.arrays {
		for _, l := range t.links {
			if _, err := t.ex.ExecContext(ctx, insertLinkSQL, l.incident, l.signal, l.role); err != nil {
				return err
			}
		}
		return nil
	}
	incidents, signals, roles := make([]int64, len(t.links)), make([]int64, len(t.links)), make([]string, len(t.links))
	for i, l := range t.links {
		incidents[i], signals[i], roles[i] = l.incident, l.signal, l.role
	}
	_, err := t.ex.ExecContext(ctx, insertLinksSQL, incidents, signals, roles)
	return err
}

func (t *Tx) flushJoinsAsArrays(ctx context.Context) error {
	defer t.clearJoins()
	n := len(t.joinOrder)
	if n == 0 {
		return nil
	}
	ids, signals, lastAt := make([]int64, n), make([]int64, n), make([]int64, n)
	restored, priority, runaway := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, id := range t.joinOrder {
		j := t.joins[id]
		ids[i], signals[i], lastAt[i] = id, int64(j.signals), j.lastAt
		restored[i], priority[i] = int64(j.restored), int64(j.priority)
		if j.runaway {
			runaway[i] = 1
		}
	}
	_, err := t.ex.ExecContext(ctx, joinAllSQL, ids, signals, lastAt, restored, priority, runaway)
	return err
}

// unread is keys without the ones read already and without repeats.
func unread(keys []string, read func(string) bool) []string {
	var want []string
	for _, k := range keys {
		if !read(k) && !slices.Contains(want, k) {
			want = append(want, k)
		}
	}
	return want
}

// PrefetchOpen reads, in one statement, the open incidents of the account
// keys (IncidentKey) the transaction is about to queue signals of, on an
// engine that binds arrays; elsewhere each is read when first met.
func (t *Tx) PrefetchOpen(ctx context.Context, keys []string) error {
	if !t.arrays {
		return nil
	}
	want := unread(keys, func(k string) bool { _, ok := t.open[k]; return ok })
	if len(want) == 0 {
		return nil
	}
	rows, err := t.ex.QueryContext(ctx, openIncidentsSQL, want)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var id int64
		var priority int
		if err := rows.Scan(&key, &id, &priority); err != nil {
			return err
		}
		t.remember(key, id, priority)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range want {
		if _, ok := t.open[k]; !ok {
			t.remember(k, 0, 0) // none open: QueueSignal opens it
		}
	}
	return nil
}

func (t *Tx) clearJoins() {
	clear(t.open)
	clear(t.joins)
	t.joinOrder = t.joinOrder[:0]
	t.links = t.links[:0]
}

// joinSignal notes a signal joining open incident id.
func (t *Tx) joinSignal(id int64, at int64, priority int, runaway bool, restored int) {
	if t.joins == nil {
		t.joins = map[int64]*join{}
	}
	j := t.joins[id]
	if j == nil {
		j = &join{restored: -1}
		t.joins[id] = j
		t.joinOrder = append(t.joinOrder, id)
	}
	j.signals++
	j.lastAt = max(j.lastAt, at)
	if priority != 0 && (j.priority == 0 || priority < j.priority) {
		j.priority = priority
	}
	j.runaway = j.runaway || runaway
	if restored >= 0 {
		j.restored = restored
	}
}

// openIncident is OpenIncident through the transaction's own record of
// the incidents it found or opened.
func (t *Tx) openIncident(ctx context.Context, key string) (id int64, priority int, err error) {
	if o, ok := t.open[key]; ok {
		return o.id, o.priority, nil // id 0: none was open when prefetched
	}
	id, priority, err = t.OpenIncident(ctx, key)
	if err == nil && id != 0 {
		t.remember(key, id, priority)
	}
	return id, priority, err
}

func (t *Tx) remember(key string, id int64, priority int) {
	if t.open == nil {
		t.open = map[string]openIncident{}
	}
	t.open[key] = openIncident{id: id, priority: priority}
}

// NewTx returns a Tx on ex.
func NewTx(ex Execer) *Tx { return &Tx{ex: ex} }

// Reset makes t write on ex with nothing touched, keeping Touched's
// storage: the writer reuses one Tx for all its batches.
func (t *Tx) Reset(ex Execer) {
	t.ex = ex
	t.Opened = 0
	clear(t.Touched)
	t.Touched = t.Touched[:0]
	t.clearJoins()
	t.clearWatches()
}

// Touch records that the transaction changed an incident.
func (t *Tx) Touch(id int64, action string, receivedAt time.Time) {
	t.Touched = append(t.Touched, Event{IncidentID: id, Action: action, ReceivedAt: receivedAt})
}

// OpenIncident returns the open incident of an account key and its
// priority, or 0.
func (t *Tx) OpenIncident(ctx context.Context, key string) (id int64, priority int, err error) {
	err = t.ex.QueryRowContext(ctx, `SELECT id, priority FROM incidents WHERE account_key = ? AND status = 'open'`, key).
		Scan(&id, &priority)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return id, priority, err
}

// LogAction appends an entry to an incident's action log; userID 0 is the
// receiver itself (SystemUser).
func (t *Tx) LogAction(ctx context.Context, incident int64, at int64, userID int64, user, action string, detail any) error {
	d, err := core.JSONText(detail)
	if err != nil {
		return err
	}
	_, err = t.ex.ExecContext(ctx, `INSERT INTO incident_actions (incident_id, at, user_id, user_name, action, detail)
		VALUES (?,?,?,?,?,?)`, incident, at, core.NullID(userID), user, action, d)
	return err
}

// Signal is a stored signal as the queue sees it.
type Signal struct {
	ID         int64
	ReceivedAt time.Time
	Receiver   int
	Account    string // as stored: prefix applied
	// AccountID and SiteID are what the account resolved to; 0 when it is
	// unknown.
	AccountID, SiteID int64
	Event             *protocols.Event
}

// QueueSignal applies the handling decision of one stored signal to the
// queue, inside the signal's own transaction [design.md §2: signal rows and
// incident rows commit together].
func (t *Tx) QueueSignal(ctx context.Context, s *Signal, h Handling) error {
	e := s.Event
	at := s.ReceivedAt.UnixNano()
	key := IncidentKey(s.Receiver, s.Account, s.AccountID)
	switch h.Mode {
	case HandlingQueue:
	case HandlingGrouped:
		return t.groupSignal(ctx, s, h)
	case HandlingAttach, HandlingRepeat:
		id, _, err := t.openIncident(ctx, key)
		if err != nil || id == 0 {
			return err
		}
		role := "restore"
		switch {
		case h.Mode == HandlingRepeat:
			role = "repeat"
		case e.Qualifier != protocols.QualifierRestore:
			role = "alarm"
		}
		t.links = append(t.links, link{incident: id, signal: s.ID, role: role})
		t.Touch(id, "signal", s.ReceivedAt)
		restored := -1
		if role == "restore" {
			restored = 1
		}
		t.joinSignal(id, at, 0, false, restored)
		return nil
	default:
		return nil
	}
	id, priority, err := t.openIncident(ctx, key)
	if err != nil {
		return err
	}
	kind := IncidentAlarm
	if h.Runaway {
		kind = IncidentRunaway
	}
	if id == 0 {
		if err := t.ex.QueryRowContext(ctx, `INSERT INTO incidents (account_key, account_id, site_id, receiver, account,
			kind, title, priority, status, opened_at, last_signal_at, signal_count)
			VALUES (?,?,?,?,?,?,?,?,'open',?,?,1) RETURNING id`,
			key, core.NullID(s.AccountID), core.NullID(s.SiteID), s.Receiver, s.Account, kind, incidentTitle(e), h.Priority, at,
			at).Scan(&id); err != nil {
			return err
		}
		t.remember(key, id, h.Priority)
		t.Opened++
		if err := t.LogAction(ctx, id, at, 0, SystemUser, "opened", map[string]any{
			"signal_id": s.ID, "code": e.Code, "zone": e.Zone, "priority": h.Priority}); err != nil {
			return err
		}
	} else {
		// A better (lower) priority raises the incident; a worse one never
		// lowers it [automation-research.md §6.3 grouping].
		t.joinSignal(id, at, h.Priority, h.Runaway, 0)
		if h.Priority < priority {
			t.remember(key, id, h.Priority)
			if err := t.LogAction(ctx, id, at, 0, SystemUser, "priority_raised", map[string]any{
				"from": priority, "to": h.Priority, "signal_id": s.ID, "code": e.Code}); err != nil {
				return err
			}
		}
	}
	if h.Runaway {
		if err := t.LogAction(ctx, id, at, 0, SystemUser, "runaway", map[string]any{
			"signal_id": s.ID, "code": e.Code, "zone": e.Zone, "detail": h.RunawayDetail}); err != nil {
			return err
		}
	}
	t.Touch(id, "signal", s.ReceivedAt)
	t.links = append(t.links, link{incident: id, signal: s.ID, role: "alarm"})
	return nil
}

// groupSignal joins a storm's signal to its disaster mode's incident,
// opening it with the first.
func (t *Tx) groupSignal(ctx context.Context, s *Signal, h Handling) error {
	at := s.ReceivedAt.UnixNano()
	key := "disaster:" + h.Group
	id, priority, err := t.openIncident(ctx, key)
	if err != nil {
		return err
	}
	if id == 0 {
		if err := t.ex.QueryRowContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
			status, opened_at, last_signal_at, signal_count) VALUES (?,?,?,?,?,?,'open',?,?,1) RETURNING id`,
			key, s.Receiver, "*", IncidentDisaster, h.GroupTitle, h.Priority, at, at).Scan(&id); err != nil {
			return err
		}
		t.remember(key, id, h.Priority)
		if err := t.LogAction(ctx, id, at, 0, SystemUser, "opened", map[string]any{
			"reason": "disaster mode", "signal_id": s.ID, "code": s.Event.Code, "account": s.Account}); err != nil {
			return err
		}
	} else {
		t.joinSignal(id, at, h.Priority, false, 0)
		if h.Priority < priority {
			t.remember(key, id, h.Priority)
		}
	}
	t.Touch(id, "signal", s.ReceivedAt)
	t.links = append(t.links, link{incident: id, signal: s.ID, role: "grouped"})
	return nil
}

func incidentTitle(e *protocols.Event) string {
	t := e.Description
	if t == "" {
		t = e.Format + " " + e.Code
	}
	if e.Zone != "" {
		t += " — zone " + e.Zone
	}
	return t
}

// OpenUnknownIncident opens the incident of an unknown account, unless
// one is open already; priority 0 is an alarm's.
func (t *Tx) OpenUnknownIncident(ctx context.Context, receiver int, account string, receivedAt time.Time, priority int, listener string) error {
	key := IncidentKey(receiver, account, 0)
	id, _, err := t.OpenIncident(ctx, key)
	if err != nil || id != 0 {
		return err
	}
	at := receivedAt.UnixNano()
	if priority == 0 {
		priority = protocols.CategoryAlarm.DefaultPriority()
	}
	if err := t.ex.QueryRowContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
		status, opened_at, last_signal_at) VALUES (?,?,?,?,?,?,'open',?,?) RETURNING id`,
		key, receiver, account, IncidentUnknownAccount, fmt.Sprintf("Unknown account %s on receiver %d", account, receiver),
		priority, at, at).Scan(&id); err != nil {
		return err
	}
	t.remember(key, id, priority) // this frame's own signals join it
	t.Opened++
	t.Touch(id, "opened", receivedAt)
	return t.LogAction(ctx, id, at, 0, SystemUser, "opened", map[string]any{"reason": "unknown account", "listener": listener})
}

// Trouble is a trouble incident a received frame raises about an account.
type Trouble struct {
	Kind       string // incident kind
	Receiver   int
	Account    string // as stored: prefix applied
	Title      string // what the operator reads
	FrameID    int64
	ReceivedAt time.Time
	Listener   string
	RemoteAddr string
}

// RaiseTrouble opens a frame's trouble incident, or joins the one still
// open for the same account and kind.
func (t *Tx) RaiseTrouble(ctx context.Context, tr *Trouble) error {
	at := tr.ReceivedAt.UnixNano()
	key := tr.Kind + ":" + strconv.Itoa(tr.Receiver) + "/" + tr.Account
	id, _, err := t.OpenIncident(ctx, key)
	if err != nil {
		return err
	}
	if id != 0 {
		if _, err := t.ex.ExecContext(ctx, `UPDATE incidents SET last_signal_at = ? WHERE id = ?`, at, id); err != nil {
			return err
		}
		t.Touch(id, "signal", tr.ReceivedAt)
		return t.LogAction(ctx, id, at, 0, SystemUser, "again", map[string]any{"frame_id": tr.FrameID, "remote_addr": tr.RemoteAddr})
	}
	if err := t.ex.QueryRowContext(ctx, `INSERT INTO incidents (account_key, receiver, account, kind, title, priority,
		status, opened_at, last_signal_at) VALUES (?,?,?,?,?,?,'open',?,?) RETURNING id`,
		key, tr.Receiver, tr.Account, tr.Kind, tr.Title, TroublePriority, at, at).Scan(&id); err != nil {
		return err
	}
	t.Touch(id, "opened", tr.ReceivedAt)
	return t.LogAction(ctx, id, at, 0, SystemUser, "opened", map[string]any{"reason": tr.Kind, "frame_id": tr.FrameID,
		"listener": tr.Listener, "remote_addr": tr.RemoteAddr})
}
