package output

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// The help texts of the metrics every output of the record kind (Sur-Gard,
// peers) has: one text per name, as one registry holds them all.
const (
	helpUp            = "1 while the output's automation acknowledges records; 0 while it is absent (not connected or not answering)."
	helpDelivered     = "Signals the output's automation acknowledged."
	helpRetries       = "Records sent again after a NAK or no answer within the ACK timeout."
	helpUndeliverable = "Signals the output cannot deliver (no record of its protocol carries them, or its peer refused them for good), kept in the outbox as undeliverable (listed in the API, with an incident) instead of sent."
	helpPending       = "Signals in the output's outbox not yet acknowledged."
	helpLag           = "Age of the oldest signal not yet acknowledged by the output's automation (0 when none)."
)

// Dialect is the sending side of a cloud dialect (protocols/manitou,
// masxml, microkey, sos…): alarmrx in the role a cloud has, sending to an
// automation platform's receiver.
type Dialect interface {
	// EncodeSignal renders one signal with sequence seq; an error means
	// the dialect cannot carry it at all (the item is undeliverable).
	EncodeSignal(seq, account string, ev protocols.Event, at time.Time) ([]byte, error)
	// EncodeHeartbeat renders the keep-alive sent when idle.
	EncodeHeartbeat(seq string, at time.Time) []byte
	// SplitReply frames the peer's replies (bufio.SplitFunc).
	SplitReply(data []byte, atEOF bool) (int, []byte, error)
	// ParseReply reads one framed reply.
	ParseReply(frame []byte) (protocols.PeerReply, error)
}

// echoer is a Dialect whose replies echo a sequence in a form of their
// own (DC-09's four digits): EchoOf(seq) is the reply's Seq for seq.
type echoer interface {
	EchoOf(seq string) string
}

// PeerOptions configure an output that connects to an automation
// platform's receiver and sends it signals in a dialect.
type PeerOptions struct {
	Name    string // outbox target and metric label
	Dialect Dialect
	// Endpoints are host:port, the primary first, then the backups.
	Endpoints []string
	Outbox    Outbox
	Logger    *zap.Logger
	// Registerer takes the output's metrics.
	Registerer prometheus.Registerer
	// AckTimeout is how long to wait for the answer to one message
	// (default 10 s); Retries how many sends of one message an endpoint
	// gets before the output fails over to the next (default 3); Heartbeat
	// the idle time before a keep-alive (default 60 s); Failback how often,
	// while on a backup, the primary is tried again (default 60 s).
	AckTimeout time.Duration
	Retries    int
	Heartbeat  time.Duration
	Failback   time.Duration
	// DialTimeout bounds one connection attempt (default 5 s).
	DialTimeout time.Duration
	// Poll is how often an idle output looks for new outbox rows (default
	// 100 ms).
	Poll time.Duration
	Now  func() time.Time
}

// Peer delivers the outbox to an automation platform's receiver:
// stop-and-wait, in order, each message sent again until the peer accepts
// it. A message the peer refuses for good (malformed to it, not
// authorised) is listed as undeliverable with the peer's answer, so that
// the ones behind it go on. When an endpoint answers none of the retries
// of a message, or cannot be reached, the output fails over to the next
// endpoint; while on a backup it tries the primary again every Failback
// (failback). With no endpoint answering, the automation counts as
// absent (a trouble incident) and signals wait in the outbox.
type Peer struct {
	*status
	opts PeerOptions
	wake chan struct{}

	mu       sync.Mutex
	endpoint int // index in Endpoints of the connection in use

	heartbeatSeq uint64
	// Owned by Run: the first failure since the last answer, the rounds of
	// failovers since it, and the wait before the next round.
	failingSince time.Time
	rounds       int
	backoff      time.Duration
	mFailovers   prometheus.Counter
	mEndpoint    *prometheus.GaugeVec
}

