package supervision

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// raiser records what the service raises; fail, while set, refuses it.
type raiser struct {
	mu     sync.Mutex
	raised []string // "code #account @seconds since the bubble's start"
	fail   error
	t0     time.Time
}

func (r *raiser) Raise(s receiver.Synthetic) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	ev := s.Message.Events[0]
	r.raised = append(r.raised, ev.Code+" #"+ev.Account+" r"+itoa(s.Receiver)+" @"+s.At.Sub(r.t0).String()+" "+s.Origin)
	return nil
}

func (r *raiser) list() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.raised, ", ")
}

func (r *raiser) setFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

func itoa(n int) string { return string(rune('0' + n)) }

// runService runs a service over accounts in a synctest bubble: the clock
// is the bubble's, so every wait below is exact and instant.
func runService(t *testing.T, accounts []SupervisedAccount, test func(t *testing.T, s *Service, r *raiser, reg *prometheus.Registry)) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		sup := NewSupervisor(0, t0)
		sup.Load(accounts, t0)
		reg := prometheus.NewRegistry()
		var saved []SupervisedAccount
		var savedMu sync.Mutex
		s := New(Options{Supervisor: sup, Logger: zaptest.NewLogger(t), Registerer: reg,
			Save: func(l []SupervisedAccount) error {
				savedMu.Lock()
				saved = append(saved, l...)
				savedMu.Unlock()
				return nil
			}})
		r := &raiser{t0: t0}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.Run(ctx, r) }()
		test(t, s, r, reg)
		cancel()
		<-done
		savedMu.Lock()
		defer savedMu.Unlock()
		if len(accounts) > 0 && len(saved) == 0 {
			t.Error("the state was never saved")
		}
	})
}

