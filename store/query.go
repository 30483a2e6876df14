package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// Signal is one stored event with the frame it came in, as the API shows it.
type Signal struct {
	ID           int64                `json:"id"`
	FrameID      int64                `json:"frame_id"`
	ReceivedAt   time.Time            `json:"received_at"`
	Receiver     int                  `json:"receiver"`
	Line         int                  `json:"line"`
	Listener     string               `json:"listener"`
	Transport    string               `json:"transport"`
	RemoteAddr   string               `json:"remote_addr"`
	Protocol     string               `json:"protocol"`
	Kind         string               `json:"kind"`
	Encrypted    bool                 `json:"encrypted"`
	Account      string               `json:"account"`
	FrameAccount string               `json:"frame_account"`
	Sequence     string               `json:"sequence"`
	Format       string               `json:"format"`
	EventCode    string               `json:"event_code"`
	Qualifier    string               `json:"qualifier"`
	Zone         string               `json:"zone"`
	Partition    string               `json:"partition"`
	User         string               `json:"user"`
	Address      string               `json:"address"`
	AddressKind  string               `json:"address_kind"`
	Known        bool                 `json:"known"`
	Description  string               `json:"description"`
	Category     string               `json:"category"`
	Priority     int                  `json:"priority"`
	Text         string               `json:"text"`
	Modifiers    []protocols.Modifier `json:"modifiers,omitempty"`
	PanelTime    *time.Time           `json:"panel_time"`
	FrameTime    *time.Time           `json:"frame_time"`
	// What the account resolved to: resolved, unknown or claimed.
	Resolution      string `json:"resolution"`
	AccountID       *int64 `json:"account_id"`
	SiteID          *int64 `json:"site_id"`
	Test            bool   `json:"test"`
	OnTestID        *int64 `json:"on_test_id"`
	ZoneDescription string `json:"zone_description"`
	// Handling is what the queue did: queued, attached, logged, test or
	// repeat (runaway).
	Handling string `json:"handling"`
	Raw      string `json:"raw"`
	RawHex   string `json:"raw_hex"`
	// DataBlock is an encrypted frame's data block as decrypted, shown
	// beside its raw bytes; "" for plain frames (their raw is readable).
	DataBlock string `json:"data_block,omitempty"`
	// Notes are the operators' notes on a signal in no incident (an
	// opening, a closing, a test), oldest first; left out when none.
	Notes []SignalNote `json:"notes,omitempty"`
}

// EventText says what a normal event was, as a customer reads it: an
// opening or closing by whom [SIA DC-03: O… openings, C… closings; Contact
// ID 4xx: qualifier 1 an opening, 3 a closing], else the code's
// description.
func (sg Signal) EventText() string {
	if sg.Category == protocols.CategoryOpenClose.String() {
		verb := ""
		switch {
		case sg.Format == protocols.FormatSIA && strings.HasPrefix(sg.EventCode, "O"):
			verb = "Opened"
		case sg.Format == protocols.FormatSIA && strings.HasPrefix(sg.EventCode, "C"):
			verb = "Closed"
		case sg.Format == protocols.FormatContactID && sg.Qualifier == protocols.QualifierNew.String():
			verb = "Opened"
		case sg.Format == protocols.FormatContactID && sg.Qualifier == protocols.QualifierRestore.String():
			verb = "Closed"
		}
		if verb != "" {
			switch {
			case sg.User != "":
				return verb + " by user " + strings.TrimLeft(sg.User, "0")
			case sg.AddressKind == "user" && sg.Address != "":
				return verb + " by user " + strings.TrimLeft(sg.Address, "0")
			}
			return verb
		}
	}
	if sg.Description != "" {
		return sg.Description
	}
	return sg.EventCode
}

