package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// Leases is what the keeper needs of the store.
type Leases interface {
	// Clustered tells that several nodes may share the store; a single
	// node runs every job at once, without leases.
	Clustered() bool
	AcquireLease(ctx context.Context, job string, ttl time.Duration) (epoch int64, held bool, err error)
	ReleaseLease(ctx context.Context, job string, epoch int64) error
}

// Timing of the leases: a dead holder's job starts on another node within
// TTL + Renew (7 s), under the 10 s target; the holder stops acting on
// its lease Margin before the database lets it lapse.
const (
	TTL    = 6 * time.Second
	Renew  = time.Second
	Margin = 2 * time.Second
)

// Options configure a Keeper.
type Options struct {
	Leases     Leases                // required
	Logger     *zap.Logger           // required
	Registerer prometheus.Registerer // required
	// TTL, Renew and Margin default to the constants of the same names.
	TTL, Renew, Margin time.Duration
}

// Keeper runs singleton jobs under their leases: each on the one node that
// holds its lease, moved to another when the holder dies or stops
// renewing.
type Keeper struct {
	o        Options
	log      *zap.Logger
	held     *prometheus.GaugeVec
	age      *prometheus.GaugeVec
	takeover *prometheus.CounterVec
}

// New returns a keeper.
func New(o Options) *Keeper {
	if o.TTL <= 0 {
		o.TTL = TTL
	}
	if o.Renew <= 0 {
		o.Renew = Renew
	}
	if o.Margin <= 0 {
		o.Margin = Margin
	}
	f := promauto.With(o.Registerer)
	return &Keeper{o: o, log: o.Logger.Named("cluster"),
		held: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alarmrx_cluster_lease_held",
			Help: "1 while this node holds the job's lease and runs the job, 0 while another node does.",
		}, []string{"job"}),
		age: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alarmrx_cluster_lease_age_seconds",
			Help: "Time since this node last renewed the job's lease; 0 while it does not hold it.",
		}, []string{"job"}),
		takeover: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_cluster_lease_acquired_total",
			Help: "Times this node took the job's lease (at its start, or from a node that stopped renewing it).",
		}, []string{"job"}),
	}
}

// Declare makes the lease series of jobs at 0 (not held, never taken),
// before any of them runs: their metrics exist from the start.
func (k *Keeper) Declare(jobs ...string) {
	for _, job := range jobs {
		k.held.WithLabelValues(job)
		k.age.WithLabelValues(job)
		k.takeover.WithLabelValues(job)
	}
}

// Forget drops the lease series of a job this node no longer runs (an
// output a reload removed), so that none says it is held.
func (k *Keeper) Forget(job string) {
	k.held.DeleteLabelValues(job)
	k.age.DeleteLabelValues(job)
	k.takeover.DeleteLabelValues(job)
}

// A Lease is the authority a job runs under (fence.Authority). Valid is
// checked (fence.Check) before each effect outside the database (a record sent to an automation peer, a
// report mailed): a node paused past its lease (SIGSTOP) finds it false
// when it resumes, before it acts, whatever its clock says, for the
// measure is the monotonic time since the last renewal.
type Lease struct {
	job     string
	epoch   int64
	renewed atomic.Int64 // monotonic nanoseconds since base at the last renewal that succeeded
	base    time.Time
	valid   time.Duration // TTL − Margin
}

// Job is the lease's job.
func (l *Lease) Job() string { return l.job }

// Epoch is the lease's fencing token.
func (l *Lease) Epoch() int64 { return l.epoch }

// Valid tells that the lease is still this node's.
func (l *Lease) Valid() bool {
	return time.Since(l.base) < time.Duration(l.renewed.Load())+l.valid
}

// Run runs job on this node whenever it holds its lease, until ctx ends:
// fn runs with a context that ends when the lease is lost, and carries
// the lease (Valid); once fn returned, the keeper tries for the lease
// again. At ctx's end it releases the lease, for another node to take at
// once.
func (k *Keeper) Run(ctx context.Context, job string, fn func(ctx context.Context)) {
	k.age.WithLabelValues(job).Set(0)
	if !k.o.Leases.Clustered() {
		k.held.WithLabelValues(job).Set(1)
		fn(ctx)
		return
	}
	k.held.WithLabelValues(job).Set(0)
	t := time.NewTicker(k.o.Renew)
	defer t.Stop()
	for {
		l := k.acquire(ctx, job)
		if l == nil {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				continue
			}
		}
		k.hold(ctx, l, t, fn)
		if ctx.Err() != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := k.o.Leases.ReleaseLease(rctx, job, l.epoch); err != nil {
				k.log.Warn("lease not released: another node takes the job once it lapses", zap.String("job", job), zap.Error(err))
			}
			cancel()
			return
		}
	}
}

// acquire tries for job's lease once.
func (k *Keeper) acquire(ctx context.Context, job string) *Lease {
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, k.o.Margin)
	epoch, held, err := k.o.Leases.AcquireLease(actx, job, k.o.TTL)
	cancel()
	if err != nil || !held {
		return nil
	}
	l := &Lease{job: job, epoch: epoch, base: start, valid: k.o.TTL - k.o.Margin}
	k.takeover.WithLabelValues(job).Inc()
	k.held.WithLabelValues(job).Set(1)
	k.log.Info("lease taken: this node runs the job", zap.String("job", job), zap.Int64("epoch", epoch))
	return l
}

// hold runs fn under l, renewing l at each tick, until ctx ends or a
// renewal fails past l's validity.
func (k *Keeper) hold(ctx context.Context, l *Lease, t *time.Ticker, fn func(ctx context.Context)) {
	jctx, stop := context.WithCancel(fence.With(ctx, l))
	var wg sync.WaitGroup
	returned := make(chan struct{})
	wg.Go(func() { defer close(returned); fn(jctx) })
	defer func() {
		stop()
		wg.Wait()
		k.held.WithLabelValues(l.job).Set(0)
		k.age.WithLabelValues(l.job).Set(0)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-returned:
			// The job ended on its own: its lease goes, for this node or
			// another to take it and run the job again.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = k.o.Leases.ReleaseLease(rctx, l.job, l.epoch)
			cancel()
			return
		case <-t.C:
		}
		if !l.Valid() {
			// Paused or cut off past the lease: another node may hold
			// it now; stop before anything more is done under it.
			k.log.Warn("lease lapsed before it was renewed: the job stops on this node", zap.String("job", l.job),
				zap.Int64("epoch", l.epoch))
			return
		}
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, k.o.Margin)
		epoch, held, err := k.o.Leases.AcquireLease(actx, l.job, k.o.TTL)
		cancel()
		switch {
		case err == nil && held && epoch == l.epoch:
			l.renewed.Store(int64(start.Sub(l.base)))
			k.age.WithLabelValues(l.job).Set(0)
		case err == nil:
			// Another node took it, or this one's lapsed and was taken
			// again under a new epoch: the old authority is void.
			k.log.Warn("lease lost: the job stops on this node", zap.String("job", l.job), zap.Int64("epoch", l.epoch),
				zap.Bool("held", held), zap.Int64("new_epoch", epoch))
			if held {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				_ = k.o.Leases.ReleaseLease(rctx, l.job, epoch)
				cancel()
			}
			return
		default:
			k.age.WithLabelValues(l.job).Set(time.Since(l.base.Add(time.Duration(l.renewed.Load()))).Seconds())
			k.log.Warn("lease not renewed; retrying while it is valid", zap.String("job", l.job), zap.Error(err))
		}
	}
}
