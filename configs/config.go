package configs

import (
	_ "embed"
	"slices"
	"time"

	"github.com/alarmrx/alarmrx/protocols/registry"
)

// Config is the whole alarmrx configuration. The mapstructure tags are the
// keys in the YAML file (and, upper-cased behind ALARMRX_, in the
// environment); the yaml tags make a printed Config read like the file.
type Config struct {
	// DataDir holds the SQLite file alarmrx.db.
	DataDir string `mapstructure:"data_dir" yaml:"data_dir"`
	// ShutdownGrace bounds how long frames in flight may take to commit and
	// be answered once shutdown has begun.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace" yaml:"shutdown_grace"`

	Log     Log     `mapstructure:"log" yaml:"log"`
	HTTP    HTTP    `mapstructure:"http" yaml:"http"`
	Store   Store   `mapstructure:"store" yaml:"store"`
	Dedupe  Dedupe  `mapstructure:"dedupe" yaml:"dedupe"`
	OnTest  OnTest  `mapstructure:"on_test" yaml:"on_test"`
	Queue   Queue   `mapstructure:"queue" yaml:"queue"`
	Console Console `mapstructure:"console" yaml:"console"`
	XML     XML     `mapstructure:"xml" yaml:"xml"`
	Outputs Outputs `mapstructure:"outputs" yaml:"outputs"`
	// Supervision of accounts with a check-in or test interval.
	Supervision Supervision `mapstructure:"supervision" yaml:"supervision"`
	// Report is the morning report mailed to customers.
	Report Report `mapstructure:"report" yaml:"report"`
	// Evidence bounds what is kept of refused input.
	Evidence Evidence `mapstructure:"evidence" yaml:"evidence"`

	// Receivers are the station's logical receivers; only the file can set
	// them.
	Receivers []Receiver `mapstructure:"receivers" yaml:"receivers"`
}

// Log configures the process logger.
type Log struct {
	Level  string `mapstructure:"level" yaml:"level"`   // debug, info, warn or error
	Format string `mapstructure:"format" yaml:"format"` // console or json
}

// HTTP configures the metrics, health and API server.
type HTTP struct {
	// Listen is host:port; "" turns the HTTP server off.
	Listen string `mapstructure:"listen" yaml:"listen"`
	// AdminToken guards /api/; "" disables the API. It is a secret: it never
	// appears in errors, and Redacted hides it.
	AdminToken   string        `mapstructure:"admin_token" yaml:"admin_token"`
	ReadTimeout  time.Duration `mapstructure:"read_timeout" yaml:"read_timeout"`
	WriteTimeout time.Duration `mapstructure:"write_timeout" yaml:"write_timeout"`
	// TLSCert and TLSKey (PEM files) turn on HTTPS: the API, the console
	// (Secure cookies, HSTS) and the XML endpoints.
	TLSCert string `mapstructure:"tls_cert" yaml:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key" yaml:"tls_key"`
	// MaxConns caps the open HTTP connections; MaxConnsPerIP those from
	// one address. Connections over a cap are closed at once.
	MaxConns      int `mapstructure:"max_conns" yaml:"max_conns"`
	MaxConnsPerIP int `mapstructure:"max_conns_per_ip" yaml:"max_conns_per_ip"`
}

// Evidence bounds the rows kept of refused input (frames with a bad CRC,
// wrong passkey or no key, failed logins), which anyone who can reach a
// port can send: past a budget per source address and per minute, and
// past a total size (oldest pruned first), refused input is only counted.
type Evidence struct {
	PerSourcePerMinute int `mapstructure:"per_source_per_minute" yaml:"per_source_per_minute"`
	PerMinute          int `mapstructure:"per_minute" yaml:"per_minute"`
	// MaxBytes caps the raw bytes of every kept rejected frame together.
	MaxBytes int64 `mapstructure:"max_bytes" yaml:"max_bytes"`
}

