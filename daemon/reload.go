package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/httpapi"
	"github.com/alarmrx/alarmrx/daemon/schedules"
	"github.com/alarmrx/alarmrx/protocols/registry"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Configuration reload (SIGHUP, POST /-/reload), as Prometheus does it:
// the file is read again and validated whole; an invalid one changes
// nothing and the daemon runs on with the configuration in force. A valid
// one is applied where it can change while signals keep flowing:
//
//   - receivers and their listeners: keys, limits, timeouts, certificates
//     and allowed sources in place (connections stay open); listeners
//     added, removed or bound anew without touching the others;
//   - XML senders and their passkeys;
//   - outputs (Sur-Gard, webhooks, peers): the changed ones restarted;
//   - the queue's rules (log only, codes, runaway, false alarms, disaster
//     mode, action plans, claim timeout, escalation);
//   - on-test limits, the report and its schedule, the schedule
//     exceptions' handling, the console's clock, the admin token and the
//     log level.
//
// Everything else (data dir, store, HTTP listener, dedupe, supervision's
// grace, evidence quotas, intervals of the periodic jobs, log format)
// takes effect at the next start: a reload names each such key that
// changed, and applies the rest.

// ReloadResult says what a reload changed.
type ReloadResult struct {
	// Changed are the configuration keys that changed and were applied.
	Changed   []string                 `json:"changed"`
	Listeners receiver.ListenerChanges `json:"listeners"`
	Outputs   JobChanges               `json:"outputs"`
	// RestartRequired are the keys that changed but take effect only at
	// the next start.
	RestartRequired []string `json:"restart_required,omitempty"`
	// Error says what of a reload that took effect could not be applied
	// (a listener or an output that could not be bound).
	Error string `json:"error,omitempty"`
}

// reloadMetrics are Prometheus's own reload gauges, under alarmrx's name.
type reloadMetrics struct {
	successful prometheus.Gauge
	at         prometheus.Gauge
}

func newReloadMetrics(reg prometheus.Registerer, now time.Time) reloadMetrics {
	m := reloadMetrics{
		successful: prometheus.NewGauge(prometheus.GaugeOpts{Name: "alarmrx_config_last_reload_successful",
			Help: "Whether the last configuration reload succeeded (1) or failed and left the previous configuration in force (0)."}),
		at: prometheus.NewGauge(prometheus.GaugeOpts{Name: "alarmrx_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully (the start, or the last reload that succeeded), Unix seconds."}),
	}
	m.successful.Set(1)
	m.at.Set(float64(now.UnixNano()) / 1e9)
	reg.MustRegister(m.successful, m.at)
	return m
}

// Reload reads the configuration again (Options.Load) and applies it; see
// above. It returns what changed, or why nothing (or not all) did.
func (d *Daemon) Reload(ctx context.Context) (*ReloadResult, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	res, err := d.reloadSafely(ctx)
	if err != nil {
		d.reloadMetrics.successful.Set(0)
		if res == nil {
			d.log.Error("configuration reload failed; running on the previous configuration", zap.Error(err))
			return nil, err
		}
		res.Error = err.Error()
		d.log.Error("configuration reload applied in part", zap.Error(err), zap.Strings("changed", res.Changed))
		return res, err
	}
	d.reloadMetrics.successful.Set(1)
	d.reloadMetrics.at.Set(float64(d.now().UnixNano()) / 1e9)
	fields := []zap.Field{zap.Strings("changed", res.Changed)}
	l := res.Listeners
	for _, f := range []struct {
		key  string
		list []string
	}{{"listeners_added", l.Added}, {"listeners_removed", l.Removed}, {"listeners_replaced", l.Replaced},
		{"listeners_updated", l.Updated}, {"outputs_started", res.Outputs.Started}, {"outputs_stopped", res.Outputs.Stopped},
		{"outputs_restarted", res.Outputs.Restarted}} {
		if len(f.list) > 0 {
			fields = append(fields, zap.Strings(f.key, f.list))
		}
	}
	d.log.Info("configuration reloaded", fields...)
	if len(res.RestartRequired) > 0 {
		d.log.Warn("configuration reloaded; these changes take effect at the next restart",
			zap.Strings("keys", res.RestartRequired))
	}
	return res, nil
}

// reloadSafely is reload, a panic in it (a defect) turned into a failed
// reload rather than the end of a receiver that panels depend on.
func (d *Daemon) reloadSafely(ctx context.Context) (res *ReloadResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("panic during a configuration reload", zap.Any("panic", p), zap.Stack("stack"))
			err = fmt.Errorf("daemon: reload: internal error: %v", p)
		}
	}()
	return d.reload(ctx)
}

