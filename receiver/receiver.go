package receiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
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
	LinkOf        func(*protocols.Message) string
	MaxConns      int           // open TCP connections; also in-flight UDP datagrams
	MaxConnsPerIP int           // open TCP connections of one source address; default MaxConns/16
	ReadTimeout   time.Duration // the first frame must arrive within it
	IdleTimeout   time.Duration // between frames
	WriteTimeout  time.Duration // per reply
	MaxFrameBytes int           // bytes buffered while looking for one frame
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
	// Supervisor watches accounts' check-in and test intervals; nil turns
	// account supervision off. SaveSupervision persists its state.
	Supervisor      *Supervisor
	SaveSupervision func([]SupervisedAccount) error
	// Queue decides which events reach the operator queue; the zero value
	// queues every alarm and detects no runaways (DefaultQueueRules is the
	// station default).
	Queue QueueRules
	// UnknownMax bounds the unknown accounts remembered for the
	// once-an-hour "unknown account" event. Default 100000.
	UnknownMax int
	// Evidence bounds the rejected frames kept as rows; nil keeps all.
	Evidence *evidence.Quota
	Now      func() time.Time // nil → time.Now
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
	runaway     *runaway
	listeners   []*listener
	byName      map[string]*listener
	// settling tracks the goroutines waiting for the outcome of commits
	// that outlived CommitTimeout.
	settling sync.WaitGroup
}

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
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 5 * time.Second
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 5 * time.Second
	}
	if opts.DedupeWindow <= 0 {
		opts.DedupeWindow = 10 * time.Minute
	}
	if opts.DedupeMax <= 0 {
		opts.DedupeMax = 200000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UnknownMax <= 0 {
		opts.UnknownMax = 100000
	}
	r := &Receiver{
		opts: opts,
		log:  opts.Logger.Named("receiver"),
		dd:   newDedupe(opts.DedupeWindow, opts.DedupeMax),
		rl:   ratelog.New(10 * time.Second),
	}
	r.unknown = newUnknownLimiter(opts.UnknownMax)
	r.unencrypted = newUnknownLimiter(opts.UnknownMax)
	r.runaway = newRunaway(opts.UnknownMax)
	r.m = newMetrics(opts.Registerer, func() float64 { return float64(r.dd.len()) })
	for _, e := range opts.DedupeSeed {
		r.dd.seed(e.Key, e.ReceivedAt)
	}
	receivers := map[int]bool{}
	for _, lo := range opts.Listeners {
		l, err := r.bind(lo)
		if err != nil {
			r.closeListeners()
			return nil, err
		}
		r.listeners = append(r.listeners, l)
		receivers[lo.Receiver] = true
	}
	r.byName = make(map[string]*listener, len(r.listeners))
	for _, l := range r.listeners {
		r.byName[l.opts.Name] = l
	}
	if opts.Supervisor != nil {
		// One internal listener per receiver carries the events the
		// receiver raises itself (supervision), with that receiver's
		// number. Their accounts are stored numbers: no prefix rule
		// applies to them.
		for _, lo := range opts.Listeners {
			if !receivers[lo.Receiver] {
				continue
			}
			receivers[lo.Receiver] = false
			l, err := r.bind(ListenerOptions{Name: fmt.Sprintf("internal-r%d", lo.Receiver), Codec: internalCodec{},
				Receiver: lo.Receiver, Line: 0, Submitted: true})
			if err != nil {
				r.closeListeners()
				return nil, err
			}
			l.internal = true
			r.listeners = append(r.listeners, l)
		}
	}
	return r, nil
}