// Store configures the store (an embedded SQLite file, or a PostgreSQL
// database that several nodes share) and its group-commit writer.
type Store struct {
	// Driver is the engine: sqlite (the default: data_dir/alarmrx.db, one
	// node) or postgres (the database DSN names; several nodes may share
	// it).
	Driver string `mapstructure:"driver" yaml:"driver"`
	// DSN is the PostgreSQL connection string, a URL
	// (postgres://user:password@host:5432/alarmrx?sslmode=verify-full) or
	// key=value pairs; ALARMRX_STORE_DSN sets it from the environment, so
	// that the password need not be in the file. It is never logged.
	DSN string `mapstructure:"dsn" yaml:"dsn"`
	// NodeID names this node among those sharing the PostgreSQL database;
	// "" is the host name. Two nodes must never share one.
	NodeID string `mapstructure:"node_id" yaml:"node_id"`
	// PoolMax caps the PostgreSQL read connections of this node; it has
	// two writer connections besides.
	PoolMax int `mapstructure:"pool_max" yaml:"pool_max"`
	// StatementTimeout bounds every PostgreSQL statement: a database that
	// hangs fails the commit, which is then not acknowledged.
	StatementTimeout time.Duration `mapstructure:"statement_timeout" yaml:"statement_timeout"`
	// Synchronous is SQLite's synchronous level, full or normal. Only full
	// makes an ACKed signal survive a power cut.
	Synchronous string        `mapstructure:"synchronous" yaml:"synchronous"`
	BusyTimeout time.Duration `mapstructure:"busy_timeout" yaml:"busy_timeout"`
	// CommitBatchMax is the most signals written in one group-commit
	// transaction.
	CommitBatchMax int `mapstructure:"commit_batch_max" yaml:"commit_batch_max"`
	// PendingMax is the most commits waiting for the writer; beyond it
	// sessions wait (backpressure by not reading).
	PendingMax int `mapstructure:"pending_max" yaml:"pending_max"`
	// CommitTimeout is how long a signal may wait for its commit before the
	// panel gets a negative reply.
	CommitTimeout time.Duration `mapstructure:"commit_timeout" yaml:"commit_timeout"`
	// PollFlushInterval is how often the polls acknowledged since the last
	// flush are written as evidence (one row per account and listener,
	// with a count). Polls are ACKed without a commit of their own.
	PollFlushInterval time.Duration `mapstructure:"poll_flush_interval" yaml:"poll_flush_interval"`
	// ProjectDelay is how long an acknowledged frame may wait, while
	// frames keep the writer busy, before its signals, incidents and
	// outbox rows are built from its journal entry.
	ProjectDelay time.Duration `mapstructure:"project_delay" yaml:"project_delay"`
	// ProjectionBacklogMax is how many acknowledged frames may wait for
	// their projection; beyond it new frames wait (backpressure).
	ProjectionBacklogMax int `mapstructure:"projection_backlog_max" yaml:"projection_backlog_max"`
	// ProjectionLagMax is the age of the oldest frame not yet projected
	// beyond which /-/ready answers 503.
	ProjectionLagMax time.Duration `mapstructure:"projection_lag_max" yaml:"projection_lag_max"`
	// IntegrityCheck says when SQLite's quick_check reads the database:
	// "background" (after the start, while the store serves: a damaged
	// database stops acknowledgements), "start" (before it is used: a
	// damaged database is refused) or "off".
	IntegrityCheck string `mapstructure:"integrity_check" yaml:"integrity_check"`
	// SecretsKeyFile names the file holding the key (64 hex digits) that
	// encrypts DC-09 keys and call-list passcodes at rest with AES-256-GCM;
	// "" stores them as plaintext. See ReadSecretsKey.
	SecretsKeyFile string `mapstructure:"secrets_key_file" yaml:"secrets_key_file"`
	// Retention says how long each kind of record is kept.
	Retention Retention `mapstructure:"retention" yaml:"retention"`
}

// Retention says how long each kind of record is kept (design.md §2 rule
// 6) and how pruning shares the store's writer. A period of 0 keeps the
// kind forever. Rows are pruned oldest first, in transactions of at most
// BatchRows rows of one kind, off the acknowledgement path; a row that a
// kept record references stays (store.Prune).
type Retention struct {
	// Interval is how often a pruning round runs.
	Interval time.Duration `mapstructure:"interval" yaml:"interval"`
	// BatchRows is the most rows of one kind deleted in one transaction:
	// the writer also takes the signals, which wait behind it.
	BatchRows int `mapstructure:"batch_rows" yaml:"batch_rows"`
	// VacuumPages is the most free pages one incremental vacuum step gives
	// back to the file system after a round; 0 never shrinks the file.
	VacuumPages int `mapstructure:"vacuum_pages" yaml:"vacuum_pages"`

	Signals time.Duration `mapstructure:"signals" yaml:"signals"`
	// Frames are the received frames as they came (raw bytes); a frame
	// stays while a signal decoded from it does.
	Frames time.Duration `mapstructure:"frames" yaml:"frames"`
	// RejectedFrames are the refused frames kept as evidence (also bounded
	// by evidence.max_bytes).
	RejectedFrames time.Duration `mapstructure:"rejected_frames" yaml:"rejected_frames"`
	// Incidents are closed incidents, by when they were closed, with their
	// action logs; an open incident is never pruned, nor what it holds.
	Incidents     time.Duration `mapstructure:"incidents" yaml:"incidents"`
	AuditLog      time.Duration `mapstructure:"audit_log" yaml:"audit_log"`
	StationEvents time.Duration `mapstructure:"station_events" yaml:"station_events"`
	// Outbox is how long an output's delivered (or undeliverable) rows are
	// kept; pending rows are never pruned.
	Outbox time.Duration `mapstructure:"outbox" yaml:"outbox"`
	// PollEvidence is how long the evidence of an account's polls is kept
	// after its last poll.
	PollEvidence time.Duration `mapstructure:"poll_evidence" yaml:"poll_evidence"`
}

// RetentionBatchMax is the largest store.retention.batch_rows: each row of
// a batch is one bound parameter of its DELETE.
const RetentionBatchMax = 10_000

// DefaultRetention returns the store.retention defaults. The project's
// research found no published figure for how long a station must keep its
// history (automation-research.md §5.8: UL 1981's history retention is
// unknown), so signals, frames, incidents, the station's events and the
// audit log are kept three years, to answer for an alarm long after it;
// refused input is evidence of attacks and misconfigured panels, useful
// for days; a delivered outbox row only says when an output took a signal.
func DefaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{
		Interval:       time.Minute,
		BatchRows:      1000,
		VacuumPages:    1000,
		Signals:        3 * 365 * day,
		Frames:         3 * 365 * day,
		RejectedFrames: 7 * day,
		Incidents:      3 * 365 * day,
		AuditLog:       3 * 365 * day,
		StationEvents:  3 * 365 * day,
		Outbox:         30 * day,
		PollEvidence:   30 * day,
	}
}

// Dedupe configures the retransmission filter (panels resend when an ACK
// is late; the copy is ACKed again but stored once).
type Dedupe struct {
	Window     time.Duration `mapstructure:"window" yaml:"window"`
	MaxEntries int           `mapstructure:"max_entries" yaml:"max_entries"`
}