// SignalFilter selects signals; zero fields do not filter.
type SignalFilter struct {
	Account  string
	Receiver int
	Since    time.Time
	Until    time.Time // exclusive
	// AfterID and BeforeID bound the ids (exclusive): page on oldest first
	// with AfterID, newest first (Desc) with BeforeID.
	AfterID  int64
	BeforeID int64
	// Desc lists newest first; the default is oldest first.
	Desc  bool
	Limit int // default 100, at most 10000
	// SiteID selects the signals resolved (or claimed) to a site's
	// accounts.
	SiteID int64
	// AccountID selects the signals resolved (or claimed) to an account.
	AccountID int64
	// CustomerID selects the signals of a customer's sites and of those
	// of every customer under it (customerSignals).
	CustomerID int64
	// sinceID, when set, is the id bound of Since (sinceSignal), read
	// once for a list that runs the condition many times.
	sinceID int64
	// TestOnly selects the signals received in an on-test scope.
	TestOnly bool
	// Resolution selects resolved, unknown or claimed signals.
	Resolution string
	// IDs selects these signals only.
	IDs []int64
	// Code, Category and Zone select by the event's code (BA, 130), its
	// category (burglary) and its zone as matched (NormaliseZone); Text
	// finds the words in the signal's description, text or zone
	// description, in any case. They narrow a scope and never make one
	// (scoped): on 10 million signals a code alone would read them all.
	Code, Category, Zone, Text string
}

// MaxCustomerSearch bounds the range of a history search over a
// customer's sites (customerSignals).
const MaxCustomerSearch = 7 * 24 * time.Hour

// history reports whether a history filter (code, category, zone, words)
// is given.
func (f SignalFilter) history() bool {
	return f.Code != "" || f.Category != "" || f.Zone != "" || f.Text != ""
}

// scoped refuses a history filter given without an account or a site
// to narrow: the field names it.
func (f SignalFilter) scoped() error {
	if !f.history() {
		return nil
	}
	if f.Account != "" || f.AccountID != 0 || f.SiteID != 0 || f.CustomerID != 0 || len(f.IDs) > 0 {
		return nil
	}
	field := "code"
	switch {
	case f.Code != "":
	case f.Category != "":
		field = "category"
	case f.Zone != "":
		field = "zone"
	default:
		field = "q"
	}
	return core.Invalid(field, "narrows an account's, a site's or a customer's signals: give account, account_id, site_id or customer_id with it")
}

// Signals lists stored signals, oldest first (newest first with Desc).
func (s *Store) Signals(ctx context.Context, f SignalFilter) ([]Signal, error) {
	if err := f.scoped(); err != nil {
		return nil, err
	}
	var out []Signal
	var err error
	if f.CustomerID != 0 {
		out, err = s.customerSignals(ctx, f)
	} else {
		q, args := signalsQuery(f)
		out, err = s.querySignals(ctx, q, args)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list signals: %w", err)
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	notes, err := s.NotesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Notes = notes[out[i].ID]
	}
	return out, nil
}

func (s *Store) querySignals(ctx context.Context, q string, args []any) ([]Signal, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return core.AppendRows([]Signal{}, rows, scanSignal)
}

// siteBatchesPerQuery is how many sites' batches one statement of
// customerSignals reads (SQLite allows 500 terms in a compound SELECT).
const siteBatchesPerQuery = 100

