package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/store/ontest"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// On PostgreSQL, the nodes that share a database tell one another what
// changed in memory-held views (LISTEN/NOTIFY): an account's change, so
// that every node's account index resolves it within a moment; an on-test
// period's start and end; the incidents and sites the consoles and portal
// views follow, so that a console on one node shows an incident a signal
// opened on another. A node that loses its listening connection may have
// missed notices: once it listens again it reloads its index whole and
// tells its consoles to resync.

// The notice channels.
const (
	channelRecords = "alarmrx_records"
	channelQueue   = "alarmrx_queue"
	channelSites   = "alarmrx_sites"
)

// noticeMaxBytes is below PostgreSQL's 8000-byte bound on a payload; a
// larger queue event is sent as a resync.
const noticeMaxBytes = 7900

type notice struct{ channel, payload string }

// sendBatch bounds the notices sent in one statement.
const sendBatch = 256

// peers sends this node's notices and applies the other nodes'.
type peers struct {
	s    *Store
	log  *zap.Logger
	out  chan notice
	done chan struct{}
	// ready is closed once a LISTEN is first in place, whichever attempt
	// it took.
	ready     chan struct{}
	readyOnce sync.Once
	// stop ends the sender, after the store's last projection (Close);
	// missed is set when a notice found the queue full: the others are
	// then told to reload whole.
	stop   chan struct{}
	missed atomic.Bool
}

func newPeers(s *Store) *peers {
	return &peers{s: s, log: s.log.Named("peers"), out: make(chan notice, 4096), done: make(chan struct{}),
		ready: make(chan struct{}), stop: make(chan struct{})}
}

// tell queues a notice. It never waits, for its caller is the writer:
// when the queue is full (the database does not take the notices), the
// notice is not queued, and the other nodes are told to reload whole
// instead once the notices go again.
func (p *peers) tell(channel string, parts ...string) {
	payload := p.s.opts.NodeID + "|" + strings.Join(parts, "|")
	select {
	case p.out <- notice{channel, payload}:
	default:
		p.missed.Store(true)
	}
}

