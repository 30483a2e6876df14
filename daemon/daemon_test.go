package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

const (
	adminToken = "test-admin-token-5b1d"
	hexKey     = "000102030405060708090A0B0C0D0E0F"
	asciiKey   = "AAAAAAAAAAAAAAAAAAAAAAAA" // 24 ascii bytes: AES-192
	hexKey256  = "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4"
)

func testConfig(t *testing.T, dataDir string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	cfg.DataDir = dataDir
	cfg.Log.Level = "debug"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.HTTP.AdminToken = adminToken
	cfg.ShutdownGrace = 2 * time.Second
	cfg.Receivers = []configs.Receiver{{
		Number: 1, Name: "IP receiver 1",
		Listeners: []configs.Listener{{
			Name: "dc09-main", Protocol: "dc09", Line: 1, TCP: "127.0.0.1:0", UDP: "127.0.0.1:0",
			MaxConns: 64, MaxConnsPerIP: 64, ReadTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, WriteTimeout: 2 * time.Second,
			Keys: []configs.Key{
				{Account: "1234", Key: hexKey, Format: "hex"},
				{Account: "5678", Key: asciiKey, Format: "ascii"},
				{Account: "ABCD", Key: hexKey256, Format: "hex"},
			},
			TimestampWindow: configs.Window{Ahead: 20 * time.Second, Behind: 40 * time.Second},
		}},
	}, {
		Number: 2, Name: "cloud receiver", AccountPrefix: "ABC",
		Listeners: []configs.Listener{{
			Name: "dc09-cloud", Protocol: "dc09", Line: 7, TCP: "127.0.0.1:0",
			MaxConns: 64, MaxConnsPerIP: 64, ReadTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, WriteTimeout: 2 * time.Second,
			TimestampWindow: configs.Window{Ahead: 20 * time.Second, Behind: 40 * time.Second},
		}},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

type running struct {
	d      *Daemon
	cancel context.CancelFunc
	done   chan error
}

func startDaemon(t *testing.T, cfg *configs.Config) *running {
	t.Helper()
	r := runDaemon(t, cfg, zaptest.NewLogger(t))
	waitReady(t, "http://"+r.d.HTTPAddr())
	return r
}

// startDaemonAt is startDaemon with the daemon's clock in the test's hand.
func startDaemonAt(t *testing.T, cfg *configs.Config, clk *testClock) *running {
	t.Helper()
	r := runDaemonWith(t, cfg, Options{Logger: zaptest.NewLogger(t), Version: "test", Now: clk.Now})
	waitReady(t, "http://"+r.d.HTTPAddr())
	return r
}

// runDaemon starts a daemon with a given logger and stops it with the
// test; the caller waits for readiness its own way (HTTP or HTTPS).
func runDaemon(t *testing.T, cfg *configs.Config, log *zap.Logger) *running {
	t.Helper()
	return runDaemonWith(t, cfg, Options{Logger: log, Version: "test"})
}

func runDaemonWith(t *testing.T, cfg *configs.Config, opts Options) *running {
	t.Helper()
	d, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{d: d, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	if err := <-r.done; err != nil {
		panic(err)
	}
	r.cancel = nil
}

// waitReady asks the daemon once whether it is ready, which it must be:
// New bound the HTTP port and opened the store, so the request waits in
// the port's backlog until Run serves it.
func waitReady(t *testing.T, base string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/-/ready")
	if err != nil {
		t.Fatalf("daemon not ready: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("daemon not ready: HTTP %d %s", resp.StatusCode, b)
	}
}

// testClock is the daemon's clock in tests that move time on by hand
// instead of waiting for it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (r *running) addr(listener, network string) string {
	for _, a := range r.d.Addrs() {
		if a.Listener == listener {
			if network == "udp" {
				return a.UDP
			}
			return a.TCP
		}
	}
	panic("no listener " + listener)
}

func dial(t *testing.T, r *running, listener, network, key, format string) *panel.Panel {
	t.Helper()
	o := panel.Options{Network: network, Addr: r.addr(listener, network), Timeout: 2 * time.Second}
	if key != "" {
		k, err := dc09.ParseKey(key, format)
		if err != nil {
			t.Fatal(err)
		}
		o.Key = k
	}
	p, err := panel.Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func frame(token, account, seq, data string, encrypted bool) *dc09.Frame {
	return &dc09.Frame{Token: token, Encrypted: encrypted, Sequence: seq, Line: "0", Account: account,
		Data: []byte(data), Timestamp: time.Now().UTC().Truncate(time.Second), HasTimestamp: true}
}

func mustSend(t *testing.T, p *panel.Panel, f *dc09.Frame, want string) *panel.Reply {
	t.Helper()
	rep, err := p.Send(context.Background(), f)
	if err != nil {
		t.Fatalf("send %s %s: %v", f.Token, f.Sequence, err)
	}
	if rep.Token != want {
		t.Fatalf("send %s %s: reply %s (%q), want %s", f.Token, f.Sequence, rep.Token, rep.Raw, want)
	}
	return rep
}

func apiGet(t *testing.T, r *running, path, token string, into any) int {
	t.Helper()
	code, b := apiRequest(t, r, http.MethodGet, path, token)
	if into != nil && code == http.StatusOK {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	return code
}

// apiRequest sends a request without a body, with the bearer token when
// one is given, and returns the status and the answer.
func apiRequest(t *testing.T, r *running, method, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+r.d.HTTPAddr()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func signals(t *testing.T, r *running, query string) []map[string]any {
	t.Helper()
	var out struct {
		Signals []map[string]any `json:"signals"`
	}
	if code := apiGet(t, r, "/api/v1/signals?"+query, adminToken, &out); code != http.StatusOK {
		t.Fatalf("signals: HTTP %d", code)
	}
	return out.Signals
}

func TestEndToEndPlainAndEncryptedOverTCPAndUDP(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))

	cases := []struct {
		name, network, key, format, token, account, data string
		wantCode, wantZone                               string
	}{
		{"plain SIA-DCS tcp", "tcp", "", "", "SIA-DCS", "1111", "#1111|Nri1/BA012", "BA", "012"},
		{"plain ADM-CID udp", "udp", "", "", "ADM-CID", "2222", "#2222|1131 01 015", "131", "015"},
		{"AES-128 hex tcp", "tcp", hexKey, "hex", "SIA-DCS", "1234", "#1234|Nri1/FA007", "FA", "007"},
		{"AES-192 ascii udp", "udp", asciiKey, "ascii", "ADM-CID", "5678", "#5678|1110 02 129", "110", "129"},
		{"AES-256 hex udp", "udp", hexKey256, "hex", "SIA-DCS", "ABCD", "#ABCD|Nri3/PA001", "PA", "001"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dial(t, r, "dc09-main", tc.network, tc.key, tc.format)
			f := frame(tc.token, tc.account, fmt.Sprintf("%04d", i+1), tc.data, tc.key != "")
			rep := mustSend(t, p, f, "ACK")
			if rep.Frame.Encrypted != (tc.key != "") {
				t.Fatalf("reply encrypted=%v", rep.Frame.Encrypted)
			}
			got := signals(t, r, "account="+tc.account)
			if len(got) != 1 {
				t.Fatalf("%d signals stored for %s, want 1", len(got), tc.account)
			}
			s := got[0]
			want := map[string]any{
				"event_code": tc.wantCode, "zone": tc.wantZone, "listener": "dc09-main", "receiver": 1.0,
				"line": 1.0, "protocol": "dc09", "kind": tc.token, "sequence": f.Sequence,
				"transport": tc.network, "encrypted": tc.key != "", "known": true,
			}
			for k, v := range want {
				if s[k] != v {
					t.Errorf("%s = %#v, want %#v", k, s[k], v)
				}
			}
			if raw, _ := s["raw"].(string); !strings.HasPrefix(raw, "\n") || !strings.HasSuffix(raw, "\r") {
				t.Errorf("raw = %q, want the frame as received", raw)
			}
			for _, k := range []string{"id", "received_at", "qualifier", "partition", "user", "description", "panel_time"} {
				if _, ok := s[k]; !ok {
					t.Errorf("field %s missing from the API object", k)
				}
			}
		})
	}
}

func TestEndToEndRejections(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))

	t.Run("encrypted frame for an account with no key gets NAK and is kept as rejected", func(t *testing.T) {
		k, _ := dc09.ParseKey(hexKey, "hex")
		p, err := panel.Dial(context.Background(), panel.Options{Addr: r.addr("dc09-main", "tcp"), Key: k, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		mustSend(t, p, frame("SIA-DCS", "9999", "0001", "#9999|NBA01", true), "NAK")
		if got := signals(t, r, "account=9999"); len(got) != 0 {
			t.Fatalf("rejected frame produced %d signals", len(got))
		}
		var out struct {
			Frames []store.Frame `json:"frames"`
		}
		apiGet(t, r, "/api/v1/frames?status=rejected&account=9999", adminToken, &out)
		if len(out.Frames) != 1 || out.Frames[0].Reason != "no_key" {
			t.Fatalf("rejected frames = %+v", out.Frames)
		}
	})

	t.Run("wrong key gets NAK", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", hexKey256, "hex")
		mustSend(t, p, frame("SIA-DCS", "1234", "0002", "#1234|NBA01", true), "NAK")
	})

	t.Run("timestamp outside the window gets NAK with the receiver's time", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", hexKey, "hex")
		f := frame("SIA-DCS", "1234", "0003", "#1234|NBA01", true)
		f.Timestamp = f.Timestamp.Add(-41 * time.Second)
		rep := mustSend(t, p, f, "NAK")
		if d := time.Since(rep.Frame.Timestamp); d < -2*time.Second || d > 2*time.Second {
			t.Fatalf("NAK time %v is not the receiver's clock", rep.Frame.Timestamp)
		}
	})

	t.Run("bad CRC gets no reply", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", "", "")
		wire, err := p.Encode(frame("SIA-DCS", "1111", "0009", "#1111|NBA01", false))
		if err != nil {
			t.Fatal(err)
		}
		wire[1] ^= 0x01 // flip a CRC digit
		if _, err := p.SendRaw(context.Background(), wire, nil); !errors.Is(err, panel.ErrTimeout) {
			t.Fatalf("bad CRC: err = %v, want no reply", err)
		}
	})

	t.Run("unknown token gets DUH", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "udp", "", "")
		f := frame("FOO-BAR", "1111", "0010", "", false)
		mustSend(t, p, f, "DUH")
	})

	t.Run("unknown SIA code is ACKed and stored as unknown", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", "", "")
		mustSend(t, p, frame("SIA-DCS", "3333", "0001", "#3333|Nri1/QQ001", false), "ACK")
		got := signals(t, r, "account=3333")
		if len(got) != 1 || got[0]["known"] != false || got[0]["event_code"] != "QQ" {
			t.Fatalf("unknown code stored as %v", got)
		}
	})

	t.Run("api rejects missing and wrong tokens", func(t *testing.T) {
		if code := apiGet(t, r, "/api/v1/signals", "", nil); code != http.StatusUnauthorized {
			t.Errorf("no token: HTTP %d", code)
		}
		if code := apiGet(t, r, "/api/v1/signals", "wrong", nil); code != http.StatusUnauthorized {
			t.Errorf("wrong token: HTTP %d", code)
		}
		if code := apiGet(t, r, "/api/v1/signals?limit=abc", adminToken, nil); code != http.StatusBadRequest {
			t.Errorf("bad limit: HTTP %d", code)
		}
	})
}

func TestEndToEndPrefixAndDuplicatesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	r := startDaemon(t, cfg)
	p := dial(t, r, "dc09-cloud", "tcp", "", "")
	f := frame("SIA-DCS", "1234", "0042", "#1234|Nri1/BA017", false)
	mustSend(t, p, f, "ACK")
	rep := mustSend(t, p, f, "ACK") // retransmission: ACKed again
	if rep.Frame.Account != "1234" {
		t.Fatalf("ACK echoes account %q; the prefix must not leak into replies", rep.Frame.Account)
	}
	got := signals(t, r, "account=ABC1234")
	if len(got) != 1 || got[0]["receiver"] != 2.0 || got[0]["line"] != 7.0 {
		t.Fatalf("prefixed signals = %v", got)
	}
	_ = p.Close()
	r.stop()

	// The panel retransmits after the restart: still stored once.
	r2 := startDaemon(t, cfg)
	p2 := dial(t, r2, "dc09-cloud", "tcp", "", "")
	mustSend(t, p2, f, "ACK")
	if got := signals(t, r2, "account=ABC1234"); len(got) != 1 {
		t.Fatalf("after restart %d signals, want 1", len(got))
	}
}

func TestMetricsEndpoint(t *testing.T) {
	dir := t.TempDir()
	r := startDaemon(t, testConfig(t, dir))
	p := dial(t, r, "dc09-main", "tcp", "", "")
	mustSend(t, p, frame("NULL", "1111", "0000", "", false), "ACK")
	resp, err := http.Get("http://" + r.d.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`alarmrx_frames_received_total{listener="dc09-main",protocol="dc09"} 1`,
		`alarmrx_replies_sent_total{kind="ack",protocol="dc09"} 1`,
		`alarmrx_frame_handling_seconds_count{protocol="dc09"} 1`,
		"alarmrx_store_commit_batch_size_bucket",
		`alarmrx_build_info{goversion="` + runtime.Version() + `",revision="unknown",version="test"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{hexKey, asciiKey, hexKey256, adminToken} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics leaks a secret")
		}
	}
	// The data dir's free space, as statfs gives it.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^alarmrx_data_dir_free_bytes (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("/metrics lacks alarmrx_data_dir_free_bytes")
	}
	free, _ := strconv.ParseFloat(m[1], 64)
	if want := float64(st.Bavail) * float64(st.Bsize); free <= 0 || math.Abs(free-want) > 256<<20 {
		t.Errorf("alarmrx_data_dir_free_bytes %v, statfs says %v", free, want)
	}
}

// TestPlainFrameDetailIsRebuilt: a plain DC-09 frame is stored without
// its detail (it would repeat the frame's bytes), and the API rebuilds it:
// the same header fields and extended data as an encrypted frame's stored
// detail gives; an encrypted frame keeps its stored detail (its decrypted
// data is not in the bytes).
func TestPlainFrameDetailIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	r := startDaemon(t, testConfig(t, dir))
	p := dial(t, r, "dc09-main", "tcp", "", "")
	f := frame("SIA-DCS", "9876", "0042", "#9876|Nri1/BA007", false)
	f.XData = []dc09.XData{{ID: 'V', Value: []byte("https://v.example/clip/3")}}
	mustSend(t, p, f, "ACK")
	e := dial(t, r, "dc09-main", "tcp", hexKey, "hex")
	mustSend(t, e, frame("SIA-DCS", "1234", "0043", "#1234|Nri1/BA008", true), "ACK")
	var out struct {
		Frames []struct {
			Account string
			Detail  struct {
				Token, Sequence, Account, Data string
				Encrypted                      bool
				XData                          []struct{ ID, Value string }
			} `json:"detail"`
		} `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?status=accepted", adminToken, &out)
	got := map[string]string{}
	for _, fr := range out.Frames {
		got[fr.Account] = fmt.Sprintf("%s %s %s %s %v %v", fr.Detail.Token, fr.Detail.Sequence, fr.Detail.Account,
			fr.Detail.Data, fr.Detail.Encrypted, fr.Detail.XData)
	}
	want := map[string]string{
		"9876": "SIA-DCS 0042 9876 #9876|Nri1/BA007 false [{V https://v.example/clip/3}]",
		"1234": "SIA-DCS 0043 1234 #1234|Nri1/BA008 true []",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("frames' detail from the API:\n%v\nwant\n%v", got, want)
	}
	r.stop()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT account, detail <> '' FROM frames WHERE status = 'accepted'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var acct string
		var has bool
		if err := rows.Scan(&acct, &has); err != nil {
			t.Fatal(err)
		}
		stored[acct] = has
	}
	if !maps.Equal(stored, map[string]bool{"9876": false, "1234": true}) {
		t.Fatalf("stored detail by account: %v; want none for the plain frame, the encrypted one's kept", stored)
	}
}

func TestFrameDetailKeepsExtendedDataAndDecryptedData(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-main", "tcp", hexKey, "hex")
	f := frame("SIA-DCS", "1234", "0077", "#1234|Nri1/BA005", true)
	f.XData = []dc09.XData{{ID: 'M', Value: []byte("0026B9E4268B")}, {ID: 'V', Value: []byte("https://v.example/clip/9")}}
	mustSend(t, p, f, "ACK")
	var out struct {
		Frames []struct {
			Detail struct {
				Data  string
				XData []struct{ ID, Value string }
			} `json:"detail"`
		} `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?account=1234", adminToken, &out)
	if len(out.Frames) != 1 {
		t.Fatalf("frames = %+v", out.Frames)
	}
	d := out.Frames[0].Detail
	if d.Data != "#1234|Nri1/BA005" || len(d.XData) != 2 || d.XData[0].ID != "M" ||
		d.XData[1].Value != "https://v.example/clip/9" {
		t.Fatalf("detail = %+v", d)
	}
}