// TestServiceRaisesFailureOnceAndRestoreAtCheckIn: a silent account gets
// one YS when its interval runs out, and the check-in that ends it a YK
// stamped with the check-in's time, raised without the check-in waiting.
func TestServiceRaisesFailureOnceAndRestoreAtCheckIn(t *testing.T) {
	runService(t, []SupervisedAccount{{ID: 7, Receiver: 2, Number: "1234", Interval: 5 * time.Second}},
		func(t *testing.T, s *Service, r *raiser, reg *prometheus.Registry) {
			time.Sleep(4 * time.Second)
			synctest.Wait()
			if got := r.list(); got != "" {
				t.Fatalf("raised before the interval ran out: %s", got)
			}
			time.Sleep(20 * time.Second)
			synctest.Wait()
			if got := r.list(); got != "YS #1234 r2 @5s supervision" {
				t.Fatalf("raised %q, want one YS at 5 s", got)
			}
			if v := testutil.ToFloat64(s.failed); v != 1 {
				t.Fatalf("failed accounts %v", v)
			}
			s.CheckIn(receiver.CheckIn{AccountID: 7, Receiver: 2, Number: "1234", At: time.Now()})
			synctest.Wait()
			if got := r.list(); got != "YS #1234 r2 @5s supervision, YK #1234 r2 @24s supervision" {
				t.Fatalf("raised %q, want the YK at the check-in", got)
			}
			if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP alarmrx_supervision_failures_total Supervised accounts that missed their interval: checkin (no message; SIA YS raised) or test (no periodic test; XX).
# TYPE alarmrx_supervision_failures_total counter
alarmrx_supervision_failures_total{kind="checkin"} 1
alarmrx_supervision_failures_total{kind="test"} 0
`), "alarmrx_supervision_failures_total"); err != nil {
				t.Fatal(err)
			}
		})
}

// TestServiceKeepsAFailureAcrossARestart: an account failed when the
// daemon stopped raises no second YS and no restore by itself; its next
// message restores it.
func TestServiceKeepsAFailureAcrossARestart(t *testing.T) {
	runService(t, []SupervisedAccount{{ID: 1, Receiver: 1, Number: "9", Interval: 2 * time.Second, Failed: true}},
		func(t *testing.T, s *Service, r *raiser, _ *prometheus.Registry) {
			time.Sleep(time.Minute)
			synctest.Wait()
			if got := r.list(); got != "" {
				t.Fatalf("raised %q by itself", got)
			}
			s.CheckIn(receiver.CheckIn{AccountID: 1, Receiver: 1, Number: "9", At: time.Now()})
			synctest.Wait()
			if got := r.list(); got != "YK #9 r1 @1m0s supervision" {
				t.Fatalf("raised %q", got)
			}
		})
}

// TestServiceRetriesWhatCouldNotBeStored: a failure the store refused is
// raised again a second later; a restore the store refused is raised by
// the next check-in.
func TestServiceRetriesWhatCouldNotBeStored(t *testing.T) {
	runService(t, []SupervisedAccount{{ID: 1, Receiver: 1, Number: "5", Interval: 3 * time.Second}},
		func(t *testing.T, s *Service, r *raiser, _ *prometheus.Registry) {
			r.setFail(errors.New("disk full"))
			time.Sleep(3500 * time.Millisecond)
			synctest.Wait()
			r.setFail(nil)
			time.Sleep(time.Second)
			synctest.Wait()
			if got := r.list(); got != "YS #5 r1 @4s supervision" {
				t.Fatalf("raised %q, want the YS retried a second later", got)
			}
			r.setFail(errors.New("disk full"))
			s.CheckIn(receiver.CheckIn{AccountID: 1, Receiver: 1, Number: "5", At: time.Now()})
			synctest.Wait()
			r.setFail(nil)
			time.Sleep(time.Second)
			s.CheckIn(receiver.CheckIn{AccountID: 1, Receiver: 1, Number: "5", At: time.Now()})
			synctest.Wait()
			if got := r.list(); got != "YS #5 r1 @4s supervision, YK #5 r1 @5.5s supervision" {
				t.Fatalf("raised %q, want the YK from the check-in after the refused one", got)
			}
		})
}

// sharedCheckIns is the store's supervision table as the nodes share it.
type sharedCheckIns struct {
	mu   sync.Mutex
	rows map[int64]store.CheckInState
}

func (c *sharedCheckIns) ShareCheckIns(_ context.Context, states []store.CheckInState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range states {
		r := c.rows[s.AccountID]
		r.AccountID = s.AccountID
		if s.LastSeen.After(r.LastSeen) {
			r.LastSeen = s.LastSeen
		}
		if s.LastTest.After(r.LastTest) {
			r.LastTest = s.LastTest
		}
		c.rows[s.AccountID] = r
	}
	return nil
}

func (c *sharedCheckIns) CheckInsOf(_ context.Context, ids []int64) ([]store.CheckInState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []store.CheckInState
	for _, id := range ids {
		if r, ok := c.rows[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// TestSupervisionHearsOtherNodes: with two nodes, the one that runs
// supervision raises no failure for an account that checks in only at
// the other, raises it once the account falls silent everywhere, and
// raises its restore when the account is heard again at the other node.
func TestSupervisionHearsOtherNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		accounts := []SupervisedAccount{{ID: 7, Receiver: 1, Number: "7007", Interval: time.Minute}}
		table := &sharedCheckIns{rows: map[int64]store.CheckInState{}}
		node := func() *Service {
			sup := NewSupervisor(0, t0)
			sup.Load(accounts, t0)
			return New(Options{Supervisor: sup, Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
				Shared: table, Reload: func() ([]SupervisedAccount, error) { return accounts, nil }})
		}
		holder, other := node(), node()
		r := &raiser{t0: t0}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { holder.Run(ctx, r) })
		wg.Go(func() { holder.RunSharing(ctx) })
		wg.Go(func() { other.RunSharing(ctx) })
		checkIn := func() {
			other.CheckIn(receiver.CheckIn{AccountID: 7, Receiver: 1, Number: "7007", At: time.Now()})
		}
		// Heard every 30 s at the other node only, for five minutes.
		for range 10 {
			time.Sleep(30 * time.Second)
			checkIn()
		}
		synctest.Wait()
		if got := r.list(); got != "" {
			t.Fatalf("raised %q for an account the other node hears", got)
		}
		time.Sleep(2 * time.Minute) // silent everywhere
		synctest.Wait()
		if got := r.list(); !strings.HasPrefix(got, "YS #7007") || strings.Count(got, "YS") != 1 {
			t.Fatalf("raised %q, want one YS once the account fell silent", got)
		}
		checkIn()
		time.Sleep(3 * time.Second) // shared within a second, read at the next tick
		synctest.Wait()
		if got := r.list(); strings.Count(got, "YK #7007") != 1 {
			t.Fatalf("raised %q, want the restore the other node heard", got)
		}
		cancel()
		wg.Wait()
	})
}