// customerSignals lists the signals of a customer's sites and of those of
// every customer under it, in the list's order. A signal carries its
// site, not its customer, so the ids of each site's signals are read
// through signals_site, a batch per site (one statement reads up to
// siteBatchesPerQuery of them), and merged; a site whose batch was full
// and whose last id read could still be followed by one that belongs in
// the list is read on from there, in doubling batches, until none can.
// The list's rows are then read by their ids. The cost is an index probe
// per site and about the list's rows, never the customer's whole
// history; with the history filters (code, zone…), the signals of each
// site they pass over, as for site_id.
func (s *Store) customerSignals(ctx context.Context, f SignalFilter) ([]Signal, error) {
	sites, err := s.customerSites(ctx, f.CustomerID)
	if err != nil {
		return nil, err
	}
	if f.SiteID != 0 {
		if !slices.Contains(sites, f.SiteID) {
			return []Signal{}, nil
		}
		sites = []int64{f.SiteID}
	}
	if f.SiteID == 0 && f.history() {
		// The history filters read every signal of the scope they narrow:
		// over a whole customer tree, a week of them at most.
		until := f.Until
		if until.IsZero() {
			until = s.opts.Now()
		}
		if f.Since.IsZero() || until.Sub(f.Since) > MaxCustomerSearch {
			return nil, core.Invalid("since", "with customer_id, code, category, zone and q search at most %d days: give since (and until) %d days apart at most, or a site",
				int(MaxCustomerSearch.Hours()/24), int(MaxCustomerSearch.Hours()/24))
		}
	}
	if !f.Since.IsZero() {
		var first sql.NullInt64
		if err := s.rdb.QueryRowContext(ctx, `SELECT `+sinceSignal, f.Since.UnixNano()).Scan(&first); err != nil {
			return nil, err
		}
		if !first.Valid {
			return []Signal{}, nil // nothing was received since
		}
		f.sinceID = first.Int64
	}
	limit := core.ClampLimit(f.Limit)
	// before reports whether signal id a comes before b in the list.
	before := func(a, b int64) bool { return a < b != f.Desc }
	type cursor struct {
		site, last int64 // last: its last id read, 0 before its first batch
	}
	pending := make([]cursor, len(sites))
	for i, id := range sites {
		pending[i] = cursor{site: id}
	}
	batch := max(4, 2*limit/max(len(pending), 1))
	var ids []int64
	for len(pending) > 0 {
		batch = min(batch, limit)
		read := make(map[int64]int, len(pending))       // ids read per site in this round
		lastRead := make(map[int64]int64, len(pending)) // and the last of them in the list's order
		for chunk := range slices.Chunk(pending, siteBatchesPerQuery) {
			var q strings.Builder
			var args []any
			for i, c := range chunk {
				sf := f
				sf.CustomerID, sf.SiteID, sf.Limit = 0, c.site, batch
				switch {
				case c.last != 0 && f.Desc:
					sf.BeforeID = c.last
				case c.last != 0:
					sf.AfterID = c.last
				}
				w := signalsWhere(sf)
				one, a := w.finish(`SELECT s.id, s.site_id FROM signals s`, orderBy("s.id", sf.Desc), sf.Limit)
				if i > 0 {
					q.WriteString(" UNION ALL ")
				}
				fmt.Fprintf(&q, "SELECT * FROM (%s) AS site%d", one, i)
				args = append(args, a...)
			}
			rows, err := s.rdb.QueryContext(ctx, q.String(), args...)
			if err != nil {
				return nil, err
			}
			type hit struct{ id, site int64 }
			hits, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (hit, error) {
				var h hit
				return h, sc.Scan(&h.id, &h.site)
			})
			if err != nil {
				return nil, err
			}
			for _, h := range hits {
				read[h.site]++
				if last, ok := lastRead[h.site]; !ok || before(last, h.id) {
					lastRead[h.site] = h.id
				}
				ids = append(ids, h.id)
			}
		}
		slices.SortFunc(ids, func(a, b int64) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		if len(ids) > limit {
			ids = ids[:limit]
		}
		// A site is read on when its batch was full (it may hold more,
		// all after its last one read) and the list is not full, or its
		// last one read comes before the list's end.
		next := pending[:0]
		for _, c := range pending {
			last := lastRead[c.site]
			if read[c.site] == batch && (len(ids) < limit || before(last, ids[len(ids)-1])) {
				next = append(next, cursor{site: c.site, last: last})
			}
		}
		pending = next
		batch *= 2
	}
	if len(ids) == 0 {
		return []Signal{}, nil
	}
	q, args := signalsQuery(SignalFilter{IDs: ids, Desc: f.Desc, Limit: len(ids)})
	return s.querySignals(ctx, q, args)
}

// signalsQuery is the query Signals runs for f, with its arguments. Every
// filter the API sends is served by an index (queryplan_test.go checks
// each combination): the list is in id order, so a time bound is also
// given as an id bound (sinceSignal), and the rare values of test and
// resolution are written as their partial indexes' own terms, which
// SQLite matches only as literals.
func signalsQuery(f SignalFilter) (string, []any) {
	w := signalsWhere(f)
	q := `SELECT s.id, s.frame_id, s.received_at, s.receiver, f.line, f.listener, f.transport,
		f.remote_addr, f.protocol, f.kind, f.encrypted, s.account, f.account, f.sequence, s.format,
		s.event_code, s.qualifier, s.zone, s.partition, s.user, s.address, s.address_kind, s.known,
		s.description, s.category, s.priority, s.text, s.modifiers, s.panel_time, f.frame_time, f.raw,
		s.resolution, s.account_id, s.site_id, s.test, s.on_test_id, s.zone_description, s.handling, f.detail
		FROM signals s JOIN frames f ON f.id = s.frame_id`
	return w.finish(q, orderBy("s.id", f.Desc), f.Limit)
}

