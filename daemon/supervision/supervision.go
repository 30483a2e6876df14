package supervision

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sia"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// supervised is one account's supervision state.
type supervised struct {
	receiver     int
	number       string
	interval     time.Duration
	testInterval time.Duration
	lastSeen     time.Time
	lastTest     time.Time
	deadline     int64 // unix second the check-in is due by (interval + grace); 0 when not supervised
	testDeadline int64
	failed       bool
	// restoring: a check-in ended the failure, and its restore is not
	// stored yet. It is saved as failed until then, so that a crash
	// before the restore is stored raises it again with the next message.
	restoring bool
	testLate  bool
	dirty     bool
	// filed is the second of the account's one pending wake-up in the
	// wheel (0: none); later deadlines wait for it and are filed then, so
	// a chatty panel does not add an entry per message.
	filed int64
}

// Expiry is a supervised account whose interval ran out.
type Expiry struct {
	AccountID int64
	Receiver  int
	Number    string
	Test      bool // the periodic test, not the check-in, is late
}

// Supervisor watches accounts with a check-in interval (any valid message
// proves the path) and a test interval (periodic test reports), with a
// bucketed timer wheel: one bucket per second holds the accounts due then;
// a refresh files the account under its new second and leaves the old
// entry to be skipped when its second comes [protocols.md §5.2]. Safe for
// concurrent use.
type Supervisor struct {
	mu       sync.Mutex
	grace    time.Duration
	accounts map[int64]*supervised
	buckets  map[int64][]int64
	next     int64 // first second not yet processed
	// nfailed counts the failed accounts and changed lists the ones to
	// save, so that neither the gauge nor a save walks every account while
	// check-ins, which run before their frame's reply, wait for the lock.
	nfailed int
	changed []int64
	// failedIDs are the accounts in failure or late to test: what the
	// node running supervision asks the database about, for check-ins
	// other nodes heard.
	failedIDs map[int64]struct{}
}

// setFailed sets an account's failure and keeps nfailed with it.
func (s *Supervisor) setFailed(st *supervised, failed bool) {
	if st.failed != failed {
		if failed {
			s.nfailed++
		} else {
			s.nfailed--
		}
	}
	st.failed = failed
}

// mark keeps failedIDs with an account's state.
func (s *Supervisor) mark(id int64, st *supervised) {
	if st.failed || st.testLate {
		s.failedIDs[id] = struct{}{}
	} else {
		delete(s.failedIDs, id)
	}
}

// touch marks an account's state as changed since the last save.
func (s *Supervisor) touch(id int64, st *supervised) {
	if !st.dirty {
		st.dirty = true
		s.changed = append(s.changed, id)
	}
}

// drop forgets an account.
func (s *Supervisor) drop(id int64) {
	if st, ok := s.accounts[id]; ok {
		s.setFailed(st, false)
		delete(s.accounts, id)
		delete(s.failedIDs, id)
	}
}

// NewSupervisor returns an empty supervisor; grace is added to every
// interval (one retry cycle of the panel).
func NewSupervisor(grace time.Duration, now time.Time) *Supervisor {
	return &Supervisor{grace: grace, accounts: map[int64]*supervised{}, buckets: map[int64][]int64{}, next: now.Unix(),
		failedIDs: map[int64]struct{}{}}
}

// SupervisedAccount is what Load and Set take.
type SupervisedAccount struct {
	ID                     int64
	Receiver               int
	Number                 string
	Interval, TestInterval time.Duration
	LastSeen               time.Time
	Failed, TestLate       bool
}

// Load sets accounts at start-up. Every account gets one full interval
// from now before it can fail, whatever its last message was, and keeps a
// failure that was open when the daemon stopped.
func (s *Supervisor) Load(list []SupervisedAccount, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range list {
		s.drop(a.ID)
		st := &supervised{receiver: a.Receiver, number: a.Number, interval: a.Interval, testInterval: a.TestInterval,
			lastSeen: a.LastSeen, lastTest: now, testLate: a.TestLate}
		s.setFailed(st, a.Failed)
		s.accounts[a.ID] = st
		s.mark(a.ID, st)
		s.schedule(a.ID, st, now, now)
	}
}

