package httpapi

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/receiver"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Trends keeps the last hour of the daemon's own figures for the
// dashboard's graphs (signals a second by protocol, ACK latency, queue
// depth), sampled from its metrics every interval, and the state of each
// line: the panels' listeners, the serial ports, the legacy receivers'
// links and the outputs, up or down and since when. It keeps its samples in
// memory only: a restart starts the graphs again.
type Trends struct {
	gather    prometheus.Gatherer
	listeners func() []receiver.Addr
	now       func() time.Time
	interval  time.Duration
	keep      int

	mu      sync.Mutex
	started time.Time
	samples []trendSample // oldest first, at most keep
	lines   map[lineKey]*lineState
	bounds  []float64 // the handling histogram's bucket bounds
}

// TrendsOptions configure NewTrends.
type TrendsOptions struct {
	Gatherer prometheus.Gatherer
	// Listeners lists the panels' listeners (nil: none).
	Listeners func() []receiver.Addr
	Now       func() time.Time
	// Window is how far back the graphs reach (default 1 h), Interval how
	// often they are sampled (default 10 s).
	Window, Interval time.Duration
}

// trendSample is one reading of the cumulative figures.
type trendSample struct {
	at         time.Time
	byProtocol map[string]float64
	acks       float64
	latency    []float64 // cumulative bucket counts of frame handling, by latencyBounds
	latencyN   float64
	queue      float64
}

type lineKey struct{ kind, name string }

type lineState struct {
	up    bool
	since time.Time
}

// NewTrends returns the sampler; Run samples until its context ends.
func NewTrends(o TrendsOptions) *Trends {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Listeners == nil {
		o.Listeners = func() []receiver.Addr { return nil }
	}
	return &Trends{gather: o.Gatherer, listeners: o.Listeners, now: o.Now, interval: o.Interval,
		keep: int(o.Window/o.Interval) + 1, lines: map[lineKey]*lineState{}, started: o.Now()}
}

// Run samples every interval until ctx ends.
func (t *Trends) Run(ctx context.Context) {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	t.Sample()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.Sample()
		}
	}
}

// Sample reads the figures once.
func (t *Trends) Sample() {
	mfs, _ := t.gather.Gather() // a family that failed is missing: its line reads as not reported
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	at := t.now()
	s := trendSample{at: at, byProtocol: labelSums(byName["alarmrx_signals_received_total"], "protocol")}
	s.acks = labelSums(byName["alarmrx_replies_sent_total"], "kind")["ack"]
	bounds, latency, n := histogramBuckets(byName["alarmrx_frame_handling_seconds"])
	s.latency, s.latencyN = latency, n
	for _, v := range labelSums(byName["alarmrx_queue_incidents"], "priority") {
		s.queue += v
	}
	states := map[lineKey]bool{}
	serial := labelSums(byName["alarmrx_serial_port_open"], "listener")
	links := labelSums(byName["alarmrx_link_up"], "listener")
	for _, l := range t.listeners() {
		switch v, isSerial := serial[l.Listener]; {
		case isSerial:
			states[lineKey{"serial", l.Listener}] = v > 0
		default:
			// A TCP or UDP listener is bound for the daemon's life: it
			// could not start without it.
			states[lineKey{"listener", l.Listener}] = true
		}
	}
	for name, v := range links {
		states[lineKey{"link", name}] = v > 0
	}
	for name, v := range labelSums(byName["alarmrx_output_up"], "output") {
		states[lineKey{"output", name}] = v > 0
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if len(bounds) > 0 {
		t.bounds = bounds
	}
	t.samples = append(t.samples, s)
	if len(t.samples) > t.keep {
		t.samples = append(t.samples[:0], t.samples[len(t.samples)-t.keep:]...)
	}
	for k, up := range states {
		st := t.lines[k]
		switch {
		case st == nil:
			// Up since the daemon started, as far as it knows; down
			// since it was first seen down.
			since := t.started
			if !up {
				since = at
			}
			t.lines[k] = &lineState{up: up, since: since}
		case st.up != up:
			st.up, st.since = up, at
		}
	}
}

// labelSums sums a family's series by one label's values ("all" when the
// series lack it, as constant labels are part of the series).
func labelSums(mf *dto.MetricFamily, label string) map[string]float64 {
	out := map[string]float64{}
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		key := "all"
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		switch {
		case m.Counter != nil:
			out[key] += m.GetCounter().GetValue()
		case m.Gauge != nil:
			out[key] += m.GetGauge().GetValue()
		}
	}
	return out
}

// trendPoint is one interval of the graphs.
type trendPoint struct {
	At               time.Time          `json:"at"`
	SignalsPerSecond map[string]float64 `json:"signals_per_second"`
	AcksPerSecond    float64            `json:"acks_per_second"`
	// AckP99Ms is the 99th percentile of the frames' handling (receipt to
	// ACK) within the interval; null when no frame came.
	AckP99Ms   *float64 `json:"ack_p99_ms"`
	QueueDepth float64  `json:"queue_depth"`
}

// lineView is one line's state.
type lineView struct {
	Kind  string    `json:"kind"` // listener, serial, link or output
	Name  string    `json:"name"`
	Up    bool      `json:"up"`
	Since time.Time `json:"since"`
}

type trendView struct {
	IntervalSeconds float64      `json:"interval_seconds"`
	Points          []trendPoint `json:"points"`
	Lines           []lineView   `json:"lines"`
}

// View is the graphs' points, one per interval between samples, and the
// lines' states.
func (t *Trends) View() trendView {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := trendView{IntervalSeconds: t.interval.Seconds(), Points: []trendPoint{}, Lines: []lineView{}}
	bounds := t.bounds
	for i := 1; i < len(t.samples); i++ {
		prev, cur := t.samples[i-1], t.samples[i]
		dt := cur.at.Sub(prev.at).Seconds()
		if dt <= 0 {
			continue
		}
		p := trendPoint{At: cur.at, SignalsPerSecond: map[string]float64{}, QueueDepth: cur.queue,
			AcksPerSecond: max(0, cur.acks-prev.acks) / dt}
		for proto, n := range cur.byProtocol {
			p.SignalsPerSecond[proto] = max(0, n-prev.byProtocol[proto]) / dt
		}
		if n := cur.latencyN - prev.latencyN; n > 0 && len(cur.latency) == len(prev.latency) && len(cur.latency) == len(bounds) {
			delta := make([]float64, len(cur.latency))
			for j := range delta {
				delta[j] = cur.latency[j] - prev.latency[j]
			}
			ms := bucketQuantile(bounds, delta, n, 0.99) * 1000
			p.AckP99Ms = &ms
		}
		v.Points = append(v.Points, p)
	}
	for k, st := range t.lines {
		v.Lines = append(v.Lines, lineView{Kind: k.kind, Name: k.name, Up: st.up, Since: st.since})
	}
	sort.Slice(v.Lines, func(i, j int) bool {
		if v.Lines[i].Kind != v.Lines[j].Kind {
			return v.Lines[i].Kind < v.Lines[j].Kind
		}
		return v.Lines[i].Name < v.Lines[j].Name
	})
	return v
}

// trend answers the dashboard's graphs and the lines' states.
func (a *api) trend(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.opts.Trends.View())
}