func (r *Receiver) bind(lo ListenerOptions) (*listener, error) {
	if lo.Codec == nil {
		return nil, fmt.Errorf("receiver: listener %q: no codec", lo.Name)
	}
	if lo.TCP == "" && lo.UDP == "" && lo.Serial == nil && !lo.Submitted {
		return nil, fmt.Errorf("receiver: listener %q: no tcp, udp or serial endpoint", lo.Name)
	}
	if lo.MaxConns <= 0 {
		lo.MaxConns = 4096
	}
	if lo.MaxConnsPerIP <= 0 {
		lo.MaxConnsPerIP = max(1, lo.MaxConns/16)
	}
	if lo.ReadTimeout <= 0 {
		lo.ReadTimeout = 30 * time.Second
	}
	if lo.IdleTimeout <= 0 {
		lo.IdleTimeout = 3 * time.Minute
	}
	if lo.WriteTimeout <= 0 {
		lo.WriteTimeout = 5 * time.Second
	}
	if lo.MaxFrameBytes <= 0 {
		lo.MaxFrameBytes = 8192
	}
	l := &listener{
		r:        r,
		opts:     lo,
		protocol: lo.Codec.Name(),
		log:      r.log.With(zap.String("listener", lo.Name), zap.String("protocol", lo.Codec.Name())),
		conns:    make(map[net.Conn]struct{}),

		perSource: make(map[netip.Prefix]int),
	}
	r.m.initListener(lo.Name, l.protocol)
	if lo.HeartbeatTimeout > 0 {
		// Start as up with the start time as the last record: the link
		// gets one full timeout of grace after start-up.
		l.link = &linkWatch{timeout: lo.HeartbeatTimeout, last: r.opts.Now(), up: true}
		r.m.linkUp.WithLabelValues(lo.Name).Set(1)
		r.m.linkFailures.WithLabelValues(lo.Name)
	}
	if lo.Serial != nil {
		r.m.serialOpen.WithLabelValues(lo.Name)
		r.m.serialOpenFailures.WithLabelValues(lo.Name)
	}
	l.mReceived = r.m.framesReceived.WithLabelValues(lo.Name, l.protocol)
	l.mHandling = r.m.handlingSeconds.WithLabelValues(l.protocol)
	l.mReplies = make(map[string]prometheus.Counter)
	for _, k := range []string{replyACK, replyNAK, replyDUH, replyNone} {
		l.mReplies[k] = r.m.replies.WithLabelValues(l.protocol, k)
	}
	l.mResolved = make(map[string]prometheus.Counter)
	for _, k := range []string{resolvedKnown, resolvedUnknown, resolvedTest} {
		l.mResolved[k] = r.m.resolved.WithLabelValues(lo.Name, k)
	}
	l.mUnknownEvents = r.m.unknownEvents.WithLabelValues(lo.Name)
	l.mPrefixMissing = r.m.prefixMissing.WithLabelValues(lo.Name)
	l.mSignals = make(map[protocols.Category]prometheus.Counter)
	for _, c := range protocols.Categories() {
		l.mSignals[c] = r.m.signals.WithLabelValues(l.protocol, c.String())
	}
	if lo.TCP != "" {
		ln, err := net.Listen("tcp", lo.TCP)
		if err != nil {
			return nil, fmt.Errorf("receiver: listener %q: %w", lo.Name, err)
		}
		if lo.TLS != nil {
			ln = tls.NewListener(ln, lo.TLS)
		}
		l.tcp = ln
	}
	if lo.UDP != "" {
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
	for _, l := range r.listeners {
		if l.opts.Name == listener {
			if l.commitCtx == nil || l.stopping.Load() {
				return nil, protocols.Reject(l.protocol, protocols.ReasonShutdown, ErrNoListener)
			}
			received := r.opts.Now()
			fm := frameMeta{transport: meta.Transport, remoteAddr: meta.RemoteAddr, receivedAt: received, idempotencyKey: meta.IdempotencyKey}
			reply, outcome := l.process(raw, fm)
			l.mHandling.Observe(time.Since(received).Seconds())
			return reply, outcome
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoListener, listener)
}

// Close releases the bound sockets of a receiver that will not Run (Run
// releases them itself).
func (r *Receiver) Close() { r.closeListeners() }

func (r *Receiver) closeListeners() {
	for _, l := range r.listeners {
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
	out := make([]Addr, 0, len(r.listeners))
	for _, l := range r.listeners {
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
	for _, l := range r.listeners {
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
// ShutdownGrace), then cut the remaining connections. It returns nil after a
// clean shutdown.
func (r *Receiver) Run(ctx context.Context) error {
	// Commits outlive ctx by up to the grace period so that a frame being
	// stored when SIGTERM arrives is still stored and answered.
	commitCtx, cancelCommits := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCommits()
	var wg sync.WaitGroup
	for _, l := range r.listeners {
		l.commitCtx = commitCtx
		if l.tcp != nil {
			wg.Go(func() { l.acceptLoop(ctx) })
		}
		if l.udp != nil {
			wg.Go(func() { l.udpLoop(ctx) })
		}
		if l.opts.Serial != nil {
			wg.Go(func() { l.serialLoop(ctx) })
		}
		if l.link != nil {
			wg.Go(func() { l.superviseLink(ctx) })
		}

		switch {
		case l.internal:
			r.log.Info("supervision events (communications trouble, fail to test) are stored under this listener",
				zap.String("listener", l.opts.Name), zap.Int("receiver", l.opts.Receiver))
		case l.opts.Submitted:
			r.log.Info("accepting messages over HTTP", zap.String("listener", l.opts.Name), zap.String("protocol", l.protocol),
				zap.Int("receiver", l.opts.Receiver), zap.Int("line", l.opts.Line))
		default:
			r.log.Info("listening", zap.String("listener", l.opts.Name), zap.String("protocol", l.protocol),
				zap.String("tcp", addrString(l.tcp)), zap.String("udp", packetAddrString(l.udp)),
				zap.String("serial", serialString(l.opts.Serial)), zap.Int("receiver", l.opts.Receiver), zap.Int("line", l.opts.Line))
		}
	}
	if r.opts.Supervisor != nil {
		wg.Go(func() { r.supervise(ctx) })
	}
	<-ctx.Done()
	r.log.Info("shutting down receiver", zap.Duration("grace", r.opts.ShutdownGrace))
	// 1. Stop accepting and wake idle readers; sessions finish the frame
	//    they hold and exit.
	for _, l := range r.listeners {
		l.stop()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.opts.ShutdownGrace):
		// 2. Grace is over: cancel commits still waiting and cut connections.
		r.log.Warn("shutdown grace exceeded: closing remaining connections")
		cancelCommits()
		for _, l := range r.listeners {
			l.closeAll()
		}
		<-done
	}
	for _, l := range r.listeners {
		if l.udp != nil {
			_ = l.udp.Close()
		}
	}
	// Commits that outlived their wait settle as the writer drains; a
	// store that never answers must not hold the shutdown.
	settled := make(chan struct{})
	go func() { r.settling.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-time.After(r.opts.ShutdownGrace):
		r.log.Warn("shutdown: commits still pending after the grace period")
	}
	r.log.Info("receiver stopped")
	return nil
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