// signalsWhere is the condition of signalsQuery: every term is of the
// signals (s) alone.
func signalsWhere(f SignalFilter) *where {
	w := &where{}
	w.common("s", f.Account, f.Receiver, f.AfterID)
	if !f.Since.IsZero() {
		since := f.Since.UnixNano()
		w.add("s.received_at >= ?", since)
		if f.sinceID > 0 {
			w.add("s.id >= ?", f.sinceID)
		} else {
			w.add("s.id >= "+sinceSignal, since)
		}
	}
	if !f.Until.IsZero() {
		w.add("s.received_at < ?", f.Until.UnixNano())
	}
	if f.AccountID != 0 {
		w.add("s.account_id = ?", f.AccountID)
	}
	if f.SiteID != 0 {
		w.add("s.site_id = ?", f.SiteID)
	}
	if f.BeforeID > 0 {
		w.add("s.id < ?", f.BeforeID)
	}
	if f.TestOnly {
		w.conds = append(w.conds, "s.test = 1") // signals_test
	}
	if f.Resolution != "" {
		w.add("s.resolution = ?", f.Resolution)
		if f.Resolution != ResolutionResolved {
			w.conds = append(w.conds, "s.resolution <> 'resolved'") // signals_unresolved
		}
	}
	// The history filters, within the scope an index gave (scoped).
	if f.Code != "" {
		w.add("s.event_code = ?", strings.ToUpper(strings.TrimSpace(f.Code)))
	}
	if f.Category != "" {
		w.add("s.category = ?", f.Category)
	}
	// Panels send zones with leading zeros or without (017, 17): they are
	// compared as matched, without them.
	if z := core.NormaliseZone(f.Zone); z == "0" {
		w.conds = append(w.conds, "s.zone <> '' AND ltrim(s.zone, '0') = ''")
	} else if z != "" {
		w.add("ltrim(upper(s.zone), '0') = ?", z)
	}
	if f.Text != "" {
		like := core.Like(f.Text)
		w.conds = append(w.conds, "("+core.LikeAny("s.description", "s.text", "s.zone_description")+")")
		w.args = append(w.args, like, like, like)
	}
	if len(f.IDs) > 0 {
		marks := core.Marks(len(f.IDs))
		w.conds = append(w.conds, "s.id IN ("+marks+")")
		for _, id := range f.IDs {
			w.args = append(w.args, id)
		}
	}
	return w
}

// sinceFrame is the least id of the frames received at or after its
// parameter (NULL when there are none), and sinceSignal the least id of
// the signals of those frames: every row received since then has at
// least that id, so a list in id order starts there instead of at the
// table's first row. Ids follow the order of commits, not quite that of
// receipt (sessions commit concurrently, clocks step), so the bound is
// the least id of the whole range, never that of its first entry, and the
// received_at condition still decides each row: the results are those of
// the received_at condition alone. The bound reads the range's entries of
// frames_received_at and of the signals' (frame_id, idx) index; a signal's
// received_at is its frame's (commit.go), so signals need no time index
// of their own (migration 0016). min(+id): min(id) would walk the rowids
// from the first, waiting for one in the range.
const (
	sinceFrame  = `(SELECT min(+id) FROM frames WHERE received_at >= ?)`
	sinceSignal = `(SELECT min(+id) FROM signals WHERE frame_id >= ` + sinceFrame + `)`
)

// scanSignal reads a row of Signals' query.
func scanSignal(sc core.RowScanner) (Signal, error) {
	var sg Signal
	var received int64
	var encrypted, known int
	var mods string
	var panel, frameTime sql.NullInt64
	var raw []byte
	var test int
	var detail string
	if err := sc.Scan(&sg.ID, &sg.FrameID, &received, &sg.Receiver, &sg.Line, &sg.Listener,
		&sg.Transport, &sg.RemoteAddr, &sg.Protocol, &sg.Kind, &encrypted, &sg.Account,
		&sg.FrameAccount, &sg.Sequence, &sg.Format, &sg.EventCode, &sg.Qualifier, &sg.Zone,
		&sg.Partition, &sg.User, &sg.Address, &sg.AddressKind, &known, &sg.Description,
		&sg.Category, &sg.Priority, &sg.Text, &mods, &panel, &frameTime, &raw,
		&sg.Resolution, &sg.AccountID, &sg.SiteID, &test, &sg.OnTestID, &sg.ZoneDescription, &sg.Handling, &detail); err != nil {
		return Signal{}, err
	}
	sg.ReceivedAt = fromNanos(received)
	sg.Encrypted = encrypted != 0
	if sg.Encrypted && detail != "" {
		// The data block as decrypted, from the protocol's decoded frame
		// (DC-09's "data"); the codec keeps key material out of it.
		var d struct {
			Data string `json:"data"`
		}
		if json.Unmarshal([]byte(detail), &d) == nil {
			sg.DataBlock = d.Data
		}
	}
	sg.Known = known != 0
	sg.Test = test != 0
	sg.PanelTime = nullableTime(panel)
	sg.FrameTime = nullableTime(frameTime)
	if mods != "" {
		if err := json.Unmarshal([]byte(mods), &sg.Modifiers); err != nil {
			return Signal{}, fmt.Errorf("signal %d modifiers: %w", sg.ID, err)
		}
	}
	sg.Raw, sg.RawHex = rawForms(raw)
	return sg, nil
}

