package receiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/internal/routine"
	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Sink persists frames. *store.Store satisfies it. Commit returns only after
// the frame is durable; the receiver replies positively only then.
type Sink interface {
	Commit(ctx context.Context, msg *protocols.Message, rec store.Receipt) (int64, error)
}

// ListenerOptions configure one listener: a protocol on a TCP and/or a UDP
// address, belonging to a receiver and a line.
type ListenerOptions struct {
	Name     string
	Codec    protocols.Codec
	Receiver int // receiver number, 1–99
	Line     int // line number, 1–999
	// AccountPrefix is the receiver's account prefix, and
	// AccountPrefixMode how this listener's senders send numbers: add (the
	// default: the prefix is put in front of every number) or expect
	// (numbers come with it; taken as sent) [automation-research.md §4.1].
	AccountPrefix     string
	AccountPrefixMode store.PrefixMode
	// PrefixModeOf, when set, gives the mode of one message's sender (an
	// XML message's Header/Source), ok false to use AccountPrefixMode.
	PrefixModeOf func(m *protocols.Message) (mode store.PrefixMode, ok bool)
	TCP          string             // host:port, "" for none
	UDP          string             // host:port, "" for none
	Serial       *serialport.Config // nil for none
	// TLS, when set, wraps the TCP side.
	TLS *tls.Config
	// Submitted listeners have no socket: their frames come in through
	// Receiver.Submit (the HTTP server's XML/JSON endpoints).
	Submitted bool
	// HeartbeatTimeout supervises the link by its records: silence this
	// long is a link failure (0: not supervised).
	HeartbeatTimeout time.Duration
	// LinkOf, when set, names the listener whose supervised link a
	// stored message of this one checks in ("" for none): XML messages on a
	// shared TCP listener keep their sender's link up.
	LinkOf func(*protocols.Message) string
	// MonitoringURL, when set, is the template of the operator's "open
	// video" link of an event that carries no media link of its own
	// (automation-research.md §2.1: CHeKT's
	// https://monitoring.chekt.com/monitoring?act={account}&zone={zone}).
	// {account} is the account as stored (the receiver's prefix applied),
	// {account_sent} as the sender sent it, {zone} and {area} the event's;
	// each is query-escaped. The link is the event's media_portal.
	MonitoringURL string
	// AllowedSources, when not empty, are the only source addresses the
	// listener takes connections and datagrams from: the clouds whose
	// dialects carry no passkey (Micro Key, MASXML, Sentinel) are told
	// apart by their address alone.
	AllowedSources []netip.Prefix
	MaxConns       int           // open TCP connections; also in-flight UDP datagrams
	MaxConnsPerIP  int           // open TCP connections of one source address; default MaxConns/16
	ReadTimeout    time.Duration // the first frame must arrive within it
	IdleTimeout    time.Duration // between frames
	WriteTimeout   time.Duration // per reply
	MaxFrameBytes  int           // bytes buffered while looking for one frame
	// Source is what the options were built from (the listener's
	// configuration); a reload reports a listener as updated when its
	// Source changed. Compared with reflect.DeepEqual.
	Source any
}

// Options configure a Receiver.
type Options struct {
	Listeners  []ListenerOptions
	Sink       Sink
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	// CommitTimeout bounds the wait for a durable commit; past it the frame
	// is answered negatively (the panel retries). Default 5s.
	CommitTimeout time.Duration
	// ShutdownGrace bounds how long Run waits, once its context ends, for
	// frames in flight to be committed and answered. Default 5s.
	ShutdownGrace time.Duration
	DedupeWindow  time.Duration // default 10m
	DedupeMax     int           // default 200000
	// DedupeSeed, if set, is loaded at start-up: keys of frames stored within
	// the dedupe window before a restart.
	DedupeSeed []store.DedupeEntry
	// Resolver resolves accounts to sites and on-test scopes; nil leaves
	// every account unknown.
	Resolver Resolver
	// Links records supervised links failing and coming back; nil only
	// logs and counts them.
	Links LinkRecorder
	// CheckIns hears of the accounts each stored message proves alive
	// (supervision); nil: nobody listens.
	CheckIns CheckIns
	// Polls keeps the evidence of polls, which are acknowledged without
	// a commit of their own; nil keeps none (they are only counted).
	Polls Polls
	// Queue decides which events reach the operator queue; the zero value
	// queues every alarm (DefaultQueueRules is the station default).
	Queue QueueRules
	// UnknownMax bounds the unknown accounts remembered for the
	// once-an-hour "unknown account" event. Default 100000.
	UnknownMax int
	// Evidence bounds the rejected frames kept as rows; nil keeps all.
	Evidence *evidence.Quota
	Now      func() time.Time // nil → time.Now
}

