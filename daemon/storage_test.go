package daemon

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestStorageFailureStopsAcknowledgingAndRecovers: with the disk refusing
// writes (an injected SQLITE_FULL) DC-09 frames get NAK, readiness turns
// 503 and alarmrx_store_up 0; once writes succeed again everything comes
// back by itself and the panel's resend is stored once.
func TestStorageFailureStopsAcknowledgingAndRecovers(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-main", "tcp", "", "")
	r.d.store.InjectFault(func() error { return errStoreDown })
	mustSend(t, p, frame("SIA-DCS", "4444", "0001", "#4444|Nri1/BA001", false), "NAK")
	if code := apiGet(t, r, "/-/ready", "", nil); code != http.StatusServiceUnavailable {
		t.Fatalf("ready while failing: %d", code)
	}
	if v := gauge(t, r, "alarmrx_store_up", "db", "journal"); v != 0 { // where frames are committed
		t.Fatalf("alarmrx_store_up %v", v)
	}
	r.d.store.InjectFault(nil)
	// The panel resends; the store takes it; everything is green again.
	waitFor(t, 5*time.Second, func() bool {
		rep, err := p.Send(t.Context(), frame("SIA-DCS", "4444", "0001", "#4444|Nri1/BA001", false))
		return err == nil && rep.Token == "ACK"
	})
	if code := apiGet(t, r, "/-/ready", "", nil); code != http.StatusOK {
		t.Fatalf("ready after recovery: %d", code)
	}
	if v := gauge(t, r, "alarmrx_store_up", "db", "journal"); v != 1 {
		t.Fatalf("alarmrx_store_up %v after recovery", v)
	}
	if got := signals(t, r, "account=4444"); len(got) != 1 {
		t.Fatalf("stored %d, want 1", len(got))
	}
}

// TestDatabaseFileLostStopsAcknowledging deletes, then replaces, the
// database file under a running daemon: within seconds it must stop
// acknowledging (NAK), turn unready with alarmrx_store_file_ok 0 and say so
// loudly, and keep a copy of the open database holding what it had ACKed.
func TestDatabaseFileLostStopsAcknowledging(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			core, logs := observer.New(zapcore.InfoLevel)
			r := runDaemon(t, testConfig(t, dir), zap.New(core))
			waitReady(t, "http://"+r.d.HTTPAddr())
			p := dial(t, r, "dc09-main", "tcp", "", "")
			mustSend(t, p, frame("SIA-DCS", "4444", "0001", "#4444|Nri1/BA001", false), "ACK")

			path := filepath.Join(dir, store.FileName)
			switch how {
			case "deleted":
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				other := filepath.Join(dir, "other.db")
				if err := os.WriteFile(other, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(other, path); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 5*time.Second, func() bool { return apiGet(t, r, "/-/ready", "", nil) == http.StatusServiceUnavailable })
			mustSend(t, p, frame("SIA-DCS", "4444", "0002", "#4444|Nri1/BA002", false), "NAK")
			if v := gauge(t, r, "alarmrx_store_file_ok", "db", "store"); v != 0 {
				t.Fatalf("alarmrx_store_file_ok %v, want 0", v)
			}
			if v := gauge(t, r, "alarmrx_store_up", "db", "store"); v != 0 {
				t.Fatalf("alarmrx_store_up %v, want 0", v)
			}
			// The line follows the copy of the open database, which may
			// still be under way when the store already refuses commits.
			waitFor(t, 5*time.Second, func() bool { return logs.FilterMessageSnippet("database file lost").Len() > 0 })
			lines := logs.FilterMessageSnippet("database file lost").All()
			if len(lines) != 1 || lines[0].Level != zapcore.ErrorLevel {
				t.Fatalf("want one error line about the lost file, got %d", len(lines))
			}
			copyPath, _ := lines[0].ContextMap()["copy"].(string)
			if copyPath == "" {
				t.Fatalf("no copy of the open database: %v", lines[0].ContextMap())
			}
			r.stop()
			// The copy holds what was acknowledged, and opens as a store.
			if err := os.Rename(copyPath, path); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{path + "-wal", path + "-shm"} {
				_ = os.Remove(f)
			}
			s, err := store.Open(t.Context(), path, store.Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Signals(t.Context(), store.SignalFilter{Account: "4444", Limit: 10})
			if err != nil || len(got) != 1 || got[0].Zone != "001" {
				t.Fatalf("signals in the copy: %+v %v", got, err)
			}
		})
	}
}

// TestSlowCommitStoresOnce: with every commit taking longer than
// store.commit_timeout (a disk throttled to a few writes a second), panels
// get NAK and resend, and XML senders retry; every frame and every
// MessageId must still be stored exactly once, and acknowledged in the end.
func TestSlowCommitStoresOnce(t *testing.T) {
	cfg := xmlConfig(t)
	cfg.Store.CommitTimeout = 100 * time.Millisecond
	r := startDaemon(t, cfg)
	// The slow disk: a write transaction is held until the test has had a
	// negative answer (NAK, HTTP 503) after it began, so that every commit
	// outlasts store.commit_timeout whatever the machine's speed.
	var gateMu sync.Mutex
	gate := make(chan struct{})
	nakSeen := func() {
		gateMu.Lock()
		defer gateMu.Unlock()
		close(gate)
		gate = make(chan struct{})
	}
	r.d.store.InjectFault(func() error {
		gateMu.Lock()
		g := gate
		gateMu.Unlock()
		<-g
		return nil
	})
	t.Cleanup(func() { r.d.store.InjectFault(nil); nakSeen() }) // before the daemon stops
	p := dial(t, r, "dc09-main", "tcp", "", "")
	const frames = 6
	var naks int
	for i := 1; i <= frames; i++ {
		f := frame("SIA-DCS", "4444", fmt.Sprintf("%04d", i), fmt.Sprintf("#4444|Nri1/BA%03d", i), false)
		acked := false
		for try := 0; try < 40 && !acked; try++ {
			rep, err := p.Send(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			acked = rep.Token == "ACK"
			if !acked {
				naks++
				nakSeen()
			}
		}
		if !acked {
			t.Fatalf("frame %d never acknowledged", i)
		}
	}
	body := example(t, "chekt-style.xml")
	var xmlRetries int
	for done := false; !done; xmlRetries++ {
		if xmlRetries > 40 {
			t.Fatal("XML message never acknowledged")
		}
		code, resp, raw := postSignals(t, r, "/xml/v1/signals", chektPasskey, body)
		switch {
		case code == http.StatusOK && (resp.Status.Code == 0 || resp.Status.Code == 10):
			done = true
		case code != http.StatusServiceUnavailable:
			t.Fatalf("XML: %d %s", code, raw)
		default:
			nakSeen()
		}
	}
	r.d.store.InjectFault(nil)
	nakSeen()
	if naks == 0 || xmlRetries < 2 {
		t.Fatalf("the commits were not slow enough to test anything: %d NAKs, %d XML posts", naks, xmlRetries)
	}
	got := signals(t, r, "account=4444&limit=1000")
	count := map[string]int{}
	for _, s := range got {
		count[s["sequence"].(string)]++
	}
	for i := 1; i <= frames; i++ {
		if n := count[fmt.Sprintf("%04d", i)]; n != 1 {
			t.Errorf("frame %04d stored %d times", i, n)
		}
	}
	if got := signals(t, r, "account=ABC1234"); len(got) != 1 {
		t.Errorf("XML message stored %d times, want once", len(got))
	}
	t.Logf("%d NAKs for %d frames, %d XML posts for one message", naks, frames, xmlRetries)
}