// NewPeer makes the output; nothing connects before Run.
func NewPeer(o PeerOptions) (*Peer, error) {
	if len(o.Endpoints) == 0 || o.Dialect == nil {
		return nil, errors.New("output: a peer output needs a dialect and at least one endpoint")
	}
	defaultTo := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defaultTo(&o.AckTimeout, 10*time.Second)
	defaultTo(&o.Heartbeat, 60*time.Second)
	defaultTo(&o.Failback, 60*time.Second)
	defaultTo(&o.DialTimeout, 5*time.Second)
	defaultTo(&o.Poll, 100*time.Millisecond)
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger.Named("output").With(zap.String("output", o.Name))
	p := &Peer{opts: o, status: newStatus(o.Name, o.Outbox, log, o.Registerer, o.Now), wake: make(chan struct{}, 1),
		backoff: time.Second}
	f := promauto.With(o.Registerer)
	labels := prometheus.Labels{"output": o.Name}
	p.mFailovers = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_output_failovers_total", ConstLabels: labels,
		Help: "Times a peer output moved to another endpoint: failing over after the retries, or failing back to the primary."})
	p.mEndpoint = f.NewGaugeVec(prometheus.GaugeOpts{Name: "alarmrx_output_endpoint", ConstLabels: labels,
		Help: "1 for the endpoint a peer output sends to (0 the primary, 1 the first backup…), 0 for the others."}, []string{"endpoint"})
	for i := range o.Endpoints {
		p.mEndpoint.WithLabelValues(strconv.Itoa(i))
	}
	return p, nil
}

// Name is the output's name, its outbox target.
func (p *Peer) Name() string { return p.opts.Name }

// Wake tells the output its outbox got rows (never blocks).
func (p *Peer) Wake() { wake(p.wake) }

// peerConn is one connection to an endpoint, with its reply framer.
type peerConn struct {
	c        net.Conn
	sc       *bufio.Scanner
	endpoint int
	since    time.Time // when it was made: failback counts from here
}

func (c *peerConn) close() { _ = c.c.Close() }

// errRefused: the peer refused the message for good.
var errRefused = errors.New("output: the automation refused the message")

