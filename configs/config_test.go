package configs_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
)

const examplePath = "alarmrx.example.yaml"

const day = 24 * time.Hour

// clearEnv removes every ALARMRX_* variable for the test, so that a value
// exported in the developer's shell or CI cannot change what a test loads.
// Empty is not enough: set-but-empty counts as a value.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ALARMRX_") {
			t.Setenv(k, "") // restores the old value after the test
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// problems returns the messages of every FieldError in err's tree, in order.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	var walk func(error)
	walk = func(e error) {
		var fe *configs.FieldError
		switch u := e.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		default:
			if errors.As(e, &fe) {
				out = append(out, fe.Error())
			} else {
				t.Errorf("error %q is not a *configs.FieldError", e)
			}
		}
	}
	walk(err)
	return out
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alarmrx.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string) *configs.Config {
	t.Helper()
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatalf("Load(%q): %v", path, err)
	}
	return cfg
}

func diff(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestDefault(t *testing.T) {
	want := &configs.Config{
		DataDir:       "data",
		ShutdownGrace: 5 * time.Second,
		Log:           configs.Log{Level: "info", Format: "console"},
		HTTP: configs.HTTP{
			Listen:        "127.0.0.1:8080",
			AdminToken:    "",
			ReadTimeout:   10 * time.Second,
			WriteTimeout:  30 * time.Second,
			MaxConns:      1024,
			MaxConnsPerIP: 64,
		},
		Store: configs.Store{
			Driver:           "sqlite",
			PoolMax:          8,
			StatementTimeout: 5 * time.Second,
			Synchronous:      "full",
			BusyTimeout:      5 * time.Second,
			CommitBatchMax:   1024,
			PendingMax:       8192,
			CommitTimeout:    5 * time.Second,

			PollFlushInterval:    5 * time.Second,
			ProjectDelay:         5 * time.Millisecond,
			ProjectionBacklogMax: 65536,
			ProjectionLagMax:     30 * time.Second,
			IntegrityCheck:       "background",
			Retention: configs.Retention{Interval: time.Minute, BatchRows: 1000, VacuumPages: 1000,
				Signals: 1095 * day, Frames: 1095 * day, RejectedFrames: 7 * day, Incidents: 1095 * day,
				AuditLog: 1095 * day, StationEvents: 1095 * day, Outbox: 30 * day, PollEvidence: 30 * day},
		},
		Evidence: configs.Evidence{PerSourcePerMinute: 20, PerMinute: 600, MaxBytes: 64 << 20},
		Dedupe:   configs.Dedupe{Window: 10 * time.Minute, MaxEntries: 200000},
		OnTest:   configs.OnTest{WarnBefore: 15 * time.Minute, MaxDuration: 168 * time.Hour, CheckEvery: 10 * time.Second},
		Queue: configs.Queue{
			LogOnlyCategories:      []string{"openclose", "test", "info"},
			UnknownAccountPriority: 5,
			ClaimTimeout:           5 * time.Minute,
			CheckEvery:             5 * time.Second,
			ResolutionCodes:        configs.DefaultResolutionCodes(),
			Runaway:                configs.Runaway{MaxSignals: 10, Window: 2 * time.Minute, Quiet: 30 * time.Minute},
			Disaster: configs.Disaster{AutoIncidentsPerMinute: 300, Categories: []string{"trouble", "tamper"}, UnknownAccounts: true,
				Quiet: 10 * time.Minute},
			EscalateAfter:       configs.DefaultEscalateAfter(),
			FalseAlarmThreshold: 3,
			PermitWarnBefore:    30 * 24 * time.Hour,
			AgeWarn:             time.Minute,
			AgeCritical:         3 * time.Minute,
		},
		Console: configs.Console{SessionTTL: 12 * time.Hour, LoginAttempts: 5, LoginAttemptsPerAddress: 20, LoginWindow: 5 * time.Minute,
			DeviceCookieTTL: 30 * 24 * time.Hour, Clock: "24h"},
		XML: configs.XML{MaxBodyBytes: 100000},
		Supervision: configs.Supervision{Grace: 75 * time.Second, Schedules: configs.ScheduleExceptions{
			EarlyOpen: "log", UnscheduledOpen: "alarm", UnscheduledClose: "log"}},
		Report:    configs.Default().Report,
		Receivers: nil,
	}
	diff(t, configs.Default(), want)
	if err := configs.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}

	wantListener := configs.Listener{
		MaxConns:         4096,
		ReadTimeout:      30 * time.Second,
		IdleTimeout:      3 * time.Minute,
		WriteTimeout:     5 * time.Second,
		MaxFrameBytes:    0,
		TimestampWindow:  configs.Window{Ahead: 20 * time.Second, Behind: 40 * time.Second, ApplyToPlain: false},
		Serial:           configs.Serial{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1},
		HeartbeatTimeout: 90 * time.Second,
	}
	diff(t, configs.DefaultListener(), wantListener)

	// Default hands out a fresh value each time.
	a := configs.Default()
	a.Log.Level = "debug"
	if configs.Default().Log.Level != "info" {
		t.Error("Default shares state between calls")
	}
}

func TestLoadEmptyFileIsDefault(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, writeFile(t, "# nothing but a comment\n"))
	diff(t, cfg, configs.Default())
}

func TestLoadExample(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, examplePath)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	want := configs.Default()
	want.Queue.FalseAlarmCodes = configs.DefaultFalseAlarmCodes()
	want.Queue.ActionPlans = []configs.ActionPlan{{Match: "code", Value: "SIA/WA", Name: "Water leak", Steps: []configs.ActionPlanStep{
		{Kind: "call_premises"}, {Kind: "wait", Minutes: 5}, {Kind: "call_list"}, {Kind: "dispatch", Authority: "guard"},
		{Kind: "email", Email: "facilities@example.com"}, {Kind: "text", Text: "The stopcock is under the kitchen sink"}}}}
	want.Receivers = []configs.Receiver{{
		Number:            1,
		Name:              "IP receiver 1",
		AccountPrefixMode: "add",
		Listeners: []configs.Listener{{
			Name:           "dc09-main",
			Protocol:       "dc09",
			Line:           1,
			TCP:            "127.0.0.1:12128",
			UDP:            "127.0.0.1:12128",
			MaxConns:       4096,
			AllowedSources: []string{},
			ReadTimeout:    30 * time.Second,
			IdleTimeout:    3 * time.Minute,
			WriteTimeout:   5 * time.Second,
			MaxFrameBytes:  0,
			Keys: []configs.Key{
				{Account: "1234", Key: "000102030405060708090A0B0C0D0E0F", Format: "hex"},
			},
			TimestampWindow:  configs.Window{Ahead: 20 * time.Second, Behind: 40 * time.Second},
			Serial:           configs.DefaultListener().Serial,
			HeartbeatTimeout: 90 * time.Second,
		}, {
			Name:             "surgard-in",
			Protocol:         "surgard",
			Line:             2,
			TCP:              "127.0.0.1:12125",
			MaxConns:         4096,
			ReadTimeout:      30 * time.Second,
			IdleTimeout:      3 * time.Minute,
			WriteTimeout:     5 * time.Second,
			TimestampWindow:  configs.Window{Ahead: 20 * time.Second, Behind: 40 * time.Second},
			Serial:           configs.DefaultListener().Serial,
			HeartbeatTimeout: 0, // nothing is wired to it in the example
		}},
	}}
	diff(t, cfg, want)

	// A few fields spelled out, so a failure reads without a struct diff.
	l := cfg.Receivers[0].Listeners[0]
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"data_dir", cfg.DataDir, "data"},
		{"http.listen", cfg.HTTP.Listen, "127.0.0.1:8080"},
		{"http.admin_token", cfg.HTTP.AdminToken, ""},
		{"store.synchronous", cfg.Store.Synchronous, "full"},
		{"listener name", l.Name, "dc09-main"},
		{"listener tcp", l.TCP, "127.0.0.1:12128"},
		{"key account", l.Keys[0].Account, "1234"},
		{"key format", l.Keys[0].Format, "hex"},
		{"window behind", l.TimestampWindow.Behind, 40 * time.Second},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	// Load("") is the embedded copy of the same file.
	diff(t, mustLoad(t, ""), cfg)
	onDisk, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(configs.Example(), onDisk) {
		t.Error("Example() differs from alarmrx.example.yaml")
	}
	configs.Example()[0] = 'X' // a copy: the embedded file stays intact
	if !bytes.Equal(configs.Example(), onDisk) {
		t.Error("Example() returns the embedded slice itself")
	}
}

