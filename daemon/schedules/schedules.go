package schedules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sia"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// Store is what the service needs of the store.
type Store interface {
	ScheduleClock(ctx context.Context) (evaluatedThrough time.Time, version int64, err error)
	ScheduleBook(ctx context.Context) (*store.ScheduleBook, error)
	ScheduleTransitions(ctx context.Context, afterID int64, limit int) ([]store.ScheduleTransition, error)
	ScheduleStates(ctx context.Context) ([]store.ScheduleAreaState, error)
	SaveScheduleProgress(ctx context.Context, p store.ScheduleProgress) error
}

// Raiser commits a synthetic message; *receiver.Receiver satisfies it.
type Raiser interface {
	Raise(receiver.Synthetic) error
}

// LogOnly says which exceptions are logged rather than queued as alarms
// (configs.ScheduleExceptions). Late to open and late to close are always
// alarms.
type LogOnly struct {
	EarlyOpen, UnscheduledOpen, UnscheduledClose bool
}

// Options configure a Service.
type Options struct {
	Store      Store                 // required
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	Now        func() time.Time      // nil → time.Now
	LogOnly    LogOnly
	// Settle is how long after a deadline its area's state is judged, so
	// that an opening or closing received just before the deadline has
	// been projected; default 10 s.
	Settle time.Duration
	// CatchUp bounds how far back the deadlines that fell while no node
	// ran the service are raised after it starts; default 12 h. Older
	// ones are stale news, and each would be an incident.
	CatchUp time.Duration
}

// exception is one kind of schedule exception: its SIA code, the
// description it is stored with [SIA DC-03 §3: CT late to open, CI fail
// to close, OK early open; the unscheduled ones take the nearest codes,
// OJ late open and CK early close, and say what they are], and its
// metric label.
type exception struct {
	code, description, label string
}

var (
	lateToOpen       = exception{"CT", "Late to Open", "late_to_open"}
	lateToClose      = exception{"CI", "Fail to Close", "late_to_close"}
	earlyOpen        = exception{"OK", "Early Open", "early_open"}
	unscheduledOpen  = exception{"OJ", "Unscheduled Opening", "unscheduled_open"}
	unscheduledClose = exception{"CK", "Unscheduled Closing", "unscheduled_close"}
	exceptions       = []exception{lateToOpen, lateToClose, earlyOpen, unscheduledOpen, unscheduledClose}
)

// areaKey names one area of one account.
type areaKey struct {
	account int64
	area    string
}

// watched is one area's plan and when its next deadline falls.
type watched struct {
	acct *store.ScheduledAccount
	area string
	plan *schedule.Plan
	next time.Time // zero: to compute
}

// Service watches the accounts' schedules. Run calls Tick every second;
// a test calls Tick with its own clock.
type Service struct {
	st              Store
	log             *zap.Logger
	now             func() time.Time
	logOnly         atomic.Pointer[LogOnly] // a reload replaces it (SetLogOnly)
	settle          time.Duration
	catchUp         time.Duration
	raised          *prometheus.CounterVec
	watchedAccounts prometheus.Gauge
	rateLog         *ratelog.Limiter

	loaded  bool
	version int64
	book    map[int64]*store.ScheduledAccount
	areas   []*watched
	states  map[areaKey]store.ScheduleAreaState
	// through: every deadline up to here is checked; taken: every
	// transition up to this id is judged.
	through time.Time
	taken   int64
	dirty   map[areaKey]bool
	saved   bool // through and taken are saved
	// raisedDue are the deadlines raised in a tick that then stopped at a
	// refused raise (cleared once the tick gets through).
	raisedDue map[raisedKey]bool
}

// New returns a service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Settle <= 0 {
		o.Settle = 10 * time.Second
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 12 * time.Hour
	}
	f := promauto.With(o.Registerer)
	s := &Service{st: o.Store, log: o.Logger.Named("schedules"), now: o.Now, settle: o.Settle, catchUp: o.CatchUp,
		rateLog: ratelog.New(10 * time.Second),
		raised: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_schedule_exceptions_total",
			Help: "Schedule exceptions raised as signals, by kind: late_to_open, late_to_close, early_open, unscheduled_open, unscheduled_close.",
		}, []string{"kind"}),
		watchedAccounts: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_schedule_accounts",
			Help: "Accounts with an open/close schedule that supervision watches.",
		}),
	}
	for _, e := range exceptions {
		s.raised.WithLabelValues(e.label)
	}
	logOnly := o.LogOnly
	s.logOnly.Store(&logOnly)
	return s
}

