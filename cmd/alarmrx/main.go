package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/internal/sdnotify"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var other chan os.Signal
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		// SIGHUP (what an SRE sends to reload) and SIGPIPE (a closed pipe on
		// stdout or stderr) would end the process at once, without a
		// graceful shutdown; serve logs them and keeps running. They are
		// caught before anything else starts so that none slips through.
		other = make(chan os.Signal, 8)
		signal.Notify(other, syscall.SIGHUP, syscall.SIGPIPE)
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, other)
	stop()
	os.Exit(code)
}

const usage = `usage: alarmrx <command> [flags]

commands:
  serve         run the receiver (default config: the embedded example)
  check-config  validate a configuration file and print it with secrets redacted
  doctor        check a configuration and this machine (data dir, database, ports,
                certificates, secrets key, clock) and print what to fix
  compact       with alarmrx stopped, rewrite the database so that retention can shrink it
  backup        copy the SQLite store to a file while alarmrx runs (consistent, online)
  restore       with alarmrx stopped, make a backup file the data dir's database
  version       print the version
  send          send DC-09 frames to a receiver, as a panel would, or (--format)
                signals in a cloud dialect, as a cloud would
  receive       listen as an automation platform's receiver in a dialect: print
                each message and answer it (for testing outputs)
  bench         load-test a receiver with many panels and report ACK latency;
                "bench fill" pre-fills a data dir with signals through the store
  accounts      import accounts from CSV (all rows or none) or list them, through the running daemon
  sites         import sites from CSV (all rows or none), through the running daemon
  customers     import customers from CSV (all rows or none), through the running daemon
  test          put an account on test, take it off, or show its test status
  users         add or list station users (operators, supervisors, admins) of the console
  store         "store copy": move a station from its SQLite file to PostgreSQL
  keys          "keys generate": make a secrets key file; "keys rotate": seal the
                DC-09 keys and passcodes at rest with a new key
  completion    print a shell completion script: bash, zsh or fish
  man           write the manual pages, made from this help, into a directory

run "alarmrx <command> -h" for a command's flags
`

// run is main without the process: tests call it. signals carries the
// process signals serve logs and survives (SIGHUP, SIGPIPE); nil for none.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	// "alarmrx accounts --help" asks for the command's usage, which its
	// subcommands would take for an unknown subcommand.
	if text, ok := subcommandUsage[args[0]]; ok && len(args) > 1 && isHelp(args[1]) {
		fmt.Fprint(stdout, text)
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr, signals)
	case "check-config":
		err = checkConfig(args[1:], stdout, stderr)
	case "compact":
		err = compact(ctx, args[1:], stdout, stderr)
	case "completion":
		err = completion(args[1:], stdout, stderr)
	case "doctor":
		err = doctor(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine())
	case "send":
		err = send(ctx, args[1:], stdout, stderr)
	case "receive":
		err = receive(ctx, args[1:], stdout, stderr)
	case "bench":
		err = bench(ctx, args[1:], stdout, stderr)
	case "accounts":
		err = accounts(ctx, args[1:], stdout, stderr)
	case "sites":
		err = records("sites", sitesUsage)(ctx, args[1:], stdout, stderr)
	case "customers":
		err = records("customers", customersUsage)(ctx, args[1:], stdout, stderr)
	case "test":
		err = testCmd(ctx, args[1:], stdout, stderr)
	case "users":
		err = users(ctx, args[1:], stdin, stdout, stderr)
	case "store":
		err = storeCmd(ctx, args[1:], stdout, stderr)
	case "keys":
		err = keysCmd(ctx, args[1:], stdout, stderr)
	case "man":
		err = manCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "alarmrx: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.As(err, new(loggedError)) {
			return 1 // the log has said why, in one line
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "alarmrx:", err)
			return 2
		}
		fmt.Fprintln(stderr, "alarmrx:", err)
		return 1
	}
	return 0
}

// subcommandUsage is the usage of each command that has subcommands.
var subcommandUsage = map[string]string{"accounts": accountsUsage, "sites": sitesUsage, "customers": customersUsage,
	"test": testUsage, "users": usersUsage, "store": storeUsage, "keys": keysUsage}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// buildVersion is the version set at build time, or else "dev-" and the
// commit the binary was built from (go build in a git checkout records
// it), or "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if rev := buildRevision(); rev != "unknown" {
		return "dev-" + rev
	}
	return version
}

// buildRevision is the commit the binary was built from, 12 digits, with
// "-dirty" when the tree had changes, or "unknown" (go test, or
// -buildvcs=false).
func buildRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return rev
}

