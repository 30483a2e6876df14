package configs

import (
	"net/mail"
	"net/url"
	"os"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/registry"
	"github.com/alarmrx/alarmrx/protocols/sia"

	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldError is one problem with one configuration field. Field is the
// path as written in the file, e.g. "receivers[0].listeners[1].tcp". Msg
// never contains a DC-09 key or the admin token.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

var (
	logLevels         = []string{"debug", "info", "warn", "error"}
	logFormats        = []string{"console", "json"}
	synchronousSet    = []string{"full", "normal"}
	storeDriverSet    = []string{"sqlite", "postgres"}
	integrityCheckSet = []string{"background", "start", "off"}
	keyFormats        = []string{FormatHex, FormatASCII}

	// Listener names become log fields and metric label values, so they
	// are kept to one unambiguous spelling.
	listenerNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// accountPrefixRE is checked on the upper-cased prefix (design.md §4).
	accountPrefixRE = regexp.MustCompile(`^[0-9A-Z]{0,8}$`)
	// DC-09 accounts are 3–16 hex characters [protocols.md §3.3, §3.4].
	accountRE  = regexp.MustCompile(`^[0-9A-Fa-f]{3,16}$`)
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)
)

// AES key sizes [DC-09 §5.4.5, protocols.md §3.10]: 128, 192 or 256 bits,
// written as hex digits (two per byte) or as ASCII characters (one per byte).
var (
	hexKeyLengths   = []int{32, 48, 64}
	asciiKeyLengths = []int{16, 24, 32}
)

// problems collects every FieldError so that one run of check-config shows
// them all.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) oneOf(field, got string, set []string) {
	if !slices.Contains(set, got) {
		p.add(field, "must be one of %s (got %q)", strings.Join(set, ", "), got)
	}
}

func (p *problems) positive(field string, d time.Duration) {
	if d <= 0 {
		p.add(field, "must be greater than 0 (got %v)", d)
	}
}

func (p *problems) notNegative(field string, d time.Duration) {
	if d < 0 {
		p.add(field, "must not be negative (got %v)", d)
	}
}

func (p *problems) atLeast(field string, n, lowest int) {
	if n < lowest {
		p.add(field, "must be at least %d (got %d)", lowest, n)
	}
}

