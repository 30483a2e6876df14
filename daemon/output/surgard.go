package output

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/acceptloop"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// Outbox is what an output needs of the store. *store.Store satisfies it.
type Outbox interface {
	// OutputChanged records the automation going absent or coming back.
	OutputChanged(ctx context.Context, output string, up bool, at time.Time) error
	PendingOutbox(ctx context.Context, target string, limit int) ([]store.OutboxItem, error)
	MarkDelivered(ctx context.Context, ids []int64) error
	MarkAttempt(ctx context.Context, id int64, why string) error
	// MarkUndeliverable settles an item the output has no way to carry:
	// kept with the reason, out of the pending set, and the output's
	// undeliverable incident raised, in one transaction.
	MarkUndeliverable(ctx context.Context, id int64, output, reason string, at time.Time) error
	OutboxLag(ctx context.Context, target string) (int, time.Time, error)
}

// SurgardOptions configure a Sur-Gard output on a TCP port the automation
// connects to, or on a serial port wired to the automation computer.
type SurgardOptions struct {
	Name string // outbox target and metric label
	TCP  string // host:port to listen on; "" when Serial is set
	// Standby leaves the port unbound until Run: on several nodes Run
	// runs on the holder of the output's lease only, and the port must be
	// open nowhere else, not even for the moment between NewSurgard and
	// Run.
	Standby bool
	Serial  *serialport.Config
	Outbox  Outbox
	Logger  *zap.Logger
	// Registerer takes the output's metrics.
	Registerer prometheus.Registerer
	// AckTimeout is how long to wait for 0x06 (default 4 s); Retries how
	// many sends of one record before the automation counts as absent
	// (default 3); Heartbeat the idle time before a heartbeat (default 30 s).
	AckTimeout time.Duration
	Retries    int
	Heartbeat  time.Duration
	LineDigits int // digits of LLL in records, default 3
	// Receiver and Line are the RR and LLL of heartbeats, which belong to
	// no signal; records carry their signal's receiver and line.
	Receiver, Line int
	// Poll is how often an idle output looks for new outbox rows (default
	// 100 ms).
	Poll time.Duration
	Now  func() time.Time
}

// Surgard serves the Sur-Gard record stream to one automation connection at
// a time. A second connection while one is open is refused (closed at
// once, counted, logged at most once per 10 s): two automation programs
// must not split one record stream between them. A connection that answers
// none of the retries of a record is dropped, so that an automation whose
// old connection died unnoticed can connect again.
type Surgard struct {
	*status
	opts SurgardOptions
	wake chan struct{} // a signal was stored: look at the outbox now
	// ln is the port while it is open: from NewSurgard, or from Run, to
	// the end of Run or Close. addr is the port's address from the first
	// bind on, so that a port 0 stays the same port when Run binds again.
	lnMu sync.Mutex
	ln   net.Listener
	addr string

	mu   sync.Mutex
	conn line

	mRefused prometheus.Counter
}

// logEvery is the least time between two log lines of one kind of
// repeated event (a second connection, an undeliverable signal).
const logEvery = 10 * time.Second

// ErrNAK: the automation answered NAK.
var ErrNAK = errors.New("output: automation answered NAK")

// NewSurgard binds the output's port.
func NewSurgard(o SurgardOptions) (*Surgard, error) {
	if o.AckTimeout <= 0 {
		o.AckTimeout = 4 * time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger.Named("output").With(zap.String("output", o.Name))
	s := &Surgard{opts: o, status: newStatus(o.Name, o.Outbox, log, o.Registerer, o.Now), wake: make(chan struct{}, 1)}
	switch {
	case o.TCP != "" && o.Standby:
		s.addr = o.TCP
	case o.TCP != "":
		ln, err := net.Listen("tcp", o.TCP)
		if err != nil {
			return nil, err
		}
		s.ln, s.addr = ln, ln.Addr().String()
	}
	s.mRefused = promauto.With(o.Registerer).NewCounter(prometheus.CounterOpts{Name: "alarmrx_output_connections_refused_total",
		ConstLabels: prometheus.Labels{"output": o.Name}, Help: "Automation connections refused because the output already had one."})
	return s, nil
}

// Close releases the port, until Run binds it again. On several nodes the
// port is open only on the node that holds the output's lease, where Run
// runs (Standby): the automation finds it there, and nowhere else.
func (s *Surgard) Close() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
}

// Addr is the TCP address, "" on a serial output.
func (s *Surgard) Addr() string { return s.addr }

