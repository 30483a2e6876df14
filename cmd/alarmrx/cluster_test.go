package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

const clusterToken = "t0ken-of-the-cluster-test"

// clusterNode is one `alarmrx serve` of a two-node station on one
// PostgreSQL database.
type clusterNode struct {
	name     string
	cfg      string
	dc09     string // the panels' address of this node
	http     string
	cmd      *exec.Cmd
	bin      string
	stopped  bool
	waitDone chan struct{}
}

// newClusterNode writes node name's configuration; outputs are more
// lines of its outputs section (a Sur-Gard output, say).
func newClusterNode(t *testing.T, dir, bin, dsn, name, hookURL string, outputs ...string) *clusterNode {
	t.Helper()
	n := &clusterNode{name: name, bin: bin, cfg: filepath.Join(dir, name+".yaml"),
		dc09: fmt.Sprintf("127.0.0.1:%d", freePort(t)), http: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	must(t, os.WriteFile(n.cfg, []byte(fmt.Sprintf(`data_dir: %s
log: {level: warn}
http: {listen: "%s", admin_token: %s}
store: {driver: postgres, dsn: "%s", node_id: %s}
receivers:
  - number: 1
    name: cluster test
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "%s"}
outputs:
  webhooks:
    - {name: hook, url: "%s"}
%s`, filepath.Join(dir, name), n.http, clusterToken, dsn, name, n.dc09, hookURL, strings.Join(outputs, "\n"))), 0o600))
	return n
}

func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	n.cmd = exec.Command(n.bin, "serve", "--config", n.cfg)
	n.cmd.Stdout, n.cmd.Stderr = os.Stdout, os.Stderr
	must(t, n.cmd.Start())
	n.waitDone = make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(n.waitDone) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + n.http + "/-/ready")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready within 30s: %s", n.name, body)
			}
		} else if time.Now().After(deadline) {
			_ = n.cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, on its stderr
			<-n.waitDone
			t.Fatalf("%s not ready within 30s: %v", n.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *clusterNode) kill() {
	_ = n.cmd.Process.Kill() // SIGKILL: no shutdown, no lease released
	<-n.waitDone
}

func (n *clusterNode) stop() {
	_ = n.cmd.Process.Signal(os.Interrupt)
	<-n.waitDone
}

// leaseHolder asks node n who holds job's lease ("" when nobody does).
func (n *clusterNode) leaseHolder(job string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.http+"/api/v1/cluster", nil)
	req.Header.Set("Authorization", "Bearer "+clusterToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var c struct {
		Leases []struct {
			Job    string `json:"job"`
			Holder string `json:"holder"`
			Held   bool   `json:"held"`
		} `json:"leases"`
	}
	if json.NewDecoder(resp.Body).Decode(&c) != nil {
		return ""
	}
	for _, l := range c.Leases {
		if l.Job == job && l.Held {
			return l.Holder
		}
	}
	return ""
}

// hookReceiver is the automation behind the webhook output: what it was
// sent, in order, by idempotency key.
type hookReceiver struct {
	mu   sync.Mutex
	keys []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.keys)
}

// processesOnPostgres begins a test of alarmrx processes (skipped with
// -short): a PostgreSQL database of its own, a directory, and the binary.
func processesOnPostgres(t *testing.T) (dsn, dir, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	dsn, dir = pgtest.Database(t), t.TempDir()
	return dsn, dir, buildAlarmrx(t, dir)
}