// Frame is one stored frame as the API shows it.
type Frame struct {
	ID         int64           `json:"id"`
	ReceivedAt time.Time       `json:"received_at"`
	Receiver   int             `json:"receiver"`
	Line       int             `json:"line"`
	Listener   string          `json:"listener"`
	Transport  string          `json:"transport"`
	RemoteAddr string          `json:"remote_addr"`
	Protocol   string          `json:"protocol"`
	Kind       string          `json:"kind"`
	Encrypted  bool            `json:"encrypted"`
	Account    string          `json:"account"`
	Sequence   string          `json:"sequence"`
	FrameTime  *time.Time      `json:"frame_time"`
	Status     string          `json:"status"`
	Reason     string          `json:"reason"`
	Deviations string          `json:"deviations"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	Signals    int             `json:"signals"`
	Raw        string          `json:"raw"`
	RawHex     string          `json:"raw_hex"`
}

// FrameFilter selects frames; zero fields do not filter.
type FrameFilter struct {
	Account  string
	Receiver int
	Status   string
	Since    time.Time
	AfterID  int64
	BeforeID int64
	Desc     bool // newest first
	Limit    int
}

// Frames lists stored frames (accepted, link tests and rejected), oldest
// first (newest first with Desc).
func (s *Store) Frames(ctx context.Context, f FrameFilter) ([]Frame, error) {
	q, args := framesQuery(f)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list frames: %w", err)
	}
	out, err := core.AppendRows([]Frame{}, rows, s.scanFrame)
	if err != nil {
		return nil, fmt.Errorf("store: list frames: %w", err)
	}
	return out, nil
}

// framesQuery is the query Frames runs for f, with its arguments; like
// signalsQuery, a time bound is also an id bound, and a status is written
// as a literal, which frames_rejected (status = 'rejected') then serves.
func framesQuery(f FrameFilter) (string, []any) {
	var w where
	w.common("f", f.Account, f.Receiver, f.AfterID)
	if !f.Since.IsZero() {
		since := f.Since.UnixNano()
		w.add("f.received_at >= ?", since)
		w.add("f.id >= "+sinceFrame, since)
	}
	switch f.Status {
	case "":
	case StatusAccepted, StatusRejected:
		w.conds = append(w.conds, "f.status = '"+f.Status+"'")
	default:
		w.add("f.status = ?", f.Status)
	}
	if f.BeforeID > 0 {
		w.add("f.id < ?", f.BeforeID)
	}
	q := `SELECT f.id, f.received_at, f.receiver, f.line, f.listener, f.transport, f.remote_addr,
		f.protocol, f.kind, f.encrypted, f.account, f.sequence, f.frame_time, f.status, f.reason,
		f.deviations, f.detail, (SELECT count(*) FROM signals s WHERE s.frame_id = f.id), f.raw
		FROM frames f`
	return w.finish(q, orderBy("f.id", f.Desc), f.Limit)
}

// scanFrame reads a row of Frames' query. A frame stored without its
// detail, which its protocol rebuilds from the stored bytes
// (protocols.DetailRebuilder), gets it rebuilt.
func (s *Store) scanFrame(sc core.RowScanner) (Frame, error) {
	var fr Frame
	var received int64
	var encrypted int
	var frameTime sql.NullInt64
	var raw []byte
	var detail string
	if err := sc.Scan(&fr.ID, &received, &fr.Receiver, &fr.Line, &fr.Listener, &fr.Transport,
		&fr.RemoteAddr, &fr.Protocol, &fr.Kind, &encrypted, &fr.Account, &fr.Sequence, &frameTime,
		&fr.Status, &fr.Reason, &fr.Deviations, &detail, &fr.Signals, &raw); err != nil {
		return Frame{}, err
	}
	fr.ReceivedAt = fromNanos(received)
	fr.Encrypted = encrypted != 0
	fr.FrameTime = nullableTime(frameTime)
	switch {
	case detail != "":
		if json.Valid([]byte(detail)) {
			fr.Detail = json.RawMessage(detail)
		}
	case s.opts.RebuildDetail != nil && fr.Status == StatusAccepted && !fr.Encrypted:
		if d, ok := s.opts.RebuildDetail(fr.Protocol, raw); ok {
			fr.Detail = d
		}
	}
	fr.Raw, fr.RawHex = rawForms(raw)
	return fr, nil
}

// DedupeEntry is a recently accepted frame's duplicate-detection key.
type DedupeEntry struct {
	Key        string
	FrameID    int64
	ReceivedAt time.Time
}

// recentDedupeSQL is RecentDedupeKeys' query: in id order, which the seed
// keeps (the first of a key wins, the oldest expires first), starting at
// the window's first frame id (sinceFrame) rather than reading the frames
// table from its first row, as it did before migration 0016.
const recentDedupeSQL = `SELECT dedupe_key, id, received_at FROM frames
	WHERE dedupe_key <> '' AND received_at >= ? AND status = 'accepted' AND id >= ` + sinceFrame + ` ORDER BY id`

// RecentDedupeKeys returns the dedupe keys of frames accepted since the given
// time, so that a restarted receiver still recognises retransmissions of
// frames it stored (and perhaps acknowledged) before it stopped.
func (s *Store) RecentDedupeKeys(ctx context.Context, since time.Time) ([]DedupeEntry, error) {
	rows, err := s.rdb.QueryContext(ctx, recentDedupeSQL, since.UnixNano(), since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("store: recent dedupe keys: %w", err)
	}
	out, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (DedupeEntry, error) {
		var e DedupeEntry
		var received int64
		err := sc.Scan(&e.Key, &e.FrameID, &received)
		e.ReceivedAt = fromNanos(received)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: recent dedupe keys: %w", err)
	}
	return out, nil
}

// Counts returns the number of frames and signals stored.
func (s *Store) Counts(ctx context.Context) (frames, signals int64, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM frames), (SELECT count(*) FROM signals)`).
		Scan(&frames, &signals)
	if err != nil {
		err = fmt.Errorf("store: counts: %w", err)
	}
	return frames, signals, err
}