// listener returns the open port, binding it again after a Close; not
// once ctx ended, for Run's Close may have come already.
func (s *Surgard) listener(ctx context.Context) (net.Listener, error) {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.ln == nil {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return nil, err
		}
		s.ln = ln
	}
	return s.ln, nil
}

// Run accepts automation connections (or keeps the serial port open) and
// delivers until ctx ends; then it closes the port and the connection.
// It may run again afterwards (a lease regained).
func (s *Surgard) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if s.addr != "" {
		wg.Go(func() { s.accept(ctx) })
	}
	if s.opts.Serial != nil {
		wg.Go(func() { s.keepSerial(ctx) })
	}
	wg.Go(func() { s.deliver(ctx) })
	<-ctx.Done()
	s.Close()
	s.setConn(nil)
	wg.Wait()
	s.setConn(nil) // one accepted as the port closed
}

// keepSerial opens the serial port and reopens it with backoff whenever
// delivery dropped it.
func (s *Surgard) keepSerial(ctx context.Context) {
	serialport.Keep(ctx, s.opts.Serial, func(port io.ReadWriteCloser) bool {
		s.log.Info("serial port open", zap.String("device", s.opts.Serial.Device))
		l := &serialLine{port: port, dropped: make(chan struct{})}
		s.setConn(l)
		select {
		case <-l.dropped:
		case <-ctx.Done():
		}
		return true
	}, func(err error, backoff time.Duration) {
		s.log.Warn("serial port cannot be opened; retrying", zap.String("device", s.opts.Serial.Device),
			zap.Error(err), zap.Duration("backoff", backoff))
	})
}

func (s *Surgard) accept(ctx context.Context) {
	var ln net.Listener
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		var err error
		if ln, err = s.listener(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		// The port is taken (by what this node ran before, not closed
		// yet, or by something else): retried, said once per 10 s.
		if ok, suppressed := s.rateLog.Allow("listen", s.opts.Now()); ok {
			s.log.Warn("output port cannot be bound; retrying", zap.String("address", s.addr), zap.Error(err),
				zap.Duration("backoff", backoff), zap.Int("suppressed", suppressed))
		}
		sleep(ctx, backoff)
		if ctx.Err() != nil {
			return
		}
	}
	acceptloop.Run(ctx, ln, func(c net.Conn) {
		if s.current() != nil {
			s.refuse(c)
			return
		}
		s.log.Info("automation connected", zap.String("remote_addr", c.RemoteAddr().String()))
		s.setConn(&tcpLine{c: c})
	}, func(err error, backoff time.Duration) {
		// Out of file descriptors, say: retried with a backoff, said once per 10 s.
		if ok, suppressed := s.rateLog.Allow("accept", s.opts.Now()); ok {
			s.log.Warn("automation accept failed; retrying", zap.Error(err), zap.Duration("backoff", backoff),
				zap.Int("suppressed", suppressed))
		}
	})
}

// refuse closes a second automation connection at once: the open one keeps
// the record stream.
func (s *Surgard) refuse(c net.Conn) {
	_ = c.Close()
	s.mRefused.Inc()
	if ok, suppressed := s.rateLog.Allow("refused", s.opts.Now()); ok {
		s.log.Warn("automation connection refused: the output already has one; one automation at a time",
			zap.String("remote_addr", c.RemoteAddr().String()), zap.Int("suppressed", suppressed))
	}
}

func (s *Surgard) setConn(c line) {
	s.mu.Lock()
	old := s.conn
	s.conn = c
	s.mu.Unlock()
	if c != nil {
		s.seen()
	}
	if c != nil {
		s.Wake() // what waited for an automation goes out now
	}
	if old != nil {
		_ = old.Close()
	}
}