// leafKeys lists every key a Config can hold, list elements written as
// "receivers.listeners.keys.account".
func leafKeys(prefix string, t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("mapstructure")
		if prefix != "" {
			key = prefix + "." + key
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]() {
			out = append(out, leafKeys(key, ft)...)
		} else {
			out = append(out, key)
		}
	}
	return out
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	text := string(configs.Example())
	for n, line := range strings.Split(text, "\n") {
		s := strings.TrimSpace(line)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !strings.Contains(s, " # ") {
			t.Errorf("line %d has no comment: %q", n+1, line)
		}
	}
	// Every key of the struct appears in the example, spelled as in Go tags.
	for _, key := range leafKeys("", reflect.TypeFor[configs.Config]()) {
		last := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(text, " "+last+":") && !strings.Contains(text, "\n"+last+":") &&
			!strings.Contains(text, "- "+last+":") {
			t.Errorf("key %s is not in the example", key)
		}
	}
}

// TestExampleNamesEveryProtocol: the example's comment on a listener's
// protocol names every protocol Validate accepts.
func TestExampleNamesEveryProtocol(t *testing.T) {
	for _, line := range strings.Split(string(configs.Example()), "\n") {
		_, comment, ok := strings.Cut(line, "# wire protocol: ")
		if !ok {
			continue
		}
		for _, name := range configs.Protocols() {
			if !strings.Contains(comment, name) {
				t.Errorf("the example's protocol comment does not name %s: %q", name, comment)
			}
		}
		return
	}
	t.Error(`the example has no "# wire protocol: " comment`)
}

func TestLoadGood(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, "testdata/good.yaml")
	defaults := configs.DefaultListener()
	want := &configs.Config{
		DataDir:       "/var/lib/alarmrx",
		ShutdownGrace: 12 * time.Second,
		Log:           configs.Log{Level: "debug", Format: "json"},
		HTTP: configs.HTTP{
			Listen:        "0.0.0.0:9090",
			AdminToken:    "s3cret-admin-token",
			ReadTimeout:   3 * time.Second,
			WriteTimeout:  4 * time.Second,
			MaxConns:      1024,
			MaxConnsPerIP: 64,
		},
		Store: configs.Store{
			Driver:           "sqlite",
			PoolMax:          8,
			StatementTimeout: 5 * time.Second,
			Synchronous:      "normal",
			BusyTimeout:      2 * time.Second,
			CommitBatchMax:   256,
			PendingMax:       512,
			CommitTimeout:    1500 * time.Millisecond,

			PollFlushInterval:    5 * time.Second,
			ProjectDelay:         5 * time.Millisecond,
			ProjectionBacklogMax: 65536,
			ProjectionLagMax:     30 * time.Second,
			IntegrityCheck:       "background",
			Retention:            configs.DefaultRetention(),
		},
		Evidence:    configs.Evidence{PerSourcePerMinute: 20, PerMinute: 600, MaxBytes: 64 << 20},
		Dedupe:      configs.Dedupe{Window: 2 * time.Minute, MaxEntries: 1000},
		OnTest:      configs.DefaultOnTest(),
		Queue:       configs.Default().Queue,
		Console:     configs.Default().Console,
		XML:         configs.Default().XML,
		Supervision: configs.Default().Supervision,
		Report:      configs.Default().Report,
		Receivers: []configs.Receiver{{
			Number: 1,
			Name:   "IP receiver 1",
			Listeners: []configs.Listener{{
				Name:          "dc09-main",
				Protocol:      "dc09",
				Line:          1,
				TCP:           "0.0.0.0:12128",
				UDP:           "0.0.0.0:12128",
				MaxConns:      100,
				ReadTimeout:   10 * time.Second,
				IdleTimeout:   90 * time.Second,
				WriteTimeout:  2 * time.Second,
				MaxFrameBytes: 4096,
				Keys: []configs.Key{
					{Account: "1234", Key: "000102030405060708090A0B0C0D0E0F", Format: "hex"},
					{Account: "5678", Key: "AAAAAAAAAAAAAAAAAAAAAAAA", Format: "ascii"},
					// format left out: hex.
					{Account: "*", Key: "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4", Format: "hex"},
				},
				// ahead: 0s is kept, not replaced by the default.
				TimestampWindow:  configs.Window{Ahead: 0, Behind: 2 * time.Minute, ApplyToPlain: true},
				Serial:           defaults.Serial,
				HeartbeatTimeout: defaults.HeartbeatTimeout,
			}},
		}, {
			Number:        2,
			Name:          "cloud receiver",
			AccountPrefix: "ABC", // written abc
			Listeners: []configs.Listener{{
				Name:             "dc09-cloud",
				Protocol:         "dc09",
				Line:             7,
				TCP:              "[::1]:12129",
				MaxConns:         defaults.MaxConns,
				ReadTimeout:      defaults.ReadTimeout,
				IdleTimeout:      defaults.IdleTimeout,
				WriteTimeout:     defaults.WriteTimeout,
				TimestampWindow:  defaults.TimestampWindow,
				Serial:           defaults.Serial,
				HeartbeatTimeout: defaults.HeartbeatTimeout,
			}},
		}},
	}
	diff(t, cfg, want)
}

func TestEnvOverrides(t *testing.T) {
	clearEnv(t)
	t.Setenv("ALARMRX_DATA_DIR", "/srv/alarmrx")
	t.Setenv("ALARMRX_LOG_LEVEL", "warn")
	t.Setenv("ALARMRX_HTTP_ADMIN_TOKEN", "from-the-environment")
	t.Setenv("ALARMRX_STORE_COMMIT_TIMEOUT", "2500ms")
	t.Setenv("ALARMRX_DEDUPE_WINDOW", "1h")

	for _, path := range []string{examplePath, "testdata/good.yaml", writeFile(t, "")} {
		cfg := mustLoad(t, path)
		if cfg.DataDir != "/srv/alarmrx" || cfg.Log.Level != "warn" ||
			cfg.HTTP.AdminToken != "from-the-environment" ||
			cfg.Store.CommitTimeout != 2500*time.Millisecond || cfg.Dedupe.Window != time.Hour {
			t.Errorf("%s: environment not applied: %+v", path, cfg)
		}
	}
}