// reload applies the configuration read anew. It returns a nil result
// when it changed nothing, and a result with an error when the change took
// effect in part.
func (d *Daemon) reload(ctx context.Context) (*ReloadResult, error) {
	if d.load == nil {
		return nil, errors.New("daemon: no configuration source to reload from")
	}
	next, err := d.load()
	if err != nil {
		return nil, err
	}
	cur := d.config()
	eff := liveConfig(cur, next)
	res := &ReloadResult{Changed: changedKeys(cur, eff), RestartRequired: changedKeys(eff, next)}
	// Everything that can fail without side effects first.
	level, err := zap.ParseAtomicLevel(eff.Log.Level)
	if err != nil {
		return nil, fmt.Errorf("daemon: log level: %w", err)
	}
	listeners, err := Listeners(eff, d.store)
	if err != nil {
		return nil, err
	}
	sourceListeners(eff, listeners)
	plans, err := ActionPlans(eff)
	if err != nil {
		return nil, err
	}
	// An error binding a listener that took over an address means the
	// reload took effect without it: the rest is applied all the same,
	// and the reload reported failed.
	var bindErr error
	res.Listeners, err = d.receiver.Reload(listeners, QueueRules(eff))
	switch {
	case errors.Is(err, receiver.ErrListenerNotBound):
		bindErr = err
	case err != nil:
		return nil, err // nothing changed
	}
	// The receivers' numbers, names and prefix rules, once their listeners
	// are in force.
	syncErr := d.store.SyncReceivers(ctx, storeReceivers(eff))
	d.setCertExpiry(listeners)
	warnOpenListeners(eff, d.log)
	rules := storeRules(eff)
	rules.ActionPlans = plans
	d.store.SetRules(rules)
	var jobErr error
	res.Outputs, jobErr = d.reloadJobs(eff)
	d.live.Store(d.httpLive(eff))
	sx := eff.Supervision.Schedules
	d.schedules.SetLogOnly(schedules.LogOnly{EarlyOpen: sx.EarlyOpen == "log", UnscheduledOpen: sx.UnscheduledOpen == "log",
		UnscheduledClose: sx.UnscheduledClose == "log"})
	if d.level != nil {
		d.level.SetLevel(level.Level())
	}
	d.cfg.Store(eff)
	return res, errors.Join(bindErr, syncErr, jobErr)
}

// liveConfig is the configuration in force after a reload from cur to
// next: next's values where they apply live, cur's elsewhere.
func liveConfig(cur, next *configs.Config) *configs.Config {
	eff := *cur
	eff.Log.Level = next.Log.Level
	eff.HTTP.AdminToken = next.HTTP.AdminToken
	eff.OnTest.WarnBefore, eff.OnTest.MaxDuration = next.OnTest.WarnBefore, next.OnTest.MaxDuration
	eff.Queue = next.Queue
	eff.Queue.CheckEvery = cur.Queue.CheckEvery // the sweep's ticker
	eff.Console.Clock = next.Console.Clock
	eff.XML.Senders = next.XML.Senders
	eff.Outputs = next.Outputs
	eff.Report = next.Report
	eff.Supervision.Schedules = next.Supervision.Schedules
	eff.Receivers = next.Receivers
	return &eff
}

// sourceListeners sets each listener's Source to what it was built from,
// so that the receiver reports as updated only those whose configuration
// changed (a renewed certificate counts: its bytes are compared).
func sourceListeners(cfg *configs.Config, list []receiver.ListenerOptions) {
	type source struct {
		Receiver configs.Receiver
		Listener configs.Listener
		Cert     [][]byte
		Senders  []configs.XMLSender
	}
	by := map[string]source{}
	for _, rc := range cfg.Receivers {
		shell := rc
		shell.Listeners = nil
		for _, lc := range rc.Listeners {
			src := source{Receiver: shell, Listener: lc}
			if proto, ok := registry.Lookup(lc.Protocol); ok && proto.Sender != nil {
				src.Senders = cfg.XML.Senders // its messages name their sender
			}
			by[lc.Name] = src
		}
	}
	for _, sc := range cfg.XML.Senders {
		by[XMLListener(sc.ID)] = source{Senders: []configs.XMLSender{sc}}
	}
	for i := range list {
		s := by[list[i].Name]
		if t := list[i].TLS; t != nil && len(t.Certificates) > 0 {
			s.Cert = t.Certificates[0].Certificate
		}
		list[i].Source = s
	}
}

// httpLive are the HTTP server's reloadable options of cfg.
func (d *Daemon) httpLive(cfg *configs.Config) *httpapi.Live {
	return httpapi.LiveOf(httpapi.Options{AdminToken: cfg.HTTP.AdminToken, MaxTestDuration: cfg.OnTest.MaxDuration,
		Queue:   queueRules(cfg),
		Console: httpapi.ConsoleOptions{AgeWarn: cfg.Queue.AgeWarn, AgeCritical: cfg.Queue.AgeCritical, Clock: cfg.Console.Clock},
		XML:     d.xmlOptions(cfg)})
}

// changedKeys lists the configuration keys (as the file spells them) whose
// values differ between a and b: a struct's fields one by one, anything
// else (lists, maps, values) whole. Values are never part of the answer.
func changedKeys(a, b *configs.Config) []string {
	var out []string
	diffKeys(reflect.ValueOf(*a), reflect.ValueOf(*b), "", &out)
	slices.Sort(out)
	return out
}

func diffKeys(a, b reflect.Value, prefix string, out *[]string) {
	if a.Kind() != reflect.Struct || a.Type() == reflect.TypeOf(time.Time{}) {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, prefix)
		}
		return
	}
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		key := prefix
		switch {
		case name == "" || name == "-":
			// embedded or untagged: its fields are the parent's
		case key == "":
			key = name
		default:
			key += "." + name
		}
		diffKeys(a.Field(i), b.Field(i), key, out)
	}
}