// TestTwoNodesFailOver is the proof of several nodes on one PostgreSQL
// database: panels send to node a and fail over to node b, their backup
// path, when a is killed (SIGKILL) at a random moment (and back to a when
// b fails them). Afterwards every signal either node acknowledged is
// stored exactly once; the webhook output, whose lease moves with its
// holder, delivered every one of them, in order, each at least once; and
// when the holder of the output was killed, the other node held it within
// 10 s. A paused node (SIGSTOP) that resumes after losing the lease sends
// nothing under it. ALARMRX_CLUSTER_ROUNDS sets the kills (default 2).
//
//	ALARMRX_CLUSTER_ROUNDS=10 go test -run TwoNodesFailOver -v ./cmd/alarmrx
func TestTwoNodesFailOver(t *testing.T) {
	dsn, dir, bin := processesOnPostgres(t)
	rounds := envRounds(t, "ALARMRX_CLUSTER_ROUNDS", 2)
	hook := &hookReceiver{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	a := newClusterNode(t, dir, bin, dsn, "node-a", hookSrv.URL)
	b := newClusterNode(t, dir, bin, dsn, "node-b", hookSrv.URL)
	a.start(t)
	b.start(t)
	defer func() {
		for _, n := range []*clusterNode{a, b} {
			if n.cmd != nil && n.cmd.ProcessState == nil {
				_ = n.cmd.Process.Kill()
			}
		}
	}()

	// acked[account][seq] = zone: what the panels saw acknowledged, by
	// either node.
	var mu sync.Mutex
	acked := map[string]map[string]string{}
	const panels = 8
	var seqs [panels]atomic.Int64
	var sent, failovers atomic.Int64
	var takeovers []time.Duration

	for round := 1; round <= rounds; round++ {
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range panels {
			account := fmt.Sprintf("D%03X", i+1)
			wg.Go(func() {
				paths := []string{a.dc09, b.dc09}
				var p *panel.Panel
				use := 0
				defer func() {
					if p != nil {
						p.Close()
					}
				}()
				for ctx.Err() == nil {
					n := seqs[i].Add(1)
					if n > 9999 {
						return
					}
					seq := fmt.Sprintf("%04d", n)
					zone := fmt.Sprintf("%03d", n%1000)
					f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: account,
						Data: []byte("#" + account + "|Nri1/BA" + zone), Timestamp: time.Now().UTC(), HasTimestamp: true}
					// A frame is sent until a node ACKs it: on the path in
					// use, then on the other, as a panel's primary and
					// backup receivers (DC-09 §5.5).
					for try := 0; ctx.Err() == nil; try++ {
						if p == nil {
							var err error
							if p, err = panel.Dial(ctx, panel.Options{Addr: paths[use], Timeout: 2 * time.Second}); err != nil {
								p, use = nil, 1-use
								failovers.Add(1)
								time.Sleep(50 * time.Millisecond)
								continue
							}
						}
						sent.Add(1)
						rep, err := p.Send(ctx, f)
						if err != nil || rep.Token != "ACK" {
							p.Close()
							p, use = nil, 1-use
							failovers.Add(1)
							continue
						}
						mu.Lock()
						if acked[account] == nil {
							acked[account] = map[string]string{}
						}
						acked[account][seq] = zone
						mu.Unlock()
						break
					}
					// A panel sends an event at a time, not a flood: the
					// load stays within what one PostgreSQL projects
					// (docs/BENCHMARKS.md), as a station's does.
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
		time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
		holder := a.leaseHolder("output:hook")
		a.kill()
		killed := time.Now()
		if holder == "node-a" {
			// The output's lease moves to node b within the target.
			eventually(t, 15*time.Second, "node b holds the output's lease", func() bool { return b.leaseHolder("output:hook") == "node-b" })
			takeovers = append(takeovers, time.Since(killed))
		}
		time.Sleep(500 * time.Millisecond) // the panels carry on with node b
		a.start(t)
		time.Sleep(300 * time.Millisecond)
		stop()
		wg.Wait()
	}

	// Split brain: the node holding the output's lease is paused (SIGSTOP)
	// while signals reach the other one, past its lease; the other takes
	// the output over, and the paused node, resumed, finds its lease gone
	// before it sends what it had in hand.
	eventually(t, 15*time.Second, "one node holds the output's lease", func() bool { return a.leaseHolder("output:hook") != "" })
	paused := b
	if a.leaseHolder("output:hook") == "node-a" {
		paused = a
	}
	other := map[*clusterNode]*clusterNode{a: b, b: a}[paused]
	burst := make(chan struct{})
	go func() {
		defer close(burst)
		p, err := panel.Dial(context.Background(), panel.Options{Addr: other.dc09, Timeout: 2 * time.Second})
		if err != nil {
			return
		}
		defer p.Close()
		for n := 1; n <= 300; n++ {
			seq := fmt.Sprintf("%04d", n)
			f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: "E001",
				Data: []byte("#E001|Nri1/BA" + seq[1:]), Timestamp: time.Now().UTC(), HasTimestamp: true}
			sent.Add(1)
			if rep, err := p.Send(context.Background(), f); err == nil && rep.Token == "ACK" {
				mu.Lock()
				if acked["E001"] == nil {
					acked["E001"] = map[string]string{}
				}
				acked["E001"][seq] = seq[1:]
				mu.Unlock()
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // the holder is delivering the burst
	must(t, paused.cmd.Process.Signal(syscall.SIGSTOP))
	eventually(t, 15*time.Second, "the other node takes the paused node's lease", func() bool {
		return other.leaseHolder("output:hook") == other.name
	})
	<-burst
	time.Sleep(time.Second)
	must(t, paused.cmd.Process.Signal(syscall.SIGCONT))

	// Everything acknowledged is stored once, and delivered.
	st := storedOnPostgres(t, dsn, &mu, acked)
	if st.dups != 0 {
		t.Fatalf("%d acknowledged signals stored twice", st.dups)
	}
	total, ids := st.total, st.ids
	eventually(t, 30*time.Second, "every stored signal delivered to the webhook", func() bool {
		got := map[string]bool{}
		for _, k := range hook.received() {
			got[k] = true
		}
		for _, id := range ids {
			if !got["signal-"+strconv.FormatInt(id, 10)] {
				return false
			}
		}
		return true
	})
	keys := hook.received()
	seen := map[string]bool{}
	var first []int64
	resent := 0
	for _, k := range keys {
		if seen[k] {
			resent++
			continue
		}
		seen[k] = true
		id, err := strconv.ParseInt(strings.TrimPrefix(k, "signal-"), 10, 64)
		if err != nil {
			t.Fatalf("webhook key %q", k)
		}
		first = append(first, id)
	}
	if !slices.IsSorted(first) {
		t.Errorf("the webhook received the signals out of order: %v", first)
	}
	// At least once: a record is sent again only when its sender died or
	// was paused between its send and the record of the delivery, once
	// each; a paused node that sent on after its lease lapsed would send
	// what it had in hand (up to a page of the outbox) a second time.
	if resent > rounds+1 {
		t.Errorf("%d records sent again, more than the %d kills and pauses explain", resent, rounds+1)
	}
	for _, took := range takeovers {
		if took > 10*time.Second {
			t.Errorf("the output's lease moved %s after its holder died, want within 10s", took)
		}
	}
	t.Logf("%d kills: %d sends, %d failovers, %d ACKed, %d stored once, %d delivered (%d sent again), lease takeovers %v",
		rounds, sent.Load(), failovers.Load(), total, len(ids), len(first), resent, takeovers)
	if total == 0 {
		t.Fatal("no frame was acknowledged: the load did not run")
	}
	a.stop()
	b.stop()
}

// TestSurgardOutputFollowsItsLease: a Sur-Gard output on two nodes has its
// port open on the node that holds the output's lease only, so that the
// automation (or the balancer in front of the nodes) finds the record
// stream in one place; when the holder dies, the port opens on the other
// node within the 10 s target, and the records go on from there, each
// once, in order.
func TestSurgardOutputFollowsItsLease(t *testing.T) {
	dsn, dir, bin := processesOnPostgres(t)
	hook := httptest.NewServer(&hookReceiver{})
	defer hook.Close()
	ports := map[string]string{}
	var nodes []*clusterNode
	for _, name := range []string{"node-a", "node-b"} {
		ports[name] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		n := newClusterNode(t, dir, bin, dsn, name, hook.URL, fmt.Sprintf(
			"  surgard:\n    - {name: automation, tcp: \"%s\", heartbeat: 1h}\n", ports[name]))
		n.start(t)
		defer func() {
			if n.cmd.ProcessState == nil {
				_ = n.cmd.Process.Kill()
			}
		}()
		nodes = append(nodes, n)
	}
	// refused tells that nothing listens on name's port. (A probe that
	// connects would be the output's automation connection.)
	refused := func(name string) bool {
		c, err := net.DialTimeout("tcp", ports[name], 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}
	var holder, other *clusterNode
	eventually(t, 15*time.Second, "one node holds the output's lease", func() bool {
		h := nodes[0].leaseHolder("output:automation")
		for i, n := range nodes {
			if n.name == h {
				holder, other = n, nodes[1-i]
			}
		}
		return holder != nil
	})
	if !refused(other.name) {
		t.Fatalf("the output's port is open on %s, which does not hold its lease", other.name)
	}
	send := func(n *clusterNode, seq string) {
		t.Helper()
		p, err := panel.Dial(context.Background(), panel.Options{Addr: n.dc09, Timeout: 5 * time.Second})
		must(t, err)
		defer p.Close()
		f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: "F001",
			Data: []byte("#F001|Nri1/BA" + seq[1:]), Timestamp: time.Now().UTC(), HasTimestamp: true}
		if rep, err := p.Send(context.Background(), f); err != nil || rep.Token != "ACK" {
			t.Fatalf("frame %s to %s: %+v, %v", seq, n.name, rep, err)
		}
	}
	// connect is the automation connecting to name's port, as it retries
	// until the port answers.
	connect := func(name string, wait time.Duration) net.Conn {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			c, err := net.DialTimeout("tcp", ports[name], 200*time.Millisecond)
			if err == nil {
				t.Cleanup(func() { c.Close() })
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("the output's port on %s: %v after %s", name, err, wait)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// record reads a record from the automation's end and answers ACK.
	record := func(c net.Conn) string {
		t.Helper()
		must(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		rec, err := bufio.NewReader(c).ReadString(0x14)
		if err != nil {
			t.Fatalf("no record from %s: %v", c.RemoteAddr(), err)
		}
		_, err = c.Write([]byte{0x06})
		must(t, err)
		return strings.TrimSuffix(rec, "\x14")
	}
	// A signal received by the node without the lease reaches the
	// automation through the holder.
	automation := connect(holder.name, 5*time.Second)
	send(other, "0001")
	first := record(automation)
	holder.kill()
	killed := time.Now()
	automation = connect(other.name, 15*time.Second)
	if took := time.Since(killed); took > 10*time.Second {
		t.Errorf("the port opened on %s %s after its holder died, want within 10s", other.name, took)
	}
	send(other, "0002")
	// The first record may come again, once: it was in flight (sent, and
	// its ACK not yet recorded) when its sender died (at least once).
	second := record(automation)
	if second == first {
		second = record(automation)
	}
	if !strings.Contains(first, "F001") || !strings.Contains(first, "BA001") || !strings.Contains(second, "BA002") {
		t.Fatalf("records %q then %q: want F001's BA001, then its BA002", first, second)
	}
	t.Logf("records %q, %q; the port moved in %s", first, second, time.Since(killed).Round(time.Millisecond))
	other.stop()
}