// Run ticks every second until ctx ends, then saves its progress. It
// starts from what the store says (a restart, or a takeover from another
// node).
func (s *Service) Run(ctx context.Context, raise Raiser) {
	s.loaded = false
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			s.save(sctx)
			cancel()
			return
		case <-tick.C:
		}
		if fence.Check(ctx) != nil {
			return // paused past the lease: another node watches now
		}
		if err := s.Tick(ctx, raise, s.now()); err != nil {
			if ok, suppressed := s.rateLog.Allow("tick", s.now()); ok {
				s.log.Warn("schedules not checked; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
			}
		}
	}
}

// Tick judges the openings and closings projected since the last tick
// and the deadlines that fell up to now minus the settle time, in time
// order (each deadline sees the areas as they were at it, also when a
// restart or a refused raise left a backlog), and saves how far it got.
func (s *Service) Tick(ctx context.Context, raise Raiser, now time.Time) error {
	if !s.loaded {
		if err := s.load(ctx, now); err != nil {
			return err
		}
	}
	if _, version, err := s.st.ScheduleClock(ctx); err != nil {
		return err
	} else if version != s.version {
		if err := s.reload(ctx); err != nil {
			return err
		}
	}
	list, err := s.st.ScheduleTransitions(ctx, s.taken, transitionBatch)
	if err != nil {
		return err
	}
	to := now.Add(-s.settle)
	if len(list) == transitionBatch && list[len(list)-1].At.Before(to) {
		// More are waiting: the deadlines after the last one read wait
		// for them.
		to = list[len(list)-1].At
	}
	err = s.process(raise, list, s.dueDeadlines(to), to)
	s.save(ctx)
	return err
}

// process applies the transitions and raises the deadlines, merged by
// time. At a refused raise it stops: what came before is done, the rest
// is taken again next tick.
func (s *Service) process(raise Raiser, list []store.ScheduleTransition, deadlines []due, to time.Time) error {
	i := 0
	for k, d := range deadlines {
		for ; i < len(list) && !list[i].At.After(d.dl.At); i++ {
			if err := s.judge(raise, list[i]); err != nil {
				s.through = d.dl.At.Add(-time.Nanosecond)
				return err
			}
		}
		if err := s.check(raise, d); err != nil {
			s.through = deadlines[k].dl.At.Add(-time.Nanosecond)
			return err
		}
	}
	if to.After(s.through) {
		s.through = to
	}
	clear(s.raisedDue) // every deadline up to through is done
	s.saved = false
	for ; i < len(list); i++ {
		if err := s.judge(raise, list[i]); err != nil {
			return err
		}
	}
	return nil
}

// load reads the states and how far the last run got. A first run starts
// now: nothing before it is raised.
func (s *Service) load(ctx context.Context, now time.Time) error {
	through, _, err := s.st.ScheduleClock(ctx)
	if err != nil {
		return err
	}
	states, err := s.st.ScheduleStates(ctx)
	if err != nil {
		return err
	}
	s.states = make(map[areaKey]store.ScheduleAreaState, len(states))
	for _, st := range states {
		s.states[areaKey{st.AccountID, st.Area}] = st
	}
	start := now.Add(-s.settle)
	switch {
	case through.IsZero():
		through = start
	case through.Before(now.Add(-s.catchUp)):
		s.log.Info("schedules were not checked for a while; deadlines older than the catch-up are not raised",
			zap.Time("last_checked", through), zap.Duration("catch_up", s.catchUp))
		through = now.Add(-s.catchUp)
	}
	s.through, s.taken, s.dirty, s.saved = through, 0, map[areaKey]bool{}, false
	s.version = -1
	s.loaded = true
	return nil
}