// Validate checks the whole configuration and returns errors.Join of one
// *FieldError per problem, or nil. It does not modify c.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("configs: nil Config")
	}
	var p problems
	if strings.TrimSpace(c.DataDir) == "" {
		p.add("data_dir", "required (the directory that holds alarmrx.db)")
	}
	p.positive("shutdown_grace", c.ShutdownGrace)
	p.oneOf("log.level", c.Log.Level, logLevels)
	p.oneOf("log.format", c.Log.Format, logFormats)

	var tcp, udp []bound
	if c.HTTP.Listen != "" {
		if a, msg := parseAddr(c.HTTP.Listen); msg != "" {
			p.add("http.listen", "%s", msg)
		} else {
			a.field = "http.listen"
			tcp = append(tcp, a) // the listeners' TCP ports share its namespace
		}
	}
	// A token with white space cannot be sent in a Bearer header; the
	// message does not show the token.
	if strings.ContainsFunc(c.HTTP.AdminToken, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		p.add("http.admin_token", "must not contain spaces or control characters")
	}
	p.tlsPair("http", c.HTTP.TLSCert, c.HTTP.TLSKey)
	p.positive("http.read_timeout", c.HTTP.ReadTimeout)
	p.positive("http.write_timeout", c.HTTP.WriteTimeout)
	p.atLeast("http.max_conns", c.HTTP.MaxConns, 1)
	p.atLeast("http.max_conns_per_ip", c.HTTP.MaxConnsPerIP, 1)
	if c.HTTP.MaxConnsPerIP > c.HTTP.MaxConns && c.HTTP.MaxConns >= 1 {
		p.add("http.max_conns_per_ip", "must not exceed http.max_conns (%d) (got %d)", c.HTTP.MaxConns, c.HTTP.MaxConnsPerIP)
	}
	p.atLeast("evidence.per_source_per_minute", c.Evidence.PerSourcePerMinute, 0)
	p.atLeast("evidence.per_minute", c.Evidence.PerMinute, 0)
	if c.Evidence.MaxBytes < 0 {
		p.add("evidence.max_bytes", "must not be negative (got %d)", c.Evidence.MaxBytes)
	}

	p.oneOf("store.driver", c.Store.Driver, storeDriverSet)
	if c.Store.Driver == "postgres" {
		if c.Store.DSN == "" {
			p.add("store.dsn", "must be set with store.driver postgres (or ALARMRX_STORE_DSN)")
		}
		// The SQLite file's own checks have no meaning on PostgreSQL: a
		// setting that does nothing is refused rather than ignored.
		if c.Store.IntegrityCheck != "" && c.Store.IntegrityCheck != "off" && c.Store.IntegrityCheck != "background" {
			p.add("store.integrity_check", "is SQLite's; with store.driver postgres it must be off or left at its default (got %q)", c.Store.IntegrityCheck)
		}
	} else if c.Store.DSN != "" {
		p.add("store.dsn", "is PostgreSQL's: set store.driver postgres to use it")
	}
	p.atLeast("store.pool_max", c.Store.PoolMax, 1)
	p.positive("store.statement_timeout", c.Store.StatementTimeout)
	p.oneOf("store.synchronous", c.Store.Synchronous, synchronousSet)
	p.oneOf("store.integrity_check", c.Store.IntegrityCheck, integrityCheckSet)
	p.positive("store.busy_timeout", c.Store.BusyTimeout)
	p.atLeast("store.commit_batch_max", c.Store.CommitBatchMax, 1)
	// Fewer waiting slots than one batch could never fill a batch.
	if c.Store.CommitBatchMax < 1 {
		p.atLeast("store.pending_max", c.Store.PendingMax, 1)
	} else if c.Store.PendingMax < c.Store.CommitBatchMax {
		p.add("store.pending_max", "must be at least store.commit_batch_max (%d) (got %d)",
			c.Store.CommitBatchMax, c.Store.PendingMax)
	}
	p.positive("store.commit_timeout", c.Store.CommitTimeout)
	p.positive("store.poll_flush_interval", c.Store.PollFlushInterval)
	p.positive("store.project_delay", c.Store.ProjectDelay)
	p.atLeast("store.projection_backlog_max", c.Store.ProjectionBacklogMax, 1)
	p.positive("store.projection_lag_max", c.Store.ProjectionLagMax)
	c.Store.Retention.validate(&p, c.Dedupe.Window)
	if _, err := ReadSecretsKey(c.Store.SecretsKeyFile); err != nil {
		p = append(p, err)
	}

	p.positive("dedupe.window", c.Dedupe.Window)
	p.atLeast("dedupe.max_entries", c.Dedupe.MaxEntries, 1)

	p.notNegative("on_test.warn_before", c.OnTest.WarnBefore)
	p.notNegative("on_test.max_duration", c.OnTest.MaxDuration)
	p.positive("on_test.check_every", c.OnTest.CheckEvery)

	c.Queue.validate(&p)
	p.notNegative("supervision.grace", c.Supervision.Grace)
	for _, f := range []struct{ name, v string }{{"early_open", c.Supervision.Schedules.EarlyOpen},
		{"unscheduled_open", c.Supervision.Schedules.UnscheduledOpen}, {"unscheduled_close", c.Supervision.Schedules.UnscheduledClose}} {
		if !slices.Contains(ScheduleHandlings, f.v) {
			p.add("supervision.schedules."+f.name, "%q is not alarm or log", f.v)
		}
	}
	for _, f := range []struct{ field, v string }{{"report.send_at", c.Report.SendAt}, {"report.window_start", c.Report.WindowStart}} {
		if _, err := time.Parse("15:04", f.v); err != nil {
			p.add(f.field, "must be a time HH:MM (got %q)", f.v)
		}
	}
	if c.Report.Enabled {
		if c.Report.SMTP.Host == "" {
			p.add("report.smtp.host", "required when report.enabled")
		}
		if c.Report.SMTP.Port < 1 || c.Report.SMTP.Port > 65535 {
			p.add("report.smtp.port", "must be 1-65535 (got %d)", c.Report.SMTP.Port)
		}
		if _, err := mail.ParseAddress(c.Report.SMTP.From); err != nil {
			p.add("report.smtp.from", "must be an e-mail address (got %q)", c.Report.SMTP.From)
		}
		if u, err := url.Parse(c.Report.PortalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			p.add("report.portal_url", "must be an http(s) URL (got %q)", RedactURL(c.Report.PortalURL))
		}
	}
	p.oneOf("report.smtp.tls", c.Report.SMTP.TLS, []string{"none", "starttls", "tls"})
	if c.Report.ShareDays < 0 || c.Report.ShareDays > 90 {
		p.add("report.share_days", "must be 0 (no links) to 90 days (got %d)", c.Report.ShareDays)
	}
	p.scheduledReports(c.Report)
	p.positive("console.session_ttl", c.Console.SessionTTL)
	p.atLeast("console.login_attempts", c.Console.LoginAttempts, 1)
	p.atLeast("console.login_attempts_per_address", c.Console.LoginAttemptsPerAddress, 1)
	p.positive("console.login_window", c.Console.LoginWindow)
	p.positive("console.device_cookie_ttl", c.Console.DeviceCookieTTL)
	p.oneOf("console.clock", c.Console.Clock, []string{"24h", "12h"})

	numbers := map[int]string{}
	names := map[string]string{}
	for i, r := range c.Receivers {
		rp := fmt.Sprintf("receivers[%d]", i)
		switch prev, dup := numbers[r.Number]; {
		case r.Number < 1 || r.Number > 99:
			p.add(rp+".number", "must be 1-99 (got %d)", r.Number)
		case dup:
			p.add(rp+".number", "duplicate receiver number %d (also %s)", r.Number, prev)
		default:
			numbers[r.Number] = rp
		}
		if strings.TrimSpace(r.Name) == "" {
			p.add(rp+".name", "required")
		}
		if !accountPrefixRE.MatchString(strings.ToUpper(r.AccountPrefix)) {
			p.add(rp+".account_prefix", "must be at most 8 characters 0-9 A-Z (got %q)", r.AccountPrefix)
		}
		p.prefixMode(rp+".account_prefix_mode", r.AccountPrefixMode)
		for j := range r.Listeners {
			lp := fmt.Sprintf("%s.listeners[%d]", rp, j)
			a, b := p.listener(lp, &r.Listeners[j], names)
			tcp = append(tcp, a...)
			udp = append(udp, b...)
		}
	}
	for i, o := range c.Outputs.Surgard {
		op := fmt.Sprintf("outputs.surgard[%d]", i)
		p.uniqueName(op, o.Name, names)
		switch {
		case o.TCP == "" && o.Serial.Device == "":
			p.add(op, "needs a tcp address or a serial device")
		case o.TCP != "" && o.Serial.Device != "":
			p.add(op, "tcp or serial, not both")
		case o.TCP != "":
			if a, msg := parseAddr(o.TCP); msg != "" {
				p.add(op+".tcp", "%s", msg)
			} else {
				a.field = op + ".tcp"
				tcp = append(tcp, a)
			}
		default:
			p.serial(op+".serial", o.Serial)
		}
		p.positive(op+".ack_timeout", o.AckTimeout)
		p.atLeast(op+".retries", o.Retries, 1)
		p.positive(op+".heartbeat", o.Heartbeat)
		if o.LineDigits < 1 || o.LineDigits > 7 {
			p.add(op+".line_digits", "must be 1-7 (got %d)", o.LineDigits)
		}
		if o.Receiver < 0 || o.Receiver > 99 {
			p.add(op+".receiver", "must be 1-99, or 0 for the first receiver's number (got %d)", o.Receiver)
		}
		if top := maxLine(o.LineDigits); o.Line < 0 || o.Line > top {
			p.add(op+".line", "must be 0-%d, what line_digits digits hold (got %d)", top, o.Line)
		}
		p.categories(op+".categories", o.Categories)
	}
	for i, h := range c.Outputs.Webhooks {
		hp := fmt.Sprintf("outputs.webhooks[%d]", i)
		p.uniqueName(hp, h.Name, names)
		if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(hp+".url", "must be an http(s) URL (got %q)", RedactURL(h.URL))
		}
		p.oneOf(hp+".format", h.Format, []string{"json", "xml"})
		if h.IncidentUpdates && h.Format != "json" {
			p.add(hp+".incident_updates", "incident updates are sent as JSON: set format json")
		}
		p.positive(hp+".timeout", h.Timeout)
		p.categories(hp+".categories", h.Categories)
	}
	for i := range c.Outputs.Peers {
		p.peerOutput(fmt.Sprintf("outputs.peers[%d]", i), &c.Outputs.Peers[i], names)
	}
	p.conflicts(tcp)
	p.conflicts(udp)
	c.XML.validate(&p, numbers)
	return errors.Join(p...)
}

