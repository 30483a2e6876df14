package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestCrashSafety is the proof of the first rule: `alarmrx serve` runs as a
// real process under load from panels, is killed with SIGKILL at random
// moments, restarted, and at the end every signal that got an ACK is in the
// store exactly once; after each restart the daemon is ready again.
// ALARMRX_CRASH_ROUNDS sets the kills (default 3, as CI runs it).
//
//	ALARMRX_CRASH_ROUNDS=20 go test -run CrashSafety -v ./cmd/alarmrx
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	rounds := envRounds(t, "ALARMRX_CRASH_ROUNDS", 3)
	dir := t.TempDir()
	bin := buildAlarmrx(t, dir)
	port := freePort(t)
	httpPort := freePort(t)
	cfg := filepath.Join(dir, "alarmrx.yaml")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
log: {level: warn}
http: {listen: "127.0.0.1:%d"}
receivers:
  - number: 1
    name: crash test
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "127.0.0.1:%d"}
`, filepath.Join(dir, "data"), httpPort, port)), 0o600))

	// acked[account][seq] = zone: what the panels saw acknowledged.
	var mu sync.Mutex
	acked := map[string]map[string]string{}
	const panels = 8
	var seqs [panels]atomic.Int64
	var sent, nak atomic.Int64

	for round := 1; round <= rounds+1; round++ {
		cmd := exec.Command(bin, "serve", "--config", cfg)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		must(t, cmd.Start())
		waitReadyURL(t, fmt.Sprintf("http://127.0.0.1:%d/-/ready", httpPort), 20*time.Second)
		if round > rounds {
			// The last start is the check: stop it cleanly.
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
			break
		}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range panels {
			account := fmt.Sprintf("C%03X", i+1)
			wg.Go(func() {
				p, err := panel.Dial(ctx, panel.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Timeout: 2 * time.Second})
				if err != nil {
					return
				}
				defer p.Close()
				for ctx.Err() == nil {
					n := seqs[i].Add(1)
					if n > 9999 {
						return
					}
					seq := fmt.Sprintf("%04d", n)
					zone := fmt.Sprintf("%03d", n%1000)
					f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: account,
						Data: []byte("#" + account + "|Nri1/BA" + zone), Timestamp: time.Now().UTC(), HasTimestamp: true}
					sent.Add(1)
					rep, err := p.Send(ctx, f)
					if err != nil {
						return // the daemon died under us: this frame was not ACKed
					}
					if rep.Token != "ACK" {
						nak.Add(1)
						continue
					}
					mu.Lock()
					if acked[account] == nil {
						acked[account] = map[string]string{}
					}
					acked[account][seq] = zone
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
		must(t, cmd.Process.Kill()) // SIGKILL: no shutdown, no flush
		_ = cmd.Wait()
		stop()
		wg.Wait()
	}

	s, err := store.Open(context.Background(), filepath.Join(dir, "data", store.FileName), store.Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	must(t, err)
	defer s.Close()
	st, err := storedOnce(s, acked)
	must(t, err)
	total, missing, dups := st.total, len(st.missing), st.dups
	t.Logf("%d kills: %d frames sent, %d ACKed, %d NAKed; ACKed but missing %d, stored more than once %d",
		rounds, sent.Load(), total, nak.Load(), missing, dups)
	if total == 0 {
		t.Fatal("no frame was acknowledged: the load did not run")
	}
	if missing != 0 || dups != 0 {
		t.Fatalf("%d acknowledged signals lost, %d stored twice", missing, dups)
	}
}

// buildAlarmrx builds the command into dir, for the tests that run it as a
// process.
func buildAlarmrx(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "alarmrx")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// envRounds is the count the environment variable name sets, def when it
// is unset.
func envRounds(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q", name, v)
	}
	return n
}

// stored is what storedOnce found of the frames the panels saw ACKed.
type stored struct {
	total   int      // ACKed
	missing []string // ACKed and not stored: account/sequence
	dups    int      // ACKed and stored more than once
	ids     []int64  // the stored signals of the accounts, oldest first
}

// storedOnce counts, in s, the signals of the frames acked holds
// (acked[account][sequence] = zone).
func storedOnce(s *store.Store, acked map[string]map[string]string) (stored, error) {
	var out stored
	for account, seqs := range acked {
		sigs, err := s.Signals(context.Background(), store.SignalFilter{Account: account, Limit: store.MaxListLimit})
		if err != nil {
			return out, err
		}
		count := map[string]int{}
		for _, sg := range sigs {
			count[sg.Sequence+"/"+sg.Zone]++
			out.ids = append(out.ids, sg.ID)
		}
		for seq, zone := range seqs {
			out.total++
			switch c := count[seq+"/"+zone]; {
			case c == 0:
				out.missing = append(out.missing, account+"/"+seq)
			case c > 1:
				out.dups++
			}
		}
	}
	return out, nil
}

// storedOnPostgres opens a store of its own on the PostgreSQL database
// dsn, as a node beside the others, and waits up to 30 s until every frame
// of acked (read under mu) is stored, saying which are missing if some
// stay so. It returns the count for the test to judge.
func storedOnPostgres(t *testing.T, dsn string, mu sync.Locker, acked map[string]map[string]string) stored {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "unused"), store.Options{Logger: zap.NewNop(),
		Registerer: prometheus.NewRegistry(), Driver: store.DriverPostgres, DSN: dsn, NodeID: "checker"})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	var st stored
	defer func() {
		if len(st.missing) > 0 {
			t.Logf("missing, of %d: %v", len(st.missing), st.missing[:min(len(st.missing), 20)])
		}
	}()
	eventually(t, 30*time.Second, "every acknowledged frame projected", func() bool {
		mu.Lock()
		defer mu.Unlock()
		var err error
		st, err = storedOnce(s, acked)
		return err == nil && len(st.missing) == 0
	})
	return st
}

// freePort returns a port on 127.0.0.1 free for both TCP and UDP (a DC-09
// listener takes both). The port is released before the daemon binds it,
// so it is drawn at random from below the kernel's ephemeral range
// (32768–60999 on Linux): a port the kernel hands to another package's
// listen on :0 or to an outgoing connection in that gap cannot be one of
// these, which is how a port picked from :0 was once lost to a parallel
// test.
func freePort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		tl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ul, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		tl.Close()
		if err != nil {
			continue
		}
		ul.Close()
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

func waitReadyURL(t *testing.T, url string, limit time.Duration) {
	t.Helper()
	eventually(t, limit, "daemon ready at "+url, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// runBinary runs the alarmrx binary bin with args and returns its exit
// code and what it wrote.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errs.String()
}

// eventually checks cond every 50 ms until it holds, failing the test if
// it does not within limit. It is for state a test can only look at, not
// wait on: that of another process (a daemon started with exec, Chromium)
// or rows written in answer to one; the limit bounds a failure, it is no
// guess at how long things take.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		<-tick.C
	}
}
