package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/queue"
	"go.uber.org/zap"
)

// The projection builds a group of journal entries (up to a chunk) at a
// time, in phases, so that on PostgreSQL a group costs a few round trips
// to the database rather than a few an entry: the state its signals need
// is read at once (the open incidents of their accounts, the runaway
// detector's watched signals), then its frames are inserted in one
// statement and its signals in another, then each entry's incidents and
// station events are written in order, and its outbox rows in one
// statement last. On SQLite, whose statements cost no round trip, the
// same phases run a row at a time on the writer's prepared statements.

// On PostgreSQL, a group's frames and signals go in one statement each.
const (
	insertFramesSQL = `INSERT INTO frames
		(id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, encrypted,
		 account, frame_receiver, frame_line, sequence, frame_time, status, reason, deviations,
		 dedupe_key, detail, raw)
		SELECT id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, encrypted,
		 account, frame_receiver, frame_line, sequence, NULLIF(frame_time, 0), status, reason, deviations,
		 dedupe_key, detail, raw
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[],
		 ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[],
		 ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bytea[])
		AS t(id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, encrypted,
		 account, frame_receiver, frame_line, sequence, frame_time, status, reason, deviations,
		 dedupe_key, detail, raw)`
	insertSignalsSQL = `INSERT INTO signals
		(frame_id, idx, received_at, receiver, account, format, event_code, qualifier, partition,
		 zone, "user", address, address_kind, known, description, category, priority, text,
		 modifiers, panel_time, account_id, site_id, resolution, test, on_test_id, handling, zone_description)
		SELECT frame_id, idx, received_at, receiver, account, format, event_code, qualifier, partition,
		 zone, u, address, address_kind, known, description, category, priority, text,
		 modifiers, NULLIF(panel_time, 0), NULLIF(account_id, 0), NULLIF(site_id, 0), resolution, test,
		 NULLIF(on_test_id, 0), handling,
		 coalesce((SELECT z.description FROM zones z WHERE z.account_id = t.account_id AND z.number = t.resolved_zone), '')
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[],
		 ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[],
		 ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[],
		 ?::bigint[], ?::bigint[], ?::text[], ?::text[]) WITH ORDINALITY
		AS t(frame_id, idx, received_at, receiver, account, format, event_code, qualifier, partition,
		 zone, u, address, address_kind, known, description, category, priority, text,
		 modifiers, panel_time, account_id, site_id, resolution, test, on_test_id, handling, resolved_zone, n)
		ORDER BY t.n
		RETURNING id, frame_id, idx`
)

// projEntry is one journal entry of the group being projected, decoded;
// its events are its signals, in the group's signal rows in order.
type projEntry struct {
	id  int64
	m   *protocols.Message
	rec *Receipt
}

// signalRow is one signal of the group: what its row holds beyond the
// event and its frame's receipt, and the id the insert gave it.
type signalRow struct {
	frame   int64
	idx     int
	e       *protocols.Event
	rec     *Receipt
	account string // as stored: prefix applied
	res     Resolution
	h       Handling
	id      int64
}

// decode reads one journal entry. The poison entry gets its frame row
// alone (its events and what they would raise are left out, and said).
func (b *frameBatcher) decode(r journalRow) (projEntry, error) {
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
		return projEntry{}, err
	}
	if rec.Status == "" {
		rec.Status = StatusAccepted
	}
	if rec.Status != StatusAccepted {
		m.Events = nil // a rejected frame is evidence, never events
	}
	storable(m, rec)
	return projEntry{id: r.id, m: m, rec: rec}, nil
}