// listener checks one listener and returns its valid addresses for the
// conflict check.
func (p *problems) listener(lp string, l *Listener, names map[string]string) (tcp, udp []bound) {
	switch prev, dup := names[l.Name]; {
	case l.Name == "":
		p.add(lp+".name", "required")
	case !listenerNameRE.MatchString(l.Name):
		p.add(lp+".name", "must match %s (got %q)", listenerNameRE, l.Name)
	case dup:
		p.add(lp+".name", "duplicate listener name %q (also %s)", l.Name, prev)
	default:
		names[l.Name] = lp
	}
	proto, known := registry.Lookup(l.Protocol)
	switch {
	case l.Protocol == "":
		p.add(lp+".protocol", "required (known: %s)", strings.Join(registry.Names(), ", "))
	case !known:
		p.add(lp+".protocol", "unknown protocol %q (known: %s)", l.Protocol, strings.Join(registry.Names(), ", "))
	}
	if l.Line < 1 || l.Line > 999 {
		p.add(lp+".line", "must be 1-999 (got %d)", l.Line)
	}
	switch {
	case l.TCP == "" && l.UDP == "" && l.Serial.Device == "":
		p.add(lp, "needs a tcp, udp or serial endpoint")
	case known:
		// The protocol's own checks: the transports it takes.
		for _, pr := range proto.Check(registry.Listener{TCP: l.TCP, UDP: l.UDP, SerialDevice: l.Serial.Device}) {
			field := lp
			if pr.Field != "" {
				field += "." + pr.Field
			}
			p.add(field, "%s", pr.Msg)
		}
	}
	if l.Serial.Device != "" {
		p.serial(lp+".serial", l.Serial)
	}
	p.notNegative(lp+".heartbeat_timeout", l.HeartbeatTimeout)
	p.tlsPair(lp, l.TLSCert, l.TLSKey)
	if l.TLSCert != "" && l.TCP == "" {
		p.add(lp+".tls_cert", "TLS needs a tcp address")
	}
	for _, t := range []struct {
		field, addr string
		out         *[]bound
	}{{"tcp", l.TCP, &tcp}, {"udp", l.UDP, &udp}} {
		if t.addr == "" {
			continue
		}
		a, msg := parseAddr(t.addr)
		if msg != "" {
			p.add(lp+"."+t.field, "%s", msg)
			continue
		}
		a.field = lp + "." + t.field
		*t.out = append(*t.out, a)
	}
	p.atLeast(lp+".max_conns", l.MaxConns, 1)
	p.atLeast(lp+".max_conns_per_ip", l.MaxConnsPerIP, 0)
	p.monitoringURL(lp+".monitoring_url", l.MonitoringURL)
	for i, src := range l.AllowedSources {
		if _, err := ParseSource(src); err != nil {
			p.add(fmt.Sprintf("%s.allowed_sources[%d]", lp, i), "%v", err)
		}
	}
	if l.MaxConnsPerIP > l.MaxConns && l.MaxConns >= 1 {
		p.add(lp+".max_conns_per_ip", "must not exceed max_conns (%d) (got %d)", l.MaxConns, l.MaxConnsPerIP)
	}
	p.positive(lp+".read_timeout", l.ReadTimeout)
	p.positive(lp+".idle_timeout", l.IdleTimeout)
	p.positive(lp+".write_timeout", l.WriteTimeout)
	if l.MaxFrameBytes < 0 {
		p.add(lp+".max_frame_bytes", "must not be negative (got %d; 0 means the protocol's own cap)", l.MaxFrameBytes)
	}
	p.keys(lp, l.Keys)
	p.notNegative(lp+".timestamp_window.ahead", l.TimestampWindow.Ahead)
	p.notNegative(lp+".timestamp_window.behind", l.TimestampWindow.Behind)
	return tcp, udp
}