// TestEnvEveryScalarKey sets every scalar key from the environment at once:
// a key without a default would be missed by AutomaticEnv.
func TestEnvEveryScalarKey(t *testing.T) {
	clearEnv(t)
	env := map[string]string{
		"ALARMRX_DATA_DIR":                                 "/d",
		"ALARMRX_SHUTDOWN_GRACE":                           "7s",
		"ALARMRX_LOG_LEVEL":                                "error",
		"ALARMRX_LOG_FORMAT":                               "json",
		"ALARMRX_HTTP_LISTEN":                              "127.0.0.1:0",
		"ALARMRX_HTTP_ADMIN_TOKEN":                         "t0ken",
		"ALARMRX_HTTP_READ_TIMEOUT":                        "1s",
		"ALARMRX_HTTP_WRITE_TIMEOUT":                       "2s",
		"ALARMRX_STORE_SYNCHRONOUS":                        "normal",
		"ALARMRX_STORE_BUSY_TIMEOUT":                       "3s",
		"ALARMRX_STORE_COMMIT_BATCH_MAX":                   "10",
		"ALARMRX_STORE_PENDING_MAX":                        "20",
		"ALARMRX_STORE_COMMIT_TIMEOUT":                     "4s",
		"ALARMRX_STORE_POLL_FLUSH_INTERVAL":                "3s",
		"ALARMRX_STORE_PROJECT_DELAY":                      "7ms",
		"ALARMRX_STORE_PROJECTION_BACKLOG_MAX":             "1000",
		"ALARMRX_STORE_PROJECTION_LAG_MAX":                 "9s",
		"ALARMRX_STORE_INTEGRITY_CHECK":                    "off",
		"ALARMRX_DEDUPE_WINDOW":                            "5m",
		"ALARMRX_DEDUPE_MAX_ENTRIES":                       "30",
		"ALARMRX_ON_TEST_WARN_BEFORE":                      "0s",
		"ALARMRX_ON_TEST_MAX_DURATION":                     "2h",
		"ALARMRX_ON_TEST_CHECK_EVERY":                      "1s",
		"ALARMRX_QUEUE_UNKNOWN_ACCOUNT_PRIORITY":           "3",
		"ALARMRX_QUEUE_CLAIM_TIMEOUT":                      "2m",
		"ALARMRX_QUEUE_CHECK_EVERY":                        "2s",
		"ALARMRX_QUEUE_RUNAWAY_MAX_SIGNALS":                "20",
		"ALARMRX_QUEUE_RUNAWAY_WINDOW":                     "1m",
		"ALARMRX_QUEUE_RUNAWAY_QUIET":                      "10m",
		"ALARMRX_QUEUE_AGE_WARN":                           "30s",
		"ALARMRX_QUEUE_AGE_CRITICAL":                       "90s",
		"ALARMRX_CONSOLE_SESSION_TTL":                      "8h",
		"ALARMRX_CONSOLE_LOGIN_ATTEMPTS":                   "3",
		"ALARMRX_CONSOLE_LOGIN_ATTEMPTS_PER_ADDRESS":       "9",
		"ALARMRX_CONSOLE_DEVICE_COOKIE_TTL":                "48h",
		"ALARMRX_HTTP_MAX_CONNS":                           "100",
		"ALARMRX_HTTP_MAX_CONNS_PER_IP":                    "10",
		"ALARMRX_STORE_SECRETS_KEY_FILE":                   "",
		"ALARMRX_STORE_RETENTION_INTERVAL":                 "30s",
		"ALARMRX_STORE_RETENTION_BATCH_ROWS":               "500",
		"ALARMRX_STORE_RETENTION_VACUUM_PAGES":             "0",
		"ALARMRX_STORE_RETENTION_SIGNALS":                  "730d",
		"ALARMRX_STORE_RETENTION_FRAMES":                   "365d",
		"ALARMRX_STORE_RETENTION_REJECTED_FRAMES":          "1d12h",
		"ALARMRX_STORE_RETENTION_INCIDENTS":                "0",
		"ALARMRX_STORE_RETENTION_AUDIT_LOG":                "3650d",
		"ALARMRX_STORE_RETENTION_STATION_EVENTS":           "90d",
		"ALARMRX_STORE_RETENTION_OUTBOX":                   "48h",
		"ALARMRX_STORE_RETENTION_POLL_EVIDENCE":            "2d",
		"ALARMRX_EVIDENCE_PER_SOURCE_PER_MINUTE":           "5",
		"ALARMRX_EVIDENCE_PER_MINUTE":                      "50",
		"ALARMRX_EVIDENCE_MAX_BYTES":                       "1048576",
		"ALARMRX_CONSOLE_LOGIN_WINDOW":                     "10m",
		"ALARMRX_CONSOLE_SECURE_COOKIES":                   "true",
		"ALARMRX_CONSOLE_CLOCK":                            "12h",
		"ALARMRX_XML_MAX_BODY_BYTES":                       "2048",
		"ALARMRX_SUPERVISION_GRACE":                        "30s",
		"ALARMRX_QUEUE_DISASTER_AUTO_INCIDENTS_PER_MINUTE": "50",
		"ALARMRX_QUEUE_DISASTER_UNKNOWN_ACCOUNTS":          "false",
		"ALARMRX_QUEUE_DISASTER_QUIET":                     "5m",
		"ALARMRX_QUEUE_FALSE_ALARM_THRESHOLD":              "5",
		"ALARMRX_QUEUE_PERMIT_WARN_BEFORE":                 "48h",
		"ALARMRX_SUPERVISION_SCHEDULES_EARLY_OPEN":         "alarm",
		"ALARMRX_SUPERVISION_SCHEDULES_UNSCHEDULED_OPEN":   "log",
		"ALARMRX_SUPERVISION_SCHEDULES_UNSCHEDULED_CLOSE":  "alarm",
		"ALARMRX_HTTP_TLS_CERT":                            "",
		"ALARMRX_HTTP_TLS_KEY":                             "",
		"ALARMRX_REPORT_ENABLED":                           "true",
		"ALARMRX_REPORT_SEND_AT":                           "06:30",
		"ALARMRX_REPORT_WINDOW_START":                      "19:00",
		"ALARMRX_REPORT_PORTAL_URL":                        "https://portal.example",
		"ALARMRX_REPORT_SMTP_HOST":                         "mail.example",
		"ALARMRX_REPORT_SMTP_PORT":                         "587",
		"ALARMRX_REPORT_SMTP_TLS":                          "starttls",
		"ALARMRX_REPORT_SMTP_USERNAME":                     "noc",
		"ALARMRX_REPORT_SMTP_PASSWORD":                     "pw",
		"ALARMRX_REPORT_SMTP_FROM":                         "noc@example.com",
		"ALARMRX_REPORT_SHARE_DAYS":                        "3",
		"ALARMRX_STORE_DRIVER":                             "postgres",
		"ALARMRX_STORE_DSN":                                "postgres://alarmrx:pw@db1:5432/alarmrx",
		"ALARMRX_STORE_NODE_ID":                            "node-b",
		"ALARMRX_STORE_POOL_MAX":                           "4",
		"ALARMRX_STORE_STATEMENT_TIMEOUT":                  "3s",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	want := &configs.Config{
		DataDir:       "/d",
		ShutdownGrace: 7 * time.Second,
		Log:           configs.Log{Level: "error", Format: "json"},
		HTTP: configs.HTTP{Listen: "127.0.0.1:0", AdminToken: "t0ken", ReadTimeout: time.Second, WriteTimeout: 2 * time.Second,
			MaxConns: 100, MaxConnsPerIP: 10},
		Evidence: configs.Evidence{PerSourcePerMinute: 5, PerMinute: 50, MaxBytes: 1 << 20},
		Store: configs.Store{Driver: "postgres", DSN: "postgres://alarmrx:pw@db1:5432/alarmrx", NodeID: "node-b", PoolMax: 4,
			StatementTimeout: 3 * time.Second, Synchronous: "normal", BusyTimeout: 3 * time.Second, CommitBatchMax: 10, PendingMax: 20, CommitTimeout: 4 * time.Second,
			PollFlushInterval: 3 * time.Second, ProjectDelay: 7 * time.Millisecond, ProjectionBacklogMax: 1000,
			ProjectionLagMax: 9 * time.Second, IntegrityCheck: "off",
			Retention: configs.Retention{Interval: 30 * time.Second, BatchRows: 500, VacuumPages: 0, Signals: 730 * day, Frames: 365 * day,
				RejectedFrames: 36 * time.Hour, Incidents: 0, AuditLog: 3650 * day, StationEvents: 90 * day, Outbox: 48 * time.Hour,
				PollEvidence: 2 * day}},
		Dedupe: configs.Dedupe{Window: 5 * time.Minute, MaxEntries: 30},
		OnTest: configs.OnTest{WarnBefore: 0, MaxDuration: 2 * time.Hour, CheckEvery: time.Second},
		Queue: configs.Queue{
			LogOnlyCategories:      configs.DefaultLogOnlyCategories(),
			UnknownAccountPriority: 3,
			ClaimTimeout:           2 * time.Minute,
			CheckEvery:             2 * time.Second,
			ResolutionCodes:        configs.DefaultResolutionCodes(),
			Runaway:                configs.Runaway{MaxSignals: 20, Window: time.Minute, Quiet: 10 * time.Minute},
			Disaster:               configs.Disaster{AutoIncidentsPerMinute: 50, Categories: []string{"trouble", "tamper"}, Quiet: 5 * time.Minute},
			EscalateAfter:          configs.DefaultEscalateAfter(),
			FalseAlarmThreshold:    5,
			PermitWarnBefore:       48 * time.Hour,
			AgeWarn:                30 * time.Second,
			AgeCritical:            90 * time.Second,
		},
		Console: configs.Console{SessionTTL: 8 * time.Hour, LoginAttempts: 3, LoginAttemptsPerAddress: 9, LoginWindow: 10 * time.Minute,
			DeviceCookieTTL: 48 * time.Hour, SecureCookies: true, Clock: "12h"},
		XML: configs.XML{MaxBodyBytes: 2048},
		Supervision: configs.Supervision{Grace: 30 * time.Second, Schedules: configs.ScheduleExceptions{
			EarlyOpen: "alarm", UnscheduledOpen: "log", UnscheduledClose: "alarm"}},
		Report: configs.Report{Enabled: true, SendAt: "06:30", WindowStart: "19:00", PortalURL: "https://portal.example",
			SMTP:      configs.SMTP{Host: "mail.example", Port: 587, TLS: "starttls", Username: "noc", Password: "pw", From: "noc@example.com"},
			ShareDays: 3},
	}
	cfg, err := configs.LoadBytes(nil)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, cfg, want)

	// The table above must cover every scalar key of Config.
	var scalar []string
	for _, k := range leafKeys("", reflect.TypeFor[configs.Config]()) {
		// Lists live in the file only.
		if !strings.HasPrefix(k, "receivers") && !strings.HasPrefix(k, "queue.codes") && !strings.HasPrefix(k, "queue.action_plans") && !strings.HasPrefix(k, "xml.senders") && !strings.HasPrefix(k, "outputs.") && !strings.HasPrefix(k, "report.scheduled") &&
			k != "queue.log_only_categories" && k != "queue.resolution_codes" && k != "queue.disaster.categories" &&
			k != "queue.escalate_after" && k != "queue.escalation_email" && k != "queue.false_alarm_codes" {
			scalar = append(scalar, "ALARMRX_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_")))
		}
	}
	for _, name := range scalar {
		if _, ok := env[name]; !ok {
			t.Errorf("%s is not exercised", name)
		}
	}
	if len(scalar) != len(env) {
		t.Errorf("%d scalar keys, %d variables set", len(scalar), len(env))
	}
}