// Run connects and delivers until ctx ends.
func (p *Peer) Run(ctx context.Context) {
	var c *peerConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	lastSent := p.opts.Now()
	for ctx.Err() == nil {
		if c == nil {
			if p.rounds >= len(p.opts.Endpoints) {
				// Every endpoint failed the message in turn (each NAKs it,
				// or none answers): wait before the next round, longer each
				// time, instead of resending in a tight loop.
				sleep(ctx, p.backoff)
				p.backoff, p.rounds = min(2*p.backoff, 30*time.Second), 0
			}
			if c = p.connect(ctx, p.current()); c == nil {
				p.failing("no endpoint can be reached")
				sleep(ctx, p.backoff)
				p.backoff = min(2*p.backoff, 30*time.Second)
				continue
			}
		}
		if c.endpoint != 0 && p.opts.Now().Sub(c.since) >= p.opts.Failback {
			c = p.failBack(ctx, c)
		}
		items, err := p.opts.Outbox.PendingOutbox(ctx, p.opts.Name, 64)
		if err != nil {
			if ok, suppressed := p.rateLog.Allow("outbox_unread", p.opts.Now()); ok && ctx.Err() == nil {
				p.log.Warn("outbox read failed; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
			}
			sleep(ctx, time.Second)
			continue
		}
		if len(items) == 0 {
			if p.opts.Now().Sub(lastSent) >= p.opts.Heartbeat {
				if err := p.heartbeat(ctx, c); err != nil {
					c = p.failOver(c, err)
				}
				lastSent = p.opts.Now()
			}
			idle(ctx, p.wake, p.opts.Poll)
			continue
		}
		for _, it := range items {
			if ctx.Err() != nil || c == nil {
				break
			}
			var ok bool
			if c, ok = p.deliverOne(ctx, c, it); !ok {
				break
			}
			lastSent = p.opts.Now()
		}
	}
}

// deliverOne sends one item until the peer accepts it, refuses it for
// good, or the connection fails over; ok false means the item stays
// pending and delivery goes back to the top (a new connection, the
// outbox read again).
func (p *Peer) deliverOne(ctx context.Context, c *peerConn, it store.OutboxItem) (*peerConn, bool) {
	if it.Kind != "signal" {
		return c, p.undeliverable(ctx, it, errIncidentStep)
	}
	// The sequence is the signal's id: a message sent again carries the
	// same one, so that the peer can tell it is a retransmission. (Not
	// the outbox row's: pruning settled rows can empty that table, and
	// SQLite would then number rows from 1 again.)
	seq := strconv.FormatInt(it.SignalID, 10)
	for attempt := 1; ctx.Err() == nil; attempt++ {
		// Encoded for each send: a dialect that carries the time of
		// sending (DC-09) gets the time of this one.
		msg, err := p.opts.Dialect.EncodeSignal(seq, it.Account, it.Event, it.ReceivedAt.UTC())
		if err != nil {
			return c, p.undeliverable(ctx, it, err)
		}
		reply, err := p.exchange(ctx, c, msg, seq)
		switch {
		case err == nil:
			p.answered()
			// A delivery the store did not record is sent again: stopping
			// here keeps the order (the item stays at the head).
			return c, p.delivered(ctx, it)
		case errors.Is(err, errRefused):
			return c, p.undeliverable(ctx, it, fmt.Errorf("%w: %s", err, reply.Text))
		}
		p.markAttempt(ctx, it, err)
		p.mRetries.Inc()
		if attempt >= p.opts.Retries {
			// The endpoint took none of the retries: the next one gets
			// the message.
			return p.failOver(c, err), false
		}
		if !errors.Is(err, ErrNAK) {
			// No answer, or the connection broke: the reader is spent, so
			// the message goes again on a new connection to the endpoint.
			ep := c.endpoint
			c.close()
			if c = p.dial(ctx, ep); c == nil {
				if next := (ep + 1) % len(p.opts.Endpoints); next != ep {
					p.mFailovers.Inc()
					p.use(next)
				}
				p.rounds++
				return nil, false
			}
		}
	}
	return c, false
}

// exchange writes msg and waits for the peer's answer to it: a reply that
// echoes another sequence (the late answer to an earlier send) is passed
// over. It returns ErrNAK for a refusal to send again, errRefused for a
// refusal for good, errNoAnswer past the timeout.
func (p *Peer) exchange(ctx context.Context, c *peerConn, msg []byte, seq string) (protocols.PeerReply, error) {
	// A stop ends the wait at once; the store records what was answered.
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	deadline := time.Now().Add(p.opts.AckTimeout)
	if err := c.c.SetWriteDeadline(deadline); err != nil {
		return protocols.PeerReply{}, err
	}
	if err := fence.Check(ctx); err != nil {
		return protocols.PeerReply{}, err // another node delivers this output now
	}
	if _, err := c.c.Write(msg); err != nil {
		return protocols.PeerReply{}, err
	}
	if err := c.c.SetReadDeadline(deadline); err != nil {
		return protocols.PeerReply{}, err
	}
	for c.sc.Scan() {
		r, err := p.opts.Dialect.ParseReply(c.sc.Bytes())
		if err != nil {
			continue // noise on the line; keep waiting for the answer
		}
		want := seq
		if e, ok := p.opts.Dialect.(echoer); ok && seq != "" {
			want = e.EchoOf(seq)
		}
		if r.Seq != "" && want != "" && r.Seq != want {
			continue
		}
		switch {
		case r.OK:
			return r, nil
		case r.Retry:
			return r, ErrNAK
		}
		return r, errRefused
	}
	err := c.sc.Err()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// The scanner is spent after an error: the connection goes.
		return protocols.PeerReply{}, errNoAnswer
	}
	if err == nil {
		err = errors.New("output: the automation closed the connection")
	}
	return protocols.PeerReply{}, err
}

// connect opens a connection to endpoint i, else to the next ones in turn;
// nil when none answers.
func (p *Peer) connect(ctx context.Context, from int) *peerConn {
	n := len(p.opts.Endpoints)
	for k := range n {
		i := (from + k) % n
		if c := p.dial(ctx, i); c != nil {
			if i != from {
				p.mFailovers.Inc()
			}
			p.use(i)
			return c
		}
	}
	return nil
}

