package httpapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"
)

// loginServer is a station server on a real socket whose clients can
// come from different loopback addresses (127.0.0.x).
type loginServer struct {
	t   *testing.T
	url string
	st  *store.Store
}

func newLoginServer(t *testing.T, evidence *evidence.Quota) *loginServer {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), store.FileName), store.Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Now: func() time.Time { return now },
		PasswordCost: bcrypt.MinCost}) // the tests check logins, not the hash
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h, err := New(Options{Logger: zap.NewNop(), Gatherer: prometheus.NewRegistry(), Store: st, Station: st, Tables: tablesOf(st),
		AdminToken: token, Now: func() time.Time { return now }, Evidence: evidence,
		Console: ConsoleOptions{LoginAttempts: 5, LoginAttemptsPerAddress: 20, LoginWindow: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, name := range []string{"ann", "bob"} {
		u := &store.User{Username: name, Role: store.RoleOperator}
		if err := st.CreateUser(t.Context(), u, name+"'s long password", store.Actor{Name: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
	return &loginServer{t: t, url: srv.URL, st: st}
}

// browser is an HTTP client with its own cookies, from one source address.
type browser struct {
	c *http.Client
}

func newBrowser(t *testing.T, from string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &browser{c: &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext}}}
}

// login posts a console log-in as a page of ours would, and returns the
// status.
func (b *browser) login(t *testing.T, s *loginServer, user, password string, edit func(*http.Request)) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, _ := http.NewRequest("POST", s.url+"/api/v1/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if edit != nil {
		edit(req)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLoginSlowedPerUserAcrossAddresses: guesses for one user name spread
// over many addresses are counted together.
func TestLoginSlowedPerUserAcrossAddresses(t *testing.T) {
	s := newLoginServer(t, nil)
	for i := range 5 {
		if code := newBrowser(t, "127.0.0."+itoa(int64(10+i))).login(t, s, "ann", "guess", nil); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, code)
		}
	}
	if code := newBrowser(t, "127.0.0.20").login(t, s, "ann", "ann's long password", nil); code != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt for ann from a fresh address: %d, want 429", code)
	}
	if code := newBrowser(t, "127.0.0.20").login(t, s, "bob", "bob's long password", nil); code != http.StatusOK {
		t.Fatalf("bob from the same address: %d, want 200", code)
	}
}

// TestLoginSlowedPerAddress: one address guessing many user names is
// locked out; other addresses are not.
func TestLoginSlowedPerAddress(t *testing.T) {
	s := newLoginServer(t, nil)
	attacker := newBrowser(t, "127.0.0.30")
	for i := range 20 {
		if code := attacker.login(t, s, "user"+itoa(int64(i)), "guess", nil); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, code)
		}
	}
	if code := attacker.login(t, s, "ann", "ann's long password", nil); code != http.StatusTooManyRequests {
		t.Fatalf("21st attempt from one address: %d, want 429", code)
	}
	if code := newBrowser(t, "127.0.0.31").login(t, s, "ann", "ann's long password", nil); code != http.StatusOK {
		t.Fatalf("ann from another address: %d, want 200", code)
	}
}

// TestDeviceCookieLetsTheRealUserIn: an attacker on the real user's own
// address (a shared NAT) locks ann's name out for every browser without
// her device cookie, but ann's browser, which logged in before, still
// gets in; the cookie names ann and works for nobody else.
func TestDeviceCookieLetsTheRealUserIn(t *testing.T) {
	s := newLoginServer(t, nil)
	ann := newBrowser(t, "127.0.0.40")
	if code := ann.login(t, s, "ann", "ann's long password", nil); code != http.StatusOK {
		t.Fatalf("ann's first login: %d", code)
	}
	attacker := newBrowser(t, "127.0.0.40")
	for range 30 {
		attacker.login(t, s, "ann", "guess", nil)
	}
	if code := attacker.login(t, s, "ann", "ann's long password", nil); code != http.StatusTooManyRequests {
		t.Fatalf("the attacker's browser after 30 guesses: %d, want 429", code)
	}
	if code := ann.login(t, s, "ann", "ann's long password", nil); code != http.StatusOK {
		t.Fatalf("ann's own browser during the attack: %d, want 200", code)
	}
	// Her cookie does not make bob's guesses free: they count as bob's.
	for range 5 {
		ann.login(t, s, "bob", "guess", nil)
	}
	if code := newBrowser(t, "127.0.0.41").login(t, s, "bob", "bob's long password", nil); code != http.StatusTooManyRequests {
		t.Fatalf("bob after 5 guesses from ann's browser: %d, want 429", code)
	}
	// A forged or altered cookie is no cookie.
	forged := newBrowser(t, "127.0.0.40")
	if code := forged.login(t, s, "ann", "ann's long password", func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: consoleDeviceCookie, Value: "YW5u.AAAA.9999999999.forged"})
	}); code != http.StatusTooManyRequests {
		t.Fatalf("a forged device cookie: %d, want 429", code)
	}
}

// TestLoginRefusesCrossSiteAndOversize: only application/json from our
// own origin is a login (login CSRF), a body is at most 4 KiB, and a
// failed login's audit row keeps at most 64 bytes of the user name.
func TestLoginRefusesCrossSiteAndOversize(t *testing.T) {
	s := newLoginServer(t, nil)
	b := newBrowser(t, "127.0.0.50")
	cases := []struct {
		name string
		edit func(*http.Request)
		want int
	}{
		{"form post", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, http.StatusUnsupportedMediaType},
		{"text/plain", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusUnsupportedMediaType},
		{"another origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, http.StatusForbidden},
		{"null origin", func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden},
		{"cross-site fetch", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"our origin", func(r *http.Request) {
			r.Header.Set("Origin", "http://"+r.Host)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}, http.StatusOK},
	}
	for _, tc := range cases {
		if code := b.login(t, s, "ann", "ann's long password", tc.edit); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	if code := b.login(t, s, strings.Repeat("u", 1<<20), "x", nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB user name: %d, want 413", code)
	}
	long := strings.Repeat("é", 100) // 200 bytes
	if code := b.login(t, s, long, "guess", nil); code != http.StatusUnauthorized {
		t.Fatalf("long user name: %d", code)
	}
	rows, err := s.st.Audit(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range rows {
		if a.Action == "login.failed" {
			found = true
			if len(a.UserName) > 64+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(a.UserName, "…")) {
				t.Errorf("audit row keeps a %d-byte user name %q", len(a.UserName), a.UserName)
			}
		}
	}
	if !found {
		t.Fatal("no failed login in the audit log")
	}
}

// TestFailedLoginAuditWithinQuota: failed logins are audited up to the
// evidence budget of their address, and only counted past it.
func TestFailedLoginAuditWithinQuota(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newLoginServer(t, evidence.NewQuota(3, 100, reg))
	b := newBrowser(t, "127.0.0.60")
	for i := range 8 {
		if code := b.login(t, s, "user"+itoa(int64(i)), "guess", nil); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, code)
		}
	}
	rows, err := s.st.Audit(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range rows {
		if a.Action == "login.failed" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d failed logins audited, want the budget of 3", n)
	}
}
