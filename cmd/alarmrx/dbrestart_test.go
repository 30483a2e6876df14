package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// TestDatabaseRestartUnderLoad: the PostgreSQL server of a node crashes
// (immediate stop) and comes back while panels send. Meanwhile the node
// answers negatively and is not ready; afterwards it acknowledges again
// by itself, without a restart, and every frame it acknowledged, before,
// during or after, is stored exactly once. The test runs its own server
// (scripts/pg-test-server), so it runs where the PostgreSQL tests do.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server and a daemon")
	}
	if os.Getenv("ALARMRX_TEST_PG_DSN") == "" {
		if os.Getenv("ALARMRX_PG_TESTS") == "required" {
			t.Fatal("ALARMRX_PG_TESTS=required and no ALARMRX_TEST_PG_DSN")
		}
		t.Skip("no PostgreSQL: set ALARMRX_TEST_PG_DSN (make test-pg)")
	}
	script, err := filepath.Abs("../../scripts/pg-test-server")
	must(t, err)
	pgdir, err := os.MkdirTemp("", "alarmrx-pgcrash")
	must(t, err)
	out, err := exec.Command("bash", script, "start", pgdir, fmt.Sprint(freePort(t))).Output()
	if err != nil {
		t.Fatalf("starting a PostgreSQL server: %v", err)
	}
	defer exec.Command("bash", script, "stop", pgdir).Run()
	dsn := strings.TrimSpace(string(out))

	dir := t.TempDir()
	bin := buildAlarmrx(t, dir)
	n := newClusterNode(t, dir, bin, dsn, "node-a", "http://127.0.0.1:1/unused")
	n.start(t)
	defer n.stop()

	var mu sync.Mutex
	acked := map[string]map[string]string{}
	var ackedDown, ackedAfter, refused atomic.Int64
	var phase atomic.Int32 // 0 before, 1 while the database is down, 2 after
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 8 {
		account := fmt.Sprintf("F%03X", i+1)
		wg.Go(func() {
			var p *panel.Panel
			defer func() {
				if p != nil {
					p.Close()
				}
			}()
			for seq := 1; seq <= 9999 && ctx.Err() == nil; seq++ {
				s := fmt.Sprintf("%04d", seq)
				f := &dc09.Frame{Token: "SIA-DCS", Sequence: s, Line: "0", Account: account,
					Data: []byte("#" + account + "|Nri1/BA" + s[1:]), Timestamp: time.Now().UTC(), HasTimestamp: true}
				if p == nil {
					var err error
					if p, err = panel.Dial(ctx, panel.Options{Addr: n.dc09, Timeout: 2 * time.Second}); err != nil {
						p = nil
						time.Sleep(100 * time.Millisecond)
						continue
					}
				}
				rep, err := p.Send(ctx, f)
				switch {
				case err != nil:
					p.Close()
					p = nil
					refused.Add(1)
				case rep.Token != "ACK":
					refused.Add(1)
				default:
					mu.Lock()
					if acked[account] == nil {
						acked[account] = map[string]string{}
					}
					acked[account][s] = s[1:]
					mu.Unlock()
					switch phase.Load() {
					case 1:
						ackedDown.Add(1)
					case 2:
						ackedAfter.Add(1)
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	phase.Store(1)
	crash := exec.Command("bash", script, "crash", pgdir)
	crash.Env = append(os.Environ(), "ALARMRX_PG_DOWN=3")
	crashed := make(chan error, 1)
	go func() { crashed <- crash.Run() }()
	// While the database is down the node is not ready.
	eventually(t, 10*time.Second, "the node unready while its database is down", func() bool {
		resp, err := http.Get("http://" + n.http + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	must(t, <-crashed)
	phase.Store(2)
	// It recovers by itself.
	eventually(t, 30*time.Second, "the node ready again", func() bool {
		resp, err := http.Get("http://" + n.http + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	eventually(t, 30*time.Second, "acknowledgements again", func() bool { return ackedAfter.Load() > 20 })
	stop()
	wg.Wait()

	st := storedOnPostgres(t, dsn, &mu, acked)
	total, missing, dups := st.total, len(st.missing), st.dups
	t.Logf("%d ACKed (%d while the database was going down, %d after), %d refused; missing %d, stored twice %d",
		total, ackedDown.Load(), ackedAfter.Load(), refused.Load(), missing, dups)
	if refused.Load() == 0 {
		t.Error("nothing was refused while the database was down")
	}
	if dups != 0 {
		t.Fatalf("%d acknowledged frames stored twice", dups)
	}
}
