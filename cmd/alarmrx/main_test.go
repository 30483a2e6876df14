package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// stdinText is what runCmd's commands read from standard input.
var stdinText = "a long enough password\n"

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdinText), &out, &errb, nil)
	return code, out.String(), errb.String()
}

// exampleConfig is the embedded example configuration on a fresh data
// directory, its listeners on 127.0.0.1:0.
func exampleConfig(t *testing.T) *configs.Config {
	t.Helper()
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = filepath.Join(t.TempDir(), "data") // created by the store, 0700
	for i := range cfg.Receivers[0].Listeners {
		cfg.Receivers[0].Listeners[i].TCP = "127.0.0.1:0"
		cfg.Receivers[0].Listeners[i].UDP = ""
	}
	return cfg
}

// startWebDaemon starts the daemon with its web pages on 127.0.0.1:0 and
// the admin token "browser-token", after edit's changes when edit is not
// nil.
func startWebDaemon(t *testing.T, edit func(*configs.Config)) *daemon.Daemon {
	t.Helper()
	return startDaemon(t, func(cfg *configs.Config) {
		cfg.HTTP.Listen = "127.0.0.1:0"
		cfg.HTTP.AdminToken = "browser-token"
		if edit != nil {
			edit(cfg)
		}
	})
}

// startDaemon runs the example configuration in-process, changed by edit,
// until the test ends.
func startDaemon(t *testing.T, edit func(*configs.Config)) *daemon.Daemon {
	t.Helper()
	cfg := exampleConfig(t)
	edit(cfg)
	return runDaemon(t, cfg, daemon.Options{Logger: zaptest.NewLogger(t)})
}

// runDaemon runs a daemon of cfg in-process until the test ends.
func runDaemon(t *testing.T, cfg *configs.Config, opts daemon.Options) *daemon.Daemon {
	t.Helper()
	d, err := daemon.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCmd(t, "version"); code != 0 || out != "alarmrx dev (revision unknown, "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")\n" {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
}

func TestCheckConfigEmbeddedExampleRedactsKeys(t *testing.T) {
	code, out, errs := runCmd(t, "check-config")
	if code != 0 {
		t.Fatalf("check-config: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "configuration is valid") || !strings.Contains(out, "dc09-main") {
		t.Errorf("output lacks the summary: %s", out)
	}
	if strings.Contains(out, "000102030405060708090A0B0C0D0E0F") {
		t.Error("check-config printed a key")
	}
}

func TestCheckConfigReportsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	bad := "data_dir: \"\"\nlog: {level: loud}\nreceivers:\n  - number: 100\n    name: x\n    listeners: []\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "check-config", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"data_dir", "log.level", "receivers[0].number"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %s: %s", want, errs)
		}
	}
}