func (s *Surgard) current() line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// deliver sends outbox items in order, one at a time (stop-and-wait), and
// heartbeats when idle [protocols.md §4.2–4.3].
func (s *Surgard) deliver(ctx context.Context) {
	lastSent := s.opts.Now()
	for ctx.Err() == nil {
		c := s.current()
		if c == nil {
			// No automation: absent once it has been away as long as the
			// retries of one record would take (a reconnect is not absence).
			if s.opts.Now().Sub(s.lastSeen()) > time.Duration(s.opts.Retries)*s.opts.AckTimeout {
				s.setAbsent(true, "no automation connected")
			}
			idle(ctx, s.wake, s.opts.Poll) // an automation connecting wakes it too
			continue
		}
		items, err := s.opts.Outbox.PendingOutbox(ctx, s.opts.Name, 64)
		if err != nil {
			if ok, suppressed := s.rateLog.Allow("outbox_unread", s.opts.Now()); ok && ctx.Err() == nil {
				s.log.Warn("outbox read failed; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
			}
			sleep(ctx, time.Second)
			continue
		}
		if len(items) == 0 {
			if s.opts.Now().Sub(lastSent) >= s.opts.Heartbeat {
				if err := s.exchange(c, surgard.Heartbeat(surgard.Head{Receiver: s.opts.Receiver, Line: s.opts.Line, LineDigits: s.opts.LineDigits})); err != nil {
					s.failed(c, err)
				} else {
					s.setAbsent(false, "")
				}
				lastSent = s.opts.Now()
			}
			idle(ctx, s.wake, s.opts.Poll)
			continue
		}
		for _, it := range items {
			if ctx.Err() != nil || s.current() != c {
				break
			}
			var rec []byte
			err := errIncidentStep
			if it.Kind == "signal" {
				rec, err = surgard.Encode(surgard.Head{Receiver: it.Receiver, Line: it.Line, LineDigits: s.opts.LineDigits}, it.Account, recordEvent(it))
			}
			if err != nil {
				// No Sur-Gard record carries it as it is: kept as
				// undeliverable (never marked delivered), and the line
				// moves on to the next signal.
				if !s.undeliverable(ctx, it, err) {
					break
				}
				continue
			}
			if !s.sendUntilAcked(ctx, c, it, rec) {
				break
			}
			lastSent = s.opts.Now()
		}
	}
}

// sendUntilAcked sends one record until the automation ACKs it. It reports
// false when the connection failed (the item stays in the outbox).
func (s *Surgard) sendUntilAcked(ctx context.Context, c line, it store.OutboxItem, rec []byte) bool {
	unanswered := 0 // sends in a row with no answer at all
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := s.exchange(c, rec)
		if err == nil {
			return s.delivered(ctx, it)
		}
		s.markAttempt(ctx, it, err)
		if !errors.Is(err, ErrNAK) && !errors.Is(err, errNoAnswer) {
			s.failed(c, err)
			return false
		}
		s.mRetries.Inc()
		if errors.Is(err, errNoAnswer) {
			unanswered++
		} else {
			unanswered = 0
		}
		if _, tcp := c.(*tcpLine); tcp && unanswered >= s.opts.Retries {
			// [protocols.md §4.2] No answer to any of the retries: the
			// automation is absent. Its TCP connection is dropped (it may
			// have died unnoticed, and only one is served); the record
			// stays. A serial port stays open: nothing else can connect.
			s.failed(c, err)
			return false
		}
		if attempt >= s.opts.Retries {
			// [protocols.md §4.2] After the retries the automation is absent:
			// raise the trouble, keep the record, keep trying.
			s.setAbsent(true, err.Error())
			sleep(ctx, s.opts.AckTimeout)
		}
	}
	return false
}

var errNoAnswer = errors.New("output: no answer within the ACK timeout")

// logAttemptUnrecorded logs a failed attempt the store did not take, at
// most once per logEvery: a store that fails does so for every attempt.
func logAttemptUnrecorded(log *zap.Logger, rl *ratelog.Limiter, now time.Time, it store.OutboxItem, err error) {
	if ok, suppressed := rl.Allow("attempt_unrecorded", now); ok {
		log.Warn("failed delivery attempt not recorded; the item stays pending", zap.Int64("outbox_id", it.ID),
			zap.Error(err), zap.Int("suppressed", suppressed))
	}
}

// logLagUnread logs a failed read of the outbox's size and age, which
// leaves the output's pending and lag gauges at 0 for that scrape, at most
// once per logEvery.
func logLagUnread(log *zap.Logger, rl *ratelog.Limiter, now time.Time, err error) {
	if ok, suppressed := rl.Allow("lag_unread", now); ok {
		log.Warn("outbox size and age not read; the pending and lag gauges show 0", zap.Error(err),
			zap.Int("suppressed", suppressed))
	}
}

// errIncidentStep: Sur-Gard has no record for an operator's step on an
// incident (outputs.surgard never asks for them; a row would be a bug).
var errIncidentStep = errors.New("output: an incident step has no Sur-Gard record")

