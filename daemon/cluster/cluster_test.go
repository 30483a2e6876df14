package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// leases is a lease table of one job: held by holder until expires, by
// the bubble's clock, as the store's SQL does it; down makes a node's
// calls fail, as a database out of its reach does. The table (shared) and
// every node's down are guarded by the table's mu.
type leases struct {
	mu      sync.Mutex
	holder  string
	epoch   int64
	expires time.Time
	down    bool
	node    string // the node asking (one keeper per leases value)
	shared  *leases
}

func (l *leases) Clustered() bool { return true }

// cutOff makes l's node unable to reach the database.
func (l *leases) cutOff() {
	l.shared.mu.Lock()
	l.down = true
	l.shared.mu.Unlock()
}

func (l *leases) AcquireLease(_ context.Context, _ string, ttl time.Duration) (int64, bool, error) {
	t := l.shared
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down || l.down {
		return 0, false, errors.New("database unreachable")
	}
	now := time.Now()
	if t.holder != l.node && now.Before(t.expires) {
		return 0, false, nil
	}
	if t.holder != l.node || !now.Before(t.expires) {
		t.epoch++
	}
	t.holder, t.expires = l.node, now.Add(ttl)
	return t.epoch, true, nil
}

func (l *leases) ReleaseLease(_ context.Context, _ string, epoch int64) error {
	t := l.shared
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.holder == l.node && t.epoch == epoch {
		t.expires = time.Time{}
	}
	return nil
}

func newKeeper(t *testing.T, l *leases) *Keeper {
	return New(Options{Leases: l, Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
}

// TestJobMovesWhenItsHolderStopsRenewing: the job runs on one node; when
// that node can no longer reach the database, it stops the job before
// the lease lapses, and the other node runs it within TTL + Renew of the
// last renewal, under a new epoch.
func TestJobMovesWhenItsHolderStopsRenewing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		table := &leases{}
		a, b := &leases{node: "a", shared: table}, &leases{node: "b", shared: table}
		ka := newKeeper(t, a)
		kb := newKeeper(t, b)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex
		running := map[string]int64{}
		job := func(node string, l *leases) func(ctx context.Context) {
			return func(ctx context.Context) {
				l.shared.mu.Lock()
				epoch := l.shared.epoch
				l.shared.mu.Unlock()
				mu.Lock()
				running[node] = epoch
				mu.Unlock()
				<-ctx.Done()
				mu.Lock()
				delete(running, node)
				mu.Unlock()
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() { ka.Run(ctx, "report", job("a", a)) })
		synctest.Wait()
		wg.Go(func() { kb.Run(ctx, "report", job("b", b)) })
		time.Sleep(3 * time.Second)
		synctest.Wait()
		mu.Lock()
		if len(running) != 1 || running["a"] != 1 {
			t.Fatalf("running %v, want node a alone at epoch 1", running)
		}
		mu.Unlock()
		if v := testutil.ToFloat64(ka.held.WithLabelValues("report")); v != 1 {
			t.Errorf("alarmrx_cluster_lease_held on a = %v", v)
		}

		a.cutOff() // node a is cut off from the database
		cut := time.Now()
		for {
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
			mu.Lock()
			_, onA := running["a"]
			epochB, onB := running["b"]
			mu.Unlock()
			if onA && onB {
				t.Fatal("the job runs on both nodes")
			}
			if onB {
				if took := time.Since(cut); took > TTL+Renew {
					t.Errorf("node b took the job %s after node a was cut off, want at most %s", took, TTL+Renew)
				}
				if epochB != 2 {
					t.Errorf("node b runs it at epoch %d, want 2", epochB)
				}
				break
			}
			if time.Since(cut) > time.Minute {
				t.Fatal("node b never took the job")
			}
		}
		cancel()
		wg.Wait()
	})
}

// TestLeaseIsInvalidOncePaused: a holder that stops renewing (paused, as
// under SIGSTOP) finds its lease invalid Margin before the database lets
// it lapse, and fence.Check in the job's context says so.
func TestLeaseIsInvalidOncePaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		table := &leases{}
		a := &leases{node: "a", shared: table}
		k := newKeeper(t, a)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		jobCtx := make(chan context.Context, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			k.Run(ctx, "output:x", func(ctx context.Context) {
				jobCtx <- ctx
				<-ctx.Done()
			})
		})
		jctx := <-jobCtx
		if err := fence.Check(jctx); err != nil {
			t.Fatalf("fresh lease: %v", err)
		}
		a.cutOff()
		time.Sleep(TTL - Margin + 10*time.Millisecond)
		if err := fence.Check(jctx); !errors.Is(err, fence.ErrLost) {
			t.Fatalf("a lease not renewed for TTL−Margin: %v, want ErrLost", err)
		}
		synctest.Wait()
		if jctx.Err() == nil {
			t.Error("the job's context did not end with its lease")
		}
		cancel()
		wg.Wait()
	})
}

// TestLeaseAgeShowsRenewalsThatFail: alarmrx_cluster_lease_age_seconds is
// 0 while the holder renews its lease, grows by each renewal that fails
// (the database out of reach), and is 0 again once the job stopped.
func TestLeaseAgeShowsRenewalsThatFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		table := &leases{}
		a := &leases{node: "a", shared: table}
		reg := prometheus.NewRegistry()
		k := New(Options{Leases: a, Logger: zaptest.NewLogger(t), Registerer: reg})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		wg.Go(func() { k.Run(ctx, "report", func(ctx context.Context) { <-ctx.Done() }) })
		age := func() float64 { return testutil.ToFloat64(k.age.WithLabelValues("report")) }
		time.Sleep(3*Renew + time.Millisecond)
		synctest.Wait()
		if got := age(); got != 0 {
			t.Fatalf("age while renewing: %v, want 0", got)
		}
		a.cutOff()
		time.Sleep(2 * Renew)
		synctest.Wait()
		if got := age(); got < (2*Renew).Seconds()-0.01 || got > (3*Renew).Seconds() {
			t.Fatalf("age after two failed renewals: %v s, want about %v", got, (2 * Renew).Seconds())
		}
		time.Sleep(TTL)
		synctest.Wait()
		if got, held := age(), testutil.ToFloat64(k.held.WithLabelValues("report")); got != 0 || held != 0 {
			t.Fatalf("once the job stopped: age %v, held %v; want 0, 0", got, held)
		}
		cancel()
		wg.Wait()
	})
}