func TestEnvEmptyCounts(t *testing.T) {
	clearEnv(t)
	t.Setenv("ALARMRX_HTTP_LISTEN", "")
	cfg := mustLoad(t, examplePath)
	if cfg.HTTP.Listen != "" {
		t.Errorf("ALARMRX_HTTP_LISTEN= left http.listen = %q", cfg.HTTP.Listen)
	}
}

func TestEnvBadValues(t *testing.T) {
	clearEnv(t)
	t.Setenv("ALARMRX_SHUTDOWN_GRACE", "5")
	t.Setenv("ALARMRX_LOG_LEVEL", "loud")
	t.Setenv("ALARMRX_STORE_PENDING_MAX", "many")
	_, err := configs.Load(examplePath)
	got := problems(t, err)
	want := []string{
		`shutdown_grace: invalid duration "5" (want a number with a unit, e.g. "30s" or "5m")`,
		`store.pending_max: cannot parse value as 'int': strconv.ParseInt: invalid syntax`,
		// Validated although decoding failed elsewhere: one run shows all.
		`log.level: must be one of debug, info, warn, error (got "loud")`,
	}
	diff(t, got, want)
	if !strings.HasPrefix(err.Error(), "configs: "+examplePath+": 3 problems:\n") {
		t.Errorf("error = %q", err)
	}
}

func TestUnknownKeys(t *testing.T) {
	clearEnv(t)
	for file, want := range map[string]string{
		"testdata/bad_unknown_key.yaml":          "data_dri: unknown key",
		"testdata/bad_unknown_listener_key.yaml": "receivers[0].listeners[0].max_con: unknown key",
		"testdata/bad_unknown_key_field.yaml":    "receivers[0].listeners[0].keys[0].value: unknown key",
	} {
		_, err := configs.Load(file)
		if err == nil {
			t.Errorf("%s: loaded", file)
			continue
		}
		if got := problems(t, err); !slices.Contains(got, want) {
			t.Errorf("%s: problems %q, want %q among them", file, got, want)
		}
		if !strings.Contains(err.Error(), file) {
			t.Errorf("%s: error does not name the file: %v", file, err)
		}
	}

	// Unknown keys at several depths are all reported together.
	_, err := configs.LoadBytes([]byte(`
bogus: 1
log: {levle: info}
receivers:
  - number: 1
    name: r
    prefix: "A"
    listeners:
      - {name: a, protocol: dc09, line: 1, tcp: ":0", colour: red,
         timestamp_window: {ahed: 1s}, keys: [{account: "123", key: "000102030405060708090A0B0C0D0E0F", fmt: hex}]}
`))
	got := problems(t, err)
	slices.Sort(got)
	diff(t, got, []string{
		"bogus: unknown key",
		"log.levle: unknown key",
		"receivers[0].listeners[0].colour: unknown key",
		"receivers[0].listeners[0].keys[0].fmt: unknown key",
		"receivers[0].listeners[0].timestamp_window.ahed: unknown key",
		"receivers[0].prefix: unknown key",
	})
}

