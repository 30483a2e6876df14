package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/cluster"
	"github.com/alarmrx/alarmrx/daemon/httpapi"
	"github.com/alarmrx/alarmrx/daemon/report"
	"github.com/alarmrx/alarmrx/daemon/schedules"
	"github.com/alarmrx/alarmrx/daemon/supervision"
	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/registry"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
)

// Options are what the daemon needs besides its configuration.
type Options struct {
	Logger   *zap.Logger          // required
	Registry *prometheus.Registry // nil → a new registry
	Version  string               // the build's version (alarmrx_build_info, the nodes' heartbeats)
	Revision string               // the commit it was built from; "" → "unknown"
	Now      func() time.Time     // nil → time.Now
	// NoUpgradeBackup skips the copy of the SQLite store taken before a
	// schema upgrade (serve --no-backup).
	NoUpgradeBackup bool
	// Load reads the configuration again for a reload (SIGHUP, POST
	// /-/reload); nil: the daemon cannot reload.
	Load func() (*configs.Config, error)
	// LogLevel, when set, is the logger's level, which a reload sets.
	LogLevel *zap.AtomicLevel
	// TrendInterval is how often the dashboard's graphs sample the
	// daemon's metrics (0 → 10 s).
	TrendInterval time.Duration
}

// Daemon is a configured, bound, not yet running alarmrx.
type Daemon struct {
	// cfg is the configuration in force: the one the daemon started with,
	// with the changes each reload applied live (reload.go).
	cfg      atomic.Pointer[configs.Config]
	log      *zap.Logger
	reg      *prometheus.Registry
	store    *store.Store
	receiver *receiver.Receiver
	// supervision raises the events of silent panels through the receiver.
	supervision *supervision.Service
	schedules   *schedules.Service
	escalator   *escalator
	httpLn      net.Listener
	httpSrv     *http.Server
	httpDone    chan struct{}   // closed at shutdown: ends event streams
	trends      *httpapi.Trends // the dashboard's graphs; nil without HTTP
	// running are the outputs and the report mailer (outputs.go).
	running jobSet
	// wakers wake each output by name when the store gave it outbox rows.
	wakers   atomic.Pointer[map[string]func()]
	evidence *evidence.Quota
	// pruner deletes what is past its retention, off the ACK path.
	pruner *pruner
	// keeper runs the singleton jobs under their leases (one node at a
	// time when several share a PostgreSQL database).
	keeper  *cluster.Keeper
	version string
	now     func() time.Time

	// What a configuration reload needs (reload.go): where the file comes
	// from, the log level, the HTTP server's options in force, the
	// certificates' expiry gauge, and its own gauges. reloadMu runs one
	// reload at a time.
	load          func() (*configs.Config, error)
	level         *zap.AtomicLevel
	live          atomic.Pointer[httpapi.Live]
	certExpiry    *prometheus.GaugeVec
	certSeries    map[string]bool // the listeners certExpiry has a series of (reloads run one at a time)
	httpTLS       *tls.Config
	reloadMu      sync.Mutex
	reloadMetrics reloadMetrics
}