// CheckIn is an account proven alive by a stored message.
type CheckIn struct {
	AccountID int64
	Receiver  int
	Number    string
	At        time.Time
	Test      bool // a periodic test report
}

// CheckIns hears of check-ins after their frame's commit. CheckIn must not
// block: the frame's reply waits for it.
type CheckIns interface {
	CheckIn(CheckIn)
}

// Polls keeps what is seen of polls: valid messages that carry no event.
// *store.Store satisfies it. Poll must not block on the disk; an error
// (the store is unhealthy) makes the poll answered as an alarm would be.
type Polls interface {
	RecordPoll(store.Poll) error
}

// Receiver owns the listeners and their sessions.
type Receiver struct {
	opts    Options
	log     *zap.Logger
	m       *metrics
	dd      *dedupe
	rl      *ratelog.Limiter
	unknown *unknownLimiter
	// unencrypted remembers the accounts that raised their hourly
	// "unencrypted" trouble.
	unencrypted *unknownLimiter
	// set is the listeners in force, replaced whole by a reload (mu
	// serialises the writers); sources carry the events the station
	// raises itself, one per receiver number.
	set   atomic.Pointer[listenerSet]
	mu    sync.Mutex
	queue atomic.Pointer[QueueRules]
	// runCtx is Run's context, which a listener added by a reload runs
	// under; nil before Run.
	runCtx context.Context
	// draining are the listeners a reload removed whose sessions are
	// still finishing; under mu.
	draining map[*listener]struct{}

	// routines runs the accept loops, sessions, datagrams, serial lines
	// and link supervision; after runs what outlives the sessions at
	// shutdown: the effects and the commits that outlived their wait.
	routines *routine.Group
	after    *routine.Group
	effects  *effects
	running  atomic.Bool // sessions and submissions are taken
	commits  atomic.Pointer[context.Context]
}

// Errors of Run: a shutdown that could not finish what was in flight.
var (
	ErrGraceExceeded  = errors.New("receiver: shutdown grace exceeded: connections cut, commits cancelled")
	ErrCommitsPending = errors.New("receiver: shutdown: commits still pending after the grace period")
)

// New validates opts and binds every listener, so Addrs is valid once New
// returns. Nothing is served until Run.
func New(opts Options) (*Receiver, error) {
	if opts.Logger == nil {
		return nil, errors.New("receiver: Options.Logger is required")
	}
	if opts.Registerer == nil {
		return nil, errors.New("receiver: Options.Registerer is required")
	}
	if opts.Sink == nil {
		return nil, errors.New("receiver: Options.Sink is required")
	}
	defaultTo(&opts.CommitTimeout, 5*time.Second)
	defaultTo(&opts.ShutdownGrace, 5*time.Second)
	defaultTo(&opts.DedupeWindow, 10*time.Minute)
	defaultTo(&opts.DedupeMax, 200000)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	defaultTo(&opts.UnknownMax, 100000)
	r := &Receiver{
		opts: opts,
		log:  opts.Logger.Named("receiver"),
		dd:   newDedupe(opts.DedupeWindow, opts.DedupeMax),
		rl:   ratelog.New(10 * time.Second),
	}
	r.unknown = newUnknownLimiter(opts.UnknownMax)
	r.unencrypted = newUnknownLimiter(opts.UnknownMax)
	r.m = newMetrics(opts.Registerer, func() float64 { return float64(r.dd.len()) })
	onPanic := func(name string, p any, stack []byte) {
		r.m.panics.Inc()
		r.log.Error("panic recovered", zap.String("routine", name), zap.Any("panic", p), zap.ByteString("stack", stack))
	}
	r.routines, r.after = routine.New(onPanic), routine.New(onPanic)
	r.effects = newEffects(func(f func()) { r.after.Safely("effect", f) })
	for _, e := range opts.DedupeSeed {
		r.dd.seed(e.Key, e.ReceivedAt)
	}
	queue := opts.Queue
	r.queue.Store(&queue)
	set := &listenerSet{byName: map[string]*listener{}, sources: map[int]*pipeline{}}
	r.set.Store(set)
	for _, lo := range opts.Listeners {
		if set.byName[lo.Name] != nil {
			r.closeListeners()
			return nil, fmt.Errorf("receiver: two listeners named %q", lo.Name)
		}
		l, err := r.bind(lo)
		if err != nil {
			r.closeListeners()
			return nil, err
		}
		set.add(l)
		r.addSource(set, lo.Receiver)
	}
	return r, nil
}