func TestKeysAreCaseInsensitive(t *testing.T) {
	clearEnv(t)
	cfg, err := configs.LoadBytes([]byte(`
LOG: {Level: debug}
Receivers:
  - Number: 1
    Name: r
    Listeners:
      - {Name: dc09-a, PROTOCOL: dc09, Line: 1, TCP: "127.0.0.1:0", Max_Conns: 9,
         Timestamp_Window: {Apply_To_Plain: true},
         Keys: [{Account: "AbC1", Key: "000102030405060708090a0b0c0d0e0f", Format: hex}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Receivers[0].Listeners[0]
	if cfg.Log.Level != "debug" || l.Name != "dc09-a" || l.MaxConns != 9 ||
		!l.TimestampWindow.ApplyToPlain || l.TimestampWindow.Behind != 40*time.Second {
		t.Errorf("mixed-case keys not applied: %+v", cfg)
	}
	// Values keep their case: keys and accounts are not folded.
	if k := l.Keys[0]; k.Account != "AbC1" || k.Key != "000102030405060708090a0b0c0d0e0f" {
		t.Errorf("values changed: %+v", k)
	}

	// Two spellings of one key would leave viper to pick one at random.
	_, err = configs.LoadBytes([]byte(`
log: {level: info}
Log: {level: debug}
receivers:
  - number: 1
    name: r
    listeners:
      - {name: a, protocol: dc09, line: 1, tcp: ":0", keys: [{account: "123", key: "k", KEY: "K"}]}
log.format: json
`))
	diff(t, problems(t, err), []string{
		`log: written twice, as "Log" and "log" (keys are case-insensitive)`,
		`log.format: a key must not contain "." (nest it instead)`,
		`receivers[0].listeners[0].keys[0].key: written twice, as "KEY" and "key" (keys are case-insensitive)`,
	})
}

func TestBareScalars(t *testing.T) {
	clearEnv(t)
	const prefix = "receivers:\n  - number: 1\n    name: r\n    listeners:\n      - {name: a, protocol: dc09, line: 1, tcp: \":0\", "
	for _, c := range []struct {
		yaml, want string
	}{
		{prefix + `keys: [{account: 0123, key: "000102030405060708090A0B0C0D0E0F"}]}`,
			"receivers[0].listeners[0].keys[0].account: must be a quoted string: YAML read a bare number or true/false here, which can change it (0123 reads as 83)"},
		{prefix + `keys: [{account: "1234", key: 12345678901234567890123456789012}]}`,
			"receivers[0].listeners[0].keys[0].key: must be a quoted string: YAML read a bare number or true/false here, which can change it (0123 reads as 83)"},
		{prefix + "idle_timeout: 180}",
			`receivers[0].listeners[0].idle_timeout: a duration needs a unit, e.g. "30s" or "5m" (YAML read a bare number)`},
		{prefix + "max_conns: 2.5}",
			"receivers[0].listeners[0].max_conns: must be a whole number (got 2.5)"},
		{"http: {admin_token: true}",
			"http.admin_token: must be a quoted string: YAML read a bare number or true/false here, which can change it (0123 reads as 83)"},
		{"shutdown_grace: 10 seconds",
			`shutdown_grace: invalid duration "10 seconds" (want a number with a unit, e.g. "30s" or "5m")`},
	} {
		_, err := configs.LoadBytes([]byte(c.yaml))
		diff(t, problems(t, err), []string{c.want})
	}

	// A bare 0 is zero in any unit, and a number where a number belongs is
	// fine.
	cfg, err := configs.LoadBytes([]byte(prefix + "max_conns: 3, timestamp_window: {ahead: 0}}"))
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Receivers[0].Listeners[0]; l.TimestampWindow.Ahead != 0 || l.MaxConns != 3 {
		t.Errorf("got %+v", l)
	}
}

func TestExplicitZeroIsNotADefault(t *testing.T) {
	clearEnv(t)
	_, err := configs.LoadBytes([]byte(`
receivers:
  - number: 1
    name: r
    listeners:
      - {name: a, protocol: dc09, line: 1, tcp: ":0", max_conns: 0, read_timeout: 0s}
`))
	diff(t, problems(t, err), []string{
		"receivers[0].listeners[0].max_conns: must be at least 1 (got 0)",
		"receivers[0].listeners[0].read_timeout: must be greater than 0 (got 0s)",
	})

	// A key written with no value is "not set" and gets the default.
	cfg, err := configs.LoadBytes([]byte(`
receivers:
  - number: 1
    name: r
    listeners:
      - name: a
        protocol: dc09
        line: 1
        tcp: ":0"
        max_conns:
        timestamp_window:
`))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Receivers[0].Listeners[0]
	if l.MaxConns != 4096 || l.TimestampWindow != configs.DefaultListener().TimestampWindow {
		t.Errorf("got %+v", l)
	}
}

func TestBadManyReportsEverything(t *testing.T) {
	clearEnv(t)
	_, err := configs.Load("testdata/bad_many.yaml")
	const l0, l1 = "receivers[0].listeners[0]", "receivers[1].listeners[0]"
	want := []string{
		"data_dir: required (the directory that holds alarmrx.db)",
		"shutdown_grace: must be greater than 0 (got 0s)",
		`log.level: must be one of debug, info, warn, error (got "verbose")`,
		`log.format: must be one of console, json (got "text")`,
		`http.listen: invalid address "localhost" (want host:port, e.g. "127.0.0.1:12128")`,
		"http.read_timeout: must be greater than 0 (got 0s)",
		"http.write_timeout: must be greater than 0 (got -1s)",
		`store.synchronous: must be one of full, normal (got "off")`,
		"store.busy_timeout: must be greater than 0 (got 0s)",
		"store.commit_batch_max: must be at least 1 (got 0)",
		"store.pending_max: must be at least 1 (got 0)",
		"store.commit_timeout: must be greater than 0 (got 0s)",
		"dedupe.window: must be greater than 0 (got 0s)",
		"dedupe.max_entries: must be at least 1 (got 0)",
		"receivers[0].number: must be 1-99 (got 0)",
		"receivers[0].name: required",
		`receivers[0].account_prefix: must be at most 8 characters 0-9 A-Z (got "AB-C")`,
		l0 + `.name: must match ^[a-z0-9][a-z0-9_-]*$ (got "Main")`,
		l0 + `.protocol: unknown protocol "sia" (known: ` + strings.Join(configs.Protocols(), ", ") + `)`,
		l0 + ".line: must be 1-999 (got 0)",
		l0 + `.tcp: invalid port "http" in address "127.0.0.1:http" (want a number 0-65535)`,
		l0 + `.udp: invalid port "70000" in address "127.0.0.1:70000" (want a number 0-65535)`,
		l0 + ".max_conns: must be at least 1 (got 0)",
		l0 + ".read_timeout: must be greater than 0 (got 0s)",
		l0 + ".idle_timeout: must be greater than 0 (got 0s)",
		l0 + ".write_timeout: must be greater than 0 (got 0s)",
		l0 + ".max_frame_bytes: must not be negative (got -1; 0 means the protocol's own cap)",
		l0 + ".timestamp_window.ahead: must not be negative (got -1s)",
		l0 + ".timestamp_window.behind: must not be negative (got -1s)",
		"receivers[1].number: must be 1-99 (got 100)",
		l1 + ".name: required",
		l1 + ".protocol: required (known: " + strings.Join(configs.Protocols(), ", ") + ")",
		l1 + ".line: must be 1-999 (got 1000)",
		l1 + ": needs a tcp, udp or serial endpoint",
	}
	got := problems(t, err)
	if len(got) != 34 || len(want) != 34 {
		t.Errorf("%d problems reported, want 34", len(got))
	}
	diff(t, got, want)
	if !strings.HasPrefix(err.Error(), "configs: testdata/bad_many.yaml: 34 problems:\n") {
		t.Errorf("error starts %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	// One problem per line, so an operator reads them as a list.
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 35 {
		t.Errorf("%d lines", len(lines))
	}
}

func TestDuplicateListenerNames(t *testing.T) {
	clearEnv(t)
	_, err := configs.Load("testdata/bad_duplicate_listener.yaml")
	diff(t, problems(t, err), []string{
		`receivers[1].listeners[0].name: duplicate listener name "dc09-main" (also receivers[0].listeners[0])`,
	})
}

func TestDuplicateAddresses(t *testing.T) {
	clearEnv(t)
	_, err := configs.Load("testdata/bad_duplicate_address.yaml")
	const l = "receivers[0].listeners"
	diff(t, problems(t, err), []string{
		l + `[1].tcp: address "127.0.0.1:12128" is already used by ` + l + `[0].tcp ("127.0.0.1:12128")`,
		l + `[3].tcp: address ":8080" is already used by http.listen ("127.0.0.1:8080")`,
		l + `[2].udp: address "0.0.0.0:12128" is already used by ` + l + `[0].udp ("127.0.0.1:12128")`,
	})
}

// validListener returns a config with one valid listener for table tests
// to break.
func validListener() *configs.Config {
	cfg := configs.Default()
	l := configs.DefaultListener()
	l.Name, l.Protocol, l.Line, l.TCP = "a", "dc09", 1, "127.0.0.1:0"
	cfg.Receivers = []configs.Receiver{{Number: 1, Name: "r", Listeners: []configs.Listener{l}}}
	return cfg
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct {
		addr, problem string
	}{
		{"127.0.0.1:12128", ""},
		{":12128", ""},
		{"0.0.0.0:0", ""},
		{"[::]:65535", ""},
		{"[fe80::1%eth0]:1", ""},
		{"alarms.example.net:12128", ""},
		{"localhost:1", ""},
		{"x", `invalid address "x" (want host:port, e.g. "127.0.0.1:12128")`},
		{"127.0.0.1", `invalid address "127.0.0.1" (want host:port, e.g. "127.0.0.1:12128")`},
		{"::1:80", `invalid address "::1:80" (want host:port, e.g. "127.0.0.1:12128")`},
		{"127.0.0.1:", `invalid port "" in address "127.0.0.1:" (want a number 0-65535)`},
		{"127.0.0.1:-1", `invalid port "-1" in address "127.0.0.1:-1" (want a number 0-65535)`},
		{"127.0.0.1:65536", `invalid port "65536" in address "127.0.0.1:65536" (want a number 0-65535)`},
		{"127.0.0.1:dc09", `invalid port "dc09" in address "127.0.0.1:dc09" (want a number 0-65535)`},
		{"bad host:1", `invalid host "bad host" in address "bad host:1"`},
		{"-x:1", `invalid host "-x" in address "-x:1"`},
	} {
		cfg := validListener()
		cfg.Receivers[0].Listeners[0].UDP = c.addr
		var want []string
		if c.problem != "" {
			want = []string{"receivers[0].listeners[0].udp: " + c.problem}
		}
		if got := problems(t, cfg.Validate()); !reflect.DeepEqual(got, want) {
			t.Errorf("udp %q: got %q, want %q", c.addr, got, want)
		}
	}
}

func TestAllowedSources(t *testing.T) {
	for _, c := range []struct {
		src, problem string
		want         string // the block ParseSource reads
	}{
		{"203.0.113.7", "", "203.0.113.7/32"},
		{"203.0.113.0/24", "", "203.0.113.0/24"},
		{"203.0.113.9/24", "", "203.0.113.0/24"},
		{"2001:db8::/32", "", "2001:db8::/32"},
		{"::ffff:203.0.113.7", "", "203.0.113.7/32"},
		{"::ffff:10.0.0.0/104", "", "10.0.0.0/8"},
		{"::ffff:0.0.0.0/64", `"::ffff:0.0.0.0/64" mixes IPv6 and IPv4-mapped addresses: write the IPv4 block`, ""},
		{"example.net", `"example.net" is not an IP address or a CIDR block such as 203.0.113.0/24`, ""},
		{"203.0.113.0/33", `"203.0.113.0/33" is not an IP address or a CIDR block such as 203.0.113.0/24`, ""},
	} {
		cfg := validListener()
		cfg.Receivers[0].Listeners[0].AllowedSources = []string{c.src}
		var want []string
		if c.problem != "" {
			want = []string{"receivers[0].listeners[0].allowed_sources[0]: " + c.problem}
		}
		if got := problems(t, cfg.Validate()); !reflect.DeepEqual(got, want) {
			t.Errorf("allowed_sources %q: got %q, want %q", c.src, got, want)
		}
		if p, err := configs.ParseSource(c.src); err == nil && p.String() != c.want {
			t.Errorf("ParseSource(%q) = %s, want %s", c.src, p, c.want)
		}
	}
}

func TestMonitoringURL(t *testing.T) {
	for _, c := range []struct{ tmpl, problem string }{
		{"", ""},
		{"https://monitoring.chekt.com/monitoring?act={account}&zone={zone}", ""},
		{"https://portal.example/s?csid={account_sent}&area={area}", ""},
		{"https://portal.example/s?txid={acct}", `unknown placeholder in "https://portal.example/s?txid={acct}": the template takes {account}, {account_sent}, {zone} and {area}`},
		{"ftp://portal.example/{account}", `"ftp://portal.example/{account}" is not an http(s) URL template, e.g. https://monitoring.chekt.com/monitoring?act={account}&zone={zone}`},
		{"/monitoring?act={account}", `"/monitoring?act={account}" is not an http(s) URL template, e.g. https://monitoring.chekt.com/monitoring?act={account}&zone={zone}`},
		{"https://{account}.portal.example/s", `the placeholders of "https://{account}.portal.example/s" stand in its scheme or host: they may stand in its path and query only`},
	} {
		cfg := validListener()
		cfg.Receivers[0].Listeners[0].MonitoringURL = c.tmpl
		var want []string
		if c.problem != "" {
			want = []string{"receivers[0].listeners[0].monitoring_url: " + c.problem}
		}
		if got := problems(t, cfg.Validate()); !reflect.DeepEqual(got, want) {
			t.Errorf("monitoring_url %q: got %q, want %q", c.tmpl, got, want)
		}
	}
}