// reload reads the book again; every area's next deadline is recomputed.
func (s *Service) reload(ctx context.Context) error {
	book, err := s.st.ScheduleBook(ctx)
	if err != nil {
		return err
	}
	s.book = make(map[int64]*store.ScheduledAccount, len(book.Accounts))
	s.areas = s.areas[:0]
	for i := range book.Accounts {
		a := &book.Accounts[i]
		s.book[a.AccountID] = a
		areas := make([]string, 0, len(a.Plans))
		for area := range a.Plans {
			areas = append(areas, area)
		}
		slices.Sort(areas)
		for _, area := range areas {
			s.areas = append(s.areas, &watched{acct: a, area: area, plan: a.Plans[area]})
		}
	}
	s.version = book.Version
	s.watchedAccounts.Set(float64(len(s.book)))
	return nil
}

// transitionBatch bounds the transitions judged per tick.
const transitionBatch = 1000

// judge applies one projected opening or closing to its area's state and
// raises the exception it is, if any.
func (s *Service) judge(raise Raiser, t store.ScheduleTransition) error {
	acct := s.book[t.AccountID]
	var plan *schedule.Plan
	area := ""
	if acct != nil {
		plan, area = acct.PlanFor(schedule.AreaKey(t.Area))
	}
	if plan == nil { // the schedule is gone: nothing to judge
		s.taken, s.saved = t.ID, false
		return nil
	}
	k := areaKey{t.AccountID, area}
	if st, ok := s.states[k]; !ok || !t.At.Before(st.Since) {
		s.states[k] = store.ScheduleAreaState{AccountID: t.AccountID, Area: area, Open: t.Opening, Since: t.At}
		s.dirty[k] = true
	}
	// What happened before the schedule took effect is not judged.
	if !t.At.Before(acct.Since) {
		var e exception
		logOnly := false
		switch plan.Judge(t.Opening, t.At) {
		case schedule.EarlyOpen:
			e, logOnly = earlyOpen, s.logOnly.Load().EarlyOpen
		case schedule.UnscheduledOpen:
			e, logOnly = unscheduledOpen, s.logOnly.Load().UnscheduledOpen
		case schedule.UnscheduledClose:
			e, logOnly = unscheduledClose, s.logOnly.Load().UnscheduledClose
		}
		if e.code != "" {
			// Raised with the area that opened or closed, which may be one
			// judged by the account's windows.
			if err := s.raise(raise, acct, schedule.AreaKey(t.Area), e, t.At, logOnly, fmt.Sprintf("signal %d", t.SignalID)); err != nil {
				return err // judged again next tick
			}
		}
	}
	s.taken, s.saved = t.ID, false
	return nil
}

// due is a deadline of one area.
type due struct {
	w  *watched
	dl schedule.Deadline
}

// lookahead is how far ahead an area's next deadline is looked for; an
// area without one in it is looked at again then.
const lookahead = 8 * 24 * time.Hour

// dueDeadlines lists the deadlines in (through, to], oldest first.
func (s *Service) dueDeadlines(to time.Time) []due {
	if !to.After(s.through) {
		return nil
	}
	var list []due
	for _, w := range s.areas {
		from := s.through
		if w.acct.Since.After(from) {
			from = w.acct.Since // a schedule raises nothing before it took effect
		}
		if w.next.IsZero() || w.next.Before(from) {
			w.next = nextDeadline(w.plan, from)
		}
		if w.next.After(to) {
			continue
		}
		for _, dl := range w.plan.Deadlines(from, to) {
			list = append(list, due{w, dl})
		}
		w.next = time.Time{}
	}
	slices.SortStableFunc(list, func(a, b due) int { return a.dl.At.Compare(b.dl.At) })
	return list
}