// listenerSet is the listeners in force, in configuration order, and the
// receivers' sources. A reload builds a new set; readers load it whole.
type listenerSet struct {
	list    []*listener
	byName  map[string]*listener
	sources map[int]*pipeline
}

func (s *listenerSet) add(l *listener) {
	s.list = append(s.list, l)
	s.byName[l.opts.Name] = l
}

// addSource gives receiver number n its source, when it has none.
func (r *Receiver) addSource(set *listenerSet, n int) {
	if set.sources[n] != nil {
		return
	}
	src := r.newPipeline(ListenerOptions{Name: sourceName(n), Receiver: n, Line: 0}, SyntheticProtocol)
	src.synthetic = true
	set.sources[n] = src
}

func (r *Receiver) listeners() []*listener { return r.set.Load().list }

// byName returns the pipeline in force of the named listener, nil when
// none has that name.
func (r *Receiver) byName(name string) *pipeline {
	if l := r.set.Load().byName[name]; l != nil {
		return l.pipe()
	}
	return nil
}

// source returns the source of receiver number n, nil when none.
func (r *Receiver) source(n int) *pipeline { return r.set.Load().sources[n] }

// pipe returns the listener's pipeline in force.
func (l *listener) pipe() *pipeline { return l.cur.Load() }

func (r *Receiver) bind(lo ListenerOptions) (*listener, error) { return r.bindWith(lo, nil) }

// bindWith binds lo, on udp for its UDP side when given (a socket handed
// over by the listener it replaces).
func (r *Receiver) bindWith(lo ListenerOptions, udp net.PacketConn) (*listener, error) {
	if lo.Codec == nil {
		return nil, fmt.Errorf("receiver: listener %q: no codec", lo.Name)
	}
	if lo.TCP == "" && lo.UDP == "" && lo.Serial == nil && !lo.Submitted {
		return nil, fmt.Errorf("receiver: listener %q: no tcp, udp or serial endpoint", lo.Name)
	}
	lo = withDefaults(lo)
	l := &listener{
		r:         r,
		opts:      lo,
		conns:     make(map[net.Conn]struct{}),
		perSource: make(map[netip.Prefix]int),
	}
	l.cur.Store(r.newPipeline(lo, lo.Codec.Name()))
	l.log = l.pipe().log
	if lo.Serial != nil {
		r.m.serialOpen.WithLabelValues(lo.Name)
		r.m.serialOpenFailures.WithLabelValues(lo.Name)
	}
	if lo.TCP != "" {
		ln, err := net.Listen("tcp", lo.TCP)
		if err != nil {
			return nil, fmt.Errorf("receiver: listener %q: %w", lo.Name, err)
		}
		if lo.TLS != nil {
			// Each handshake takes the certificate in force: a reload
			// that renewed it applies to the next connection.
			ln = tls.NewListener(ln, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				return l.pipe().opts.TLS, nil
			}})
		}
		l.tcp = ln
	}
	if lo.UDP != "" && udp != nil {
		l.udp = udp
	} else if lo.UDP != "" {
		pc, err := net.ListenPacket("udp", lo.UDP)
		if err != nil {
			if l.tcp != nil {
				_ = l.tcp.Close()
			}
			return nil, fmt.Errorf("receiver: listener %q: %w", lo.Name, err)
		}
		l.udp = pc
	}
	return l, nil
}

