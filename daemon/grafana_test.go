package daemon

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
)

// TestGrafanaDashboardNamesExistingMetrics checks every expression of
// configs/grafana/alarmrx.json against the metrics a running daemon
// registers, so the dashboard cannot silently show nothing.
func TestGrafanaDashboardNamesExistingMetrics(t *testing.T) {
	b, err := os.ReadFile("../configs/grafana/alarmrx.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	// A daemon with every kind of part, so that every metric is registered.
	cfg := surgardConfig(t, func(l *configs.Listener) { l.HeartbeatTimeout = time.Hour })
	cfg.Outputs.Surgard = []configs.SurgardOutput{{Name: "automation", TCP: "127.0.0.1:0", AckTimeout: time.Second,
		Retries: 1, Heartbeat: time.Hour, LineDigits: 3}}
	r := startDaemon(t, cfg)
	mfs, err := r.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, mf := range mfs {
		known[mf.GetName()] = true
	}
	name := regexp.MustCompile(`\b(alarmrx|go|process)_[a-z0-9_]+`)
	exprs := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs++
			for _, m := range name.FindAllString(tg.Expr, -1) {
				base := m
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(m, suffix); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("panel %q: %s names no registered metric", p.Title, m)
				}
			}
		}
	}
	if exprs < 10 {
		t.Fatalf("only %d expressions checked", exprs)
	}
}