// New opens the store, builds the codecs and binds every listener and the
// HTTP port. On error everything opened so far is closed again, and the
// error names the cause in one line.
func New(ctx context.Context, cfg *configs.Config, opts Options) (_ *Daemon, err error) {
	if opts.Logger == nil {
		return nil, errors.New("daemon: Options.Logger is required")
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Daemon{log: opts.Logger, reg: opts.Registry, now: opts.Now, httpDone: make(chan struct{})}
	d.cfg.Store(cfg)
	d.load, d.level = opts.Load, opts.LogLevel
	d.reloadMetrics = newReloadMetrics(opts.Registry, opts.Now())
	defer func() {
		if err != nil {
			d.closeAll()
		}
	}()
	if opts.Revision == "" {
		opts.Revision = "unknown"
	}
	d.registerProcessMetrics(opts.Version, opts.Revision)

	sto, err := StoreOptions(cfg, opts.Logger, opts.Registry)
	if err != nil {
		return nil, err
	}
	sto.NoUpgradeBackup, sto.OutboxQueued, sto.Now = opts.NoUpgradeBackup, d.wakeOutput, opts.Now
	d.store, err = store.Open(ctx, filepath.Join(cfg.DataDir, store.FileName), sto)
	if err != nil {
		return nil, err
	}
	d.pruner = newPruner(d.store, cfg.Store.Retention, opts.Logger, opts.Now)
	d.keeper = cluster.New(cluster.Options{Leases: d.store, Logger: opts.Logger, Registerer: opts.Registry})
	d.version = opts.Version
	seed, err := d.store.RecentDedupeKeys(ctx, opts.Now().Add(-cfg.Dedupe.Window))
	if err != nil {
		return nil, err
	}
	if err := d.store.SyncReceivers(ctx, storeReceivers(cfg)); err != nil {
		return nil, err
	}
	listeners, err := Listeners(cfg, d.store)
	if err != nil {
		return nil, err
	}
	sourceListeners(cfg, listeners)
	if cfg.Store.Driver != store.DriverPostgres {
		registerDataDirFree(d.reg, cfg.DataDir)
	}
	d.certExpiry = certExpiryGauge(d.reg)
	sup, err := d.supervisor(ctx, opts.Now())
	if err != nil {
		return nil, err
	}
	so := supervision.Options{Supervisor: sup, Save: d.saveSupervision, Logger: opts.Logger, Registerer: opts.Registry, Now: opts.Now}
	if d.store.Clustered() {
		so.Shared, so.Reload = d.store, d.supervisedAccounts
	}
	d.supervision = supervision.New(so)
	d.escalator = newEscalator(d)
	sx := cfg.Supervision.Schedules
	d.schedules = schedules.New(schedules.Options{Store: d.store, Logger: opts.Logger, Registerer: opts.Registry, Now: opts.Now,
		LogOnly: schedules.LogOnly{EarlyOpen: sx.EarlyOpen == "log", UnscheduledOpen: sx.UnscheduledOpen == "log",
			UnscheduledClose: sx.UnscheduledClose == "log"}})
	d.evidence = evidence.NewQuota(cfg.Evidence.PerSourcePerMinute, cfg.Evidence.PerMinute, opts.Registry)
	d.receiver, err = receiver.New(receiver.Options{
		CheckIns:      d.supervision,
		Polls:         d.store,
		Listeners:     listeners,
		Sink:          d.store,
		Logger:        opts.Logger,
		Registerer:    opts.Registry,
		CommitTimeout: cfg.Store.CommitTimeout,
		ShutdownGrace: cfg.ShutdownGrace,
		DedupeWindow:  cfg.Dedupe.Window,
		DedupeMax:     cfg.Dedupe.MaxEntries,
		DedupeSeed:    seed,
		Resolver:      d.store,
		Links:         d.store,
		Queue:         QueueRules(cfg),
		Evidence:      d.evidence,
		Now:           opts.Now,
	})
	if err != nil {
		return nil, err
	}
	jobs, err := d.buildJobs(cfg)
	if err != nil {
		return nil, err
	}
	d.running.list = jobs
	d.publishWakers(jobs)
	warnOpenListeners(cfg, opts.Logger)
	if cfg.HTTP.Listen != "" && cfg.HTTP.AdminToken == "" {
		opts.Logger.Warn("no http.admin_token is set: the management API refuses bearer requests (403), so accounts, " +
			"sites and station users cannot be managed; set http.admin_token or ALARMRX_HTTP_ADMIN_TOKEN " +
			"(station users already created can still log in to the console)")
	}
	if cfg.HTTP.Listen != "" {
		deviceKey, err := d.store.Setting(ctx, "device_cookie_key", 32)
		if err != nil {
			return nil, err
		}
		d.trends = httpapi.NewTrends(httpapi.TrendsOptions{Gatherer: opts.Registry, Listeners: d.receiver.Addrs, Now: opts.Now,
			Interval: opts.TrendInterval})
		d.live.Store(d.httpLive(cfg))
		h, err := httpapi.New(httpapi.Options{
			Logger:      opts.Logger,
			Gatherer:    opts.Registry,
			Store:       d.store,
			Ready:       d.Ready,
			Trends:      d.trends,
			Connections: d.receiver.Connections,
			Cluster:     d.clusterView,
			Station:     d.store,
			Tables: httpapi.Tables{
				Customers: d.store.Customers, Installers: d.store.Installers, Technicians: d.store.Technicians,
				Sites: d.store.Sites, Accounts: d.store.Accounts, Zones: d.store.Zones,
				RespondingParties: d.store.RespondingParties, Authorities: d.store.Authorities,
				CustomerContacts: d.store.CustomerContacts,
			},
			Console: httpapi.ConsoleOptions{
				SessionTTL: cfg.Console.SessionTTL, LoginAttempts: cfg.Console.LoginAttempts,
				LoginAttemptsPerAddress: cfg.Console.LoginAttemptsPerAddress, LoginWindow: cfg.Console.LoginWindow,
				DeviceCookieTTL: cfg.Console.DeviceCookieTTL, DeviceKey: deviceKey, SecureCookies: cfg.Console.SecureCookies,
			},
			Done:        d.httpDone,
			Registerer:  opts.Registry,
			RaiseDuress: d.raiseDuress,
			Evidence:    d.evidence,
			// The admin token, on-test cap, queue rules, console ages and
			// clock, and XML senders: the ones in force (a reload replaces
			// them), not fields fixed here.
			Live: d.live.Load,
			Reload: func(ctx context.Context) (any, error) {
				res, err := d.Reload(ctx)
				if res == nil {
					return nil, err // an untyped nil: nothing was applied
				}
				return res, err
			},
			Now: opts.Now,
		})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
		d.httpLn = newLimitListener(ln, cfg.HTTP.MaxConns, cfg.HTTP.MaxConnsPerIP, opts.Registry)
		tlsConfig, err := loadTLS(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("daemon: http: %w", err)
		}
		if tlsConfig != nil {
			d.httpLn = tls.NewListener(d.httpLn, tlsConfig)
			d.httpTLS = tlsConfig
		}
		d.httpSrv = &http.Server{
			Handler:           h,
			ReadHeaderTimeout: cfg.HTTP.ReadTimeout,
			ReadTimeout:       cfg.HTTP.ReadTimeout,
			WriteTimeout:      cfg.HTTP.WriteTimeout,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          httpErrorLog(opts.Logger, opts.Registry),
		}
	}
	d.setCertExpiry(listeners)
	// Every job's lease series exist from the start, so a scrape before a
	// job first ran sees it, not a series that appears later.
	d.keeper.Declare(d.jobs()...)
	return d, nil
}

// config is the configuration in force.
func (d *Daemon) config() *configs.Config { return d.cfg.Load() }

// jobs are the singleton jobs this daemon runs under leases (Run).
func (d *Daemon) jobs() []string {
	jobs := []string{jobSupervision, jobSchedules, jobOnTestExpiry, jobQueueSweep, jobEvidencePrune, jobRetention, jobUnprogrammed}
	for _, j := range d.running.list {
		jobs = append(jobs, j.leaseName())
	}
	return jobs
}

// scheduledReports are report.scheduled for the reporter (checked by
// configs.Validate: names, zones and weekdays are known).
func scheduledReports(list []configs.ScheduledReport) []report.Scheduled {
	out := make([]report.Scheduled, 0, len(list))
	for _, s := range list {
		zone, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			zone = time.UTC
		}
		out = append(out, report.Scheduled{Name: s.Name, Report: s.Report, Every: s.Every, At: s.At,
			Weekday: configs.Weekdays[strings.ToLower(s.Weekday)], Zone: zone, Format: s.Format, To: s.To, SiteID: s.SiteID})
	}
	return out
}