// withDefaults fills the listener options left at zero.
func withDefaults(lo ListenerOptions) ListenerOptions {
	defaultTo(&lo.MaxConns, 4096)
	defaultTo(&lo.MaxConnsPerIP, max(1, lo.MaxConns/16))
	defaultTo(&lo.ReadTimeout, 30*time.Second)
	defaultTo(&lo.IdleTimeout, 3*time.Minute)
	defaultTo(&lo.WriteTimeout, 5*time.Second)
	defaultTo(&lo.MaxFrameBytes, 8192)
	return lo
}

// defaultTo sets an option left at zero (or below) to its default.
func defaultTo[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// SubmitMeta says where a submitted frame came from.
type SubmitMeta struct {
	Transport  string // http
	RemoteAddr string
	// IdempotencyKey is stored with the frame when it is accepted.
	IdempotencyKey string
}

// ErrNoListener: Submit names no configured listener.
var ErrNoListener = errors.New("receiver: no such listener")

// Submit runs one frame that arrived outside the listeners' sockets (an
// HTTP POST) through the named listener's pipeline: decode, resolve,
// classify, durable commit. It returns the codec's reply and the outcome:
// nil only once the frame is stored.
func (r *Receiver) Submit(listener string, raw []byte, meta SubmitMeta) ([]byte, error) {
	p := r.byName(listener)
	if p == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoListener, listener)
	}
	if !r.running.Load() {
		return nil, protocols.Reject(p.protocol, protocols.ReasonShutdown, ErrNoListener)
	}
	// The frame is tracked like a session's: shutdown waits for its
	// commit and reply, and a panic in it is recovered and counted.
	var reply []byte
	var outcome error
	ran, panicked := r.routines.Do("submitted frame", func() {
		received := r.opts.Now()
		fm := frameMeta{transport: meta.Transport, remoteAddr: meta.RemoteAddr, receivedAt: received, idempotencyKey: meta.IdempotencyKey}
		reply, outcome = p.process(raw, fm)
		p.mHandling.Observe(time.Since(received).Seconds())
	})
	switch {
	case !ran:
		return nil, protocols.Reject(p.protocol, protocols.ReasonShutdown, ErrNoListener)
	case panicked:
		return nil, protocols.Reject(p.protocol, protocols.ReasonUnknown, errInternal)
	}
	return reply, outcome
}

// errInternal: handling the frame failed inside alarmrx (a recovered
// panic); the sender is answered as for any frame that was not stored.
var errInternal = errors.New("receiver: internal error")