// storable makes the text a panel sent storable on both engines:
// PostgreSQL's text holds neither a NUL byte nor invalid UTF-8, and a
// frame's events must not fail their projection for a byte of noise.
// Such bytes become U+FFFD in the columns; the frame's raw bytes keep
// what was received.
func storable(m *protocols.Message, rec *Receipt) {
	for _, p := range []*string{&m.Kind, &m.Account, &m.Receiver, &m.Line, &m.Sequence, &rec.RemoteAddr} {
		*p = storableText(*p)
	}
	rec.DedupeKey, rec.IdempotencyKey = storableKey(rec.DedupeKey), storableKey(rec.IdempotencyKey)
	for i := range m.Events {
		e := &m.Events[i]
		for _, p := range []*string{&e.Format, &e.Account, &e.Code, &e.Partition, &e.Address, &e.Zone, &e.User,
			&e.Text, &e.Description} {
			*p = storableText(*p)
		}
		for j := range e.Modifiers {
			e.Modifiers[j].Name, e.Modifiers[j].Value = storableText(e.Modifiers[j].Name), storableText(e.Modifiers[j].Value)
		}
	}
	for i, a := range rec.UnknownAccounts {
		rec.UnknownAccounts[i] = storableText(a)
	}
	for i := range rec.Resolutions {
		rec.Resolutions[i].Zone = storableText(rec.Resolutions[i].Zone)
	}
	if t := rec.Trouble; t != nil {
		t.Account, t.Title = storableText(t.Account), storableText(t.Title)
	}
}

// storableKey is a dedupe or idempotency key as stored: itself, or, when
// it holds what text cannot, U+FFFD and the key's bytes in hex, so that
// two such keys stay two.
func storableKey(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return "\uFFFD" + hex.EncodeToString([]byte(s))
}

// storableText is s with each NUL byte and each invalid UTF-8 sequence
// replaced by U+FFFD.
func storableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// eventAccount is the account an event of the entry belongs to, as
// stored, and what it resolved to at receipt.
func (en *projEntry) eventAccount(i int) (string, Resolution) {
	account := en.m.Events[i].Account
	if account == "" {
		account = en.m.Account
	}
	var res Resolution
	if i < len(en.rec.Resolutions) {
		res = en.rec.Resolutions[i]
	}
	return account, res
}

// watched says whether the runaway detector watches a signal so handled:
// not one in an on-test scope, and not one an older build's receiver
// decided already (a journal entry written before the upgrade).
func watched(h Handling) bool {
	return h.Mode != HandlingTest && h.Mode != HandlingRepeat && !h.Runaway
}

// projectGroup builds the rows of group's entries, in the phases above.
// A failure it can pin on one entry is that entry's projectionError; one
// of a statement that holds the whole group is the group's (chunk).
func (b *frameBatcher) projectGroup(ctx context.Context, st *txStmts, group []projEntry) error {
	if st.arrays {
		if err := b.prefetch(ctx, st, group); err != nil {
			return b.groupError(group, err)
		}
	}
	ds, err := b.disasterSet(ctx, st)
	if err != nil {
		return b.groupError(group, err)
	}
	st.disasters = ds
	sigs := b.sigs[:0]
	for gi := range group {
		en := &group[gi]
		st.latest = max(st.latest, en.rec.ReceivedAt.UnixNano())
		for i := range en.m.Events {
			e := &en.m.Events[i]
			account, res := en.eventAccount(i)
			h := en.rec.handling(i, e)
			if watched(h) {
				if err := st.detectRunaway(ctx, en.rec, account, e, &h); err != nil {
					return &projectionError{id: en.id, err: err}
				}
			}
			if d := ds.groupFor(en.rec, e, h, res); d != nil && !h.Runaway {
				h.Mode, h.Group, h.GroupTitle = HandlingGrouped, strconv.FormatInt(d.ID, 10), disasterTitle(d)
				ds.grouped[d.ID] = max(ds.grouped[d.ID], en.rec.ReceivedAt.UnixNano())
			}
			sigs = append(sigs, signalRow{frame: en.id, idx: i, e: e, rec: en.rec, account: account, res: res, h: h})
		}
	}
	b.sigs = sigs
	if err := st.insertFrames(ctx, group); err != nil {
		return b.groupError(group, err)
	}
	if err := st.insertSignals(ctx, sigs); err != nil {
		return b.groupError(group, err)
	}
	for gi := range group {
		en := &group[gi]
		if err := st.frameEffects(ctx, en, sigs[:len(en.m.Events)]); err != nil {
			return &projectionError{id: en.id, err: err}
		}
		n := len(en.m.Events)
		for i := range sigs[:n] {
			if err := st.queueSignal(ctx, &sigs[i]); err != nil {
				return &projectionError{id: en.id, err: err}
			}
		}
		sigs = sigs[n:]
		if err := b.autoDisaster(ctx, st, en.rec.ReceivedAt); err != nil {
			return &projectionError{id: en.id, err: err}
		}
		for _, res := range en.rec.Resolutions {
			if res.SiteID != 0 && (len(b.s.jr.sites) == 0 || b.s.jr.sites[len(b.s.jr.sites)-1] != res.SiteID) {
				b.s.jr.sites = append(b.s.jr.sites, res.SiteID)
			}
		}
	}
	if err := st.out.Write(ctx, st.prepared, st.arrays); err != nil {
		return b.groupError(group, err)
	}
	for id, at := range ds.grouped {
		if _, err := st.exec(ctx, `UPDATE disaster_modes SET last_grouped_at = ? WHERE id = ? AND last_grouped_at < ?`, at, id, at); err != nil {
			return b.groupError(group, err)
		}
	}
	return nil
}