// Set adds or changes an account's intervals (0 and 0 removes it).
func (s *Supervisor) Set(a SupervisedAccount, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Interval <= 0 && a.TestInterval <= 0 {
		s.drop(a.ID)
		return
	}
	st, ok := s.accounts[a.ID]
	if !ok {
		st = &supervised{lastSeen: now, lastTest: now}
		s.accounts[a.ID] = st
	}
	st.receiver, st.number, st.interval, st.testInterval = a.Receiver, a.Number, a.Interval, a.TestInterval
	s.schedule(a.ID, st, st.lastSeen, st.lastTest)
}

// Remove stops supervising an account.
func (s *Supervisor) Remove(id int64) {
	s.mu.Lock()
	s.drop(id)
	s.mu.Unlock()
}

func (s *Supervisor) schedule(id int64, st *supervised, seen, test time.Time) {
	st.deadline, st.testDeadline = 0, 0
	if st.interval > 0 {
		st.deadline = seen.Add(st.interval + s.grace).Unix()
		s.file(id, st, st.deadline)
	}
	if st.testInterval > 0 {
		st.testDeadline = test.Add(st.testInterval + s.grace).Unix()
		s.file(id, st, st.testDeadline)
	}
}

func (s *Supervisor) file(id int64, st *supervised, at int64) {
	if at < s.next {
		at = s.next
	}
	if st.filed != 0 && st.filed <= at {
		return // an earlier wake-up is pending; it files this one
	}
	s.buckets[at] = append(s.buckets[at], id)
	st.filed = at
}

// Seen records a valid message of an account (test: a periodic test
// report). It reports whether it ends a communication failure.
func (s *Supervisor) Seen(id int64, at time.Time, test bool) (restored bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.accounts[id]
	if !ok {
		return false
	}
	st.lastSeen = at
	s.touch(id, st)
	if test {
		st.lastTest = at
		st.testLate = false
	}
	restored = st.failed
	s.setFailed(st, false)
	s.mark(id, st)
	st.restoring = st.restoring || restored
	s.schedule(id, st, st.lastSeen, st.lastTest)
	return restored
}

// HeardElsewhere undoes an expiry Due just returned when another node
// heard the account since (seen, test: its last message and periodic test
// as the database has them) recently enough that its interval has not run
// out: the account is rescheduled from then, and nothing is raised. It
// reports whether it undid e.
func (s *Supervisor) HeardElsewhere(e Expiry, seen, test, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.accounts[e.AccountID]
	if !ok {
		return false
	}
	if e.Test {
		if !test.After(st.lastTest) || !test.Add(st.testInterval+s.grace).After(now) {
			return false
		}
		st.lastTest, st.testLate = test, false
	} else {
		if !seen.After(st.lastSeen) || !seen.Add(st.interval+s.grace).After(now) {
			return false
		}
		st.lastSeen = seen
		s.setFailed(st, false)
	}
	s.mark(e.AccountID, st)
	s.touch(e.AccountID, st)
	s.schedule(e.AccountID, st, st.lastSeen, st.lastTest)
	return true
}

// expiryOf names an account as its expiry would.
func (s *Supervisor) expiryOf(id int64) (Expiry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.accounts[id]
	if !ok {
		return Expiry{}, false
	}
	return Expiry{AccountID: id, Receiver: st.receiver, Number: st.number}, true
}

// Outstanding lists the accounts in failure or late to test, with the
// times their state stands on, for the check-ins other nodes heard.
func (s *Supervisor) Outstanding() map[int64][2]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64][2]time.Time, len(s.failedIDs))
	for id := range s.failedIDs {
		if st, ok := s.accounts[id]; ok {
			out[id] = [2]time.Time{st.lastSeen, st.lastTest}
		}
	}
	return out
}