// renderReport writes a station report for the scheduled mail: the API's
// reports over the store, in the console's clock.
func (d *Daemon) renderReport(ctx context.Context, rq report.RenderRequest, format string, w io.Writer) (string, string, error) {
	return httpapi.WriteReport(ctx, d.store, httpapi.ReportRequest{Kind: rq.Report, From: rq.From, To: rq.To, SiteID: rq.SiteID,
		Zone: rq.Zone, Clock: d.config().Console.Clock, Made: d.now()}, format, w)
}

// supervisor loads the supervised accounts and their state, and follows
// account changes.
func (d *Daemon) supervisor(ctx context.Context, now time.Time) (*supervision.Supervisor, error) {
	accounts, err := d.loadSupervised(ctx)
	if err != nil {
		return nil, err
	}
	sup := supervision.NewSupervisor(d.config().Supervision.Grace, now)
	sup.Load(accounts, now)
	d.store.WatchAccounts(func(old, a *store.Account) {
		if a == nil {
			sup.Remove(old.ID)
			return
		}
		sup.Set(supervision.SupervisedAccount{ID: a.ID, Receiver: a.Receiver, Number: a.Number,
			Interval: time.Duration(a.SupervisionInterval), TestInterval: time.Duration(a.TestInterval)}, d.now())
	})
	return sup, nil
}

// loadSupervised reads the supervised accounts with their stored states.
func (d *Daemon) loadSupervised(ctx context.Context) ([]supervision.SupervisedAccount, error) {
	list, err := d.store.SupervisedAccounts(ctx)
	if err != nil {
		return nil, err
	}
	accounts := make([]supervision.SupervisedAccount, len(list))
	for i, a := range list {
		accounts[i] = supervision.SupervisedAccount{ID: a.ID, Receiver: a.Receiver, Number: a.Number, Interval: a.Interval,
			TestInterval: a.TestInterval, LastSeen: a.LastSeen, Failed: a.Failed, TestLate: a.TestLate}
	}
	return accounts, nil
}

// supervisedAccounts is loadSupervised for a node taking supervision over.
func (d *Daemon) supervisedAccounts() ([]supervision.SupervisedAccount, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.loadSupervised(ctx)
}

func (d *Daemon) saveSupervision(list []supervision.SupervisedAccount) error {
	states := make([]store.SupervisionState, len(list))
	for i, a := range list {
		states[i] = store.SupervisionState{AccountID: a.ID, LastSeen: a.LastSeen, Failed: a.Failed, TestLate: a.TestLate}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.store.SaveSupervision(ctx, states)
}

// wakeOutput tells the output named that the store gave it outbox rows,
// so that they are delivered at once rather than at its next poll. The
// store calls it on its writer; the outputs are set once New has built
// them, before any frame is committed.
func (d *Daemon) wakeOutput(name string) {
	if w := d.wakers.Load(); w != nil {
		if wake := (*w)[name]; wake != nil {
			wake()
		}
	}
}

// registerDataDirFree exports alarmrx_data_dir_free_bytes, the space
// left on the SQLite data dir's filesystem for the service's user
// (statfs: available blocks), read at each scrape: the disk alert needs no
// exporter beside alarmrx, and names the right filesystem by itself.
func registerDataDirFree(reg prometheus.Registerer, dir string) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_data_dir_free_bytes",
		Help: "Bytes available to unprivileged users on the data dir's filesystem; 0 when it cannot be read.",
	}, func() float64 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return 0
		}
		return float64(st.Bavail) * float64(st.Bsize)
	}))
}

