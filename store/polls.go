package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Poll is a valid message that carries no event: a DC-09 NULL, a link
// test, a heartbeat. It checks its account in and costs no row of its own
// [design.md §2 rule 5]: RecordPoll coalesces polls in memory per
// receiver, account and listener, and FlushPolls writes what was coalesced
// as one poll_evidence row each (the first and last poll, and a count).
type Poll struct {
	Receiver   int
	Account    string // as stored: the receiver's prefix applied; "" for a link test that names none
	AccountID  int64  // what the account resolved to; 0: unknown
	Listener   string
	At         time.Time
	Transport  string
	RemoteAddr string
	Protocol   string
	Kind       string // the protocol's frame type ("NULL")
	Raw        []byte // the evidence copy (secrets blanked); RecordPoll copies it
}

// PollEvidence is what is kept of an account's polls on one listener.
type PollEvidence struct {
	Receiver   int       `json:"receiver"`
	Account    string    `json:"account"`
	Listener   string    `json:"listener"`
	AccountID  *int64    `json:"account_id"`
	FirstAt    time.Time `json:"first_at"`
	LastAt     time.Time `json:"last_at"`
	Polls      int64     `json:"polls"`
	Transport  string    `json:"transport"`
	RemoteAddr string    `json:"remote_addr"`
	Protocol   string    `json:"protocol"`
	Kind       string    `json:"kind"`
	Raw        string    `json:"raw"` // the last poll as received
}

type pollKey struct {
	receiver          int
	account, listener string
}

// pollEntry is what came of one key since the last flush.
type pollEntry struct {
	last    Poll // Raw is the entry's own copy
	firstAt time.Time
	count   int64
}

// pollBook holds the polls not yet written. It is bounded: an account the
// store knows has one entry per listener (the accounts bound them), and
// entries of unknown accounts, which anyone who can reach a plain port can
// make up, are capped at unknownMax per flush; polls beyond it are ACKed
// and counted, and only their evidence is not kept.
type pollBook struct {
	mu         sync.Mutex
	pending    map[pollKey]*pollEntry
	unknown    int
	unknownMax int

	mUnkept  prometheus.Counter
	mFlushed prometheus.Counter
	mPending prometheus.GaugeFunc
}

// DefaultUnknownPollsMax bounds the unknown accounts whose polls are kept
// as evidence between two flushes.
const DefaultUnknownPollsMax = 10_000

// pollFlushChunk bounds the rows of one flush transaction: the writer
// takes the panels' commits between two chunks.
const pollFlushChunk = 2000

func newPollBook(reg prometheus.Registerer, unknownMax int) *pollBook {
	b := &pollBook{pending: map[pollKey]*pollEntry{}, unknownMax: unknownMax}
	f := promauto.With(reg)
	b.mUnkept = f.NewCounter(prometheus.CounterOpts{
		Name: "alarmrx_store_polls_unkept_total",
		Help: "Polls of unknown accounts acknowledged without evidence kept: more unknown accounts polled between two flushes than the store keeps.",
	})
	b.mFlushed = f.NewCounter(prometheus.CounterOpts{
		Name: "alarmrx_store_poll_evidence_written_total",
		Help: "Poll evidence rows written (one per account and listener per flush, however many polls it coalesced).",
	})
	b.mPending = f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_store_poll_evidence_pending",
		Help: "Accounts and listeners with polls not yet written to poll_evidence.",
	}, func() float64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return float64(len(b.pending))
	})
	return b
}

func (b *pollBook) record(p *Poll) {
	k := pollKey{p.Receiver, p.Account, p.Listener}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.pending[k]
	if e == nil {
		if p.AccountID == 0 {
			if b.unknown >= b.unknownMax {
				b.mUnkept.Inc()
				return
			}
			b.unknown++
		}
		e = &pollEntry{firstAt: p.At}
		b.pending[k] = e
	}
	raw := append(e.last.Raw[:0], p.Raw...)
	e.last = *p
	e.last.Raw = raw
	e.count++
}

// take hands over what is pending.
func (b *pollBook) take() map[pollKey]*pollEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.pending
	b.pending, b.unknown = make(map[pollKey]*pollEntry, len(out)), 0
	return out
}