// scheduledReports checks report.scheduled: each names a report, a
// period and its time, a format and at least one address; the schedules
// need the mail server, so report.enabled.
func (p *problems) scheduledReports(r Report) {
	names := map[string]string{}
	for i, s := range r.Scheduled {
		sp := fmt.Sprintf("report.scheduled[%d]", i)
		if !r.Enabled && i == 0 {
			p.add("report.enabled", "must be true for report.scheduled: the reports go through report.smtp")
		}
		p.uniqueName(sp, s.Name, names)
		p.oneOf(sp+".report", s.Report, StationReports)
		p.oneOf(sp+".every", s.Every, ScheduleEvery)
		p.oneOf(sp+".format", s.Format, []string{"pdf", "html", "csv"})
		if _, err := time.Parse("15:04", s.At); err != nil {
			p.add(sp+".at", "must be a time HH:MM (got %q)", s.At)
		}
		if s.Every == "week" {
			if _, ok := Weekdays[strings.ToLower(s.Weekday)]; !ok {
				p.add(sp+".weekday", "must be a day of the week, such as monday (got %q)", s.Weekday)
			}
		}
		if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "Local" {
			p.add(sp+".time_zone", "must be an IANA time zone such as Europe/Berlin, or UTC (got %q)", s.TimeZone)
		}
		if len(s.To) == 0 {
			p.add(sp+".to", "needs at least one address")
		}
		for j, a := range s.To {
			if _, err := mail.ParseAddress(a); err != nil {
				p.add(fmt.Sprintf("%s.to[%d]", sp, j), "must be an e-mail address (got %q)", a)
			}
		}
		if (s.Report == "open-close") != (s.SiteID > 0) {
			p.add(sp+".site_id", "names the site of an open-close report, and of no other (got %d)", s.SiteID)
		}
	}
}

// Weekdays are report.scheduled's weekday names.
var Weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// uniqueName checks an output's name: a metric label like a listener's,
// unique among listeners and outputs.
func (p *problems) uniqueName(field, name string, names map[string]string) {
	switch prev, dup := names[name]; {
	case dup:
		p.add(field+".name", "duplicate name %q (also %s)", name, prev)
	case !listenerNameRE.MatchString(name):
		p.add(field+".name", "must match %s (got %q)", listenerNameRE, name)
	default:
		names[name] = field
	}
}

// tlsPair checks that a certificate and its key come together and exist.
func (p *problems) tlsPair(prefix, cert, key string) {
	if (cert == "") != (key == "") {
		p.add(prefix+".tls_cert", "tls_cert and tls_key go together")
		return
	}
	for _, f := range []struct{ field, path string }{{".tls_cert", cert}, {".tls_key", key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			p.add(prefix+f.field, "cannot read %s: %v", f.path, errors.Unwrap(err))
		}
	}
}