// certExpiryGauge is alarmrx_tls_certificate_expiry_timestamp_seconds:
// when each TLS certificate served stops being valid, for an alert
// before it does (configs/prometheus/alerts.yml).
func certExpiryGauge(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "alarmrx_tls_certificate_expiry_timestamp_seconds",
		Help: "The end of the validity (NotAfter, Unix seconds) of the TLS certificate a listener serves; listener http is the HTTP server's.",
	}, []string{"listener"})
	reg.MustRegister(g)
	return g
}

// setCertExpiry sets the gauge for a listener's certificate, if it has
// one.
// setCertExpiry sets the expiry gauge of every listener's certificate, and
// of the HTTP server's, forgetting those of listeners no longer there.
// A series is set before a stale one is deleted, never reset all at once:
// a scrape in between must not find the gauge empty (absent() alerts).
func (d *Daemon) setCertExpiry(listeners []receiver.ListenerOptions) {
	set := map[string]bool{}
	for _, lo := range listeners {
		if setCertExpiry(d.certExpiry, lo.Name, lo.TLS) {
			set[lo.Name] = true
		}
	}
	if setCertExpiry(d.certExpiry, "http", d.httpTLS) {
		set["http"] = true
	}
	for name := range d.certSeries {
		if !set[name] {
			d.certExpiry.DeleteLabelValues(name)
		}
	}
	d.certSeries = set
}

// setCertExpiry sets listener's series from its certificate, and reports
// whether it had one.
func setCertExpiry(g *prometheus.GaugeVec, listener string, c *tls.Config) bool {
	if c == nil || len(c.Certificates) == 0 || c.Certificates[0].Leaf == nil {
		return false
	}
	g.WithLabelValues(listener).Set(float64(c.Certificates[0].Leaf.NotAfter.Unix()))
	return true
}

// StoreOptions are the store's options as the configuration makes them:
// the engine, the secrets key, and the rules the projection applies
// (outputs' outbox, action plans, runaway, false alarms, disaster modes).
// New opens the station's store with them, and `alarmrx backup` its copy,
// so that the frames a backup builds in from the journal are built as
// the daemon would have built them.
func StoreOptions(cfg *configs.Config, log *zap.Logger, reg prometheus.Registerer) (store.Options, error) {
	secretsKey, err := configs.ReadSecretsKey(cfg.Store.SecretsKeyFile)
	if err != nil {
		return store.Options{}, err
	}
	plans, err := ActionPlans(cfg)
	if err != nil {
		return store.Options{}, err
	}
	rules := storeRules(cfg)
	return store.Options{
		Outbox: rules.Outbox, Runaway: rules.Runaway, ActionPlans: plans, FalseAlarms: rules.FalseAlarms, Disaster: rules.Disaster,

		Logger:           log,
		Registerer:       reg,
		Driver:           cfg.Store.Driver,
		DSN:              cfg.Store.DSN,
		NodeID:           cfg.Store.NodeID,
		PoolMax:          cfg.Store.PoolMax,
		StatementTimeout: cfg.Store.StatementTimeout,
		Synchronous:      cfg.Store.Synchronous,
		BusyTimeout:      cfg.Store.BusyTimeout,
		BatchMax:         cfg.Store.CommitBatchMax,
		PendingMax:       cfg.Store.PendingMax,

		ProjectDelay:         cfg.Store.ProjectDelay,
		ProjectionBacklogMax: cfg.Store.ProjectionBacklogMax,
		ProjectionLagMax:     cfg.Store.ProjectionLagMax,

		IntegrityCheck: integrityCheck(cfg.Store.IntegrityCheck),
		RebuildDetail:  registry.RebuildDetail,
		SecretsKey:     secretsKey,
	}, nil
}

// storeRules are the store's reloadable rules of cfg (store.Rules), but
// for the action plans, which ActionPlans builds and checks.
func storeRules(cfg *configs.Config) store.Rules {
	return store.Rules{
		Outbox: outboxTargets(cfg),
		Runaway: store.RunawayRules{Max: cfg.Queue.Runaway.MaxSignals,
			Window: cfg.Queue.Runaway.Window, Quiet: cfg.Queue.Runaway.Quiet},
		FalseAlarms: store.FalseAlarmRules{Codes: cfg.Queue.FalseAlarms(), Threshold: cfg.Queue.FalseAlarmThreshold},
		Disaster: store.DisasterRules{AutoIncidents: cfg.Queue.Disaster.AutoIncidentsPerMinute, Categories: cfg.Queue.Disaster.Categories,
			UnknownAccounts: cfg.Queue.Disaster.UnknownAccounts, Quiet: cfg.Queue.Disaster.Quiet},
	}
}

// queueRules are the rules the operators' steps obey.
func queueRules(cfg *configs.Config) store.QueueRules {
	return store.QueueRules{ClaimTimeout: cfg.Queue.ClaimTimeout, ResolutionCodes: cfg.Queue.ResolutionCodes}
}