// OnTest configures accounts put on test [automation-research.md §4.3].
type OnTest struct {
	// WarnBefore is how long before an on-test period ends its "coming off
	// test" warning event is raised; 0 raises none.
	WarnBefore time.Duration `mapstructure:"warn_before" yaml:"warn_before"`
	// MaxDuration caps one on-test period; 0 means no cap.
	MaxDuration time.Duration `mapstructure:"max_duration" yaml:"max_duration"`
	// CheckEvery is how often expiry and warnings are looked for.
	CheckEvery time.Duration `mapstructure:"check_every" yaml:"check_every"`
}

// Queue configures the operator queue [automation-research.md §6.3].
type Queue struct {
	// LogOnlyCategories are event categories stored but never queued
	// (unless a code rule says otherwise). Default openclose, test, info.
	LogOnlyCategories []string `mapstructure:"log_only_categories" yaml:"log_only_categories"`
	// UnknownAccountPriority is the priority of an unknown-account incident.
	UnknownAccountPriority int `mapstructure:"unknown_account_priority" yaml:"unknown_account_priority"`
	// ClaimTimeout: a claim lapses after this long without a step by its
	// holder, and the incident is free for others.
	ClaimTimeout time.Duration `mapstructure:"claim_timeout" yaml:"claim_timeout"`
	// CheckEvery is how often lapsed claims and expired holds are swept.
	CheckEvery time.Duration `mapstructure:"check_every" yaml:"check_every"`
	// ResolutionCodes are the codes an operator must choose from to resolve.
	ResolutionCodes []string `mapstructure:"resolution_codes" yaml:"resolution_codes"`
	// Runaway: more than MaxSignals identical signals (account, code, zone)
	// within Window raise one runaway incident; repeats are then stored and
	// auto-logged until the account is quiet for Quiet.
	Runaway Runaway `mapstructure:"runaway" yaml:"runaway"`
	// Codes override the priority or handling of single event codes.
	Codes []CodeRule `mapstructure:"codes" yaml:"codes"`
	// ActionPlans are the station's action plans, over the built-in ones
	// (a plan made through the API over these); checked when the daemon
	// starts and by check-config.
	ActionPlans []ActionPlan `mapstructure:"action_plans" yaml:"action_plans"`
	// Disaster is the automatic disaster mode (storms).
	Disaster Disaster `mapstructure:"disaster" yaml:"disaster"`
	// EscalateAfter are how long an incident of each priority (1 to 9, in
	// order) may stay unclaimed before the supervisors are told; 0 never.
	EscalateAfter []time.Duration `mapstructure:"escalate_after" yaml:"escalate_after"`
	// FalseAlarmCodes are the resolution codes that mean a false alarm,
	// counted per site, account and customer over 12 months; at
	// FalseAlarmThreshold a site's count raises a station event (0 never).
	FalseAlarmCodes     []string `mapstructure:"false_alarm_codes" yaml:"false_alarm_codes"`
	FalseAlarmThreshold int      `mapstructure:"false_alarm_threshold" yaml:"false_alarm_threshold"`
	// PermitWarnBefore is how long before a site's alarm permit expires a
	// station event warns of it.
	PermitWarnBefore time.Duration `mapstructure:"permit_warn_before" yaml:"permit_warn_before"`
	// EscalationEmail are the supervisors' addresses an escalation is
	// mailed to, through report.smtp; none: the console only.
	EscalationEmail []string `mapstructure:"escalation_email" yaml:"escalation_email"`
	// AgeWarn and AgeCritical colour an unclaimed incident in the console.
	AgeWarn     time.Duration `mapstructure:"age_warn" yaml:"age_warn"`
	AgeCritical time.Duration `mapstructure:"age_critical" yaml:"age_critical"`
}

// Runaway configures runaway (swinger) detection.
type Runaway struct {
	MaxSignals int           `mapstructure:"max_signals" yaml:"max_signals"`
	Window     time.Duration `mapstructure:"window" yaml:"window"`
	Quiet      time.Duration `mapstructure:"quiet" yaml:"quiet"`
}

// Disaster configures the automatic disaster mode: this many incidents
// opened within a minute switch the station's on, grouping Categories
// (and the unknown accounts' signals) into one incident; Quiet without a
// grouped signal switches it off. A supervisor switches modes on and off
// by hand through the API whatever this says.
type Disaster struct {
	AutoIncidentsPerMinute int           `mapstructure:"auto_incidents_per_minute" yaml:"auto_incidents_per_minute"` // 0: never automatically
	Categories             []string      `mapstructure:"categories" yaml:"categories"`
	UnknownAccounts        bool          `mapstructure:"unknown_accounts" yaml:"unknown_accounts"`
	Quiet                  time.Duration `mapstructure:"quiet" yaml:"quiet"`
}

// ActionPlan is a station action plan: for any event, a category (fire,
// burglary, …) or a code (SIA/BA, CID/130).
type ActionPlan struct {
	Match string           `mapstructure:"match" yaml:"match"` // any, category or code
	Value string           `mapstructure:"value" yaml:"value"`
	Name  string           `mapstructure:"name" yaml:"name"`
	Steps []ActionPlanStep `mapstructure:"steps" yaml:"steps"`
}

// ActionPlanStep is one step: call_list, call_premises, verify_passcode,
// dispatch (authority), email (email), wait (minutes) or text (text).
type ActionPlanStep struct {
	Kind      string `mapstructure:"kind" yaml:"kind"`
	Authority string `mapstructure:"authority" yaml:"authority,omitempty"`
	Minutes   int    `mapstructure:"minutes" yaml:"minutes,omitempty"`
	Email     string `mapstructure:"email" yaml:"email,omitempty"`
	Text      string `mapstructure:"text" yaml:"text,omitempty"`
}

