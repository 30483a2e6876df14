package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// maxLoginBody caps a login request: a user name, an identifier and a
// password fit in far less, and nobody unauthenticated may make the server
// read more.
const maxLoginBody = 4 << 10

// loginGuard slows password guessing the way OWASP's authentication
// guidance asks, without letting an attacker lock the real user out:
//
//   - failures per user name, from browsers without that user's device
//     cookie, from every address together (LoginAttempts per LoginWindow);
//   - failures per address, likewise (LoginAttemptsPerAddress);
//   - a browser that logged in as the user before holds a device cookie
//     (signed by the station, naming the user) and is counted on its own,
//     by that cookie (LoginAttempts): the lockouts above do not reach it.
//
// Past the limits an attempt is refused with 429 and Retry-After before
// the password is even checked. The tables are bounded; when one is full
// of live entries, attempts it cannot track are refused (fail closed),
// which a device cookie still passes.
type loginGuard struct {
	mu       sync.Mutex
	byUser   failures
	byAddr   failures
	byDevice failures
}

// failures holds recent failure times per key.
type failures map[string][]time.Time

// maxLoginKeys bounds each table of the guard.
const maxLoginKeys = 10000

func newLoginGuard() *loginGuard {
	return &loginGuard{byUser: failures{}, byAddr: failures{}, byDevice: failures{}}
}

// recent returns key's failures within window, dropping older ones.
func (f failures) recent(key string, now time.Time, window time.Duration) []time.Time {
	list := f[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(f, key)
		return nil
	}
	f[key] = list
	return list
}

// wait is how long key stays locked out (0: not locked).
func (f failures) wait(key string, limit int, now time.Time, window time.Duration) time.Duration {
	list := f.recent(key, now, window)
	if len(list) < limit {
		if _, tracked := f[key]; !tracked && len(f) >= maxLoginKeys && !f.prune(now, window) {
			return window // full of live entries: fail closed
		}
		return 0
	}
	return list[len(list)-limit].Add(window).Sub(now)
}

func (f failures) add(key string, now time.Time, window time.Duration) {
	if _, tracked := f[key]; !tracked && len(f) >= maxLoginKeys && !f.prune(now, window) {
		return
	}
	f[key] = append(f.recent(key, now, window), now)
}

// prune drops expired entries and reports whether there is room.
func (f failures) prune(now time.Time, window time.Duration) bool {
	for k := range f {
		f.recent(k, now, window)
	}
	return len(f) < maxLoginKeys
}

// loginAttempt is one log-in, console or portal.
type loginAttempt struct {
	user   string // the scoped user: "console|ann", "portal|<identifier>|boss"
	addr   string
	device string // the nonce of a valid device cookie for user, "" for none
}

// check returns how long the attempt must wait, 0 if it may proceed.
func (g *loginGuard) check(at loginAttempt, now time.Time, o *ConsoleOptions) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if at.device != "" {
		return g.byDevice.wait(at.device, o.LoginAttempts, now, o.LoginWindow)
	}
	return max(g.byUser.wait(at.user, o.LoginAttempts, now, o.LoginWindow),
		g.byAddr.wait(at.addr, o.LoginAttemptsPerAddress, now, o.LoginWindow))
}

func (g *loginGuard) failed(at loginAttempt, now time.Time, o *ConsoleOptions) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if at.device != "" {
		g.byDevice.add(at.device, now, o.LoginWindow)
		return
	}
	g.byUser.add(at.user, now, o.LoginWindow)
	g.byAddr.add(at.addr, now, o.LoginWindow)
}

// Device cookies [OWASP: "Slow down online guessing attacks with device
// cookies"]: base64url(user) "." nonce "." expiry "." HMAC-SHA256 of the
// three, keyed with the station's device key.
const (
	consoleDeviceCookie = "alarmrx_device"
	portalDeviceCookie  = "alarmrx_portal_device"
)

func (a *api) deviceCookieValue(user string, now time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	body := base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + base64.RawURLEncoding.EncodeToString(nonce) + "." +
		strconv.FormatInt(now.Add(a.opts.Console.DeviceCookieTTL).Unix(), 10)
	return body + "." + a.deviceMAC(body)
}

func (a *api) deviceMAC(body string) string {
	m := hmac.New(sha256.New, a.deviceKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// deviceOf returns the nonce of the request's device cookie when it is
// genuine, unexpired and names user; "" otherwise.
func (a *api) deviceOf(r *http.Request, name, user string, now time.Time) string {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > 512 {
		return ""
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 {
		return ""
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(a.deviceMAC(body))) {
		return ""
	}
	who, err := base64.RawURLEncoding.DecodeString(parts[0])
	expires, perr := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || perr != nil || string(who) != user || now.Unix() >= expires {
		return ""
	}
	return parts[1]
}

// loginRequest decodes a login body, refusing what a login page never
// sends: anything but application/json (a cross-site form can post
// text/plain or a form encoding without a preflight: login CSRF), a
// request that comes from another origin, and a body over maxLoginBody.
func (a *api) loginRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "", "a login is a JSON object sent as application/json")
		return false
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "", "cross-origin login refused")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLoginBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "", "a login is at most 4 KiB")
			return false
		}
		writeError(w, http.StatusBadRequest, "", "the body is not a login object")
		return false
	}
	return true
}

// sameOrigin reports whether a request may come from a page of ours: a
// browser names the page's origin (Origin) and says whether it is this
// site's (Sec-Fetch-Site); tools that send neither are let through, as
// they carry no victim's cookies. Only the host is compared: behind a TLS
// proxy the scheme the browser saw is not ours.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// guardedLogin runs a console or portal log-in under the guard: 429 with
// Retry-After while locked out; 401 on bad credentials (counted, and kept
// in the audit log within the evidence quota); else the session cookie, a
// fresh device cookie for the user, and the session's view.
func (a *api) guardedLogin(w http.ResponseWriter, r *http.Request, user, sessionName, deviceName, wrong string,
	login func(ctx context.Context) (string, any, error)) {
	o := &a.opts.Console
	now := a.opts.Now()
	at := loginAttempt{user: user, addr: remoteIP(r), device: a.deviceOf(r, deviceName, user, now)}
	if wait := a.logins.check(at, now, o); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "", "too many failed logins; try again later")
		return
	}
	ctx := r.Context()
	if !a.opts.Evidence.Allow(evidence.Login, r.RemoteAddr, now) {
		ctx = store.WithoutFailedLoginAudit(ctx)
	}
	token, view, err := login(ctx)
	if errors.Is(err, store.ErrBadCredentials) {
		a.logins.failed(at, now, o)
		a.loginFailed(r, sessionName, at.device != "")
		writeError(w, http.StatusUnauthorized, "", wrong)
		return
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	a.setCookie(w, r, sessionName, token)
	http.SetCookie(w, &http.Cookie{Name: deviceName, Value: a.deviceCookieValue(user, now), Path: "/",
		MaxAge: int(o.DeviceCookieTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: o.SecureCookies || r.TLS != nil})
	writeJSON(w, http.StatusOK, view)
}

// loginFailed logs a failed login, at most one line per 10 s per kind,
// without the user name (an attacker's choice of text) or the password.
func (a *api) loginFailed(r *http.Request, cookie string, device bool) {
	if ok, suppressed := a.badInputLog.Allow("login/"+cookie, time.Now()); ok {
		a.log.Info("login failed", zap.String("cookie", cookie), zap.String("remote_addr", remoteIP(r)),
			zap.Bool("device_cookie", device), zap.Int("suppressed", suppressed))
	}
}