// groupError is the failure of a statement that holds the whole group: a
// group of one is its entry's failure; a larger one cannot say which
// entry failed, and the next projections take its entries one at a time
// (journal.narrow) until the one that fails is found.
func (b *frameBatcher) groupError(group []projEntry, err error) error {
	return &projectionError{id: group[len(group)-1].id, err: err, group: len(group) > 1}
}

// prefetch reads at once the state the group's signals need: the open
// incidents of their accounts, and the runaway detector's watched
// signals (PostgreSQL; SQLite reads each when first met, at no round
// trip, and keeps the detector's state in memory).
func (b *frameBatcher) prefetch(ctx context.Context, st *txStmts, group []projEntry) error {
	accounts, watches := b.accounts[:0], b.watches[:0]
	for gi := range group {
		en := &group[gi]
		for _, acct := range en.rec.UnknownAccounts {
			accounts = append(accounts, queue.IncidentKey(en.rec.Receiver, acct, 0))
		}
		for i := range en.m.Events {
			e := &en.m.Events[i]
			account, res := en.eventAccount(i)
			accounts = append(accounts, incidentKey(en.rec.Receiver, account, res))
			if st.runaway.Max > 0 && watched(en.rec.handling(i, e)) {
				watches = append(watches, queue.RunawayKey(en.rec.Receiver, account, e.Format, e.Code, e.Zone))
			}
		}
	}
	b.accounts, b.watches = accounts, watches
	if err := st.q.PrefetchOpen(ctx, accounts); err != nil {
		return err
	}
	return st.q.PrefetchRunaways(ctx, watches)
}

// frameRow is the values of one frames row, in insertFrameSQL's order.
func frameRow(en *projEntry) []any {
	m, rec := en.m, en.rec
	reason := ""
	if rec.Status == StatusRejected {
		reason = rec.Reason.String()
	}
	devs := make([]string, len(m.Deviations))
	for i, d := range m.Deviations {
		devs[i] = d.String()
	}
	var frameTime int64
	if !m.Timestamp.IsZero() {
		frameTime = m.Timestamp.UnixNano()
	}
	return []any{en.id, rec.ReceivedAt.UnixNano(), int64(rec.Receiver), int64(rec.Line), rec.Listener, rec.Transport,
		rec.RemoteAddr, rec.Protocol, m.Kind, int64(boolInt(m.Encrypted)), m.Account, m.Receiver, m.Line, m.Sequence,
		frameTime, rec.Status, reason, strings.Join(devs, ","), rec.DedupeKey, rec.Detail, rec.Raw}
}

// insertFrames writes the group's frames rows.
func (st *txStmts) insertFrames(ctx context.Context, group []projEntry) error {
	if !st.arrays {
		for gi := range group {
			row := frameRow(&group[gi])
			if row[14] == int64(0) {
				row[14] = nil // frame_time: none
			}
			if _, err := st.frame.ExecContext(ctx, row...); err != nil {
				return err
			}
		}
		return nil
	}
	return st.insertColumns(ctx, insertFramesSQL, len(group), func(i int) []any { return frameRow(&group[i]) })
}