// CodeRule overrides how one event code is handled.
type CodeRule struct {
	Format string `mapstructure:"format" yaml:"format"` // CID or SIA
	Code   string `mapstructure:"code" yaml:"code"`     // "130", "BA"
	// Priority 1–9; 0 keeps the category's. Fire codes stay at 1.
	Priority int `mapstructure:"priority" yaml:"priority"`
	// Handling is operator (queue it) or log (store only); "" keeps the
	// category's.
	Handling string `mapstructure:"handling" yaml:"handling"`
}

// XML configures the native XML/JSON signal endpoints on the HTTP server
// (design.md §7): POST /xml/v1/signals and /json/v1/signals.
type XML struct {
	// MaxBodyBytes caps one message; larger ones get code 1 (HTTP 413).
	MaxBodyBytes int `mapstructure:"max_body_bytes" yaml:"max_body_bytes"`
	// Senders are the clouds allowed to post; only the file can set them.
	Senders []XMLSender `mapstructure:"senders" yaml:"senders"`
}

// XMLSender is one sender (a cloud such as CHeKT) with its passkey.
type XMLSender struct {
	// ID is the sender's Header/Source.
	ID string `mapstructure:"id" yaml:"id"`
	// Passkey is the secret the sender presents (Authorization: Bearer,
	// X-Receiver-Passkey or Header/Passkey). Redacted hides it.
	Passkey string `mapstructure:"passkey" yaml:"passkey"`
	// Receiver and Line its signals belong to; the receiver's account
	// prefix applies to its accounts.
	Receiver int `mapstructure:"receiver" yaml:"receiver"`
	Line     int `mapstructure:"line" yaml:"line"`
	// AccountPrefixMode says whether the sender sends the receiver's
	// prefix with its account numbers: expect (the default: a cloud holds
	// the monitoring-station account number, prefix included, as CHeKT's
	// "ABC1234") or add (it sends them without, and the receiver puts the
	// prefix in front). It applies to the sender's signals instead of the
	// receiver's mode, on HTTP and on xmlsignal TCP listeners.
	AccountPrefixMode string `mapstructure:"account_prefix_mode" yaml:"account_prefix_mode"`
	// HeartbeatTimeout supervises the sender: no message (heartbeats are
	// messages without signals) for this long raises a link failure; 0 off.
	HeartbeatTimeout time.Duration `mapstructure:"heartbeat_timeout" yaml:"heartbeat_timeout"`
	// MonitoringURL is the sender's link template for events without a
	// media link, as a listener's monitoring_url (it applies to the
	// sender's messages over HTTP).
	MonitoringURL string `mapstructure:"monitoring_url" yaml:"monitoring_url"`
}

// Report configures the morning report (design.md §9).
type Report struct {
	Enabled bool `mapstructure:"enabled" yaml:"enabled"`
	// SendAt is the local time (the customer's first site's time zone) the
	// report goes out; the night runs from WindowStart the day before.
	SendAt      string `mapstructure:"send_at" yaml:"send_at"`
	WindowStart string `mapstructure:"window_start" yaml:"window_start"`
	// PortalURL is the base of the links in the report.
	PortalURL string `mapstructure:"portal_url" yaml:"portal_url"`
	SMTP      SMTP   `mapstructure:"smtp" yaml:"smtp"`
	// ShareDays is how long the Incident Share link of each incident in
	// a morning report opens that incident without a log-in; 0 leaves
	// the links out.
	ShareDays int `mapstructure:"share_days" yaml:"share_days"`
	// Scheduled are the station reports mailed on a schedule, through
	// SMTP, by the node that runs the morning report (file only).
	Scheduled []ScheduledReport `mapstructure:"scheduled" yaml:"scheduled"`
}

// ScheduledReport is one station report mailed on a schedule: its period
// ends at At on each day (every: day), each Weekday (week) or the first
// of each month (month), in TimeZone, and covers the day, the week or the
// month before.
type ScheduledReport struct {
	Name     string   `mapstructure:"name" yaml:"name"`     // unique; names its runs
	Report   string   `mapstructure:"report" yaml:"report"` // one of StationReports
	Every    string   `mapstructure:"every" yaml:"every"`   // day, week or month
	At       string   `mapstructure:"at" yaml:"at"`         // HH:MM
	Weekday  string   `mapstructure:"weekday" yaml:"weekday"`
	TimeZone string   `mapstructure:"time_zone" yaml:"time_zone"`
	Format   string   `mapstructure:"format" yaml:"format"` // pdf, html or csv
	To       []string `mapstructure:"to" yaml:"to"`
	SiteID   int64    `mapstructure:"site_id" yaml:"site_id"` // the open-close report's site
}

// StationReports are the reports report.scheduled may mail: the console's
// and the API's /api/v1/reports/{name}.
var StationReports = []string{"response-times", "false-alarms", "silent-accounts", "on-test", "operator-activity", "open-close"}

// ScheduleEvery are the periods of a scheduled report.
var ScheduleEvery = []string{"day", "week", "month"}

// SMTP is the mail server the reports go through.
type SMTP struct {
	Host     string `mapstructure:"host" yaml:"host"`
	Port     int    `mapstructure:"port" yaml:"port"`
	TLS      string `mapstructure:"tls" yaml:"tls"` // none, starttls or tls
	Username string `mapstructure:"username" yaml:"username"`
	// Password is a secret; Redacted hides it.
	Password string `mapstructure:"password" yaml:"password"`
	From     string `mapstructure:"from" yaml:"from"`
}