// serial checks a serial port's settings against what tarm/serial and
// RS-232 receivers use.
func (p *problems) serial(sp string, s Serial) {
	if !slices.Contains([]int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}, s.Baud) {
		p.add(sp+".baud", "must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got %d)", s.Baud)
	}
	if s.DataBits != 7 && s.DataBits != 8 {
		p.add(sp+".data_bits", "must be 7 or 8 (got %d)", s.DataBits)
	}
	p.oneOf(sp+".parity", s.Parity, []string{"none", "even", "odd"})
	if s.StopBits != 1 && s.StopBits != 2 {
		p.add(sp+".stop_bits", "must be 1 or 2 (got %d)", s.StopBits)
	}
}

// keys checks a listener's key list. Key values are described by length
// and position only, never shown.
func (p *problems) keys(lp string, keys []Key) {
	accounts := map[string]string{}
	for i, k := range keys {
		kp := fmt.Sprintf("%s.keys[%d]", lp, i)
		switch {
		case k.Account == "":
			p.add(kp+".account", `required (an account, or "*" for any account on this listener)`)
		case k.Account != AnyAccount && !accountRE.MatchString(k.Account):
			p.add(kp+".account", `must be "*" or 3-16 hex digits (got %s)`, show(k.Account))
		}
		if k.Account != "" {
			// Accounts are hex, so 1a2b and 1A2B are the same panel.
			acct := strings.ToUpper(k.Account)
			if prev, dup := accounts[acct]; dup {
				p.add(kp+".account", "duplicate account %s (also %s)", show(k.Account), prev)
			} else {
				accounts[acct] = kp
			}
		}
		switch k.Format {
		case FormatHex:
			p.hexKey(kp+".key", k.Key)
		case FormatASCII:
			p.asciiKey(kp+".key", k.Key)
		default:
			p.add(kp+".format", "must be one of %s (got %s)", strings.Join(keyFormats, ", "), show(k.Format))
		}
	}
}

func (p *problems) hexKey(field, key string) {
	if key == "" {
		p.add(field, "required")
		return
	}
	if n := utf8.RuneCountInString(key); !slices.Contains(hexKeyLengths, n) {
		p.add(field, "hex key must be 32, 48 or 64 hex digits (got %d)", n)
	}
	if i := runeIndexFunc(key, func(r rune) bool { return !isHexDigit(r) }); i > 0 {
		p.add(field, "hex key must be hex digits 0-9 A-F only (character %d is not)", i)
	}
}

func (p *problems) asciiKey(field, key string) {
	if key == "" {
		p.add(field, "required")
		return
	}
	if n := utf8.RuneCountInString(key); !slices.Contains(asciiKeyLengths, n) {
		p.add(field, "ascii key must be 16, 24 or 32 characters (got %d)", n)
	}
	if i := runeIndexFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }); i > 0 {
		p.add(field, "ascii key must be printable ASCII only (character %d is not)", i)
	}
}

// runeIndexFunc returns the 1-based character position of the first rune
// satisfying f, or 0.
func runeIndexFunc(s string, f func(rune) bool) int {
	n := 0
	for _, r := range s {
		n++
		if f(r) {
			return n
		}
	}
	return 0
}

func isHexDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

// show quotes a value from a key entry only when it is too short to be an
// AES key (16 characters at least): a key typed into the account or format
// line must not end up in an error message.
func show(s string) string {
	if utf8.RuneCountInString(s) < 16 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("a %d-character value, not shown", utf8.RuneCountInString(s))
}

// bound is a valid listen address, normalised for the conflict check.
type bound struct {
	field string // where it was configured
	addr  string // as written
	host  string // lower case; IP literals in canonical form
	port  uint64
	ip    netip.Addr // valid when host is an IP literal
}

// parseAddr checks a host:port listen address. The port must be numeric
// (0 asks the kernel for a free one, which tests use); the host may be
// empty (every interface), an IP literal or a host name.
func parseAddr(s string) (bound, string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bound{}, fmt.Sprintf("invalid address %q (want host:port, e.g. \"127.0.0.1:12128\")", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return bound{}, fmt.Sprintf("invalid port %q in address %q (want a number 0-65535)", port, s)
	}
	b := bound{addr: s, host: strings.ToLower(host), port: n}
	if host != "" {
		if ip, err := netip.ParseAddr(host); err == nil {
			b.ip, b.host = ip, ip.String()
		} else if !hostnameRE.MatchString(host) {
			return bound{}, fmt.Sprintf("invalid host %q in address %q", host, s)
		}
	}
	return b, ""
}

// conflicts reports each address that would bind a port another address
// already holds. Port 0 never conflicts: the kernel picks a free port.
func (p *problems) conflicts(addrs []bound) {
	for i, a := range addrs {
		for _, b := range addrs[:i] {
			if a.port != 0 && a.port == b.port && overlap(a, b) {
				p.add(a.field, "address %q is already used by %s (%q)", a.addr, b.field, b.addr)
				break
			}
		}
	}
}