func (p *Peer) dial(ctx context.Context, i int) *peerConn {
	d := net.Dialer{Timeout: p.opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", p.opts.Endpoints[i])
	if err != nil {
		if ok, suppressed := p.rateLog.Allow("dial", p.opts.Now()); ok && ctx.Err() == nil {
			p.log.Warn("automation endpoint cannot be reached", zap.String("endpoint", p.opts.Endpoints[i]),
				zap.Error(err), zap.Int("suppressed", suppressed))
		}
		return nil
	}
	sc := bufio.NewScanner(nc)
	sc.Buffer(make([]byte, 0, 512), 64<<10)
	sc.Split(protocols.ScannerSplit(p.opts.Dialect.SplitReply))
	if ok, suppressed := p.rateLog.Allow("connected", p.opts.Now()); ok {
		p.log.Info("connected to the automation", zap.String("endpoint", p.opts.Endpoints[i]), zap.Int("suppressed", suppressed))
	}
	return &peerConn{c: nc, sc: sc, endpoint: i, since: p.opts.Now()}
}

// failOver drops c after err; the next connection goes to the next
// endpoint.
func (p *Peer) failOver(c *peerConn, err error) *peerConn {
	if ok, suppressed := p.rateLog.Allow("failover", p.opts.Now()); ok {
		p.log.Warn("automation endpoint failed; failing over", zap.String("endpoint", p.opts.Endpoints[c.endpoint]),
			zap.Error(err), zap.Int("suppressed", suppressed))
	}
	c.close()
	if next := (c.endpoint + 1) % len(p.opts.Endpoints); next != c.endpoint {
		p.mFailovers.Inc()
		p.use(next)
	}
	p.rounds++
	p.failing(err.Error())
	return nil
}

// failing counts the automation absent once no endpoint has answered for
// as long as the retries of one message take, from the first failure
// after an answer: one lost heartbeat reply is no absence.
func (p *Peer) failing(why string) {
	now := p.opts.Now()
	if p.failingSince.IsZero() {
		p.failingSince = now
	}
	if now.Sub(p.failingSince) >= time.Duration(p.opts.Retries)*p.opts.AckTimeout {
		p.setAbsent(true, why)
	}
}

// answered records an answer from the endpoint in use: present, and the
// backoff of failed rounds starts over.
func (p *Peer) answered() {
	p.failingSince, p.rounds, p.backoff = time.Time{}, 0, time.Second
	p.setAbsent(false, "")
}

// heartbeat sends the dialect's keep-alive and waits for its answer. Any
// answer (a NAK too: a receiver that will not take a keep-alive for an
// account of its own is there all the same) proves the endpoint alive.
func (p *Peer) heartbeat(ctx context.Context, c *peerConn) error {
	p.heartbeatSeq++
	msg := p.opts.Dialect.EncodeHeartbeat(strconv.FormatUint(p.heartbeatSeq, 10), p.opts.Now().UTC())
	_, err := p.exchange(ctx, c, msg, "")
	if err != nil && !errors.Is(err, ErrNAK) && !errors.Is(err, errRefused) {
		return err
	}
	p.answered()
	return nil
}

// failBack tries the primary again while c, a backup's connection, is in
// use: the primary is used once it answers a heartbeat, not merely takes
// a connection (a hung receiver behind a balancer takes connections).
func (p *Peer) failBack(ctx context.Context, c *peerConn) *peerConn {
	c.since = p.opts.Now()
	primary := p.dial(ctx, 0)
	if primary == nil {
		return c
	}
	if err := p.heartbeat(ctx, primary); err != nil {
		primary.close()
		return c
	}
	p.log.Info("failing back to the primary endpoint", zap.String("endpoint", p.opts.Endpoints[0]))
	c.close()
	p.use(0)
	p.mFailovers.Inc()
	return primary
}

func (p *Peer) use(i int) {
	p.mu.Lock()
	p.endpoint = i
	p.mu.Unlock()
	for k := range p.opts.Endpoints {
		v := 0.0
		if k == i {
			v = 1
		}
		p.mEndpoint.WithLabelValues(strconv.Itoa(k)).Set(v)
	}
}

func (p *Peer) current() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.endpoint
}

// DialectFuncs is a Dialect made of a package's functions (the dialects
// whose sending side needs no state of its own: microkey, masxml…).
type DialectFuncs struct {
	Encode    func(seq, account string, ev protocols.Event, at time.Time) ([]byte, error)
	Heartbeat func(seq string, at time.Time) []byte
	Split     func(data []byte, atEOF bool) (int, []byte, error)
	Parse     func(frame []byte) (protocols.PeerReply, error)
}

func (d DialectFuncs) EncodeSignal(seq, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	return d.Encode(seq, account, ev, at)
}
func (d DialectFuncs) EncodeHeartbeat(seq string, at time.Time) []byte { return d.Heartbeat(seq, at) }
func (d DialectFuncs) SplitReply(data []byte, atEOF bool) (int, []byte, error) {
	return d.Split(data, atEOF)
}
func (d DialectFuncs) ParseReply(frame []byte) (protocols.PeerReply, error) { return d.Parse(frame) }