// Supervision configures account supervision (protocols.md §5.2).
type Supervision struct {
	// Grace is added to every account's interval: one retry cycle of the
	// panel (DSC communicators use interval + 75 s).
	Grace time.Duration `mapstructure:"grace" yaml:"grace"`
	// Schedules says what the openings and closings that break an
	// account's open/close schedule raise: "alarm" (an incident) or "log"
	// (a signal in the history). Late to open and late to close always
	// raise an alarm.
	Schedules ScheduleExceptions `mapstructure:"schedules" yaml:"schedules"`
}

// ScheduleExceptions configures the handling of each schedule exception.
type ScheduleExceptions struct {
	EarlyOpen        string `mapstructure:"early_open" yaml:"early_open"`
	UnscheduledOpen  string `mapstructure:"unscheduled_open" yaml:"unscheduled_open"`
	UnscheduledClose string `mapstructure:"unscheduled_close" yaml:"unscheduled_close"`
}

// ScheduleHandlings are the values of a ScheduleExceptions field.
var ScheduleHandlings = []string{"alarm", "log"}

// Outputs configures the automation outputs (design.md §8).
type Outputs struct {
	// Surgard outputs offer the Sur-Gard record stream on a TCP port that
	// legacy automation software connects to; only the file sets them.
	Surgard []SurgardOutput `mapstructure:"surgard" yaml:"surgard"`
	// Webhooks POST each signal (and optionally each incident step) to an
	// automation URL, at least once, in order; only the file sets them.
	Webhooks []Webhook `mapstructure:"webhooks" yaml:"webhooks"`
	// Peers connect to another receiver or an automation platform's
	// receiver and send it signals in a dialect (DC-09 forwarding, the
	// cloud dialects); only the file sets them.
	Peers []PeerOutput `mapstructure:"peers" yaml:"peers"`
}

// DefaultSenderID is a peer output's sender_id when the file gives none.
const DefaultSenderID = "alarmrx"

// PeerOutput is one output that connects out: alarmrx as a transmitter
// (DC-09) or in a cloud's role (an XML dialect).
type PeerOutput struct {
	Name string `mapstructure:"name" yaml:"name"`
	// Format is the dialect: dc09, manitou, masxml, microkey or sos.
	Format string `mapstructure:"format" yaml:"format"`
	// Endpoints are host:port, the primary first, then the backups.
	Endpoints []string `mapstructure:"endpoints" yaml:"endpoints"`
	// AckTimeout bounds the wait for one answer; Retries are the sends of
	// one message an endpoint gets before the next endpoint does;
	// Heartbeat is the idle time before a keep-alive (a DC-09 NULL); while
	// on a backup, the primary is tried again every Failback.
	AckTimeout time.Duration `mapstructure:"ack_timeout" yaml:"ack_timeout"`
	Retries    int           `mapstructure:"retries" yaml:"retries"`
	Heartbeat  time.Duration `mapstructure:"heartbeat" yaml:"heartbeat"`
	Failback   time.Duration `mapstructure:"failback" yaml:"failback"`
	// Categories limits the output to these event categories ([] = all);
	// Accounts to these account numbers, as stored (the receiver's prefix
	// applied; [] = all): a partner that monitors some accounts only.
	Categories   []string `mapstructure:"categories" yaml:"categories"`
	Accounts     []string `mapstructure:"accounts" yaml:"accounts"`
	IncludeTests bool     `mapstructure:"include_tests" yaml:"include_tests"`
	// DC-09: the AES key (hex or ascii as a listener's keys; "" sends
	// plain frames), and the R and L fields (hex digits; "" leaves R out,
	// L is 0 by default).
	Key       string `mapstructure:"key" yaml:"key"`
	KeyFormat string `mapstructure:"key_format" yaml:"key_format"`
	Receiver  string `mapstructure:"receiver" yaml:"receiver"`
	Line      string `mapstructure:"line" yaml:"line"`
	// The XML dialects: the sender id the peer knows alarmrx by (MASXML
	// SourceID, a Manitou Heartbeat's Source) and its passkey (a Manitou
	// Heartbeat's Passkey, SOS Access's 15-character authentication; a
	// secret, Redacted hides it); SOS Access's receiver id and
	// transmitter type.
	SenderID        string `mapstructure:"sender_id" yaml:"sender_id"` // dc09: the account of its NULL polls (default: 0000)
	Passkey         string `mapstructure:"passkey" yaml:"passkey"`
	TransmitterType string `mapstructure:"transmitter_type" yaml:"transmitter_type"`
}

// Webhook is one webhook output.
type Webhook struct {
	Name   string `mapstructure:"name" yaml:"name"`
	URL    string `mapstructure:"url" yaml:"url"`
	Format string `mapstructure:"format" yaml:"format"` // json or xml
	// Token is sent as a bearer token; a secret that Redacted hides.
	Token   string        `mapstructure:"token" yaml:"token"`
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
	// Categories limits the output to these event categories ([] = all).
	Categories   []string `mapstructure:"categories" yaml:"categories"`
	IncludeTests bool     `mapstructure:"include_tests" yaml:"include_tests"`
	// IncidentUpdates also sends operator steps on incidents (json only).
	IncidentUpdates bool `mapstructure:"incident_updates" yaml:"incident_updates"`
}

