package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/output"
	"github.com/alarmrx/alarmrx/daemon/report"
	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/prometheus/client_golang/prometheus"
)

// The outputs (Sur-Gard, webhooks, automation peers) and the report
// mailer, each a job under its lease. A reload stops the ones no longer
// configured, restarts the ones whose configuration changed, and starts
// the new ones; the others run on untouched.

// deliverer is what the daemon needs of a built output.
type deliverer interface {
	Run(ctx context.Context)
}

// job is one running output (or the report mailer).
type job struct {
	name string // the output's name; jobReport for the report mailer
	kind string // surgard, webhook, peer, report
	// conf is what it was built from: a reload restarts it when it
	// changed (compared with reflect.DeepEqual).
	conf    any
	run     deliverer
	wake    func()        // nil for the report mailer
	release func()        // frees what building bound (a Sur-Gard port); nil for none
	addr    func() string // the Sur-Gard output's address; nil for others
	// reg unregisters the job's metrics when it is stopped for good or
	// rebuilt, so that its successor of the same name registers them.
	reg    *trackedRegisterer
	cancel context.CancelFunc
	done   chan struct{}
}

// leaseName is the job's lease.
func (j *job) leaseName() string {
	if j.kind == "report" {
		return jobReport
	}
	return jobOutputPrefix + j.name
}

// jobSet holds the running jobs; mu guards list and ctx.
type jobSet struct {
	mu   sync.Mutex
	list []*job
	ctx  context.Context // Run's; nil before Run and after its shutdown began
	wg   sync.WaitGroup
}

// jobConfs lists what the configuration asks to run, in order: Sur-Gard
// outputs, webhooks, peers, then the report mailer.
func jobConfs(cfg *configs.Config) []job {
	var out []job
	for _, oc := range cfg.Outputs.Surgard {
		out = append(out, job{name: oc.Name, kind: "surgard", conf: surgardConf{oc, heartbeatReceiver(cfg, oc)}})
	}
	for _, hc := range cfg.Outputs.Webhooks {
		out = append(out, job{name: hc.Name, kind: "webhook", conf: hc})
	}
	for _, pc := range cfg.Outputs.Peers {
		out = append(out, job{name: pc.Name, kind: "peer", conf: pc})
	}
	if cfg.Report.Enabled {
		out = append(out, job{name: jobReport, kind: "report", conf: reportConf{cfg.Report, cfg.Console.Clock}})
	}
	return out
}

// surgardConf is a Sur-Gard output's configuration and the receiver
// number of its heartbeats, which the receivers' list decides.
type surgardConf struct {
	configs.SurgardOutput
	HeartbeatReceiver int
}

// reportConf is what the report mailer is built from.
type reportConf struct {
	configs.Report
	Clock string
}

// build makes the job described by j.kind and j.conf.
func (d *Daemon) build(j job) (*job, error) {
	j.reg = &trackedRegisterer{Registerer: d.reg}
	switch c := j.conf.(type) {
	case surgardConf:
		var port *serialport.Config
		if c.Serial.Device != "" {
			port = &serialport.Config{Device: c.Serial.Device, Baud: c.Serial.Baud, DataBits: c.Serial.DataBits,
				Parity: c.Serial.Parity, StopBits: c.Serial.StopBits}
		}
		o, err := output.NewSurgard(output.SurgardOptions{
			Name: c.Name, TCP: c.TCP, Serial: port, Outbox: d.store, Logger: d.log, Registerer: j.reg,
			AckTimeout: c.AckTimeout, Retries: c.Retries, Heartbeat: c.Heartbeat, LineDigits: c.LineDigits, Now: d.now,
			Receiver: c.HeartbeatReceiver, Line: c.Line, Standby: d.store.Clustered(),
		})
		if err != nil {
			j.reg.unregister()
			return nil, fmt.Errorf("daemon: output %q: %w", c.Name, err)
		}
		j.run, j.wake, j.release, j.addr = o, o.Wake, o.Close, o.Addr
	case configs.Webhook:
		w := output.NewWebhook(output.WebhookOptions{
			Name: c.Name, URL: c.URL, Format: c.Format, Token: c.Token, Timeout: c.Timeout,
			Outbox: d.store, Logger: d.log, Registerer: j.reg, Now: d.now,
		})
		j.run, j.wake = w, w.Wake
	case configs.PeerOutput:
		dialect, err := PeerDialect(c, d.now)
		if err != nil {
			j.reg.unregister()
			return nil, fmt.Errorf("daemon: output %q: %w", c.Name, err)
		}
		p, err := output.NewPeer(output.PeerOptions{Name: c.Name, Dialect: dialect, Endpoints: c.Endpoints,
			Outbox: d.store, Logger: d.log, Registerer: j.reg, AckTimeout: c.AckTimeout,
			Retries: c.Retries, Heartbeat: c.Heartbeat, Failback: c.Failback, Now: d.now})
		if err != nil {
			j.reg.unregister()
			return nil, fmt.Errorf("daemon: output %q: %w", c.Name, err)
		}
		j.run, j.wake = p, p.Wake
	case reportConf:
		rc := c.Report
		j.run = report.New(report.Options{Store: d.store, Customers: d.store.Customers, SendAt: rc.SendAt, WindowStart: rc.WindowStart,
			PortalURL: rc.PortalURL,
			SMTP: report.SMTP{Host: rc.SMTP.Host, Port: rc.SMTP.Port, TLS: rc.SMTP.TLS, Username: rc.SMTP.Username,
				Password: rc.SMTP.Password, From: rc.SMTP.From},
			Logger: d.log, Now: d.now, Scheduled: scheduledReports(rc.Scheduled), Render: d.renderReport, ShareDays: rc.ShareDays})
	default:
		return nil, fmt.Errorf("daemon: job %q: unknown kind %T", j.name, j.conf)
	}
	return &j, nil
}