// signalValues is the values of one signals row, in insertSignalsSQL's
// order, the zone the signal resolved to last (its description's lookup).
func signalValues(sg *signalRow, lookupAccount bool) ([]any, error) {
	e, rec := sg.e, sg.rec
	mods := ""
	if len(e.Modifiers) > 0 {
		b, err := json.Marshal(e.Modifiers)
		if err != nil {
			return nil, err
		}
		mods = string(b)
	}
	resolution := ResolutionUnknown
	if sg.res.Known() {
		resolution = ResolutionResolved
	}
	var panelTime int64
	if !e.PanelTime.IsZero() {
		panelTime = e.PanelTime.UnixNano()
	}
	row := make([]any, 0, 28)
	row = append(row, sg.frame, int64(sg.idx), rec.ReceivedAt.UnixNano(), int64(rec.Receiver), sg.account, e.Format, e.Code,
		e.Qualifier.String(), e.Partition, e.Zone, e.User, e.Address, e.AddressKind.String(), int64(boolInt(e.Known)),
		e.Description, e.Category.String(), int64(sg.h.Priority), e.Text, mods,
		panelTime, sg.res.AccountID, sg.res.SiteID, resolution,
		int64(boolInt(sg.res.OnTestID != 0)), sg.res.OnTestID, sg.h.Mode)
	if lookupAccount {
		row = append(row, sg.res.AccountID) // insertSignalSQL's zone lookup takes it again
	}
	return append(row, sg.res.Zone), nil
}

// The columns of signalValues that hold NULL for 0 on SQLite's row at a
// time (PostgreSQL's statement says NULLIF): panel_time, account_id,
// site_id, on_test_id.
var nullableSignalColumns = [...]int{19, 20, 21, 24}