// SurgardOutput is one Sur-Gard automation output.
type SurgardOutput struct {
	Name string `mapstructure:"name" yaml:"name"`
	// TCP is where the automation connects; Serial a port wired to the
	// automation computer instead.
	TCP        string        `mapstructure:"tcp" yaml:"tcp"`
	Serial     Serial        `mapstructure:"serial" yaml:"serial"`
	AckTimeout time.Duration `mapstructure:"ack_timeout" yaml:"ack_timeout"`
	Retries    int           `mapstructure:"retries" yaml:"retries"`
	Heartbeat  time.Duration `mapstructure:"heartbeat" yaml:"heartbeat"`
	LineDigits int           `mapstructure:"line_digits" yaml:"line_digits"`
	// Receiver and Line are the RR and LLL of the output's heartbeats
	// (records carry their signal's receiver and listener line). Receiver
	// 0 means the number of the first receiver in receivers; Line is 0 by
	// default, the 000 of the SG Automation Output Protocol's heartbeat
	// "1RR000…@".
	Receiver int `mapstructure:"receiver" yaml:"receiver"`
	Line     int `mapstructure:"line" yaml:"line"`
	// Categories limits the output to these event categories ([] = all).
	Categories   []string `mapstructure:"categories" yaml:"categories"`
	IncludeTests bool     `mapstructure:"include_tests" yaml:"include_tests"`
}

// Console configures the operator console and station users' sessions.
type Console struct {
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration `mapstructure:"session_ttl" yaml:"session_ttl"`
	// LoginAttempts failed logins for one user name within LoginWindow,
	// from any address, lock that user name out of further attempts until
	// the window passes, except from a browser holding a device cookie of
	// an earlier successful login of that user (which has LoginAttempts of
	// its own). LoginAttemptsPerAddress failures from one address lock
	// that address out the same way.
	LoginAttempts           int           `mapstructure:"login_attempts" yaml:"login_attempts"`
	LoginAttemptsPerAddress int           `mapstructure:"login_attempts_per_address" yaml:"login_attempts_per_address"`
	LoginWindow             time.Duration `mapstructure:"login_window" yaml:"login_window"`
	// DeviceCookieTTL is how long a browser stays trusted after a
	// successful login.
	DeviceCookieTTL time.Duration `mapstructure:"device_cookie_ttl" yaml:"device_cookie_ttl"`
	// SecureCookies marks the session cookie Secure (HTTPS only). Turn it
	// off only for plain-HTTP use on a trusted network or loopback.
	SecureCookies bool `mapstructure:"secure_cookies" yaml:"secure_cookies"`
	// Clock is how the console writes times: 24h or 12h. Times are in the
	// site's time zone, with UTC on hover.
	Clock string `mapstructure:"clock" yaml:"clock"`
}

// DefaultResolutionCodes are the resolution codes when none are configured.
func DefaultResolutionCodes() []string {
	return []string{"false_alarm", "user_error", "weather", "technical_fault", "test", "police_dispatched",
		"fire_dispatched", "medical_dispatched", "guard_dispatched", "keyholder_attended", "cancelled_by_customer", "other"}
}

// DefaultFalseAlarmCodes are the default resolution codes that are false
// alarms.
func DefaultFalseAlarmCodes() []string {
	return []string{"false_alarm", "user_error", "weather", "technical_fault"}
}

// FalseAlarms are the false alarm codes in force: FalseAlarmCodes, or,
// when the file names none, the defaults among the resolution codes.
func (q *Queue) FalseAlarms() []string {
	if q.FalseAlarmCodes != nil {
		return q.FalseAlarmCodes
	}
	var out []string
	for _, c := range DefaultFalseAlarmCodes() {
		if slices.Contains(q.ResolutionCodes, c) {
			out = append(out, c)
		}
	}
	return out
}

// DefaultEscalateAfter are the unclaimed times of priorities 1 to 9 past
// which the supervisors are told: fire 30 s, hold-up 1 min, medical
// 1 min 30 s, burglary 2 min, other alarms 3 min, troubles 10 min, tamper
// and schedule exceptions 15 min, tests and information never.
func DefaultEscalateAfter() []time.Duration {
	return []time.Duration{30 * time.Second, time.Minute, 90 * time.Second, 2 * time.Minute, 3 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 15 * time.Minute, 0}
}

// DefaultLogOnlyCategories are the categories logged without an incident.
func DefaultLogOnlyCategories() []string { return []string{"openclose", "test", "info"} }

// Receiver is one logical receiver of the station (design.md §4).
type Receiver struct {
	Number int    `mapstructure:"number" yaml:"number"` // 1–99, unique
	Name   string `mapstructure:"name" yaml:"name"`
	// AccountPrefix is the prefix of this receiver's account numbers; Load
	// stores it upper-cased.
	AccountPrefix string `mapstructure:"account_prefix" yaml:"account_prefix"`
	// AccountPrefixMode says how the receiver's senders (its listeners'
	// panels and legacy receivers) send account numbers: add (the
	// default: without the prefix, which is put in front of every number:
	// 123 → 9123, 9123 → 99123) or expect (with it: taken as sent). It is
	// also how the API and the import read a sent_number. add is the
	// default because a panel knows only its own number, and it keeps the
	// accounts stored before the mode existed (always with the prefix in
	// front) reached by the same panels.
	AccountPrefixMode string     `mapstructure:"account_prefix_mode" yaml:"account_prefix_mode"`
	Listeners         []Listener `mapstructure:"listeners" yaml:"listeners"`
}

// The account prefix modes (store.PrefixMode).
const (
	PrefixAdd    = "add"
	PrefixExpect = "expect"
)

// PrefixMode is the receiver's account_prefix_mode, add when not set.
func (r Receiver) PrefixMode() string {
	if r.AccountPrefixMode == "" {
		return PrefixAdd
	}
	return r.AccountPrefixMode
}

// PrefixMode is the sender's account_prefix_mode, expect when not set.
func (s XMLSender) PrefixMode() string {
	if s.AccountPrefixMode == "" {
		return PrefixExpect
	}
	return s.AccountPrefixMode
}