// putBack returns entries a failed flush did not write, merged with what
// came meanwhile, so that their counts are not lost.
func (b *pollBook) putBack(entries []*pollEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, old := range entries {
		k := pollKey{old.last.Receiver, old.last.Account, old.last.Listener}
		e := b.pending[k]
		if e == nil {
			b.pending[k] = old
			if old.last.AccountID == 0 {
				b.unknown++
			}
			continue
		}
		e.firstAt = old.firstAt
		e.count += old.count
	}
}

// RecordPoll keeps a poll to be written by the next FlushPolls. It never
// blocks on the disk. It returns ErrUnavailable while the store is
// unhealthy: a poll then gets the answer an alarm would get, so that the
// panel fails over to its backup receiver instead of believing this one
// can take its alarms. The poll is kept all the same, and the flush that
// writes it proves the store is back.
func (s *Store) RecordPoll(p Poll) error {
	s.polls.record(&p)
	if ok, why := s.Healthy(); !ok {
		return fmt.Errorf("%w: %s", ErrUnavailable, why)
	}
	return nil
}

// FlushPolls writes the polls kept since the last flush, at most
// pollFlushChunk rows a transaction; what fails to be written is kept for
// the next flush.
func (s *Store) FlushPolls(ctx context.Context) (rows int, err error) {
	pending := s.polls.take()
	if len(pending) == 0 {
		return 0, nil
	}
	entries := make([]*pollEntry, 0, len(pending))
	for _, e := range pending {
		entries = append(entries, e)
	}
	upsert := `INSERT INTO poll_evidence (receiver, account, listener, account_id, first_at, last_at, polls,
			transport, remote_addr, protocol, kind, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (receiver, account, listener) DO UPDATE SET account_id = excluded.account_id,
			last_at = excluded.last_at, polls = poll_evidence.polls + excluded.polls,
			transport = excluded.transport, remote_addr = excluded.remote_addr, protocol = excluded.protocol,
			kind = excluded.kind, raw = excluded.raw`
	for len(entries) > 0 {
		chunk := entries[:min(len(entries), pollFlushChunk)]
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, upsert)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, e := range chunk {
				p := &e.last
				if _, err := st.ExecContext(ctx, p.Receiver, p.Account, p.Listener, nullID(p.AccountID),
					e.firstAt.UnixNano(), p.At.UnixNano(), e.count, p.Transport, p.RemoteAddr, p.Protocol, p.Kind, p.Raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.polls.putBack(entries)
			return rows, fmt.Errorf("store: poll evidence: %w", err)
		}
		rows += len(chunk)
		s.polls.mFlushed.Add(float64(len(chunk)))
		entries = entries[len(chunk):]
	}
	return rows, nil
}

// PollFilter selects poll evidence; zero fields do not filter.
type PollFilter struct {
	Receiver int
	Account  string // as stored
	Limit    int    // default 100, at most 10000
}

// PollEvidence lists what is kept of polls, the most recent first.
func (s *Store) PollEvidence(ctx context.Context, f PollFilter) ([]PollEvidence, error) {
	q := `SELECT receiver, account, listener, account_id, first_at, last_at, polls, transport, remote_addr,
		protocol, kind, raw FROM poll_evidence`
	var where []string
	var args []any
	if f.Receiver != 0 {
		where, args = append(where, "receiver = ?"), append(args, f.Receiver)
	}
	if f.Account != "" {
		where, args = append(where, "account = ?"), append(args, f.Account)
	}
	for i, w := range where {
		if i == 0 {
			q += " WHERE " + w
		} else {
			q += " AND " + w
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY last_at DESC LIMIT ?"
	args = append(args, min(limit, 10000))
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: poll evidence: %w", err)
	}
	out, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (PollEvidence, error) {
		var e PollEvidence
		var id sql.NullInt64
		var first, last int64
		var raw []byte
		err := sc.Scan(&e.Receiver, &e.Account, &e.Listener, &id, &first, &last, &e.Polls, &e.Transport,
			&e.RemoteAddr, &e.Protocol, &e.Kind, &raw)
		if id.Valid {
			e.AccountID = &id.Int64
		}
		e.FirstAt, e.LastAt, e.Raw = fromNanos(first), fromNanos(last), string(raw)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: poll evidence: %w", err)
	}
	return out, nil
}