// loadTLS reads a certificate and key pair; nil when none is configured.
// Its Leaf is parsed (crypto/tls does since Go 1.23), for its expiry.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate %s: %w", certFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// outboxTargets lists the outputs that get an outbox row per signal.
func outboxTargets(cfg *configs.Config) []store.OutboxTarget {
	var out []store.OutboxTarget
	for _, o := range cfg.Outputs.Surgard {
		out = append(out, store.OutboxTarget{Name: o.Name, Categories: o.Categories, IncludeTests: o.IncludeTests})
	}
	for _, h := range cfg.Outputs.Webhooks {
		out = append(out, store.OutboxTarget{Name: h.Name, Categories: h.Categories, IncludeTests: h.IncludeTests,
			IncidentUpdates: h.IncidentUpdates})
	}
	for _, p := range cfg.Outputs.Peers {
		out = append(out, store.OutboxTarget{Name: p.Name, Categories: p.Categories, Accounts: p.Accounts, IncludeTests: p.IncludeTests})
	}
	return out
}

// heartbeatReceiver is the RR of an output's heartbeats: its own receiver,
// else the first configured receiver's number (a one-receiver station
// configures nothing), else 1.
func heartbeatReceiver(cfg *configs.Config, oc configs.SurgardOutput) int {
	switch {
	case oc.Receiver != 0:
		return oc.Receiver
	case len(cfg.Receivers) > 0:
		return cfg.Receivers[0].Number
	}
	return 1
}

// OutputAddrs returns the bound addresses of the Sur-Gard outputs by name.
func (d *Daemon) OutputAddrs() map[string]string {
	out := map[string]string{}
	d.running.mu.Lock()
	defer d.running.mu.Unlock()
	for _, j := range d.running.list {
		if j.addr != nil {
			out[j.name] = j.addr()
		}
	}
	return out
}

// QueueRules turns the queue configuration into the receiver's rules.
func QueueRules(cfg *configs.Config) receiver.QueueRules {
	q := receiver.QueueRules{
		LogOnly:         map[protocols.Category]bool{},
		Codes:           map[string]receiver.CodeRule{},
		UnknownPriority: cfg.Queue.UnknownAccountPriority,
	}
	for _, name := range cfg.Queue.LogOnlyCategories {
		if c, ok := protocols.ParseCategory(name); ok {
			q.LogOnly[c] = true
		}
	}
	for _, r := range cfg.Queue.Codes {
		q.Codes[receiver.CodeKey(r.Format, r.Code)] = receiver.CodeRule{Priority: r.Priority, Handling: r.Handling}
	}
	return q
}

// AccountKeys finds the DC-09 key stored with an account. *store.Store
// satisfies it.
type AccountKeys interface {
	AccountKey(receiver int, number string) (dc09.Key, bool)
}

func storeReceivers(cfg *configs.Config) []store.Receiver {
	out := make([]store.Receiver, 0, len(cfg.Receivers))
	for _, rc := range cfg.Receivers {
		out = append(out, store.Receiver{Number: rc.Number, Name: rc.Name, AccountPrefix: strings.ToUpper(rc.AccountPrefix),
			AccountPrefixMode: store.PrefixMode(rc.PrefixMode())})
	}
	return out
}

// Listeners maps the configured listeners to receiver options, building one
// codec per listener with that listener's keys and timestamp window. Keys
// stored with accounts (nil: none) come before the listener's keys.
func Listeners(cfg *configs.Config, accounts AccountKeys) ([]receiver.ListenerOptions, error) {
	var out []receiver.ListenerOptions
	for _, rc := range cfg.Receivers {
		for _, lc := range rc.Listeners {
			proto, ok := registry.Lookup(lc.Protocol)
			if !ok {
				return nil, fmt.Errorf("daemon: listener %q: unknown protocol %q", lc.Name, lc.Protocol)
			}
			co := codecOptions(cfg, lc, rc, accounts)
			codec, err := proto.Build(co)
			if err != nil {
				return nil, fmt.Errorf("daemon: listener %q: %w", lc.Name, err)
			}
			var port *serialport.Config
			if lc.Serial.Device != "" {
				port = &serialport.Config{Device: lc.Serial.Device, Baud: lc.Serial.Baud, DataBits: lc.Serial.DataBits,
					Parity: lc.Serial.Parity, StopBits: lc.Serial.StopBits}
			}
			// A Sur-Gard listener is one legacy receiver's link. An XML
			// listener is shared by senders, each supervised by its own
			// heartbeat_timeout: its messages check their sender in.
			heartbeat := time.Duration(0)
			if proto.LinkSupervised {
				heartbeat = lc.HeartbeatTimeout
			}
			var linkOf func(*protocols.Message) string
			if proto.Sender != nil {
				linkOf = senderLink(proto.Sender)
			}
			tlsConfig, err := loadTLS(lc.TLSCert, lc.TLSKey)
			if err != nil {
				return nil, fmt.Errorf("daemon: listener %q: %w", lc.Name, err)
			}
			maxFrame := proto.MaxFrameBytes(co)
			var sources []netip.Prefix
			for _, src := range lc.AllowedSources {
				p, err := configs.ParseSource(src)
				if err != nil {
					return nil, fmt.Errorf("daemon: listener %q: allowed_sources: %w", lc.Name, err)
				}
				sources = append(sources, p)
			}
			lo := receiver.ListenerOptions{
				TLS:              tlsConfig,
				Serial:           port,
				HeartbeatTimeout: heartbeat,
				LinkOf:           linkOf,
				Name:             lc.Name,
				Codec:            codec,
				Receiver:         rc.Number,
				Line:             lc.Line,
				AccountPrefix:    strings.ToUpper(rc.AccountPrefix),
				TCP:              lc.TCP,
				UDP:              lc.UDP,
				AllowedSources:   sources,
				MonitoringURL:    lc.MonitoringURL,
				MaxConns:         lc.MaxConns,
				MaxConnsPerIP:    lc.MaxConnsPerIP,
				ReadTimeout:      lc.ReadTimeout,
				IdleTimeout:      lc.IdleTimeout,
				WriteTimeout:     lc.WriteTimeout,
				MaxFrameBytes:    maxFrame,
			}
			lo.AccountPrefixMode = store.PrefixMode(rc.PrefixMode())
			lo.PrefixModeOf = senderModes(cfg, proto.Sender)
			out = append(out, lo)
		}
	}
	// Each XML sender gets a listener without a socket: the HTTP server
	// submits its messages, and its metrics and supervision are its own.
	for _, sc := range cfg.XML.Senders {
		prefix := ""
		for _, rc := range cfg.Receivers {
			if rc.Number == sc.Receiver {
				prefix = strings.ToUpper(rc.AccountPrefix)
			}
		}
		lo := receiver.ListenerOptions{
			Name:             XMLListener(sc.ID),
			Codec:            xmlsignal.New(cfg.XML.MaxBodyBytes),
			Receiver:         sc.Receiver,
			Line:             sc.Line,
			AccountPrefix:    prefix,
			Submitted:        true,
			HeartbeatTimeout: sc.HeartbeatTimeout,
			MaxFrameBytes:    cfg.XML.MaxBodyBytes,
			MonitoringURL:    sc.MonitoringURL,
		}
		// The sender states its own prefix mode, in place of its receiver's.
		lo.AccountPrefixMode = store.PrefixMode(sc.PrefixMode())
		out = append(out, lo)
	}
	return out, nil
}

