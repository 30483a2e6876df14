package httpapi

import (
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/receiver"
	"github.com/prometheus/client_golang/prometheus"
)

// TestTrendsGraphAndLines: the sampler turns the daemon's cumulative
// metrics into rates a second, the ACK latency's 99th percentile within
// each interval and the queue depth, keeps only the window, and says when
// each line went down and came back.
func TestTrendsGraphAndLines(t *testing.T) {
	reg := prometheus.NewRegistry()
	signals := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alarmrx_signals_received_total"}, []string{"protocol"})
	replies := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alarmrx_replies_sent_total"}, []string{"kind"})
	handling := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "alarmrx_frame_handling_seconds", Buckets: []float64{.001, .01, .1, 1}})
	queue := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "alarmrx_queue_incidents"}, []string{"priority"})
	link := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "alarmrx_link_up"}, []string{"listener"})
	output := prometheus.NewGauge(prometheus.GaugeOpts{Name: "alarmrx_output_up", ConstLabels: prometheus.Labels{"output": "surgard"}})
	reg.MustRegister(signals, replies, handling, queue, link, output)
	start := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	now := start
	tr := NewTrends(TrendsOptions{Gatherer: reg, Now: func() time.Time { return now }, Window: time.Minute, Interval: 10 * time.Second,
		Listeners: func() []receiver.Addr { return []receiver.Addr{{Listener: "dc09-main", TCP: "127.0.0.1:1"}} }})
	output.Set(1)
	link.WithLabelValues("legacy-1").Set(1)
	tr.Sample()

	// 10 s: 50 DC-09 signals and 50 ACKs, 99 handled in under 1 ms and one
	// slow; two incidents waiting; the link falls silent.
	now = now.Add(10 * time.Second)
	signals.WithLabelValues("dc09").Add(50)
	replies.WithLabelValues("ack").Add(50)
	for range 99 {
		handling.Observe(.0005)
	}
	handling.Observe(.5)
	queue.WithLabelValues("1").Set(1)
	queue.WithLabelValues("6").Set(1)
	link.WithLabelValues("legacy-1").Set(0)
	tr.Sample()
	// 10 s more: nothing arrives; the link is back.
	now = now.Add(10 * time.Second)
	link.WithLabelValues("legacy-1").Set(1)
	tr.Sample()

	v := tr.View()
	if len(v.Points) != 2 || v.IntervalSeconds != 10 {
		t.Fatalf("points: %+v", v)
	}
	p := v.Points[0]
	if p.SignalsPerSecond["dc09"] != 5 || p.AcksPerSecond != 5 || p.QueueDepth != 2 || p.AckP99Ms == nil || *p.AckP99Ms != 1 {
		t.Errorf("the first interval: %+v (p99 %v)", p, p.AckP99Ms)
	}
	if q := v.Points[1]; q.SignalsPerSecond["dc09"] != 0 || q.AckP99Ms != nil {
		t.Errorf("a quiet interval: %+v", q)
	}
	want := []lineView{
		{Kind: "link", Name: "legacy-1", Up: true, Since: start.Add(20 * time.Second)},
		{Kind: "listener", Name: "dc09-main", Up: true, Since: start},
		{Kind: "output", Name: "surgard", Up: true, Since: start},
	}
	if len(v.Lines) != len(want) {
		t.Fatalf("lines: %+v", v.Lines)
	}
	for i := range want {
		if v.Lines[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, v.Lines[i], want[i])
		}
	}
	// The window keeps a minute: seven samples, six points.
	for range 10 {
		now = now.Add(10 * time.Second)
		tr.Sample()
	}
	if v := tr.View(); len(v.Points) != 6 || !v.Points[0].At.Equal(now.Add(-50*time.Second)) {
		t.Errorf("after the window: %d points from %v", len(v.Points), v.Points[0].At)
	}
}