// buildJobs builds every job of cfg; on error what was built is released.
func (d *Daemon) buildJobs(cfg *configs.Config) ([]*job, error) {
	var out []*job
	for _, want := range jobConfs(cfg) {
		j, err := d.build(want)
		if err != nil {
			for _, b := range out {
				b.stop()
			}
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// start runs j under its lease until it is stopped or ctx ends; s.mu is
// held.
func (d *Daemon) start(s *jobSet, j *job) {
	ctx, cancel := context.WithCancel(s.ctx)
	j.cancel, j.done = cancel, make(chan struct{})
	d.keeper.Declare(j.leaseName())
	s.wg.Go(func() {
		defer close(j.done)
		d.singleton(ctx, j.leaseName(), j.run.Run)
	})
}

// stop ends a job and waits for it, then frees its port and metrics.
func (j *job) stop() {
	if j.cancel != nil {
		j.cancel()
		<-j.done
	}
	if j.release != nil {
		j.release()
	}
	j.reg.unregister()
}

// publishWakers makes the store's wake-ups reach the outputs in list.
func (d *Daemon) publishWakers(list []*job) {
	wakers := make(map[string]func(), len(list))
	for _, j := range list {
		if j.wake != nil {
			wakers[j.name] = j.wake
		}
	}
	d.wakers.Store(&wakers)
}

// errNotRunning: a reload came before Run or after its shutdown began.
var errNotRunning = errors.New("daemon: not running")

// JobChanges says, by name, which outputs (and the report mailer,
// "report") a reload started, stopped and restarted.
type JobChanges struct {
	Started   []string `json:"started,omitempty"`
	Stopped   []string `json:"stopped,omitempty"`
	Restarted []string `json:"restarted,omitempty"`
}

// reloadJobs brings the running jobs to cfg's. A job that cannot be built
// (a port in use) is reported; one being restarted is then started again
// as it was.
func (d *Daemon) reloadJobs(cfg *configs.Config) (JobChanges, error) {
	s := &d.running
	s.mu.Lock()
	defer s.mu.Unlock()
	var ch JobChanges
	if s.ctx == nil {
		return ch, errNotRunning
	}
	// Jobs are matched by lease (an output of another kind under the same
	// name is a change). What goes or changes is stopped first: its
	// successor may take its port and its metrics' names.
	wanted := map[string]job{}
	wants := jobConfs(cfg)
	for _, w := range wants {
		wanted[w.leaseName()] = w
	}
	old := map[string]*job{}
	for _, j := range s.list {
		old[j.leaseName()] = j
		w, ok := wanted[j.leaseName()]
		if ok && reflect.DeepEqual(w.conf, j.conf) {
			continue
		}
		j.stop()
		if !ok {
			d.keeper.Forget(j.leaseName())
			ch.Stopped = append(ch.Stopped, j.name)
		}
	}
	var next []*job
	var errs []error
	for _, w := range wants {
		cur := old[w.leaseName()]
		if cur != nil && reflect.DeepEqual(cur.conf, w.conf) {
			next = append(next, cur)
			continue
		}
		j, err := d.build(w)
		if err != nil {
			errs = append(errs, err)
			if cur == nil {
				continue
			}
			// The changed job cannot be built (its new port is taken):
			// it runs on as it was.
			if j, err = d.build(job{name: cur.name, kind: cur.kind, conf: cur.conf}); err != nil {
				errs = append(errs, err)
				continue
			}
			d.start(s, j)
			next = append(next, j)
			continue
		}
		d.start(s, j)
		next = append(next, j)
		if cur != nil {
			ch.Restarted = append(ch.Restarted, w.name)
		} else {
			ch.Started = append(ch.Started, w.name)
		}
	}
	s.list = next
	d.publishWakers(next)
	return ch, errors.Join(errs...)
}

// trackedRegisterer registers with the daemon's registry and remembers
// what, so that a job's metrics go with it.
type trackedRegisterer struct {
	prometheus.Registerer
	mu sync.Mutex
	cs []prometheus.Collector
}

func (t *trackedRegisterer) Register(c prometheus.Collector) error {
	if err := t.Registerer.Register(c); err != nil {
		return err
	}
	t.mu.Lock()
	t.cs = append(t.cs, c)
	t.mu.Unlock()
	return nil
}

func (t *trackedRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := t.Register(c); err != nil {
			panic(err)
		}
	}
}

func (t *trackedRegisterer) unregister() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.cs {
		t.Registerer.Unregister(c)
	}
	t.cs = nil
}
