package daemon

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestAlertRules checks configs/prometheus/alerts.yml with promtool
// (check rules, then its unit tests in alerts_test.yml, a firing case per
// alert); that every alarmrx metric a rule reads is one the README's
// metrics table documents, so a renamed metric cannot leave an alert that
// never fires; and that the Grafana dashboard links to the rules.
// promtool is Debian's prometheus package; the test skips without it
// unless ALARMRX_PROMTOOL_TESTS=required (CI).
func TestAlertRules(t *testing.T) {
	rules, err := os.ReadFile("../configs/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`(alarmrx_[a-z0-9_]+)`").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
	}
	read := regexp.MustCompile(`\balarmrx_[a-z0-9_]+`).FindAllString(string(rules), -1)
	if len(read) < 10 {
		t.Fatalf("the rules read only %d alarmrx metrics", len(read))
	}
	for _, m := range read {
		base := m
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(m, suffix); ok && documented[b] {
				base = b
			}
		}
		if !documented[base] {
			t.Errorf("alerts.yml reads %s, which the README's metrics table does not name", m)
		}
	}

	// The dashboard links to the rules.
	dash, err := os.ReadFile("../configs/grafana/alarmrx.json")
	if err != nil {
		t.Fatal(err)
	}
	var board struct {
		Links []struct{ URL string } `json:"links"`
	}
	if err := json.Unmarshal(dash, &board); err != nil {
		t.Fatal(err)
	}
	if len(board.Links) == 0 || !strings.HasSuffix(board.Links[0].URL, "/configs/prometheus/alerts.yml") {
		t.Errorf("the Grafana dashboard's links %+v do not lead to the alert rules", board.Links)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("ALARMRX_PROMTOOL_TESTS") == "required" {
			t.Fatal("promtool is required (ALARMRX_PROMTOOL_TESTS=required) but not installed")
		}
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../configs/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