// Listener is one protocol endpoint of a receiver.
type Listener struct {
	Name     string `mapstructure:"name" yaml:"name"`         // unique in the file; used in logs and metric labels
	Protocol string `mapstructure:"protocol" yaml:"protocol"` // one of Protocols()
	Line     int    `mapstructure:"line" yaml:"line"`         // 1–999, the LLL of Sur-Gard RRLLL
	TCP      string `mapstructure:"tcp" yaml:"tcp"`           // host:port, "" for none
	UDP      string `mapstructure:"udp" yaml:"udp"`           // host:port, "" for none

	MaxConns int `mapstructure:"max_conns" yaml:"max_conns"`
	// MonitoringURL, when set, makes the operator's "open video" link of
	// an event that carries none: a URL template with {account} (as
	// stored, the receiver's prefix applied), {account_sent} (as sent),
	// {zone} and {area}, e.g. CHeKT's
	// https://monitoring.chekt.com/monitoring?act={account}&zone={zone}.
	MonitoringURL string `mapstructure:"monitoring_url" yaml:"monitoring_url"`
	// AllowedSources, when set, are the only addresses (an IP, or a CIDR
	// block such as 203.0.113.0/24) the listener takes connections and
	// datagrams from; others are closed at once, counted and logged. The
	// dialects that carry no passkey (microkey, masxml, sentinel) need it
	// on a listener reachable from the internet.
	AllowedSources []string `mapstructure:"allowed_sources" yaml:"allowed_sources"`
	// MaxConnsPerIP caps the connections of one source address; 0 means a
	// sixteenth of max_conns (at least 1), so that no single address can
	// lock the panels out.
	MaxConnsPerIP int `mapstructure:"max_conns_per_ip" yaml:"max_conns_per_ip"`
	// ReadTimeout is how soon a new connection must deliver its first frame.
	ReadTimeout time.Duration `mapstructure:"read_timeout" yaml:"read_timeout"`
	// IdleTimeout is the longest silence between frames before the
	// connection is closed.
	IdleTimeout time.Duration `mapstructure:"idle_timeout" yaml:"idle_timeout"`
	// WriteTimeout bounds each reply.
	WriteTimeout time.Duration `mapstructure:"write_timeout" yaml:"write_timeout"`
	// MaxFrameBytes caps the bytes buffered while looking for one frame; 0
	// means the protocol's own cap.
	MaxFrameBytes int `mapstructure:"max_frame_bytes" yaml:"max_frame_bytes"`

	Keys            []Key  `mapstructure:"keys" yaml:"keys"`
	TimestampWindow Window `mapstructure:"timestamp_window" yaml:"timestamp_window"`

	// Serial is an RS-232 port (surgard only): a legacy receiver's
	// automation output wired to this machine.
	Serial Serial `mapstructure:"serial" yaml:"serial"`
	// HeartbeatTimeout (surgard): with no record or heartbeat for this
	// long the link to the legacy receiver is reported failed; 0 turns the
	// supervision off.
	HeartbeatTimeout time.Duration `mapstructure:"heartbeat_timeout" yaml:"heartbeat_timeout"`
	// TLSCert and TLSKey (PEM files) wrap the listener's TCP side in TLS
	// (Sur-Gard and XML senders that can; DC-09 has its own AES).
	TLSCert string `mapstructure:"tls_cert" yaml:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key" yaml:"tls_key"`
}

// Serial is a serial port's settings. Device "" means no serial port.
type Serial struct {
	Device   string `mapstructure:"device" yaml:"device"`
	Baud     int    `mapstructure:"baud" yaml:"baud"`
	DataBits int    `mapstructure:"data_bits" yaml:"data_bits"`
	Parity   string `mapstructure:"parity" yaml:"parity"` // none, even or odd
	StopBits int    `mapstructure:"stop_bits" yaml:"stop_bits"`
}

// Key is a DC-09 AES key for one account, or for every account on the
// listener that has no key of its own when Account is "*".
type Key struct {
	Account string `mapstructure:"account" yaml:"account"`
	// Key is the secret. It never appears in errors; Redacted hides it.
	Key string `mapstructure:"key" yaml:"key"`
	// Format says how Key is written [protocols.md §3.10]: hex (32, 48 or 64
	// hex digits, the key bytes themselves, as the standard has it) or ascii
	// (16, 24 or 32 characters whose bytes are the key, as Ajax panels and
	// Home Assistant have it).
	Format string `mapstructure:"format" yaml:"format"`
}

// Window is the DC-09 timestamp acceptance window [DC-09 §5.5.1.8,
// protocols.md §3.9]: a frame time more than Ahead in the future or Behind
// in the past gets a NAK carrying the receiver's time.
type Window struct {
	Ahead  time.Duration `mapstructure:"ahead" yaml:"ahead"`
	Behind time.Duration `mapstructure:"behind" yaml:"behind"`
	// ApplyToPlain also checks unencrypted frames that carry a timestamp.
	// Off by default: the standard requires the check for encrypted frames
	// (replay protection), and many panels send plain frames in local time.
	ApplyToPlain bool `mapstructure:"apply_to_plain" yaml:"apply_to_plain"`
}

// Key formats.
const (
	FormatHex   = "hex"
	FormatASCII = "ascii"
)

// AnyAccount as a Key's account makes it the listener's fallback key.
const AnyAccount = "*"

// Protocols returns the listener protocol names that Validate accepts:
// those of protocols/registry, in its order.
func Protocols() []string { return registry.Names() }

