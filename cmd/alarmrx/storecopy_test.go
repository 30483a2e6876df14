package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// TestStoreCopyCutOver moves a station as the README's cut-over does: a
// rehearsal copy while the SQLite daemon receives, then the daemon
// stopped, the final copy (--replace, the DSN from ALARMRX_STORE_DSN), and
// a node started on PostgreSQL on the same panel address. Every frame the
// SQLite daemon acknowledged is stored once on the node, and the panel's
// retransmission of the last one, which the old daemon had acknowledged
// just before it stopped, is acknowledged as the duplicate it is.
func TestStoreCopyCutOver(t *testing.T) {
	dsn, dir, bin := processesOnPostgres(t)
	old := &clusterNode{name: "sqlite", bin: bin, cfg: filepath.Join(dir, "sqlite.yaml"),
		dc09: fmt.Sprintf("127.0.0.1:%d", freePort(t)), http: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	data := filepath.Join(dir, "data")
	must(t, os.WriteFile(old.cfg, []byte(fmt.Sprintf(`data_dir: %s
log: {level: warn}
http: {listen: "%s", admin_token: %s}
receivers:
  - number: 1
    name: copy test
    listeners:
      - {name: dc09, protocol: dc09, line: 1, tcp: "%s"}
`, data, old.http, clusterToken, old.dc09)), 0o600))
	old.start(t)
	defer func() {
		if old.cmd.ProcessState == nil {
			_ = old.cmd.Process.Kill()
		}
	}()

	acked := map[string]map[string]string{"C001": {}}
	var last *dc09.Frame
	send := func(addr string, from, to int) {
		t.Helper()
		p, err := panel.Dial(context.Background(), panel.Options{Addr: addr, Timeout: 5 * time.Second})
		must(t, err)
		defer p.Close()
		for n := from; n <= to; n++ {
			seq := fmt.Sprintf("%04d", n)
			f := &dc09.Frame{Token: "SIA-DCS", Sequence: seq, Line: "0", Account: "C001",
				Data: []byte("#C001|Nri1/BA" + seq[1:]), Timestamp: time.Now().UTC(), HasTimestamp: true}
			rep, err := p.Send(context.Background(), f)
			if err != nil || rep.Token != "ACK" {
				t.Fatalf("frame %s: %+v, %v", seq, rep, err)
			}
			acked["C001"][seq] = seq[1:]
			last = f
		}
	}
	copyCmd := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"store", "copy", "--from", "sqlite:" + data}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	send(old.dc09, 1, 100)
	// The rehearsal, while the panel goes on sending.
	rehearsed := make(chan error, 1)
	var rehearsal string
	go func() {
		var err error
		rehearsal, err = copyCmd(nil, "--to", dsn)
		rehearsed <- err
	}()
	send(old.dc09, 101, 200)
	if err := <-rehearsed; err != nil {
		t.Fatalf("the rehearsal copy beside the running daemon: %v\n%s", err, rehearsal)
	}
	if !strings.Contains(rehearsal, "every count verified") {
		t.Fatalf("the rehearsal says:\n%s", rehearsal)
	}
	send(old.dc09, 201, 250)
	old.stop()

	out, err := copyCmd([]string{"ALARMRX_STORE_DSN=" + dsn}, "--to", "postgres:")
	if err == nil || !strings.Contains(out, "--replace") {
		t.Fatalf("a copy over the rehearsal without --replace: %v\n%s", err, out)
	}
	out, err = copyCmd([]string{"ALARMRX_STORE_DSN=" + dsn}, "--to", "postgres:", "--replace")
	if err != nil || !strings.Contains(out, "was replaced") {
		t.Fatalf("the final copy: %v\n%s", err, out)
	}

	hook := httptest.NewServer(&hookReceiver{})
	defer hook.Close()
	node := newClusterNode(t, dir, bin, dsn, "node-a", hook.URL)
	// The panels' address stays.
	cfg, err := os.ReadFile(node.cfg)
	must(t, err)
	must(t, os.WriteFile(node.cfg, bytes.ReplaceAll(cfg, []byte(node.dc09), []byte(old.dc09)), 0o600))
	node.dc09 = old.dc09
	node.start(t)
	defer node.stop()
	p, err := panel.Dial(context.Background(), panel.Options{Addr: node.dc09, Timeout: 5 * time.Second})
	must(t, err)
	rep, err := p.Send(context.Background(), last)
	p.Close()
	if err != nil || rep.Token != "ACK" {
		t.Fatalf("the retransmission of the last frame: %+v, %v", rep, err)
	}
	send(node.dc09, 251, 260)

	st := storedOnPostgres(t, dsn, &sync.Mutex{}, acked)
	if st.total != 260 || st.dups != 0 {
		t.Fatalf("%d acknowledged, %d stored twice (missing %v); want 260 stored once", st.total, st.dups, st.missing)
	}
}