func (d *Daemon) xmlOptions(cfg *configs.Config) httpapi.XMLOptions {
	x := httpapi.XMLOptions{
		MaxBodyBytes: cfg.XML.MaxBodyBytes,
		Submit:       d.receiver.Submit,
		Seen: func(r *http.Request, key string) (bool, error) {
			return d.store.MessageSeen(r.Context(), key)
		},
	}
	for _, sc := range cfg.XML.Senders {
		x.Senders = append(x.Senders, httpapi.XMLSender{ID: sc.ID, Passkey: sc.Passkey, Listener: XMLListener(sc.ID)})
	}
	return x
}

// senderLink names the listener of the sender of a message, as sender
// finds it; XML senders are the only ones with listeners of their own.
func senderLink(sender func(*protocols.Message) string) func(*protocols.Message) string {
	return func(m *protocols.Message) string {
		if s := sender(m); s != "" {
			return XMLListener(s)
		}
		return ""
	}
}

// XMLListener names the listener of an XML sender.
func XMLListener(sender string) string { return "xml-" + sender }

// codecOptions are what protocols/registry builds a listener's codec
// from: the listener's settings, its receiver's account prefix (for the
// keys stored with accounts) and the configured XML senders.
func codecOptions(cfg *configs.Config, lc configs.Listener, rc configs.Receiver, accounts AccountKeys) registry.Options {
	o := registry.Options{
		MaxFrameBytes: lc.MaxFrameBytes,
		Window: dc09.Window{
			Ahead:        lc.TimestampWindow.Ahead,
			Behind:       lc.TimestampWindow.Behind,
			ApplyToPlain: lc.TimestampWindow.ApplyToPlain,
		},
		XMLMaxBodyBytes: cfg.XML.MaxBodyBytes,
		Senders:         make(map[string]string, len(cfg.XML.Senders)),
	}
	for _, k := range lc.Keys {
		o.Keys = append(o.Keys, registry.Key{Account: k.Account, Key: k.Key, Format: k.Format})
	}
	if accounts != nil {
		// A header account is looked up as the pipeline stores it: with
		// the receiver's prefix applied by its rule.
		prefix, mode := strings.ToUpper(rc.AccountPrefix), store.PrefixMode(rc.PrefixMode())
		o.StoredKey = func(account string) (dc09.Key, bool) {
			return accounts.AccountKey(rc.Number, store.ApplyPrefix(prefix, mode, strings.ToUpper(strings.TrimSpace(account))))
		}
	}
	for _, s := range cfg.XML.Senders {
		o.Senders[s.ID] = s.Passkey
	}
	return o
}

func (d *Daemon) registerProcessMetrics(version, revision string) {
	d.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "alarmrx_build_info",
		Help:        "Always 1; the labels say which build runs: its version, commit and Go release.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	info.Set(1)
	d.reg.MustRegister(info)
}

// Ready reports whether the daemon can take traffic: its listeners are bound
// (they are, once New returned) and the store answers and commits.
func (d *Daemon) Ready(ctx context.Context) error {
	return d.store.Ping(ctx)
}