// TestSendAgainstDaemon drives a real daemon with the send command: exit 0
// on ACK, 1 on NAK (an encrypted frame for an account with no key).
func TestSendAgainstDaemon(t *testing.T) {
	d := startDaemon(t, func(cfg *configs.Config) {
		cfg.HTTP.Listen = ""
		cfg.Receivers[0].Listeners[0].UDP = "127.0.0.1:0"
	})
	a := d.Addrs()[0]

	code, out, errs := runCmd(t, "send", "--addr", a.TCP, "--account", "1234", "--data", "#1234|Nri1/BA012",
		"--key", "000102030405060708090A0B0C0D0E0F", "--count", "2", "--interval", "10ms")
	if code != 0 || strings.Count(out, "*ACK seq=") != 2 {
		t.Fatalf("send encrypted: exit %d\n%s\n%s", code, out, errs)
	}
	// The encrypted frames' signals carry their data block as decrypted,
	// for the incident page to show beside the raw bytes.
	sigs, err := d.Store().Signals(context.Background(), store.SignalFilter{Account: "1234"})
	if err != nil || len(sigs) != 2 || !sigs[0].Encrypted || !strings.HasPrefix(sigs[0].DataBlock, "#1234|Nri1/BA012") ||
		strings.Contains(sigs[0].DataBlock, "000102030405060708090A0B0C0D0E0F") {
		t.Fatalf("the encrypted signals: %v %+v", err, sigs)
	}
	code, out, _ = runCmd(t, "send", "--udp", "--addr", a.UDP, "--token", "ADM-CID", "--account", "4321", "--time", "none")
	if code != 0 || !strings.HasPrefix(out, "ACK seq=0001 account=4321") {
		t.Fatalf("send plain udp: exit %d %q", code, out)
	}
	code, out, _ = runCmd(t, "send", "--addr", a.TCP, "--account", "1234", "--data", "#1234|Nri1/BA012")
	if code != 1 || !strings.HasPrefix(out, "DUH seq=0001 account=1234") {
		t.Fatalf("send plain for an account with a key: exit %d %q (want DUH, exit 1)", code, out)
	}
	code, out, _ = runCmd(t, "send", "--addr", a.TCP, "--account", "7777", "--key", "000102030405060708090A0B0C0D0E0F")
	if code != 1 || !strings.HasPrefix(out, "NAK ") {
		t.Fatalf("send with no key on the receiver: exit %d %q (want NAK, exit 1)", code, out)
	}
	code, _, errs = runCmd(t, "send", "--addr", a.TCP, "--token", "BOGUS")
	if code != 2 {
		t.Fatalf("bad token: exit %d %s", code, errs)
	}
	code, out, errs = runCmd(t, "bench", "--addr", a.TCP, "--conns", "4", "--count", "200", "--json")
	if code != 0 || !strings.Contains(out, `"acked":200`) || !strings.Contains(out, `"type":"sia"`) {
		t.Fatalf("bench: exit %d\n%s\n%s", code, out, errs)
	}

	// Each type on its own accounts (4 panels, 20 frames each), and what
	// the store kept of them: every alarm a signal of its panel's account,
	// the polls none.
	for i, tc := range []struct {
		args           []string
		typ            string
		format, code   string
		alarmsPerPanel int
	}{
		{[]string{"--type", "sia"}, "sia", "SIA", "BA", 20},
		{[]string{"--type", "cid"}, "cid", "CID", "130", 20},
		{[]string{"--type", "null"}, "null", "", "", 0},
		{[]string{"--type", "mix"}, "mix", "SIA", "BA", 2},
		{[]string{"--token", "adm-cid"}, "cid", "CID", "130", 20},
		{[]string{"--token", "NULL"}, "null", "", "", 0},
	} {
		base := 200000 + 100*i
		args := append([]string{"bench", "--addr", a.TCP, "--conns", "4", "--count", "80", "--json",
			"--account-base", strconv.Itoa(base)}, tc.args...)
		code, out, errs := runCmd(t, args...)
		if code != 0 || !strings.Contains(out, `"acked":80,`) || !strings.Contains(out, `"type":"`+tc.typ+`"`) {
			t.Fatalf("bench %v: exit %d\n%s\n%s", tc.args, code, out, errs)
		}
		for p := range 4 {
			account := strconv.Itoa(base + p)
			sigs, err := d.Store().Signals(context.Background(), store.SignalFilter{Account: account})
			if err != nil {
				t.Fatal(err)
			}
			if len(sigs) != tc.alarmsPerPanel {
				t.Fatalf("bench %v: account %s has %d signals, want %d", tc.args, account, len(sigs), tc.alarmsPerPanel)
			}
			zones := map[string]bool{}
			for _, sg := range sigs {
				if sg.Format != tc.format || sg.EventCode != tc.code || sg.Protocol != "dc09" {
					t.Fatalf("bench %v: account %s: signal %s %s/%s, want %s/%s", tc.args, account, sg.Protocol, sg.Format, sg.EventCode, tc.format, tc.code)
				}
				zones[sg.Sequence+"/"+sg.Zone] = true
			}
			if len(zones) != len(sigs) {
				t.Errorf("bench %v: account %s: %d signals, %d distinct sequence/zone pairs", tc.args, account, len(sigs), len(zones))
			}
		}
	}
	for _, args := range [][]string{{"--type", "sia", "--token", "SIA-DCS"}, {"--type", "alarm"}, {"--token", "BOGUS"}} {
		code, _, errs := runCmd(t, append([]string{"bench", "--addr", a.TCP, "--count", "1"}, args...)...)
		if code != 2 {
			t.Errorf("bench %v: exit %d, want 2 (usage)\n%s", args, code, errs)
		}
	}
}