// commitCtx is the context of commits: it outlives Run's context by up to
// the shutdown grace, so that a frame being stored when shutdown begins is
// still stored and answered.
func (r *Receiver) commitCtx() context.Context {
	if c := r.commits.Load(); c != nil {
		return *c
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // not running: nothing may commit
	return ctx
}

// Close releases the bound sockets of a receiver that will not Run (Run
// releases them itself).
func (r *Receiver) Close() { r.closeListeners() }

func (r *Receiver) closeListeners() {
	for _, l := range r.listeners() {
		if l.tcp != nil {
			_ = l.tcp.Close()
		}
		if l.udp != nil {
			_ = l.udp.Close()
		}
	}
}

// Addr is one bound listener address.
type Addr struct {
	Listener string
	TCP      string // "" when the listener has no TCP side
	UDP      string // "" when the listener has no UDP side
}

// Addrs returns the actual bound addresses (useful with port 0).
func (r *Receiver) Addrs() []Addr {
	list := r.listeners()
	out := make([]Addr, 0, len(list))
	for _, l := range list {
		a := Addr{Listener: l.opts.Name}
		if l.tcp != nil {
			a.TCP = l.tcp.Addr().String()
		}
		if l.udp != nil {
			a.UDP = l.udp.LocalAddr().String()
		}
		out = append(out, a)
	}
	return out
}

// ConnInfo describes one open TCP connection.
type ConnInfo struct {
	Listener   string `json:"listener"`
	RemoteAddr string `json:"remote_addr"`
}

// Connections lists the open TCP connections.
func (r *Receiver) Connections() []ConnInfo {
	var out []ConnInfo
	for _, l := range r.listeners() {
		l.mu.Lock()
		for c := range l.conns {
			out = append(out, ConnInfo{Listener: l.opts.Name, RemoteAddr: c.RemoteAddr().String()})
		}
		l.mu.Unlock()
	}
	return out
}

// Run serves every listener until ctx ends, then shuts down in order: stop
// accepting, let frames in flight commit and be answered (bounded by
// ShutdownGrace), then cut the remaining connections, then let the effects
// and the commits that outlived their wait finish (bounded again). It
// returns nil after a clean shutdown, else what could not finish.
func (r *Receiver) Run(ctx context.Context) error {
	commitCtx, cancelCommits := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCommits()
	r.commits.Store(&commitCtx)
	r.running.Store(true)
	effectsDone := make(chan struct{})
	// Effects are bounded each by CommitTimeout and all by the second
	// grace; a first grace that ran out must not cancel them.
	r.after.Go("effects", func() { r.effects.run(context.WithoutCancel(commitCtx), effectsDone) })
	r.mu.Lock()
	r.runCtx = ctx
	for _, l := range r.listeners() {
		r.start(ctx, l)
	}
	r.mu.Unlock()
	set := r.set.Load()
	sources := make([]string, 0, len(set.sources))
	for _, src := range set.sources {
		sources = append(sources, src.opts.Name)
	}
	slices.Sort(sources)
	r.log.Info("events the station raises itself (supervision) are stored under these listeners",
		zap.Strings("listeners", sources))
	<-ctx.Done()
	r.log.Info("shutting down receiver", zap.Duration("grace", r.opts.ShutdownGrace))
	var errs []error
	// 1. Stop accepting and wake idle readers; sessions finish the frame
	//    they hold and exit.
	r.running.Store(false)
	r.mu.Lock() // a reload under way has finished; none starts after this
	r.runCtx = nil
	r.mu.Unlock()
	for _, l := range r.listeners() {
		l.stop()
	}
	r.routines.Close()
	grace, cancelGrace := context.WithTimeout(context.Background(), r.opts.ShutdownGrace)
	defer cancelGrace()
	if r.routines.Wait(grace) != nil {
		// 2. Grace is over: cancel commits still waiting and cut connections.
		r.log.Warn("shutdown grace exceeded: closing remaining connections")
		errs = append(errs, ErrGraceExceeded)
		cancelCommits()
		for _, l := range r.allListeners() {
			l.closeAll()
		}
		_ = r.routines.Wait(context.Background()) // cut connections return at once
	}
	for _, l := range r.listeners() {
		if l.udp != nil {
			_ = l.udp.Close() // the sessions that wrote on it are done
		}
	}
	// 3. Effects drain, and commits that outlived their wait settle as the
	//    writer drains; a store that never answers must not hold the
	//    shutdown.
	close(effectsDone)
	r.after.Close()
	settle, cancelSettle := context.WithTimeout(context.Background(), r.opts.ShutdownGrace)
	defer cancelSettle()
	if r.after.Wait(settle) != nil {
		r.log.Warn("shutdown: commits still pending after the grace period")
		errs = append(errs, ErrCommitsPending)
	}
	r.log.Info("receiver stopped")
	return errors.Join(errs...)
}

func serialString(p *serialport.Config) string {
	if p == nil {
		return ""
	}
	return p.Device
}

func addrString(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

func packetAddrString(p net.PacketConn) string {
	if p == nil {
		return ""
	}
	return p.LocalAddr().String()
}