// recordEvent prepares a stored event for a Sur-Gard record: only DC-03
// modifiers (two lower-case letters, a value of digits and ":-.") travel,
// and a SIA event without its own time gets the original receive time as
// ti/da, so that automation reading a buffered record late still sees when
// it happened [protocols.md §4.2]. Contact ID records have no time field.
func recordEvent(it store.OutboxItem) protocols.Event {
	e := it.Event
	var mods []protocols.Modifier
	hasTime := false
	for _, m := range e.Modifiers {
		if !dc03Modifier(m) {
			continue
		}
		hasTime = hasTime || m.Name == "ti"
		mods = append(mods, m)
	}
	if e.Format == protocols.FormatSIA && !hasTime {
		t := it.ReceivedAt.UTC()
		mods = append(mods, protocols.Modifier{Name: "da", Value: t.Format("01-02-06")},
			protocols.Modifier{Name: "ti", Value: t.Format("15:04:05")})
		if e.Partition != "" && !hasModifier(mods, "ri") {
			mods = append([]protocols.Modifier{{Name: "ri", Value: e.Partition}}, mods...)
		}
	}
	e.Modifiers = mods
	return e
}

func dc03Modifier(m protocols.Modifier) bool {
	if len(m.Name) != 2 || m.Name[0] < 'a' || m.Name[0] > 'z' || m.Name[1] < 'a' || m.Name[1] > 'z' {
		return false
	}
	for i := 0; i < len(m.Value); i++ {
		c := m.Value[i]
		if (c < '0' || c > '9') && c != ':' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func hasModifier(mods []protocols.Modifier, name string) bool {
	for _, m := range mods {
		if m.Name == name {
			return true
		}
	}
	return false
}

// exchange writes a record and waits for one answer byte.
func (s *Surgard) exchange(c line, rec []byte) error {
	deadline := time.Now().Add(s.opts.AckTimeout)
	if err := c.write(rec, deadline); err != nil {
		return err
	}
	for {
		b, err := c.readByte(deadline)
		if err != nil {
			return err
		}
		switch b {
		case surgard.ACK:
			return nil
		case surgard.NAK:
			return ErrNAK
		}
		// Anything else is noise on the line; keep waiting for the answer.
	}
}

// line is the automation's end: a TCP connection or a serial port.
type line interface {
	write(p []byte, deadline time.Time) error
	// readByte returns errNoAnswer when the deadline passes.
	readByte(deadline time.Time) (byte, error)
	Close() error
}

type tcpLine struct{ c net.Conn }

func (l *tcpLine) write(p []byte, deadline time.Time) error {
	if err := l.c.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := l.c.Write(p)
	return err
}

func (l *tcpLine) readByte(deadline time.Time) (byte, error) {
	if err := l.c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	var b [1]byte
	if _, err := io.ReadFull(l.c, b[:]); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, errNoAnswer
		}
		return 0, err
	}
	return b[0], nil
}

func (l *tcpLine) Close() error { return l.c.Close() }

// serialLine reads in the port's short read timeouts until the deadline;
// a serial port has no deadlines of its own. Closing it tells keepSerial,
// which owns the port, that delivery dropped the line.
type serialLine struct {
	port    io.ReadWriteCloser
	once    sync.Once
	dropped chan struct{}
}

func (l *serialLine) write(p []byte, _ time.Time) error {
	_, err := l.port.Write(p)
	return err
}

func (l *serialLine) readByte(deadline time.Time) (byte, error) {
	var b [1]byte
	for time.Now().Before(deadline) {
		n, err := l.port.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
	}
	return 0, errNoAnswer
}

func (l *serialLine) Close() error {
	l.once.Do(func() { close(l.dropped) })
	return nil
}

func (s *Surgard) failed(c line, err error) {
	s.log.Warn("automation connection lost", zap.Error(err))
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	s.mu.Unlock()
	// Absent first, then closed: whoever sees the connection close sees
	// the output reported absent.
	s.setAbsent(true, err.Error())
	_ = c.Close()
}

// Name is the output's name, its outbox target.
func (s *Surgard) Name() string { return s.opts.Name }

// Wake tells the output its outbox got rows, so that an idle output looks
// at it at once instead of at its next poll. It never blocks: the store
// calls it on its writer after each batch that gave the output rows.
func (s *Surgard) Wake() { wake(s.wake) }

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// idle waits for a wake-up, the poll interval (which also finds what the
// operators' actions put in the outbox), or the end of ctx.
func idle(ctx context.Context, wake <-chan struct{}, poll time.Duration) {
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