func TestAddressConflicts(t *testing.T) {
	for _, c := range []struct {
		a, b     string
		conflict bool
	}{
		{"127.0.0.1:1", "127.0.0.1:1", true},
		{"127.0.0.1:1", "127.0.0.2:1", false},
		{"127.0.0.1:1", "127.0.0.1:2", false},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{":1", "127.0.0.1:1", true},
		{"0.0.0.0:1", "10.0.0.1:1", true},
		{"0.0.0.0:1", "[::1]:1", false},
		{"[::]:1", "127.0.0.1:1", true},
		{"[::1]:1", "[0:0::1]:1", true},
		{"LOCALHOST:1", "localhost:1", true},
		{"localhost:1", "0.0.0.0:1", true},
		{"localhost:1", "127.0.0.1:1", false}, // not resolved: the kernel will say
	} {
		cfg := validListener()
		l := cfg.Receivers[0].Listeners[0]
		l.Name, l.TCP = "b", c.b
		cfg.Receivers[0].Listeners[0].TCP = c.a
		cfg.Receivers[0].Listeners = append(cfg.Receivers[0].Listeners, l)
		got := problems(t, cfg.Validate())
		if c.conflict != (len(got) == 1) || len(got) > 1 {
			t.Errorf("%s vs %s: got %q, want conflict=%v", c.a, c.b, got, c.conflict)
		}
	}
}

func TestBadKeys(t *testing.T) {
	clearEnv(t)
	_, err := configs.Load("testdata/bad_keys.yaml")
	const k = "receivers[0].listeners[0].keys"
	diff(t, problems(t, err), []string{
		k + `[0].account: must be "*" or 3-16 hex digits (got "12")`,
		k + `[1].account: must be "*" or 3-16 hex digits (got "12G4")`,
		k + `[2].key: hex key must be 32, 48 or 64 hex digits (got 30)`,
		k + `[3].account: duplicate account "abcd" (also ` + k + `[2])`,
		k + `[4].key: ascii key must be 16, 24 or 32 characters (got 20)`,
		k + `[5].key: hex key must be hex digits 0-9 A-F only (character 32 is not)`,
		k + `[6].format: must be one of hex, ascii (got "base64")`,
		k + `[7].key: required`,
		k + `[9].account: duplicate account "*" (also ` + k + `[8])`,
	})
}

func TestKeyLengths(t *testing.T) {
	for _, c := range []struct {
		format string
		n      int
		ok     bool
	}{
		{"hex", 32, true}, {"hex", 48, true}, {"hex", 64, true},
		{"hex", 16, false}, {"hex", 33, false}, {"hex", 128, false},
		{"ascii", 16, true}, {"ascii", 24, true}, {"ascii", 32, true},
		{"ascii", 15, false}, {"ascii", 48, false},
	} {
		cfg := validListener()
		cfg.Receivers[0].Listeners[0].Keys = []configs.Key{{Account: "*", Key: strings.Repeat("A", c.n), Format: c.format}}
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s key of %d: %v", c.format, c.n, err)
		}
	}
}

// TestSecretsNeverInErrors plants secrets in every place a key or the admin
// token can go wrong, and checks that no error message carries them, in
// whole or in part.
func TestSecretsNeverInErrors(t *testing.T) {
	clearEnv(t)
	const (
		hexSecret   = "C0FFEE0DDBA11D15EA5EBADC0DE5EC12" // 32 hex digits
		asciiSecret = "Tr0ub4dor&3horse"                 // 16 characters
		token       = "planted-admin-token-9f3e"
	)
	secrets := []string{hexSecret, asciiSecret, token}
	leaks := func(msg string) string {
		for _, s := range secrets {
			for i := 0; i+8 <= len(s); i++ {
				if strings.Contains(msg, s[i:i+8]) {
					return s
				}
			}
		}
		return ""
	}

	cfg := validListener()
	cfg.HTTP.AdminToken = token + " \n"
	cfg.Receivers[0].Listeners[0].Keys = []configs.Key{
		{Account: "1", Key: hexSecret, Format: "hex"},                // bad account, good key
		{Account: "2222", Key: hexSecret + "0", Format: "hex"},       // one digit too many
		{Account: "3333", Key: hexSecret[:30] + "ZZ", Format: "hex"}, // not hex
		{Account: "4444", Key: asciiSecret + "!", Format: "ascii"},   // one too many
		{Account: "5555", Key: asciiSecret + "\x00\x00\x00\x00\x00\x00\x00\x00", Format: "ascii"},
		{Account: "6666", Key: asciiSecret, Format: "hex"},           // ascii key labelled hex
		{Account: "7777", Key: hexSecret, Format: "bin"},             // unknown format
		{Account: hexSecret, Key: "x", Format: "hex"},                // key typed into account
		{Account: asciiSecret, Key: "x", Format: asciiSecret},        // and into format
		{Account: "0123456789ABCDEF", Key: "x", Format: "hex"},       // a valid account...
		{Account: "0123456789abcdef", Key: hexSecret, Format: "hex"}, // ...duplicated
	}
	err := cfg.Validate()
	got := problems(t, err)
	if len(got) < 12 {
		t.Errorf("only %d problems: %q", len(got), got)
	}
	for _, msg := range got {
		if s := leaks(msg); s != "" {
			t.Errorf("problem leaks %q: %s", s, msg)
		}
	}
	if s := leaks(err.Error()); s != "" {
		t.Errorf("error leaks %q", s)
	}

	// The same through Load, including shapes that fail in decoding.
	for _, y := range []string{
		"http: {admin_token: \"" + token + " x\"}",
		"http: {admin_token: [\"" + token + "\"]}",
		"http: {admin_token: {\"" + token + "\": 1}}",
		"receivers: [{number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: \":0\", keys: [{account: \"1234\", key: [\"" + hexSecret + "\"]}]}]}]",
		"receivers: [{number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: \":0\", keys: [{account: \"1234\", key: {k: \"" + hexSecret + "\"}}]}]}]",
		"receivers: [{number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: \":0\", keys: [{account: \"1234\", key: \"" + hexSecret + "\", format: 7}]}]}]",
		"receivers: [{number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: \":0\", keys: [{account: \"" + asciiSecret + "\", key: \"" + hexSecret + "A\"}]}]}]",
	} {
		_, err := configs.LoadBytes([]byte(y))
		if err == nil {
			t.Errorf("loaded: %s", y)
			continue
		}
		if s := leaks(err.Error()); s != "" {
			t.Errorf("Load error leaks %q: %v", s, err)
		}
	}
	t.Setenv("ALARMRX_HTTP_ADMIN_TOKEN", token+"\t")
	if _, err := configs.Load(examplePath); err == nil || leaks(err.Error()) != "" {
		t.Errorf("environment token: %v", err)
	}
}