// KeepFailed marks an account failed again after Seen cleared it but its
// restore could not be stored, so that the next message raises it.
func (s *Supervisor) KeepFailed(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.accounts[id]; ok {
		s.setFailed(st, true)
		s.mark(id, st)
		st.restoring = false
		s.touch(id, st)
	}
}

// Restored records that the restore a check-in raised is stored.
func (s *Supervisor) Restored(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.accounts[id]; ok && st.restoring {
		st.restoring = false
		s.touch(id, st)
	}
}

// Due returns the accounts whose interval ran out by now and marks them
// failed (or late to test): each is returned once per failure.
func (s *Supervisor) Due(now time.Time) []Expiry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Expiry
	end := now.Unix()
	for sec := s.next; sec <= end; sec++ {
		for _, id := range s.buckets[sec] {
			st, ok := s.accounts[id]
			if !ok || st.filed != sec {
				continue // removed, or an entry an earlier wake-up replaced
			}
			st.filed = 0
			if st.deadline == sec && !st.failed {
				s.setFailed(st, true)
				s.mark(id, st)
				s.touch(id, st)
				out = append(out, Expiry{AccountID: id, Receiver: st.receiver, Number: st.number})
			}
			if st.testDeadline == sec && !st.testLate {
				st.testLate = true
				s.mark(id, st)
				s.touch(id, st)
				out = append(out, Expiry{AccountID: id, Receiver: st.receiver, Number: st.number, Test: true})
			}
			// File the account's next deadline, if one is still to come.
			if st.deadline > sec && !st.failed {
				s.file(id, st, st.deadline)
			}
			if st.testDeadline > sec && !st.testLate {
				s.file(id, st, st.testDeadline)
			}
		}
		delete(s.buckets, sec)
	}
	if end >= s.next {
		s.next = end + 1
	}
	return out
}

// Unfail undoes a failure whose event could not be stored, so that the
// next check raises it again.
func (s *Supervisor) Unfail(e Expiry, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.accounts[e.AccountID]
	if !ok {
		return
	}
	if e.Test {
		st.testLate = false
		st.testDeadline = now.Unix() + 1
		s.file(e.AccountID, st, st.testDeadline)
	} else {
		s.setFailed(st, false)
		st.deadline = now.Unix() + 1
		s.file(e.AccountID, st, st.deadline)
	}
	s.mark(e.AccountID, st)
}

// Dirty returns and clears the states changed since the last call, for
// persisting.
func (s *Supervisor) Dirty() []SupervisedAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SupervisedAccount
	for _, id := range s.changed {
		if st, ok := s.accounts[id]; ok && st.dirty { // not removed since
			st.dirty = false
			out = append(out, SupervisedAccount{ID: id, LastSeen: st.lastSeen, Failed: st.failed || st.restoring, TestLate: st.testLate})
		}
	}
	s.changed = s.changed[:0]
	return out
}

// Failed is the number of accounts in communication failure now.
func (s *Supervisor) Failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nfailed
}

// Raiser commits a synthetic message; *receiver.Receiver satisfies it.
type Raiser interface {
	Raise(receiver.Synthetic) error
}

// Sharer is the store when several nodes share it: every node writes the
// check-ins it heard, and the node that runs supervision reads them.
type Sharer interface {
	ShareCheckIns(ctx context.Context, states []store.CheckInState) error
	CheckInsOf(ctx context.Context, ids []int64) ([]store.CheckInState, error)
}

// Options configure a Service.
type Options struct {
	Supervisor *Supervisor // required
	// Save persists changed states; nil keeps them in memory only.
	Save func([]SupervisedAccount) error
	// Shared, when set (several nodes), is where every node's check-ins
	// meet (RunSharing writes this node's), and Reload reads the stored
	// states when this node takes supervision over (Run).
	Shared     Sharer
	Reload     func() ([]SupervisedAccount, error)
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	Now        func() time.Time      // nil → time.Now
}