// Default returns a Config with every default set and no receivers. It is
// what an empty file loads to.
func Default() *Config {
	return &Config{
		DataDir:       "data",
		ShutdownGrace: 5 * time.Second,
		Log:           Log{Level: "info", Format: "console"},
		HTTP: HTTP{
			Listen:        "127.0.0.1:8080",
			ReadTimeout:   10 * time.Second,
			WriteTimeout:  30 * time.Second,
			MaxConns:      1024,
			MaxConnsPerIP: 64,
		},
		Store: Store{
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
			Retention:            DefaultRetention(),
		},
		Dedupe: Dedupe{Window: 10 * time.Minute, MaxEntries: 200000},
		OnTest: DefaultOnTest(),
		Queue: Queue{
			LogOnlyCategories:      DefaultLogOnlyCategories(),
			ResolutionCodes:        DefaultResolutionCodes(),
			UnknownAccountPriority: 5,
			ClaimTimeout:           5 * time.Minute,
			CheckEvery:             5 * time.Second,
			Runaway:                Runaway{MaxSignals: 10, Window: 2 * time.Minute, Quiet: 30 * time.Minute},
			Disaster: Disaster{AutoIncidentsPerMinute: 300, Categories: []string{"trouble", "tamper"}, UnknownAccounts: true,
				Quiet: 10 * time.Minute},
			EscalateAfter:       DefaultEscalateAfter(),
			FalseAlarmThreshold: 3,
			PermitWarnBefore:    30 * 24 * time.Hour,
			AgeWarn:             time.Minute,
			AgeCritical:         3 * time.Minute,
		},
		Console: Console{SessionTTL: 12 * time.Hour, LoginAttempts: 5, LoginAttemptsPerAddress: 20, LoginWindow: 5 * time.Minute,
			DeviceCookieTTL: 30 * 24 * time.Hour, SecureCookies: false, Clock: "24h"},
		Evidence: Evidence{PerSourcePerMinute: 20, PerMinute: 600, MaxBytes: 64 << 20},
		XML:      XML{MaxBodyBytes: 100_000},
		Supervision: Supervision{Grace: 75 * time.Second, Schedules: ScheduleExceptions{
			EarlyOpen: "log", UnscheduledOpen: "alarm", UnscheduledClose: "log"}},
		Report: Report{SendAt: "07:00", WindowStart: "18:00", PortalURL: "http://127.0.0.1:8080", ShareDays: 7,
			SMTP: SMTP{Host: "127.0.0.1", Port: 25, TLS: "starttls", From: "alarmrx <alarmrx@localhost>"}},
	}
}

// DefaultOnTest returns the on_test defaults.
func DefaultOnTest() OnTest {
	return OnTest{WarnBefore: 15 * time.Minute, MaxDuration: 7 * 24 * time.Hour, CheckEvery: 10 * time.Second}
}

// DefaultListener returns a Listener with the defaults Load gives to keys a
// listener in the file leaves out. Name, protocol, line and addresses have
// no default.
func DefaultListener() Listener {
	return Listener{
		MaxConns:     4096,
		ReadTimeout:  30 * time.Second,
		IdleTimeout:  3 * time.Minute,
		WriteTimeout: 5 * time.Second,
		TimestampWindow: Window{
			Ahead:  20 * time.Second,
			Behind: 40 * time.Second,
		},
		Serial:           Serial{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1},
		HeartbeatTimeout: 90 * time.Second,
	}
}

//go:embed alarmrx.example.yaml
var example []byte

// Example returns the embedded alarmrx.example.yaml, which Load("") uses.
func Example() []byte { return slices.Clone(example) }

// redactedValue replaces secrets in Redacted output.
const redactedValue = "[redacted]"

// Redacted returns a deep copy with the admin token and every DC-09 key
// replaced by "[redacted]", for printing (check-config, logs). Empty
// secrets stay empty so the copy still shows that a key or token is
// missing. Every URL (webhook url, report portal_url, any string holding
// "://") loses its password and secret-looking parameters (RedactURL).
func (c *Config) Redacted() *Config {
	r := *c
	if r.HTTP.AdminToken != "" {
		r.HTTP.AdminToken = redactedValue
	}
	if r.Report.SMTP.Password != "" {
		r.Report.SMTP.Password = redactedValue
	}
	r.Store.DSN = RedactDSN(r.Store.DSN)
	r.Outputs.Webhooks = slices.Clone(c.Outputs.Webhooks)
	for i := range r.Outputs.Webhooks {
		if r.Outputs.Webhooks[i].Token != "" {
			r.Outputs.Webhooks[i].Token = redactedValue
		}
	}
	r.Outputs.Peers = slices.Clone(c.Outputs.Peers)
	for i := range r.Outputs.Peers {
		if r.Outputs.Peers[i].Key != "" {
			r.Outputs.Peers[i].Key = redactedValue
		}
		if r.Outputs.Peers[i].Passkey != "" {
			r.Outputs.Peers[i].Passkey = redactedValue
		}
	}
	r.XML.Senders = slices.Clone(c.XML.Senders)
	for i := range r.XML.Senders {
		if r.XML.Senders[i].Passkey != "" {
			r.XML.Senders[i].Passkey = redactedValue
		}
	}
	r.Receivers = slices.Clone(c.Receivers)
	for i := range r.Receivers {
		rc := &r.Receivers[i]
		rc.Listeners = slices.Clone(rc.Listeners)
		for j := range rc.Listeners {
			lc := &rc.Listeners[j]
			lc.Keys = slices.Clone(lc.Keys)
			for k := range lc.Keys {
				if lc.Keys[k].Key != "" {
					lc.Keys[k].Key = redactedValue
				}
			}
		}
	}
	redactURLs(&r)
	return &r
}