// TestEveryCommandAnswersHelp: -h and --help print a usage and exit 0 for
// every command and every subcommand the completions offer (subcommands),
// never "unknown subcommand": the completions' list is the commands' own.
func TestEveryCommandAnswersHelp(t *testing.T) {
	cmds := [][]string{{"serve"}, {"check-config"}, {"compact"}, {"send"}, {"bench"}, {"accounts"}, {"test"}, {"users"},
		{"backup"}, {"restore"}, {"doctor"}, {"completion"}, {"keys"}, {"man"}}
	for cmd, subs := range subcommands {
		if cmd == "completion" {
			continue // its second word is a shell, not a command
		}
		for _, sub := range subs {
			cmds = append(cmds, []string{cmd, sub})
		}
	}
	for _, cmd := range cmds {
		for _, flag := range []string{"-h", "--help"} {
			args := append(append([]string(nil), cmd...), flag)
			code, out, errs := runCmd(t, args...)
			if code != 0 || strings.Contains(out+errs, "unknown") || !strings.Contains(strings.ToLower(out+errs), "usage") {
				t.Errorf("alarmrx %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
			}
		}
	}
	if code, out, _ := runCmd(t, "--version"); code != 0 || !strings.HasPrefix(out, "alarmrx ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
}

// TestVersionIsTheCommit: a binary built from a git checkout reports the
// commit it was built from, not "dev".
func TestVersionIsTheCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	bin := filepath.Join(t.TempDir(), "alarmrx")
	// -buildvcs=true: an environment may turn the stamping off (GOFLAGS).
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "alarmrx dev-" + string(rev[:12]); !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), "(revision "+string(rev[:12])) {
		t.Fatalf("version %q, want %q… with its revision", out, want)
	}
	// A release build: the version set by the linker, as the Makefile and
	// the package script set it.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-ldflags", "-X main.version=v9.9.9", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "alarmrx v9.9.9 (revision " + string(rev[:12]); !strings.HasPrefix(string(out), want) {
		t.Fatalf("version %q, want %q…", out, want)
	}
}

// TestDefaultRunIsQuietAndHonest: the embedded example runs with no false
// alarm in store (its Sur-Gard listener, which nothing is wired to, is not
// supervised), says plainly that the management API is off without an
// admin token, and names the supervision listener for what it is.
func TestDefaultRunIsQuietAndHonest(t *testing.T) {
	cfg := exampleConfig(t)
	cfg.HTTP.Listen = "127.0.0.1:0"
	core, logs := observer.New(zapcore.InfoLevel)
	reg := prometheus.NewRegistry()
	d := runDaemon(t, cfg, daemon.Options{Logger: zap.New(core), Registry: reg})
	waitReadyURL(t, "http://"+d.HTTPAddr()+"/-/ready", 5*time.Second)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "alarmrx_link_up" {
			t.Errorf("a link is supervised in the example: %v", mf.GetMetric())
		}
	}
	var warnings []string
	for _, e := range logs.All() {
		if e.Level >= zapcore.WarnLevel {
			warnings = append(warnings, e.Message)
		}
		if e.Message == "listening" && e.ContextMap()["protocol"] == "alarmrx" {
			t.Errorf("the supervision listener is logged as a listener: %v", e.ContextMap())
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "no http.admin_token is set") {
		t.Errorf("warnings %q, want only the one about the admin token", warnings)
	}
}