// Addrs returns the receiver's bound listener addresses.
func (d *Daemon) Addrs() []receiver.Addr { return d.receiver.Addrs() }

// HTTPAddr returns the bound HTTP address, "" when HTTP is off.
func (d *Daemon) HTTPAddr() string {
	if d.httpLn == nil {
		return ""
	}
	return d.httpLn.Addr().String()
}

// Store returns the daemon's store (tests read rows back through it).
func (d *Daemon) Store() *store.Store { return d.store }

// Run serves until ctx ends, then shuts down last-in first-out: the receiver
// stops accepting and finishes the frames in flight within the grace period,
// then HTTP stops, then the store closes after its last commit.
func (d *Daemon) Run(ctx context.Context) error {
	// httpErr stays silent when HTTP is off: a nil channel never delivers.
	var httpErr chan error
	if d.httpSrv != nil {
		httpErr = make(chan error, 1)
		d.log.Info("http listening", zap.String("address", d.HTTPAddr()))
		go func() {
			err := d.httpSrv.Serve(d.httpLn)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			httpErr <- err
		}()
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recvErr := make(chan error, 1)
	go func() { recvErr <- d.receiver.Run(rctx) }()
	// Supervision stops after the receiver: the frames committed during
	// its shutdown grace still have their restores raised.
	sctx, stopSupervision := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSupervision()
	supervisionDone := make(chan struct{})
	// The singleton jobs run under their leases: on one node at a time
	// when several share the database, at once on a single node.
	go func() {
		defer close(supervisionDone)
		d.singleton(sctx, jobSupervision, func(ctx context.Context) { d.supervision.Run(ctx, d.receiver) })
	}()
	schedulesDone := make(chan struct{})
	go func() {
		defer close(schedulesDone)
		d.singleton(sctx, jobSchedules, func(ctx context.Context) { d.schedules.Run(ctx, d.receiver) })
	}()
	testsDone := make(chan struct{})
	go func() { defer close(testsDone); d.singleton(rctx, jobOnTestExpiry, d.expireTests) }()
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); d.singleton(rctx, jobQueueSweep, d.sweepQueue) }()
	pruneDone := make(chan struct{})
	go func() { defer close(pruneDone); d.singleton(rctx, jobEvidencePrune, d.pruneEvidence) }()
	retentionDone := make(chan struct{})
	go func() { defer close(retentionDone); d.singleton(rctx, jobRetention, d.prune) }()
	foldDone := make(chan struct{})
	go func() { defer close(foldDone); d.singleton(rctx, jobUnprogrammed, d.foldUnprogrammedZones) }()
	pollsDone := make(chan struct{})
	go func() { defer close(pollsDone); d.flushPolls(rctx) }() // every node's own polls
	heartbeatDone := make(chan struct{})
	nodeErr := make(chan error, 1)
	go func() {
		defer close(heartbeatDone)
		if err := d.heartbeat(rctx, d.version); err != nil {
			nodeErr <- err
		}
	}()
	trendsDone := make(chan struct{})
	go func() {
		defer close(trendsDone)
		if d.trends != nil {
			d.trends.Run(rctx)
		}
	}()
	sharingDone := make(chan struct{})
	go func() { defer close(sharingDone); d.supervision.RunSharing(sctx) }() // every node's check-ins
	// The outputs and the report mailer; a reload may stop, restart and
	// add them while the daemon runs (reloadJobs).
	d.running.mu.Lock()
	d.running.ctx = rctx
	for _, j := range d.running.list {
		d.start(&d.running, j)
	}
	d.running.mu.Unlock()
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		// HTTP stopped on its own: take the daemon down rather than run
		// without metrics and probes.
		runErr = fmt.Errorf("daemon: http server stopped: %w", err)
		d.log.Error("http server stopped", zap.Error(err))
		httpErr <- nil
	case err := <-nodeErr:
		// Another process runs as this node: both would act on its
		// leases. This one stops.
		runErr = fmt.Errorf("daemon: %w", err)
		d.log.Error("another process has this node's id: stopping", zap.Error(err))
	}
	cancel()
	runErr = errors.Join(runErr, <-recvErr)
	stopSupervision()
	<-supervisionDone
	<-schedulesDone
	<-sharingDone
	<-testsDone
	<-sweepDone
	<-pruneDone
	<-retentionDone
	<-foldDone
	<-pollsDone
	<-heartbeatDone
	<-trendsDone
	// The polls answered during the shutdown grace are written last.
	d.flushPollsOnce(context.Background())
	d.running.mu.Lock()
	d.running.ctx = nil // no reload starts a job any more
	d.running.mu.Unlock()
	d.running.wg.Wait()
	if d.httpSrv != nil {
		close(d.httpDone)
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.httpSrv.Shutdown(sctx); err != nil {
			_ = d.httpSrv.Close()
		}
		scancel()
		<-httpErr
	}
	runErr = errors.Join(runErr, d.store.Close())
	d.log.Info("alarmrx stopped")
	return runErr
}