// insertSignals writes the group's signals rows and gives each its id.
func (st *txStmts) insertSignals(ctx context.Context, sigs []signalRow) error {
	if len(sigs) == 0 {
		return nil
	}
	if !st.arrays {
		for i := range sigs {
			row, err := signalValues(&sigs[i], true)
			if err != nil {
				return err
			}
			for _, c := range nullableSignalColumns {
				if row[c] == int64(0) {
					row[c] = nil
				}
			}
			r, err := st.signal.ExecContext(ctx, row...)
			if err != nil {
				return err
			}
			if sigs[i].id, err = r.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	}
	cols, err := columns(len(sigs), func(i int) ([]any, error) { return signalValues(&sigs[i], false) })
	if err != nil {
		return err
	}
	rows, err := st.prepared.QueryContext(ctx, insertSignalsSQL, cols...)
	if err != nil {
		return err
	}
	type inserted struct{ id, frame, idx int64 }
	got := make([]inserted, 0, len(sigs))
	for rows.Next() {
		var r inserted
		if err := rows.Scan(&r.id, &r.frame, &r.idx); err != nil {
			rows.Close()
			return err
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(got) != len(sigs) {
		return errors.New("store: the signals insert returned another number of rows")
	}
	// The ids follow the signals' order (ORDER BY the ordinality), but
	// RETURNING's order is not promised: the rows are matched by their
	// (frame, index), the order sigs are in.
	slices.SortFunc(got, func(a, b inserted) int { return cmp.Or(cmp.Compare(a.frame, b.frame), cmp.Compare(a.idx, b.idx)) })
	for i := range sigs {
		if got[i].frame != sigs[i].frame || got[i].idx != int64(sigs[i].idx) {
			return errors.New("store: the signals insert returned rows of other signals")
		}
		sigs[i].id = got[i].id
	}
	return nil
}

// insertColumns runs an unnest insert of n rows, whose values row gives.
func (st *txStmts) insertColumns(ctx context.Context, query string, n int, row func(int) []any) error {
	cols, err := columns(n, func(i int) ([]any, error) { return row(i), nil })
	if err != nil {
		return err
	}
	_, err = st.prepared.ExecContext(ctx, query, cols...)
	return err
}

// columns turns n rows of values into one slice per column, each of the
// Go type of its values (int64, string or []byte), for arrays.
func columns(n int, row func(int) ([]any, error)) ([]any, error) {
	var cols []any
	for i := range n {
		vals, err := row(i)
		if err != nil {
			return nil, err
		}
		if cols == nil {
			cols = make([]any, len(vals))
			for c, v := range vals {
				switch v.(type) {
				case int64:
					cols[c] = make([]int64, 0, n)
				case string:
					cols[c] = make([]string, 0, n)
				case []byte:
					cols[c] = make([][]byte, 0, n)
				default:
					return nil, errors.New("store: a column of unexpected type")
				}
			}
		}
		for c, v := range vals {
			switch col := cols[c].(type) {
			case []int64:
				cols[c] = append(col, v.(int64))
			case []string:
				cols[c] = append(col, v.(string))
			case [][]byte:
				cols[c] = append(col, v.([]byte))
			}
		}
	}
	return cols, nil
}

// frameEffects writes what an entry raises besides its signals, in the
// order of the entries: the unknown accounts' events and incidents, its
// trouble, its idempotency key.
func (st *txStmts) frameEffects(ctx context.Context, en *projEntry, sigs []signalRow) error {
	rec := en.rec
	received := rec.ReceivedAt.UnixNano()
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
		detail, err := json.Marshal(map[string]any{"frame_id": en.id, "listener": rec.Listener, "remote_addr": rec.RemoteAddr})
		if err != nil {
			return err
		}
		if _, err := st.event.ExecContext(ctx, received, EventUnknownAccount, rec.Receiver, acct, string(detail)); err != nil {
			return err
		}
		if allGrouped(sigs, acct) {
			continue // a disaster mode took its signals instead (the event is kept)
		}
		if err := st.q.OpenUnknownIncident(ctx, rec.Receiver, acct, rec.ReceivedAt, rec.UnknownPriority, rec.Listener); err != nil {
			return err
		}
	}
	if rec.Trouble != nil {
		if err := st.raiseTrouble(ctx, rec, en.id); err != nil {
			return err
		}
	}
	if rec.Status == StatusAccepted && rec.IdempotencyKey != "" {
		if _, err := st.exec(ctx, `INSERT INTO message_ids (key, frame_id, at) VALUES (?,?,?)`,
			rec.IdempotencyKey, en.id, received); err != nil {
			return err
		}
	}
	return nil
}

// queueSignal applies one stored signal's handling to the queue and
// gathers its outbox rows.
func (st *txStmts) queueSignal(ctx context.Context, sg *signalRow) error {
	rec := sg.rec
	sig := queue.Signal{ID: sg.id, ReceivedAt: rec.ReceivedAt, Receiver: rec.Receiver, Account: sg.account,
		AccountID: sg.res.AccountID, SiteID: sg.res.SiteID, Event: sg.e}
	if err := st.q.QueueSignal(ctx, &sig, sg.h); err != nil {
		return err
	}
	st.out.QueueSignal(st.outbox, st.queued, sg.id, rec.ReceivedAt.UnixNano(), sg.e, sg.res.OnTestID != 0)
	if opening, ok := alarmcode.Transition(*sg.e); ok && sg.res.AccountID != 0 {
		// For supervision to judge against the account's schedule, in the
		// signal's transaction: a crash cannot lose one nor add one.
		if _, err := st.exec(ctx, insertTransitionSQL, sg.res.AccountID, sg.e.Partition, boolInt(opening),
			rec.ReceivedAt.UnixNano(), sg.id, sg.res.AccountID); err != nil {
			return err
		}
	}
	return nil
}

// allGrouped reports whether a disaster mode grouped every signal of an
// unknown account in its frame: then its incident is not opened. A fire,
// hold-up or medical signal is never grouped, and opens it.
func allGrouped(sigs []signalRow, account string) bool {
	for i := range sigs {
		if sigs[i].account == account && sigs[i].h.Mode != HandlingGrouped {
			return false
		}
	}
	return true
}

// insertTransitionSQL keeps an opening or closing of an account with a
// schedule (the others are only logged).
const insertTransitionSQL = `INSERT INTO schedule_transitions (account_id, area, opening, at, signal_id)
	SELECT ?,?,?,?,? WHERE EXISTS (SELECT 1 FROM schedules WHERE account_id = ?)`