// where builds a WHERE clause from optional conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

// common adds the filters every list shares; table is the alias holding
// account, receiver and id.
func (w *where) common(table, account string, receiver int, afterID int64) {
	if account != "" {
		w.add(table+".account = ?", account)
	}
	if receiver != 0 {
		w.add(table+".receiver = ?", receiver)
	}
	if afterID > 0 {
		w.add(table+".id > ?", afterID)
	}
}

// finish appends the clause, the order and the limit to q.
func (w *where) finish(q, orderBy string, limit int) (string, []any) {
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	return q + " ORDER BY " + orderBy + " LIMIT ?", append(w.args, core.ClampLimit(limit))
}

// orderBy is an id order, descending with desc.
func orderBy(col string, desc bool) string {
	if desc {
		return col + " DESC"
	}
	return col
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullableTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// rawForms returns the raw bytes as text (when they are valid UTF-8, which
// JSON then escapes: "\n…\r") and always as exact hex.
func rawForms(raw []byte) (text, hexForm string) {
	if utf8.Valid(raw) {
		text = string(raw)
	}
	return text, hex.EncodeToString(raw)
}

// MessageSeen reports whether a message with this idempotency key was
// stored.
func (s *Store) MessageSeen(ctx context.Context, key string) (bool, error) {
	var one int
	var err error
	// A key that text cannot hold is stored in its lossless form; one
	// stored as it came, by a build before that, is found too (SQLite).
	raw := key
	key = storableKey(key)
	if s.jr.shared {
		// Another node may have taken the key a moment ago, its frame not
		// projected yet: the journal's key is what the nodes share.
		err = s.rdb.QueryRowContext(ctx, `SELECT 1 FROM dedupe_keys WHERE key = ?
			UNION ALL SELECT 1 FROM message_ids WHERE key = ? LIMIT 1`, messageKeyPrefix+key, key).Scan(&one)
	} else {
		err = s.rdb.QueryRowContext(ctx, `SELECT 1 FROM message_ids WHERE key IN (?, ?) LIMIT 1`, key, raw).Scan(&one)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: message seen: %w", err)
	}
	return true, nil
}