// expireTests takes accounts off test when their time runs out and warns
// shortly before, every on_test.check_every, until ctx ends.
func (d *Daemon) expireTests(ctx context.Context) {
	d.every(ctx, d.config().OnTest.CheckEvery, "on-test expiry", func() ([]zap.Field, error) {
		warned, expired, err := d.store.ExpireTests(ctx, d.now(), d.config().OnTest.WarnBefore)
		if warned+expired == 0 {
			return nil, err
		}
		return []zap.Field{zap.Int("warned", warned), zap.Int("expired", expired)}, err
	})
}

// sweepQueue lapses idle claims and ends expired holds every
// queue.check_every, until ctx ends.
func (d *Daemon) sweepQueue(ctx context.Context) {
	d.every(ctx, d.config().Queue.CheckEvery, "queue sweep", func() ([]zap.Field, error) {
		lapsed, unheld, err := d.store.SweepQueue(ctx, d.now(), d.config().Queue.ClaimTimeout)
		ended, derr := d.store.EndQuietDisasters(ctx)
		escalated, eerr := d.escalator.run(ctx)
		permits, perr := d.store.WarnExpiringPermits(ctx, d.config().Queue.PermitWarnBefore)
		err = errors.Join(err, derr, eerr, perr)
		if lapsed+unheld+ended+escalated+permits == 0 {
			return nil, err
		}
		return []zap.Field{zap.Int("claims_lapsed", lapsed), zap.Int("holds_ended", unheld), zap.Int("disaster_modes_ended", ended),
			zap.Int("escalated", escalated), zap.Int("permits_expiring", permits)}, err
	})
}

// maxFailedLoginRows is how many failed-login audit rows are kept, newest
// first: the evidence quota bounds their rate, this their total.
const maxFailedLoginRows = 100_000

// pruneEvidence keeps the evidence of refused input within
// evidence.max_bytes (and the failed logins within maxFailedLoginRows),
// deleting the oldest first, every minute until ctx ends.
func (d *Daemon) pruneEvidence(ctx context.Context) {
	d.every(ctx, time.Minute, "evidence pruning", func() ([]zap.Field, error) {
		frames, logins, err := d.store.PruneEvidence(ctx, d.config().Evidence.MaxBytes, maxFailedLoginRows)
		if frames+logins == 0 {
			return nil, err
		}
		return []zap.Field{zap.Int("rejected_frames", frames), zap.Int("failed_logins", logins)}, err
	})
}

// foldUnprogrammedZones folds the signals stored into the accounts'
// unprogrammed zones every second, off the acknowledgement path. At most
// ten batches a tick (200,000 signals: five times the fastest receipt
// rate), so that a backlog (the history of a store upgraded to schema 13)
// drains without taking the writer from the panels.
func (d *Daemon) foldUnprogrammedZones(ctx context.Context) {
	d.every(ctx, time.Second, "unprogrammed zones", func() ([]zap.Field, error) {
		for range 10 {
			if _, more, err := d.store.FoldUnprogrammedZones(ctx); err != nil || !more {
				return nil, err
			}
		}
		return nil, nil
	})
}

// flushPolls writes the evidence of the polls acknowledged since the last
// flush every store.poll_flush_interval, until ctx ends; what a failed
// flush could not write is kept for the next one.
func (d *Daemon) flushPolls(ctx context.Context) {
	d.every(ctx, d.config().Store.PollFlushInterval, "poll evidence", func() ([]zap.Field, error) {
		_, err := d.store.FlushPolls(ctx)
		return nil, err
	})
}

func (d *Daemon) flushPollsOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := d.store.FlushPolls(ctx); err != nil {
		d.log.Warn("poll evidence of the last polls not written", zap.Error(err))
	}
}

// prune runs a retention round every store.retention.interval until ctx
// ends; the round logs what it removed itself (rate-limited), and its
// work is in pruner.round, which tests call with the clock where they
// want it.
func (d *Daemon) prune(ctx context.Context) {
	d.every(ctx, d.config().Store.Retention.Interval, "retention round", func() ([]zap.Field, error) {
		_, err := d.pruner.round(ctx)
		if ctx.Err() != nil {
			err = nil // cut short by the shutdown
		}
		return nil, err
	})
}

// every runs job at each tick until ctx ends, logging what it did (when
// it returns fields) or its error; a failed run is retried at the next tick.
func (d *Daemon) every(ctx context.Context, interval time.Duration, name string, job func() ([]zap.Field, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fields, err := job()
		switch {
		case err != nil:
			d.log.Warn(name+" failed; retrying", zap.Error(err))
		case len(fields) > 0:
			d.log.Info(name, fields...)
		}
	}
}

// closeAll releases what New opened when New fails.
func (d *Daemon) closeAll() {
	if d.httpLn != nil {
		_ = d.httpLn.Close()
	}
	if d.receiver != nil {
		d.receiver.Close()
	}
	for _, j := range d.running.list {
		if j.release != nil {
			j.release()
		}
	}
	if d.store != nil {
		_ = d.store.Close()
	}
}

// integrityCheck maps store.integrity_check (validated: background, start,
// off) to the store's mode.
func integrityCheck(mode string) store.IntegrityCheck {
	switch mode {
	case "start":
		return store.IntegrityCheckAtOpen
	case "off":
		return store.IntegrityCheckOff
	}
	return store.IntegrityCheckAfterStart
}
