package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// startServe builds the binary and starts `alarmrx serve` on a config whose
// receiver has one DC-09 TCP listener with the given extra listener keys.
// It returns the process, the panel address and the data directory.
func startServe(t *testing.T, listenerExtra, storeExtra string) (cmd *exec.Cmd, addr, data, httpBase string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "alarmrx")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port, httpPort := freePort(t), freePort(t)
	cfg := filepath.Join(dir, "alarmrx.yaml")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
log: {level: error}
http: {listen: "127.0.0.1:%d"}
store: {%s}
receivers:
  - number: 1
    name: capacity
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "127.0.0.1:%d", %s}
`, filepath.Join(dir, "data"), httpPort, storeExtra, port, listenerExtra)), 0o600))
	cmd = exec.Command(bin, "serve", "--config", cfg)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	httpBase = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitReadyURL(t, httpBase+"/-/ready", 20*time.Second)
	return cmd, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, "data"), httpBase
}

// activeConnections reads alarmrx_connections_active of the dc09 listener
// from a daemon's /metrics.
func activeConnections(t *testing.T, httpBase string) int {
	t.Helper()
	resp, err := http.Get(httpBase + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, `alarmrx_connections_active{listener="dc09"} `); ok {
			n, err := strconv.Atoi(v)
			must(t, err)
			return n
		}
	}
	t.Fatal("no alarmrx_connections_active for dc09")
	return 0
}

// rssMiB reads a process's resident set size.
func rssMiB(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestIdleConnectionsMemory holds ALARMRX_IDLE_CONNS panel connections
// open on a real `alarmrx serve` (each has sent one DC-09 NULL poll and
// been answered) and reports the daemon's resident memory. It runs only
// when asked, as it needs that many file descriptors on both sides:
//
//	ALARMRX_IDLE_CONNS=10000 go test -run IdleConnectionsMemory -v ./cmd/alarmrx
func TestIdleConnectionsMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ALARMRX_IDLE_CONNS"))
	if n <= 0 {
		t.Skip("set ALARMRX_IDLE_CONNS (e.g. 10000) to run")
	}
	cmd, addr, _, httpBase := startServe(t, "max_conns: 20000, max_conns_per_ip: 20000, read_timeout: 10m, idle_timeout: 10m", "")
	before := rssMiB(t, cmd.Process.Pid)
	var conns []*panel.Panel
	defer func() {
		for _, p := range conns {
			_ = p.Close()
		}
	}()
	for i := range n {
		p, err := panel.Dial(context.Background(), panel.Options{Addr: addr, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, p)
		account := fmt.Sprintf("%06X", i+1)
		rep, err := p.Send(context.Background(), &dc09.Frame{Token: "NULL", Sequence: "0001", Line: "0", Account: account,
			Timestamp: time.Now().UTC(), HasTimestamp: true})
		if err != nil || rep.Token != "ACK" {
			t.Fatalf("poll %d: %v", i, err)
		}
	}
	// Every connection has been answered, so the daemon holds them all now.
	if open := activeConnections(t, httpBase); open != n {
		t.Fatalf("the daemon holds %d connections, want %d", open, n)
	}
	after := rssMiB(t, cmd.Process.Pid)
	t.Logf("%d idle panel connections: daemon RSS %.1f MiB (%.1f MiB before, %.1f KiB per connection)",
		n, after, before, (after-before)*1024/float64(n))
	if after > 500 {
		t.Fatalf("RSS %.1f MiB over the 500 MiB budget", after)
	}
}

// TestOverloadStaysBoundedAndHonest drives a real `alarmrx serve` with far
// more panels than its small pending-commit queue holds: the daemon's
// memory stays bounded, every ACKed frame is stored, and it answers quickly
// again once the load stops. ALARMRX_OVERLOAD_PANELS sets the panels
// (default 256; CI runs the default).
func TestOverloadStaysBoundedAndHonest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real process")
	}
	panels := 256
	if v, _ := strconv.Atoi(os.Getenv("ALARMRX_OVERLOAD_PANELS")); v > 0 {
		panels = v
	}
	cmd, addr, data, _ := startServe(t, "max_conns: 20000, max_conns_per_ip: 20000", "pending_max: 64, commit_batch_max: 32")
	ctx, stop := context.WithTimeout(context.Background(), 4*time.Second)
	defer stop()
	var acked, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range panels {
		wg.Go(func() {
			p, err := panel.Dial(ctx, panel.Options{Addr: addr, Timeout: 10 * time.Second})
			if err != nil {
				return
			}
			defer p.Close()
			account := fmt.Sprintf("%04X", i+1)
			for n := 1; ctx.Err() == nil && n < 9999; n++ {
				rep, err := p.Send(ctx, &dc09.Frame{Token: "SIA-DCS", Sequence: fmt.Sprintf("%04d", n), Line: "0", Account: account,
					Data: []byte(fmt.Sprintf("#%s|Nri1/BA%03d", account, n%1000)), Timestamp: time.Now().UTC(), HasTimestamp: true})
				if err != nil {
					return
				}
				if rep.Token == "ACK" {
					acked.Add(1)
				}
			}
		})
	}
	// Sample the daemon's memory every 100 ms while it is overloaded.
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if m := int64(rssMiB(t, cmd.Process.Pid)); m > peak.Load() {
				peak.Store(m)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	wg.Wait()
	<-sampled
	// After the load: a single panel is answered promptly.
	p, err := panel.Dial(context.Background(), panel.Options{Addr: addr, Timeout: 5 * time.Second})
	must(t, err)
	start := time.Now()
	rep, err := p.Send(context.Background(), &dc09.Frame{Token: "NULL", Sequence: "0001", Line: "0", Account: "FFFF",
		Timestamp: time.Now().UTC(), HasTimestamp: true})
	_ = p.Close()
	if err != nil || rep.Token != "ACK" {
		t.Fatalf("after the load: %v", err)
	}
	recovered := time.Since(start)
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	s, err := store.Open(context.Background(), filepath.Join(data, store.FileName), store.Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	must(t, err)
	defer s.Close()
	_, signals, err := s.Counts(context.Background())
	must(t, err)
	t.Logf("%d panels, pending_max 64: %d frames ACKed, %d signals stored, peak RSS %d MiB, answer after the load in %v",
		panels, acked.Load(), signals, peak.Load(), recovered)
	if signals < acked.Load() {
		t.Fatalf("%d ACKed but only %d stored", acked.Load(), signals)
	}
	if peak.Load() > 500 {
		t.Fatalf("peak RSS %d MiB", peak.Load())
	}
}