// overlap reports whether two hosts on one port would fight over it. ""
// and "::" take every address (Go listens dual-stack), 0.0.0.0 every IPv4
// address; a host name may resolve to anything, so it overlaps with the
// wildcards too.
func overlap(a, b bound) bool {
	if a.host == b.host || everything(a) || everything(b) {
		return true
	}
	return anyIPv4(a) && !b.ip.Is6() || anyIPv4(b) && !a.ip.Is6()
}

func everything(b bound) bool {
	return b.host == "" || b.ip.IsValid() && b.ip.Is6() && b.ip.IsUnspecified()
}

func anyIPv4(b bound) bool {
	return b.ip.IsValid() && b.ip.Is4() && b.ip.IsUnspecified()
}

var codeNameRE = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// retentionMin is the shortest retention period but 0 (forever): a
// period of seconds would prune a signal before its incident was worked,
// and is a unit mistake, not a policy.
const retentionMin = time.Hour

func (r *Retention) validate(p *problems, dedupeWindow time.Duration) {
	p.positive("store.retention.interval", r.Interval)
	if r.BatchRows < 1 || r.BatchRows > RetentionBatchMax {
		p.add("store.retention.batch_rows", "must be between 1 and %d (got %d)", RetentionBatchMax, r.BatchRows)
	}
	p.atLeast("store.retention.vacuum_pages", r.VacuumPages, 0)
	for _, k := range []struct {
		key string
		d   time.Duration
	}{
		{"signals", r.Signals}, {"frames", r.Frames}, {"rejected_frames", r.RejectedFrames},
		{"incidents", r.Incidents}, {"audit_log", r.AuditLog}, {"station_events", r.StationEvents},
		{"outbox", r.Outbox}, {"poll_evidence", r.PollEvidence},
	} {
		switch {
		case k.d < 0:
			p.add("store.retention."+k.key, "must not be negative (got %v); 0 keeps forever", k.d)
		case k.d > 0 && k.d < retentionMin:
			p.add("store.retention."+k.key, "must be 0 (keep forever) or at least %v (got %v)", retentionMin, k.d)
		}
	}
	// The duplicate filter is seeded from the frames of the last window
	// at start-up: frames pruned sooner would let a retransmission in
	// again after a restart.
	if r.Frames > 0 && r.Frames >= retentionMin && r.Frames < dedupeWindow {
		p.add("store.retention.frames", "must be 0 or at least dedupe.window (%v) (got %v)", dedupeWindow, r.Frames)
	}
}