// check raises a deadline if its area is not as the schedule expects:
// still closed (or never heard open) at late to open, still open at late
// to close.
func (s *Service) check(raise Raiser, d due) error {
	st, known := s.states[areaKey{d.w.acct.AccountID, d.w.area}]
	var e exception
	switch {
	case d.dl.Kind == schedule.LateToOpen && !(known && st.Open):
		e = lateToOpen
	case d.dl.Kind == schedule.LateToClose && known && st.Open:
		e = lateToClose
	default:
		return nil
	}
	// A tick that stopped at a refused raise is taken again from that
	// deadline: the ones of the same instant raised before it are not
	// raised twice.
	k := raisedKey{d.w.acct.AccountID, d.w.area, d.dl.Kind, d.dl.At.UnixNano()}
	if s.raisedDue[k] {
		return nil
	}
	if err := s.raise(raise, d.w.acct, d.w.area, e, d.dl.At, false, "due "+d.dl.Due.Format(time.RFC3339)); err != nil {
		return err
	}
	if s.raisedDue == nil {
		s.raisedDue = map[raisedKey]bool{}
	}
	s.raisedDue[k] = true
	return nil
}

// raisedKey names one deadline of one area.
type raisedKey struct {
	account int64
	area    string
	kind    schedule.Kind
	at      int64
}

// nextDeadline is the first deadline after from, or from + lookahead.
func nextDeadline(p *schedule.Plan, from time.Time) time.Time {
	if dls := p.Deadlines(from, from.Add(lookahead)); len(dls) > 0 {
		return dls[0].At
	}
	return from.Add(lookahead)
}

// raise commits one exception as a signal of the account on its
// receiver, classified and queued like any signal (on test: a test
// result). why goes into the stored description of it.
func (s *Service) raise(r Raiser, acct *store.ScheduledAccount, area string, e exception, at time.Time, logOnly bool, why string) error {
	row, _ := sia.Lookup(e.code)
	ev := protocols.Event{Format: protocols.FormatSIA, Account: acct.Number, Code: e.code, Qualifier: protocols.QualifierNew,
		Partition: area, Known: true, Description: e.description, Category: protocols.CategorySchedule, AddressKind: row.Address}
	msg := &protocols.Message{Protocol: receiver.SyntheticProtocol, Kind: "schedule", Account: acct.Number, Events: []protocols.Event{ev}}
	raw := "schedule " + e.code + " #" + acct.Number
	if area != "" {
		raw += " area " + area
	}
	err := r.Raise(receiver.Synthetic{Receiver: acct.Receiver, Origin: "schedule", Message: msg, At: at, LogOnly: logOnly,
		Raw: []byte(raw + " (" + why + ")")})
	if errors.Is(err, receiver.ErrNoListener) {
		// No way in for the account's receiver on this node, now or on
		// retry: said loudly and passed, rather than holding every other
		// account's schedule back.
		if ok, suppressed := s.rateLog.Allow("nolistener", s.now()); ok {
			s.log.Error("schedule exception not raised: the account's receiver has no listener on this node", zap.String("code", e.code),
				zap.String("account", acct.Number), zap.Int("receiver", acct.Receiver), zap.Int("suppressed", suppressed))
		}
		return nil
	}
	if err != nil {
		if !errors.Is(err, receiver.ErrStopped) {
			if ok, suppressed := s.rateLog.Allow(e.code, s.now()); ok {
				s.log.Warn("schedule exception not stored; retrying", zap.String("code", e.code), zap.String("account", acct.Number),
					zap.Error(err), zap.Int("suppressed", suppressed))
			}
		}
		return err
	}
	s.raised.WithLabelValues(e.label).Inc()
	return nil
}

// save writes the progress; what fails is written with the next.
func (s *Service) save(ctx context.Context) {
	if !s.loaded || (s.saved && len(s.dirty) == 0) {
		return
	}
	p := store.ScheduleProgress{TakenThrough: s.taken, EvaluatedThrough: s.through}
	for k := range s.dirty {
		p.States = append(p.States, s.states[k])
	}
	if err := s.st.SaveScheduleProgress(ctx, p); err != nil {
		if ok, suppressed := s.rateLog.Allow("save", s.now()); ok {
			s.log.Warn("schedule progress not saved; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
		}
		return
	}
	clear(s.dirty)
	s.saved = true
}

// SetLogOnly replaces which exceptions are logged rather than queued
// (supervision.schedules, on a configuration reload).
func (s *Service) SetLogOnly(l LogOnly) { s.logOnly.Store(&l) }