// run sends the queued notices and listens for the others' until the
// store closes.
func (p *peers) run() {
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		p.send()
	}()
	defer func() {
		<-sent
		close(p.done)
	}()
	backoff := 100 * time.Millisecond
	first := true
	for {
		err := p.listen(first)
		select {
		case <-p.s.closing:
			return
		default:
		}
		first = false
		p.log.Warn("listening to the other nodes failed; reconnecting", zap.Error(err), zap.Duration("after", backoff))
		select {
		case <-p.s.closing:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// send writes the queued notices on the journal's read pool.
// Whatever waits is sent together, up to sendBatch notices a statement:
// a projection publishes an event per incident it touched.
func (p *peers) send() {
	channels, payloads := make([]string, 0, sendBatch), make([]string, 0, sendBatch)
	stopping := false
	for {
		channels, payloads = channels[:0], payloads[:0]
		if p.missed.Swap(false) {
			channels, payloads = append(channels, channelRecords), append(payloads, p.s.opts.NodeID+"|resync")
		}
		if !stopping {
			select {
			case n := <-p.out:
				channels, payloads = append(channels, n.channel), append(payloads, n.payload)
			case <-p.stop:
				stopping = true // what the last projection told is sent, then the sender ends
			}
		}
	more:
		for len(channels) < sendBatch {
			select {
			case n := <-p.out:
				channels, payloads = append(channels, n.channel), append(payloads, n.payload)
			default:
				break more
			}
		}
		if len(channels) == 0 {
			return // stopping, and all sent
		}
		for try := 0; ; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			// unnest gives the notices in their order, and the
			// notifications of one transaction are delivered in the order
			// they were sent.
			rows, err := p.s.jdb.Read().QueryContext(ctx, `SELECT pg_notify(c, m) FROM unnest(?::text[], ?::text[]) AS u(c, m)`,
				channels, payloads)
			if err == nil {
				err = rows.Close()
			}
			cancel()
			if err == nil {
				break
			}
			if stopping {
				p.log.Warn("the other nodes were not told of the last changes before the stop: they reload whole when they miss a notice, not before",
					zap.Int("notices", len(channels)+len(p.out)), zap.Error(err))
				return
			}
			if try == 0 {
				p.log.Warn("telling the other nodes of a change failed; retrying", zap.Error(err))
			}
			select {
			case <-p.stop:
				stopping = true
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// listen holds one listening connection until it fails. After the first
// one, what was missed meanwhile is made good by a full reload.
func (p *peers) listen(first bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	conn, err := pgx.Connect(ctx, p.s.opts.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, ch := range []string{channelRecords, channelQueue, channelSites} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	// What changed since the index was loaded and before this LISTEN is
	// made good by a reload, unless this is the LISTEN of Open.
	if !first {
		if err := p.resync(ctx); err != nil {
			return err
		}
	}
	p.readyOnce.Do(func() { close(p.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		node, rest, ok := strings.Cut(n.Payload, "|")
		if !ok || node == p.s.opts.NodeID {
			continue
		}
		if err := p.apply(ctx, n.Channel, rest); err != nil {
			p.log.Warn("applying another node's change failed; reloading", zap.String("channel", n.Channel), zap.Error(err))
			if err := p.resync(ctx); err != nil {
				return err
			}
		}
	}
}

// resync reloads the account index whole and tells the consoles and the
// portal's views to reload.
func (p *peers) resync(ctx context.Context) error {
	start := time.Now()
	idx, err := p.s.loadIndex(ctx)
	if err != nil {
		return err
	}
	p.s.idx.Replace(idx)
	p.s.queue.hub.publish(QueueEvent{Action: "resync"})
	p.s.sites.publish(SiteEvent{})
	p.log.Info("account index reloaded after a gap in the other nodes' notices",
		zap.Int("accounts", p.s.idx.AccountCount()), zap.Duration("took", time.Since(start)))
	return nil
}

// apply makes another node's change this node's.
func (p *peers) apply(ctx context.Context, channel, payload string) error {
	switch channel {
	case channelQueue:
		var w queueNotice
		if err := json.Unmarshal([]byte(payload), &w); err != nil {
			return err
		}
		e := QueueEvent{IncidentID: w.IncidentID, Action: w.Action}
		if w.ReceivedAt != 0 {
			e.ReceivedAt = time.Unix(0, w.ReceivedAt)
		}
		p.s.queue.publishLocal(e)
	case channelSites:
		site, kind, _ := strings.Cut(payload, "|")
		id, err := strconv.ParseInt(site, 10, 64)
		if err != nil {
			return err
		}
		p.s.sites.publish(SiteEvent{SiteID: id, Kind: kind})
	case channelRecords:
		if payload == "resync" {
			return p.resync(ctx) // the other node missed telling a change
		}
		return p.applyRecord(ctx, strings.Split(payload, "|"))
	}
	return nil
}

// applyRecord follows an account's change (account|id|old receiver|old
// number) or an on-test period's (test|account id|period id|started or
// ended).
func (p *peers) applyRecord(ctx context.Context, f []string) error {
	if len(f) != 4 {
		return fmt.Errorf("store: notice %q: want 4 fields", strings.Join(f, "|"))
	}
	a, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return err
	}
	b, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil && f[0] == "test" {
		return err
	}
	switch f[0] {
	case "account":
		found, err := p.s.Kinds.ReloadAccount(ctx, p.s.idx, a, int(b), f[3], func(id int64, err error) {
			p.log.Warn(fmt.Sprintf("account %d: stored DC-09 key unusable: %v", id, err))
		})
		if err != nil {
			return err
		}
		old := &Account{ID: a, Receiver: int(b), Number: f[3]}
		if f[3] == "" {
			old = nil
		}
		var now *Account
		if found {
			if now, err = p.s.Accounts.Get(ctx, a); err != nil {
				return err
			}
		}
		p.s.tellWatchers(old, now)
	case "test":
		if f[3] == "ended" {
			p.s.idx.TestEnded(a, b)
			return nil
		}
		tests, err := ontest.Query(ctx, p.s.rdb, `id = ? AND ended_at IS NULL`, b)
		if err != nil {
			return err
		}
		for _, t := range tests {
			indexTest(p.s.idx, t)
		}
	}
	return nil
}

// tellAccount tells the other nodes that account a changed (old is its
// previous number, nil when it is new; a is nil when it was deleted).
func (p *peers) tellAccount(old, a *Account) {
	id, receiver, number := int64(0), 0, ""
	if old != nil {
		id, receiver, number = old.ID, old.Receiver, old.Number
	}
	if a != nil {
		id = a.ID
	}
	p.tell(channelRecords, "account", strconv.FormatInt(id, 10), strconv.Itoa(receiver), number)
}

func (p *peers) tellTest(t OnTest, how string) {
	p.tell(channelRecords, "test", strconv.FormatInt(t.AccountID, 10), strconv.FormatInt(t.ID, 10), how)
}

// queueNotice is a queue event as the nodes tell it, with the receipt
// time of the signal behind it.
type queueNotice struct {
	IncidentID int64  `json:"i,omitempty"`
	Action     string `json:"a"`
	ReceivedAt int64  `json:"r,omitempty"`
}

func (p *peers) tellQueue(e QueueEvent) {
	w := queueNotice{IncidentID: e.IncidentID, Action: e.Action}
	if !e.ReceivedAt.IsZero() {
		w.ReceivedAt = e.ReceivedAt.UnixNano()
	}
	b, err := json.Marshal(w)
	if err != nil || len(b) > noticeMaxBytes {
		b = []byte(`{"a":"resync"}`)
	}
	p.tell(channelQueue, string(b))
}

func (p *peers) tellSite(e SiteEvent) {
	p.tell(channelSites, strconv.FormatInt(e.SiteID, 10), e.Kind)
}