// Service raises supervision's events: every second the failures the
// supervisor finds, and, as soon as they are known, the restores that
// check-ins end. It hears of check-ins from the receiver after their
// frame's commit and never makes that frame's reply wait: restores are
// queued here and raised on the service's own goroutine, as new messages
// through the receiver's source, never inside another frame's pipeline.
type Service struct {
	sup      *Supervisor
	save     func([]SupervisedAccount) error
	log      *zap.Logger
	now      func() time.Time
	failures *prometheus.CounterVec
	failed   prometheus.Gauge
	// rateLog keeps a store that refuses supervision's events from
	// writing a line per account per second.
	rateLog *ratelog.Limiter

	mu       sync.Mutex
	restores []restore // check-ins that ended a failure, to raise
	wake     chan struct{}

	shared Sharer
	reload func() ([]SupervisedAccount, error)
	// heard are this node's check-ins not written for the others yet.
	heard map[int64]*store.CheckInState
	// running is set while Run runs: with several nodes, only the one
	// that runs supervision raises restores.
	running atomic.Bool
}

// New returns a service over o.Supervisor.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	f := promauto.With(o.Registerer)
	s := &Service{sup: o.Supervisor, save: o.Save, log: o.Logger.Named("supervision"), now: o.Now,
		wake: make(chan struct{}, 1), rateLog: ratelog.New(10 * time.Second),
		shared: o.Shared, reload: o.Reload, heard: map[int64]*store.CheckInState{},
		failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_supervision_failures_total",
			Help: "Supervised accounts that missed their interval: checkin (no message; SIA YS raised) or test (no periodic test; XX).",
		}, []string{"kind"}),
		failed: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_supervision_failed_accounts",
			Help: "Supervised accounts in communication failure now.",
		}),
	}
	for _, k := range []string{kindCheckin, kindTest} {
		s.failures.WithLabelValues(k)
	}
	return s
}

// The closed "kind" label set of alarmrx_supervision_failures_total.
const (
	kindCheckin = "checkin"
	kindTest    = "test"
)

// CheckIn records an account proven alive by a stored message
// [protocols.md §5.2 step 2]. It only updates memory; a failure it ends
// has its restore raised by Run.
func (s *Service) CheckIn(c receiver.CheckIn) {
	if s.shared != nil {
		s.mu.Lock()
		h := s.heard[c.AccountID]
		if h == nil {
			h = &store.CheckInState{AccountID: c.AccountID}
			s.heard[c.AccountID] = h
		}
		if c.At.After(h.LastSeen) {
			h.LastSeen = c.At
		}
		if c.Test && c.At.After(h.LastTest) {
			h.LastTest = c.At
		}
		s.mu.Unlock()
	}
	if !s.sup.Seen(c.AccountID, c.At, c.Test) || (s.shared != nil && !s.running.Load()) {
		return
	}
	s.mu.Lock()
	s.restores = append(s.restores, restore{Expiry{AccountID: c.AccountID, Receiver: c.Receiver, Number: c.Number}, c.At})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run raises the failures the supervisor finds every second and the
// restores as they come, and persists the state every 10 s, until ctx
// ends; then it saves once more.
func (s *Service) Run(ctx context.Context, raise Raiser) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	if s.shared != nil && s.reload != nil {
		// What this node heard while another supervised is that one's to
		// restore; from here on this node's check-ins queue restores.
		s.takeRestores()
	}
	s.running.Store(true)
	defer s.running.Store(false)
	if s.shared != nil && s.reload != nil {
		// Taking supervision over from another node: its failures are in
		// the store, and every account gets a full interval from now, as
		// after a restart.
		if list, err := s.reload(); err != nil {
			s.log.Warn("supervision states not reloaded; supervising from this node's own", zap.Error(err))
		} else {
			s.sup.Load(list, s.now())
		}
	}
	lastSave := s.now()
	for {
		select {
		case <-ctx.Done():
			// Restores not raised stay failures: the next message raises them.
			for _, rs := range s.takeRestores() {
				s.sup.KeepFailed(rs.AccountID)
			}
			s.persist()
			return
		case <-s.wake:
			if fence.Check(ctx) == nil {
				s.raiseRestores(raise)
			}
			continue
		case <-tick.C:
		}
		if fence.Check(ctx) != nil {
			// Paused past the lease: another node supervises now, and
			// what is due here is its to raise.
			return
		}
		now := s.now()
		due := s.heardElsewhere(ctx, s.sup.Due(now), now)
		for _, e := range due {
			if !s.raise(raise, e, false, now) {
				s.sup.Unfail(e, now)
			}
		}
		if s.shared != nil && s.restoredElsewhere(ctx) {
			s.raiseRestores(raise)
		}
		s.failed.Set(float64(s.sup.Failed()))
		// A failure is saved at once (a crash must not raise it twice);
		// check-ins and restores every 10 s.
		if len(due) > 0 || now.Sub(lastSave) >= 10*time.Second {
			s.persist()
			lastSave = now
		}
	}
}