func (q *Queue) validate(p *problems) {
	for i, name := range q.LogOnlyCategories {
		if _, ok := protocols.ParseCategory(name); !ok {
			p.add(fmt.Sprintf("queue.log_only_categories[%d]", i), "unknown event category %q", name)
		} else if name == protocols.CategoryFire.String() {
			p.add(fmt.Sprintf("queue.log_only_categories[%d]", i), "fire is always presented to an operator")
		}
	}
	for i, name := range q.Disaster.Categories {
		c, ok := protocols.ParseCategory(name)
		switch {
		case !ok:
			p.add(fmt.Sprintf("queue.disaster.categories[%d]", i), "unknown event category %q", name)
		case c == protocols.CategoryFire || c == protocols.CategoryHoldUp || c == protocols.CategoryMedical:
			p.add(fmt.Sprintf("queue.disaster.categories[%d]", i), "%s always reaches the queue one by one", name)
		}
	}
	if q.Disaster.AutoIncidentsPerMinute < 0 {
		p.add("queue.disaster.auto_incidents_per_minute", "must be 0 (never automatically) or more")
	}
	if q.Disaster.AutoIncidentsPerMinute > 0 && len(q.Disaster.Categories) == 0 && !q.Disaster.UnknownAccounts {
		p.add("queue.disaster.categories", "an automatic disaster mode groups some categories or the unknown accounts")
	}
	p.notNegative("queue.disaster.quiet", q.Disaster.Quiet)
	for i, c := range q.FalseAlarmCodes {
		if !slices.Contains(q.ResolutionCodes, c) {
			p.add(fmt.Sprintf("queue.false_alarm_codes[%d]", i), "%q is not one of queue.resolution_codes", c)
		}
	}
	if q.FalseAlarmThreshold < 0 {
		p.add("queue.false_alarm_threshold", "must be 0 (no station event) or more")
	}
	p.notNegative("queue.permit_warn_before", q.PermitWarnBefore)
	if len(q.EscalateAfter) != 9 {
		p.add("queue.escalate_after", "give 9 durations, for priorities 1 to 9 (0: never) (got %d)", len(q.EscalateAfter))
	}
	for i, d := range q.EscalateAfter {
		p.notNegative(fmt.Sprintf("queue.escalate_after[%d]", i), d)
	}
	for i, a := range q.EscalationEmail {
		if addr, err := mail.ParseAddress(a); err != nil || addr.Name != "" {
			p.add(fmt.Sprintf("queue.escalation_email[%d]", i), "%q is not an e-mail address", a)
		}
	}
	if q.UnknownAccountPriority < 1 || q.UnknownAccountPriority > 9 {
		p.add("queue.unknown_account_priority", "must be 1-9 (got %d)", q.UnknownAccountPriority)
	}
	p.positive("queue.claim_timeout", q.ClaimTimeout)
	p.positive("queue.check_every", q.CheckEvery)
	if len(q.ResolutionCodes) == 0 {
		p.add("queue.resolution_codes", "at least one resolution code is required")
	}
	seen := map[string]bool{}
	for i, code := range q.ResolutionCodes {
		switch {
		case !codeNameRE.MatchString(code):
			p.add(fmt.Sprintf("queue.resolution_codes[%d]", i), "must match ^[a-z0-9_]{1,40}$ (got %q)", code)
		case seen[code]:
			p.add(fmt.Sprintf("queue.resolution_codes[%d]", i), "duplicate code %q", code)
		}
		seen[code] = true
	}
	if q.Runaway.MaxSignals < 0 {
		p.add("queue.runaway.max_signals", "must be 0 (off) or more (got %d)", q.Runaway.MaxSignals)
	} else if q.Runaway.MaxSignals > 0 {
		p.positive("queue.runaway.window", q.Runaway.Window)
		p.positive("queue.runaway.quiet", q.Runaway.Quiet)
	}
	p.positive("queue.age_warn", q.AgeWarn)
	if q.AgeCritical <= q.AgeWarn {
		p.add("queue.age_critical", "must be longer than queue.age_warn (%v) (got %v)", q.AgeWarn, q.AgeCritical)
	}
	for i, r := range q.Codes {
		f := fmt.Sprintf("queue.codes[%d]", i)
		var cat protocols.Category
		switch r.Format {
		case protocols.FormatContactID:
			c, ok := contactid.Lookup(r.Code)
			if !ok && (len(r.Code) != 3 || strings.Trim(r.Code, "0123456789") != "") {
				p.add(f+".code", "a Contact ID code has 3 digits (got %q)", r.Code)
			}
			cat = c.Category
		case protocols.FormatSIA:
			c, ok := sia.Lookup(r.Code)
			if !ok && (len(r.Code) != 2 || strings.Trim(r.Code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
				p.add(f+".code", "a SIA code has 2 letters (got %q)", r.Code)
			}
			cat = c.Category
		default:
			p.add(f+".format", "must be CID or SIA (got %q)", r.Format)
		}
		if r.Priority < 0 || r.Priority > 9 {
			p.add(f+".priority", "must be 1-9, or 0 to keep the category's (got %d)", r.Priority)
		}
		if r.Handling != "" && r.Handling != "operator" && r.Handling != "log" {
			p.add(f+".handling", "must be operator or log (got %q)", r.Handling)
		}
		// [design.md §5] Fire stays at priority 1 and always reaches an operator.
		if cat == protocols.CategoryFire && ((r.Priority != 0 && r.Priority != 1) || r.Handling == "log") {
			p.add(f, "%s %s is a fire code: it stays priority 1 and is always presented to an operator", r.Format, r.Code)
		}
	}
}

var senderIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (x *XML) validate(p *problems, receivers map[int]string) {
	p.atLeast("xml.max_body_bytes", x.MaxBodyBytes, 1024)
	ids := map[string]string{}
	keys := map[string]string{}
	for i, s := range x.Senders {
		sp := fmt.Sprintf("xml.senders[%d]", i)
		switch prev, dup := ids[s.ID]; {
		case !senderIDRE.MatchString(s.ID):
			p.add(sp+".id", "must match %s (got %q)", senderIDRE, s.ID)
		case dup:
			p.add(sp+".id", "duplicate sender %q (also %s)", s.ID, prev)
		default:
			ids[s.ID] = sp
		}
		// Described by length only, never shown. 15 is SOS Access's
		// password, which the protocol fixes at 15 characters [S7].
		switch prev, dup := keys[s.Passkey]; {
		case len(s.Passkey) < 15:
			p.add(sp+".passkey", "must have at least 15 characters (got %d)", len(s.Passkey))
		case dup:
			p.add(sp+".passkey", "the same passkey as %s: each sender needs its own", prev)
		default:
			keys[s.Passkey] = sp
		}
		if _, ok := receivers[s.Receiver]; !ok {
			p.add(sp+".receiver", "receiver %d is not configured", s.Receiver)
		}
		if s.Line < 1 || s.Line > 999 {
			p.add(sp+".line", "must be 1-999 (got %d)", s.Line)
		}
		p.notNegative(sp+".heartbeat_timeout", s.HeartbeatTimeout)
		p.monitoringURL(sp+".monitoring_url", s.MonitoringURL)
		p.prefixMode(sp+".account_prefix_mode", s.AccountPrefixMode)
	}
}

// prefixMode checks an account_prefix_mode ("" takes the default).
func (p *problems) prefixMode(field, mode string) {
	switch mode {
	case "", PrefixAdd, PrefixExpect:
	default:
		p.add(field, "must be add (senders send numbers without the prefix) or expect (with it) (got %q)", mode)
	}
}

// maxLine is the largest line number digits decimal digits hold (999 for
// an out-of-range digits, which is reported on its own).
func maxLine(digits int) int {
	if digits < 1 || digits > 7 {
		return 999
	}
	n := 1
	for range digits {
		n *= 10
	}
	return n - 1
}

// ParseSource reads one entry of a listener's allowed_sources: an IP
// address (a block of one) or a CIDR block.
func ParseSource(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR block such as 203.0.113.0/24", s)
		}
		if a := p.Addr(); a.Is4In6() {
			// Sources are compared as IPv4 once unmapped: a mapped block
			// must say which IPv4 block it means.
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("%q mixes IPv6 and IPv4-mapped addresses: write the IPv4 block", s)
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR block such as 203.0.113.0/24", s)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// monitoringURLFields are the placeholders a monitoring_url may hold.
var monitoringURLFields = strings.NewReplacer("{account}", "A", "{account_sent}", "A", "{zone}", "1", "{area}", "1")

// monitoringURL checks a link template: with its placeholders filled it
// is an absolute http(s) URL, and no other {…} is left in it.
func (p *problems) monitoringURL(field, tmpl string) {
	if tmpl == "" {
		return
	}
	filled := monitoringURLFields.Replace(tmpl)
	u, err := url.Parse(filled)
	other, _ := url.Parse(strings.NewReplacer("{account}", "B", "{account_sent}", "B", "{zone}", "2", "{area}", "2").Replace(tmpl))
	switch {
	case err == nil && other != nil && (u.Scheme != other.Scheme || u.Host != other.Host):
		// The sender's values fill the template: they must not choose
		// where the operator's browser goes.
		p.add(field, "the placeholders of %q stand in its scheme or host: they may stand in its path and query only", tmpl)
	case strings.ContainsAny(filled, "{}"):
		p.add(field, "unknown placeholder in %q: the template takes {account}, {account_sent}, {zone} and {area}", tmpl)
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		p.add(field, "%q is not an http(s) URL template, e.g. https://monitoring.chekt.com/monitoring?act={account}&zone={zone}", tmpl)
	}
}

// dc09FieldRE is a DC-09 R or L field: 0-6 hex digits [DC-09 §3.3].
var dc09FieldRE = regexp.MustCompile(`^[0-9A-Fa-f]{0,6}$`)

// categories checks an output's list of event categories.
func (p *problems) categories(field string, names []string) {
	for j, name := range names {
		if _, ok := protocols.ParseCategory(name); !ok {
			p.add(fmt.Sprintf("%s[%d]", field, j), "unknown event category %q", name)
		}
	}
}

// PeerFormats are the dialects a peer output sends in.
var PeerFormats = []string{"dc09", "manitou", "masxml", "microkey", "native", "sentinel", "sos"}

// peerOutput checks one outputs.peers entry.
func (p *problems) peerOutput(op string, o *PeerOutput, names map[string]string) {
	p.uniqueName(op, o.Name, names)
	p.oneOf(op+".format", o.Format, PeerFormats)
	switch n := len(o.Endpoints); {
	case n == 0:
		p.add(op+".endpoints", "required: the primary host:port, then the backups")
	case n > 4:
		p.add(op+".endpoints", "at most 4 (got %d)", n)
	}
	for j, e := range o.Endpoints {
		if _, msg := parseAddr(e); msg != "" {
			p.add(fmt.Sprintf("%s.endpoints[%d]", op, j), "%s", msg)
		}
	}
	p.positive(op+".ack_timeout", o.AckTimeout)
	p.atLeast(op+".retries", o.Retries, 1)
	p.positive(op+".heartbeat", o.Heartbeat)
	p.positive(op+".failback", o.Failback)
	p.categories(op+".categories", o.Categories)
	switch o.Format {
	case "dc09":
		if o.Key != "" {
			if _, err := dc09.ParseKey(o.Key, o.KeyFormat); err != nil {
				p.add(op+".key", "%v", err)
			}
		}
		if !dc09FieldRE.MatchString(o.Receiver) {
			p.add(op+".receiver", "must be 0-6 hex digits, the DC-09 R field (got %q)", o.Receiver)
		}
		if !dc09FieldRE.MatchString(o.Line) {
			p.add(op+".line", "must be 0-6 hex digits, the DC-09 L field (got %q)", o.Line)
		}
		if o.SenderID != DefaultSenderID && !accountRE.MatchString(o.SenderID) {
			p.add(op+".sender_id", "dc09: the account of the NULL polls, 3-16 hex digits (got %q)", o.SenderID)
		}
	case "sos":
		if len(o.Passkey) != 15 {
			p.add(op+".passkey", "must be the 15-character SOS Access authentication (got %d characters)", len(o.Passkey))
		}
		if o.Receiver == "" || len(o.Receiver) > 20 {
			p.add(op+".receiver", "required: the SOS Access receiver id, 1-20 characters")
		}
		if len(o.TransmitterType) != 5 {
			p.add(op+".transmitter_type", "must be 5 characters, SOS Access's transmittertype (got %q)", o.TransmitterType)
		}
	}
}