func TestRedacted(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, "testdata/good.yaml")
	before := fmt.Sprintf("%+v", cfg)
	r := cfg.Redacted()

	if r.HTTP.AdminToken != "[redacted]" {
		t.Errorf("admin_token = %q", r.HTTP.AdminToken)
	}
	for _, k := range r.Receivers[0].Listeners[0].Keys {
		if k.Key != "[redacted]" {
			t.Errorf("key for %s = %q", k.Account, k.Key)
		}
	}
	printed := fmt.Sprintf("%+v %#v", r, r)
	for _, s := range []string{"s3cret-admin-token", "000102030405060708090A0B0C0D0E0F", "AAAAAAAAAAAAAAAAAAAAAAAA", "603DEB1015CA71BE"} {
		if strings.Contains(printed, s) {
			t.Errorf("redacted copy shows %q", s)
		}
	}
	// Everything else is intact, and the original is untouched.
	if r.DataDir != cfg.DataDir || r.Receivers[0].Listeners[0].Keys[1].Account != "5678" ||
		r.Receivers[1].AccountPrefix != "ABC" {
		t.Errorf("redacted copy lost data: %+v", r)
	}
	if after := fmt.Sprintf("%+v", cfg); after != before {
		t.Error("Redacted modified the original")
	}

	// Empty secrets stay empty: the printout shows the API is off.
	ex := mustLoad(t, "").Redacted()
	if ex.HTTP.AdminToken != "" {
		t.Errorf("empty admin_token printed as %q", ex.HTTP.AdminToken)
	}
}