// heardElsewhere drops from due the accounts another node heard in time
// (several nodes): their check-ins are in the store within a second.
func (s *Service) heardElsewhere(ctx context.Context, due []Expiry, now time.Time) []Expiry {
	if s.shared == nil || len(due) == 0 {
		return due
	}
	ids := make([]int64, len(due))
	for i, e := range due {
		ids[i] = e.AccountID
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	heard, err := s.shared.CheckInsOf(qctx, ids)
	cancel()
	if err != nil {
		// Raising a failure another node may have heard the end of is a
		// false alarm; missing one is worse. Try again in a second.
		s.log.Warn("the check-ins other nodes heard are unreadable; the expiries wait a second", zap.Error(err))
		for _, e := range due {
			s.sup.Unfail(e, now)
		}
		return nil
	}
	byID := make(map[int64]store.CheckInState, len(heard))
	for _, h := range heard {
		byID[h.AccountID] = h
	}
	out := due[:0]
	for _, e := range due {
		if h, ok := byID[e.AccountID]; ok && s.sup.HeardElsewhere(e, h.LastSeen, h.LastTest, now) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// restoredElsewhere queues the restores of failed accounts that another
// node heard from (several nodes), and reports whether it queued any.
func (s *Service) restoredElsewhere(ctx context.Context) bool {
	outstanding := s.sup.Outstanding()
	if len(outstanding) == 0 {
		return false
	}
	ids := make([]int64, 0, len(outstanding))
	for id := range outstanding {
		ids = append(ids, id)
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	heard, err := s.shared.CheckInsOf(qctx, ids)
	cancel()
	if err != nil {
		s.log.Warn("the check-ins other nodes heard are unreadable; restores wait", zap.Error(err))
		return false
	}
	queued := false
	for _, h := range heard {
		was := outstanding[h.AccountID]
		e, ok := s.sup.expiryOf(h.AccountID)
		if !ok {
			continue
		}
		// A periodic test is a message too: the first Seen may be the
		// one that ends the failure, and its restore is raised as well.
		restored := false
		if h.LastTest.After(was[1]) {
			restored = s.sup.Seen(h.AccountID, h.LastTest, true)
		}
		if h.LastSeen.After(was[0]) && s.sup.Seen(h.AccountID, h.LastSeen, false) {
			restored = true
		}
		if restored {
			s.mu.Lock()
			s.restores = append(s.restores, restore{e, h.LastSeen})
			s.mu.Unlock()
			queued = true
		}
	}
	return queued
}

// RunSharing writes this node's check-ins for the others every second
// until ctx ends, then once more (several nodes; nothing otherwise). Every
// node runs it, supervising or not.
func (s *Service) RunSharing(ctx context.Context) {
	if s.shared == nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			s.share(fctx)
			cancel()
			return
		case <-tick.C:
		}
		s.share(ctx)
	}
}

// share writes the check-ins heard since the last share; what fails to be
// written is kept for the next.
func (s *Service) share(ctx context.Context) {
	s.mu.Lock()
	if len(s.heard) == 0 {
		s.mu.Unlock()
		return
	}
	batch := make([]store.CheckInState, 0, len(s.heard))
	for _, h := range s.heard {
		batch = append(batch, *h)
	}
	clear(s.heard)
	s.mu.Unlock()
	if err := s.shared.ShareCheckIns(ctx, batch); err == nil {
		return
	} else if ok, suppressed := s.rateLog.Allow("share", s.now()); ok {
		s.log.Warn("check-ins not written for the other nodes; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
	}
	s.mu.Lock()
	for _, b := range batch {
		h := s.heard[b.AccountID]
		if h == nil {
			h = &store.CheckInState{AccountID: b.AccountID}
			s.heard[b.AccountID] = h
		}
		if b.LastSeen.After(h.LastSeen) {
			h.LastSeen = b.LastSeen
		}
		if b.LastTest.After(h.LastTest) {
			h.LastTest = b.LastTest
		}
	}
	s.mu.Unlock()
}

// restore is a check-in that ended a failure, at the time of its message.
type restore struct {
	Expiry
	at time.Time
}

// restoreConcurrency bounds the restores raised at once: after a network
// outage thousands of accounts come back together, and raised side by side
// their commits share the store's group commit.
const restoreConcurrency = 32

// raiseRestores raises the restores check-ins have queued.
func (s *Service) raiseRestores(raise Raiser) {
	sem := make(chan struct{}, restoreConcurrency)
	var wg sync.WaitGroup
	for _, rs := range s.takeRestores() {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if s.raise(raise, rs.Expiry, true, rs.at) {
				s.sup.Restored(rs.AccountID)
			} else {
				s.sup.KeepFailed(rs.AccountID) // the restore is raised by the next message instead
			}
		})
	}
	wg.Wait()
}

func (s *Service) takeRestores() []restore {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.restores
	s.restores = nil
	return out
}

func (s *Service) persist() {
	if s.save == nil {
		return
	}
	if err := s.save(s.sup.Dirty()); err != nil {
		s.log.Warn("supervision state not saved; retrying later", zap.Error(err))
	}
}

// raise commits the synthetic event of a supervision change on the
// account's receiver, so that it is queued like any trouble: SIA YS
// communications trouble and YK restoral, XX fail to test
// [protocols.md §5.2 steps 4–5]. It reports whether it was stored.
func (s *Service) raise(r Raiser, e Expiry, isRestore bool, at time.Time) bool {
	code, q := "YS", protocols.QualifierNew
	switch {
	case e.Test:
		code = "XX"
	case isRestore:
		code, q = "YK", protocols.QualifierRestore
	}
	row, _ := sia.Lookup(code)
	ev := protocols.Event{Format: protocols.FormatSIA, Account: e.Number, Code: code, Qualifier: q, Known: true,
		Description: row.Name, Category: row.Category, AddressKind: row.Address}
	msg := &protocols.Message{Protocol: receiver.SyntheticProtocol, Kind: "supervision", Account: e.Number,
		Events: []protocols.Event{ev}}
	err := r.Raise(receiver.Synthetic{Receiver: e.Receiver, Origin: "supervision", Message: msg, At: at,
		Raw: []byte("supervision " + code + " #" + e.Number)})
	if err != nil {
		if errors.Is(err, receiver.ErrStopped) {
			return false // shutting down: the state saved says what is still to raise
		}
		if ok, suppressed := s.rateLog.Allow(code, s.now()); ok {
			s.log.Warn("supervision event not stored; retrying", zap.String("code", code), zap.String("account", e.Number),
				zap.Error(err), zap.Int("suppressed", suppressed))
		}
		return false
	}
	if !isRestore {
		kind := kindCheckin
		if e.Test {
			kind = kindTest
		}
		s.failures.WithLabelValues(kind).Inc()
	}
	return true
}