// versionLine is what version and --version print, as Prometheus's
// binaries do: the version, the commit, the Go release and the platform.
func versionLine() string {
	return fmt.Sprintf("alarmrx %s (revision %s, %s %s/%s)", buildVersion(), buildRevision(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// usageError marks bad command-line arguments (exit status 2).
type usageError struct{ error }

// loggedError is an error the command has already logged.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("alarmrx "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseOneArg parses a command's flags and its one argument, which missing
// names when it is not given.
func parseOneArg(fs *flag.FlagSet, args []string, missing string) (string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", usageError{err}
	}
	if fs.NArg() != 1 {
		return "", usageError{errors.New(missing)}
	}
	return fs.Arg(0), nil
}

// loadConfig parses a command's only flag, --config, and loads the file
// (the embedded example when none is named). It returns where it came from.
func loadConfig(command string, args []string, stderr io.Writer) (*configs.Config, string, error) {
	fs := newFlags(command, stderr)
	path := fs.String("config", "", "configuration file (default: the embedded example)")
	if err := parseFlags(fs, args); err != nil {
		return nil, "", err
	}
	cfg, err := configs.Load(*path)
	source := *path
	if source == "" {
		source = "embedded example"
	}
	return cfg, source, err
}

func serve(ctx context.Context, args []string, stderr io.Writer, signals <-chan os.Signal) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded example)")
	noBackup := fs.Bool("no-backup", false, "upgrade an older SQLite store's schema without copying it first")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := configs.Load(*path)
	if err != nil {
		return err
	}
	source := *path
	if source == "" {
		source = "embedded example"
	}
	logger, level, err := daemon.NewLogger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	done := make(chan struct{})
	defer close(done)
	// A SIGHUP before the daemon runs is logged; one after reloads.
	reload := make(chan struct{}, 1)
	go survive(signals, done, reload, logger)
	logger.Info("starting alarmrx", zap.String("version", buildVersion()), zap.String("config", source),
		zap.String("data_dir", cfg.DataDir))
	// A reload reads the same file again (the embedded example when none
	// was named), with the same environment overrides.
	load := func() (*configs.Config, error) { return configs.Load(*path) }
	d, err := daemon.New(ctx, cfg, daemon.Options{Logger: logger, Version: buildVersion(), Revision: buildRevision(),
		NoUpgradeBackup: *noBackup, Load: load, LogLevel: &level})
	if err != nil {
		logger.Error("start-up failed", zap.Error(err))
		return loggedError{err}
	}
	go reloadOnSignal(ctx, d, reload, logger)
	// Under systemd (Type=notify): ready once the listeners are bound and
	// the store is open, which New did; stopping when shutdown begins.
	notify(logger, sdnotify.Ready)
	go func() {
		select {
		case <-ctx.Done():
			notify(logger, sdnotify.Stopping)
		case <-done:
		}
	}()
	if err := d.Run(ctx); err != nil {
		logger.Error("stopped with an error", zap.Error(err))
		return loggedError{err}
	}
	return nil
}

// notify tells systemd the daemon's state, when it runs as a Type=notify
// service; a failure is logged, never fatal (the service manager then
// times the start-up out, which says more than a stopped daemon would).
func notify(log *zap.Logger, state string) {
	if sent, err := sdnotify.Notify(state); err != nil {
		log.Warn("could not notify the service manager", zap.String("state", state), zap.Error(err))
	} else if sent {
		log.Debug("service manager notified", zap.String("state", state))
	}
}

// survive logs the signals that must not end the receiver until done,
// and passes each SIGHUP on to reload (a reload already asked for takes
// in the ones that come meanwhile).
func survive(signals <-chan os.Signal, done <-chan struct{}, reload chan<- struct{}, log *zap.Logger) {
	for {
		select {
		case <-done:
			return
		case s := <-signals:
			switch s {
			case syscall.SIGHUP:
				log.Info("SIGHUP received: reloading the configuration")
				select {
				case reload <- struct{}{}:
				default:
				}
			default:
				log.Warn("signal received and ignored; still running", zap.String("signal", s.String()))
			}
		}
	}
}

// reloadOnSignal reloads the daemon's configuration at each SIGHUP until
// ctx ends; Reload logs what it did, or why it did not. Under systemd the
// service manager hears of the reload (Type=notify: RELOADING=1, then
// READY=1).
func reloadOnSignal(ctx context.Context, d *daemon.Daemon, reload <-chan struct{}, log *zap.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
		}
		notify(log, sdnotify.Reloading())
		_, _ = d.Reload(ctx)
		notify(log, sdnotify.Ready)
	}
}

// compact converts the database of the configuration's data dir, with
// alarmrx stopped, to incremental auto-vacuum (store.Compact). A database
// created before this version reuses the space retention frees but keeps
// its size; serve says so at start-up and names this command.
func compact(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("compact", args, stderr)
	if err != nil {
		return err
	}
	if cfg.Store.Driver == store.DriverPostgres {
		return errors.New("compact: the store is PostgreSQL (store.driver postgres), whose autovacuum is its own; compact converts SQLite files")
	}
	before, after, err := store.Compact(ctx, filepath.Join(cfg.DataDir, store.FileName))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "compacted %s: %d bytes, now %d; retention shrinks it from now on\n",
		filepath.Join(cfg.DataDir, store.FileName), before, after)
	return nil
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("check-config", args, stderr)
	if err != nil {
		return err
	}
	// Build the listeners as serve would, so key formats are checked too.
	if _, err := daemon.Listeners(cfg, nil); err != nil {
		return err
	}
	if _, err := daemon.ActionPlans(cfg); err != nil {
		return err
	}
	// The data dir holds the database only on SQLite; on PostgreSQL
	// nothing of the store is in it.
	if cfg.Store.Driver != store.DriverPostgres {
		if err := store.CheckDataDir(cfg.DataDir); err != nil {
			return err
		}
	}
	out, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# configuration is valid\n%s", out)
	return nil
}