func TestLoadErrors(t *testing.T) {
	clearEnv(t)
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := configs.Load(missing); err == nil || !strings.Contains(err.Error(), missing) ||
		!errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, y := range []string{"log: [\n", "- a list\n", "log: {level: info\n"} {
		_, err := configs.Load(writeFile(t, y))
		if err == nil || !strings.HasPrefix(err.Error(), "configs: ") {
			t.Errorf("%q: %v", y, err)
		}
	}
	if err := (*configs.Config)(nil).Validate(); err == nil {
		t.Error("nil Config validated")
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	cfg := validListener()
	cfg.Receivers[0].AccountPrefix = "abc" // valid once upper-cased
	before := fmt.Sprintf("%+v", cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", cfg) != before {
		t.Error("Validate modified the config")
	}
}

func TestProtocols(t *testing.T) {
	p := configs.Protocols()
	if !slices.Contains(p, "dc09") {
		t.Errorf("Protocols() = %q", p)
	}
	p[0] = "changed"
	if configs.Protocols()[0] == "changed" {
		t.Error("Protocols returns the package's own slice")
	}
}

// TestDecodeAndValidateTogether: a value that fails to decode does not hide
// the validation problems elsewhere, and is not reported a second time as
// the zero value it left behind.
func TestDecodeAndValidateTogether(t *testing.T) {
	clearEnv(t)
	_, err := configs.LoadBytes([]byte(`
log: {level: loud}
receivers:
  - 5
  - number: 2
    name: r
    listeners:
      - {name: a, protocol: dc09, line: 1, tcp: 12128, idle_timeout: 9}
`))
	diff(t, problems(t, err), []string{
		`receivers[0]: expected a map or struct, got "int"`,
		`receivers[1].listeners[0].tcp: must be a quoted string: YAML read a bare number or true/false here, which can change it (0123 reads as 83)`,
		`receivers[1].listeners[0].idle_timeout: a duration needs a unit, e.g. "30s" or "5m" (YAML read a bare number)`,
		`log.level: must be one of debug, info, warn, error (got "loud")`,
	})
}

func TestQueueRulesAreChecked(t *testing.T) {
	clearEnv(t)
	bad := `
queue:
  log_only_categories: [fire, nonsense]
  unknown_account_priority: 0
  resolution_codes: [ok, ok, "Bad Code"]
  runaway: {max_signals: 5, window: 0s}
  age_warn: 5m
  age_critical: 1m
  codes:
    - {format: CID, code: "110", priority: 4}
    - {format: SIA, code: FA, handling: log}
    - {format: XML, code: BA}
    - {format: sia, code: wa, priority: 3, handling: page}
console: {login_attempts: 0}
`
	_, err := configs.LoadBytes([]byte(bad))
	want := []string{
		"queue.log_only_categories[0]: fire is always presented to an operator",
		`queue.log_only_categories[1]: unknown event category "nonsense"`,
		"queue.unknown_account_priority: must be 1-9 (got 0)",
		`queue.resolution_codes[1]: duplicate code "ok"`,
		`queue.resolution_codes[2]: must match ^[a-z0-9_]{1,40}$ (got "Bad Code")`,
		"queue.runaway.window: must be greater than 0 (got 0s)",
		"queue.age_critical: must be longer than queue.age_warn (5m0s) (got 1m0s)",
		"queue.codes[0]: CID 110 is a fire code: it stays priority 1 and is always presented to an operator",
		"queue.codes[1]: SIA FA is a fire code: it stays priority 1 and is always presented to an operator",
		`queue.codes[2].format: must be CID or SIA (got "XML")`,
		`queue.codes[3].handling: must be operator or log (got "page")`,
		"console.login_attempts: must be at least 1 (got 0)",
	}
	diff(t, problems(t, err), want)
}

func TestSerialListenersAreChecked(t *testing.T) {
	clearEnv(t)
	bad := `
receivers:
  - number: 1
    name: r
    listeners:
      - {name: a, protocol: surgard, line: 1, udp: "127.0.0.1:1", serial: {device: /dev/ttyS0, baud: 9601, data_bits: 6, parity: mark, stop_bits: 3}}
      - {name: b, protocol: dc09, line: 2, tcp: "127.0.0.1:2", serial: {device: /dev/ttyS1}}
      - {name: c, protocol: surgard, line: 3, serial: {device: /dev/ttyS2, baud: 19200, data_bits: 7, parity: even}}
`
	_, err := configs.LoadBytes([]byte(bad))
	const l = "receivers[0].listeners"
	want := []string{
		l + "[0].udp: surgard records come over tcp or a serial port, not udp",
		l + "[0].serial.baud: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got 9601)",
		l + "[0].serial.data_bits: must be 7 or 8 (got 6)",
		l + `[0].serial.parity: must be one of none, even, odd (got "mark")`,
		l + "[0].serial.stop_bits: must be 1 or 2 (got 3)",
		l + "[1].serial.device: dc09 is an IP protocol; a serial port takes surgard",
	}
	diff(t, problems(t, err), want)
}

// TestXMLSignalListenerTransports: an XML listener takes tcp only, and a
// udp or serial endpoint is reported once, on the listener.
func TestXMLSignalListenerTransports(t *testing.T) {
	clearEnv(t)
	bad := `
receivers:
  - number: 1
    name: r
    listeners:
      - {name: a, protocol: xmlsignal, line: 1, tcp: "127.0.0.1:0", udp: "127.0.0.1:0"}
      - {name: b, protocol: xmlsignal, line: 2, serial: {device: /dev/ttyS1}}
      - {name: c, protocol: xmlsignal, line: 3, tcp: "127.0.0.1:0"}
`
	_, err := configs.LoadBytes([]byte(bad))
	const l = "receivers[0].listeners"
	want := []string{
		l + "[0]: xmlsignal messages come over tcp (framed by the closing AlarmMessage tag), not udp or serial",
		l + "[1]: xmlsignal messages come over tcp (framed by the closing AlarmMessage tag), not udp or serial",
	}
	diff(t, problems(t, err), want)
}

func TestXMLSendersAreCheckedAndRedacted(t *testing.T) {
	clearEnv(t)
	bad := `
xml:
  senders:
    - {id: chekt, passkey: "0123456789abcdef0123", receiver: 1, line: 3}
    - {id: chekt, passkey: "short", receiver: 7, line: 0}
    - {id: "bad id", passkey: "0123456789abcdef0123", receiver: 1, line: 1}
receivers:
  - {number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: "127.0.0.1:0"}]}
`
	_, err := configs.LoadBytes([]byte(bad))
	want := []string{
		`xml.senders[1].id: duplicate sender "chekt" (also xml.senders[0])`,
		"xml.senders[1].passkey: must have at least 15 characters (got 5)",
		"xml.senders[1].receiver: receiver 7 is not configured",
		"xml.senders[1].line: must be 1-999 (got 0)",
		"xml.senders[2].id: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (got \"bad id\")",
		"xml.senders[2].passkey: the same passkey as xml.senders[0]: each sender needs its own",
	}
	diff(t, problems(t, err), want)
	if strings.Contains(err.Error(), "0123456789abcdef") {
		t.Fatal("a passkey reached an error")
	}
	good := strings.Replace(strings.Replace(bad, `"short", receiver: 7, line: 0`, `"fedcba9876543210zz", receiver: 1, line: 2`, 1), "- {id: chekt, passkey: \"fedcba", "- {id: other, passkey: \"fedcba", 1)
	good = strings.Replace(good, `    - {id: "bad id", passkey: "0123456789abcdef0123", receiver: 1, line: 1}`+"\n", "", 1)
	cfg, err := configs.LoadBytes([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Redacted(); r.XML.Senders[0].Passkey != "[redacted]" || cfg.XML.Senders[0].Passkey == "[redacted]" {
		t.Fatalf("redacted %+v", r.XML.Senders)
	}
}

// TestAccountPrefixModes: receivers and XML senders state add or expect;
// anything else is refused by name, and the defaults are add for a
// receiver (its panels) and expect for an XML sender (a cloud).
func TestAccountPrefixModes(t *testing.T) {
	clearEnv(t)
	bad := `
xml:
  senders:
    - {id: chekt, passkey: "0123456789abcdef0123", receiver: 1, line: 3, account_prefix_mode: include}
receivers:
  - {number: 1, name: r, account_prefix: "9", account_prefix_mode: guess, listeners: [{name: a, protocol: dc09, line: 1, tcp: "127.0.0.1:0"}]}
`
	_, err := configs.LoadBytes([]byte(bad))
	diff(t, problems(t, err), []string{
		`receivers[0].account_prefix_mode: must be add (senders send numbers without the prefix) or expect (with it) (got "guess")`,
		`xml.senders[0].account_prefix_mode: must be add (senders send numbers without the prefix) or expect (with it) (got "include")`,
	})
	good := strings.NewReplacer("account_prefix_mode: include", "account_prefix_mode: add", ", account_prefix_mode: guess", "").Replace(bad)
	cfg, err := configs.LoadBytes([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r, s := cfg.Receivers[0], cfg.XML.Senders[0]; r.AccountPrefixMode != "" || r.PrefixMode() != "add" || s.PrefixMode() != "add" {
		t.Fatalf("receiver %q/%q, sender %q", r.AccountPrefixMode, r.PrefixMode(), s.PrefixMode())
	}
	if (configs.XMLSender{}).PrefixMode() != "expect" {
		t.Fatal("an XML sender that states no mode must expect the prefix")
	}
}

// TestRetentionIsChecked: each retention period is 0 (forever) or at least
// an hour, never negative; days are a unit; frames outlive the duplicate
// filter's window; the batch and vacuum sizes are bounded.
func TestRetentionIsChecked(t *testing.T) {
	clearEnv(t)
	cases := []struct {
		name string
		yaml string
		want []string // problems; nil: valid
		got  func(r configs.Retention) bool
	}{
		{name: "defaults", yaml: "", got: func(r configs.Retention) bool { return r == configs.DefaultRetention() }},
		{name: "days and zero", yaml: "store: {retention: {signals: 730d, frames: 1d12h, incidents: 0, outbox: 0s}}",
			got: func(r configs.Retention) bool {
				return r.Signals == 730*day && r.Frames == 36*time.Hour && r.Incidents == 0 && r.Outbox == 0
			}},
		{name: "negative", yaml: "store: {retention: {signals: -1h, audit_log: -30d}}", want: []string{
			"store.retention.signals: must not be negative (got -1h0m0s); 0 keeps forever",
			"store.retention.audit_log: must not be negative (got -720h0m0s); 0 keeps forever",
		}},
		{name: "too short", yaml: "store: {retention: {rejected_frames: 10m, poll_evidence: 59m}}", want: []string{
			"store.retention.rejected_frames: must be 0 (keep forever) or at least 1h0m0s (got 10m0s)",
			"store.retention.poll_evidence: must be 0 (keep forever) or at least 1h0m0s (got 59m0s)",
		}},
		{name: "frames shorter than the dedupe window", yaml: "dedupe: {window: 2h}\nstore: {retention: {frames: 1h}}", want: []string{
			"store.retention.frames: must be 0 or at least dedupe.window (2h0m0s) (got 1h0m0s)",
		}},
		{name: "bare number", yaml: "store: {retention: {signals: 1095}}", want: []string{
			`store.retention.signals: a duration needs a unit, e.g. "30s" or "5m" (YAML read a bare number)`,
		}},
		{name: "bad days", yaml: "store: {retention: {signals: 1.5d, frames: d, incidents: 3dd}}", want: []string{
			`store.retention.signals: invalid duration "1.5d" (want a number with a unit, e.g. "30s" or "5m")`,
			`store.retention.frames: invalid duration "d" (want a number with a unit, e.g. "30s" or "5m")`,
			`store.retention.incidents: invalid duration "3dd" (want a number with a unit, e.g. "30s" or "5m")`,
		}},
		{name: "sizes", yaml: "store: {retention: {interval: 0s, batch_rows: 0, vacuum_pages: -1}}", want: []string{
			"store.retention.interval: must be greater than 0 (got 0s)",
			"store.retention.batch_rows: must be between 1 and 10000 (got 0)",
			"store.retention.vacuum_pages: must be at least 0 (got -1)",
		}},
		{name: "batch too large", yaml: "store: {retention: {batch_rows: 10001}}", want: []string{
			"store.retention.batch_rows: must be between 1 and 10000 (got 10001)",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := configs.LoadBytes([]byte(c.yaml))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !c.got(cfg.Store.Retention) {
					t.Errorf("loaded %+v", cfg.Store.Retention)
				}
				return
			}
			got := problems(t, err)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			diff(t, got, want)
		})
	}
}

// TestScheduledReportsAreChecked: each scheduled report names a known
// report, a period, its time and zone, a format, a site for the open/close
// report only, and addresses; the schedules need report.enabled.
func TestScheduledReportsAreChecked(t *testing.T) {
	clearEnv(t)
	bad := `
report:
  share_days: 91
  scheduled:
    - {name: weekly, report: response-times, every: week, weekday: caturday, at: "7am", time_zone: Mars/Olympus, format: xls, to: []}
    - {name: weekly, report: nonsense, every: fortnight, at: "07:00", time_zone: UTC, format: pdf, to: [not-an-address], site_id: 3}
    - {name: doors, report: open-close, every: day, at: "07:00", time_zone: UTC, format: pdf, to: [ops@example.com]}
receivers:
  - {number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: "127.0.0.1:0"}]}
`
	_, err := configs.LoadBytes([]byte(bad))
	want := []string{
		"report.share_days: must be 0 (no links) to 90 days (got 91)",
		"report.enabled: must be true for report.scheduled: the reports go through report.smtp",
		"report.scheduled[0].format: must be one of pdf, html, csv (got \"xls\")",
		"report.scheduled[0].at: must be a time HH:MM (got \"7am\")",
		"report.scheduled[0].weekday: must be a day of the week, such as monday (got \"caturday\")",
		"report.scheduled[0].time_zone: must be an IANA time zone such as Europe/Berlin, or UTC (got \"Mars/Olympus\")",
		"report.scheduled[0].to: needs at least one address",
		"report.scheduled[1].name: duplicate name \"weekly\" (also report.scheduled[0])",
		"report.scheduled[1].report: must be one of response-times, false-alarms, silent-accounts, on-test, operator-activity, open-close (got \"nonsense\")",
		"report.scheduled[1].every: must be one of day, week, month (got \"fortnight\")",
		"report.scheduled[1].to[0]: must be an e-mail address (got \"not-an-address\")",
		"report.scheduled[1].site_id: names the site of an open-close report, and of no other (got 3)",
		"report.scheduled[2].site_id: names the site of an open-close report, and of no other (got 0)",
	}
	diff(t, problems(t, err), want)
	good := `
report:
  enabled: true
  smtp: {host: mail.example, port: 25, from: noc@example.com}
  scheduled:
    - {name: weekly, report: response-times, every: week, weekday: Monday, at: "07:00", time_zone: Europe/Berlin, format: pdf, to: [ops@example.com]}
receivers:
  - {number: 1, name: r, listeners: [{name: a, protocol: dc09, line: 1, tcp: "127.0.0.1:0"}]}
`
	cfg, err := configs.LoadBytes([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Report.Scheduled; len(s) != 1 || s[0].Weekday != "Monday" || s[0].To[0] != "ops@example.com" {
		t.Errorf("scheduled: %+v", s)
	}
}
