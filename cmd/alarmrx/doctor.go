package main

import (
	"context"
	"crypto/tls"
	binenc "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/store"
)

// The levels of a doctor finding.
const (
	doctorOK   = "ok"
	doctorWarn = "warn"
	doctorFail = "FAIL"
	doctorSkip = "skip"
)

// Thresholds of the doctor's warnings.
const (
	certWarnBefore = 14 * 24 * time.Hour // as the alert rule warns
	clockSkewWarn  = 2 * time.Second     // DC-09 panels' timestamps are judged by this clock
)

// finding is one line of the doctor's report: what was checked, how it
// stands, and what to do about it.
type finding struct{ level, what, detail, fix string }

// doctor is `alarmrx doctor [--config FILE] [--ntp HOST]`: it checks a
// configuration and the machine it is to run on, and says what to fix.
// It exits 1 when something fails; warnings leave it 0.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("doctor", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded example)")
	ntp := fs.String("ntp", "pool.ntp.org", `an NTP server to measure the clock's offset against ("" skips it)`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx doctor [--config FILE] [--ntp HOST]\n\n"+
			"Checks the configuration, the data dir, the database, the ports, the TLS certificates,\n"+
			"the secrets key file and the clock, and prints what to fix. Exit 1 when a check fails.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	source := *path
	if source == "" {
		source = "the embedded example"
	}
	fmt.Fprintf(stdout, "alarmrx doctor: %s, configuration %s\n", buildVersion(), source)
	var found []finding
	cfg, err := configs.Load(*path)
	if err == nil {
		_, err = daemon.Listeners(cfg, nil)
	}
	if err != nil {
		found = append(found, finding{doctorFail, "configuration", err.Error(), "alarmrx check-config lists every problem"})
	} else {
		found = append(found, finding{level: doctorOK, what: "configuration", detail: "valid"})
		// Whether a running alarmrx holds the data dir: the database and
		// the ports it has open are then its own.
		var pid string
		var running bool
		if cfg.Store.Driver != store.DriverPostgres {
			pid, running, err = store.DataDirHolder(cfg.DataDir)
			if err != nil {
				found = append(found, finding{doctorWarn, "instance lock", err.Error(), ""})
			}
		}
		found = append(found, doctorStore(ctx, cfg, pid, running)...)
		found = append(found, doctorPorts(cfg, running)...)
		found = append(found, doctorCertificates(cfg, time.Now())...)
		found = append(found, doctorSecrets(cfg)...)
	}
	found = append(found, doctorClock(*ntp))

	fails, warns := 0, 0
	for _, f := range found {
		fmt.Fprintf(stdout, "%-5s %s: %s\n", f.level, f.what, f.detail)
		if f.fix != "" && (f.level == doctorFail || f.level == doctorWarn) {
			fmt.Fprintf(stdout, "      fix: %s\n", f.fix)
		}
		switch f.level {
		case doctorFail:
			fails++
		case doctorWarn:
			warns++
		}
	}
	fmt.Fprintf(stdout, "%d problem(s), %d warning(s)\n", fails, warns)
	if fails > 0 {
		return loggedError{fmt.Errorf("doctor: %d problem(s)", fails)}
	}
	return nil
}

// doctorStore checks the data dir and, when it holds one, the database.
func doctorStore(ctx context.Context, cfg *configs.Config, pid string, running bool) []finding {
	if cfg.Store.Driver == store.DriverPostgres {
		return []finding{{level: doctorSkip, what: "database", detail: "PostgreSQL: the data dir holds nothing of the store; `alarmrx serve` reports the database at its start"}}
	}
	dir := cfg.DataDir
	if err := store.CheckDataDir(dir); err != nil {
		return []finding{{doctorFail, "data dir " + dir, err.Error(), "create it writable by the service's user (0700), or set data_dir"}}
	}
	out := []finding{{level: doctorOK, what: "data dir " + dir, detail: "usable"}}
	if !filepath.IsAbs(dir) {
		out = append(out, finding{doctorWarn, "data dir " + dir, "relative: it is read from the working directory of each command",
			"set an absolute data_dir, so that backup, restore and compact find the same one"})
	}
	if running {
		out = append(out, finding{level: doctorOK, what: "instance lock", detail: "held by a running alarmrx (pid " + pid + ")"})
	}
	db := filepath.Join(dir, store.FileName)
	fi, err := os.Stat(db)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if _, err := os.Stat(filepath.Join(dir, store.LockFileName)); err == nil {
			return append(out, finding{doctorFail, "database " + db, "missing, but the data dir has held one",
				"restore it from a backup (alarmrx restore), or remove " + store.LockFileName + " to start empty"})
		}
		return append(out, finding{level: doctorOK, what: "database " + db, detail: "none yet: the first start creates it"})
	case err != nil:
		return append(out, finding{doctorFail, "database " + db, err.Error(), ""})
	}
	version, err := store.DatabaseVersion(ctx, db)
	switch want := store.SchemaVersion(); {
	case err != nil:
		out = append(out, finding{doctorFail, "database " + db, err.Error(), "restore a backup (alarmrx restore)"})
	case version > want:
		out = append(out, finding{doctorFail, "database " + db, fmt.Sprintf("schema version %d, newer than this build's %d", version, want),
			"run the alarmrx version that wrote it"})
	case version < want:
		out = append(out, finding{doctorWarn, "database " + db, fmt.Sprintf("schema version %d: the next start upgrades it to %d", version, want),
			fmt.Sprintf("keep free space for the copy it takes first (%d MiB)", fi.Size()>>20)})
	default:
		out = append(out, finding{level: doctorOK, what: "database " + db, detail: fmt.Sprintf("schema version %d, %d MiB", version, fi.Size()>>20)})
	}
	return out
}

// doctorPorts tries to bind every TCP and UDP address the configuration
// listens on. An address in use is alarmrx's own when a running alarmrx
// holds the data dir; otherwise another program has it.
func doctorPorts(cfg *configs.Config, running bool) []finding {
	type port struct{ network, addr, who string }
	var ports []port
	if cfg.HTTP.Listen != "" {
		ports = append(ports, port{"tcp", cfg.HTTP.Listen, "http"})
	}
	for _, r := range cfg.Receivers {
		for _, l := range r.Listeners {
			if l.TCP != "" {
				ports = append(ports, port{"tcp", l.TCP, "listener " + l.Name})
			}
			if l.UDP != "" {
				ports = append(ports, port{"udp", l.UDP, "listener " + l.Name})
			}
		}
	}
	var out []finding
	for _, p := range ports {
		what := fmt.Sprintf("port %s/%s (%s)", p.addr, p.network, p.who)
		var err error
		if p.network == "tcp" {
			var ln net.Listener
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				_ = ln.Close()
			}
		} else {
			var pc net.PacketConn
			if pc, err = net.ListenPacket("udp", p.addr); err == nil {
				_ = pc.Close()
			}
		}
		switch {
		case err == nil:
			out = append(out, finding{level: doctorOK, what: what, detail: "free"})
		case errors.Is(err, syscall.EADDRINUSE) && running:
			out = append(out, finding{level: doctorOK, what: what, detail: "in use, by the running alarmrx presumably"})
		case errors.Is(err, syscall.EADDRINUSE):
			out = append(out, finding{doctorFail, what, "in use by another program", "find it with `ss -lntup | grep " + portOf(p.addr) + "`, or choose another port"})
		case errors.Is(err, syscall.EACCES):
			out = append(out, finding{doctorFail, what, "not allowed: a port below 1024 needs CAP_NET_BIND_SERVICE",
				"grant it (configs/systemd/alarmrx.service says how), or use a port from 1024"})
		default:
			out = append(out, finding{doctorFail, what, err.Error(), "check the address: it must be one of this machine's"})
		}
	}
	return out
}

func portOf(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return ":" + p
	}
	return addr
}

// doctorCertificates loads every TLS certificate and key pair the
// configuration names and reports when each expires.
func doctorCertificates(cfg *configs.Config, now time.Time) []finding {
	type pair struct{ who, cert, key string }
	var pairs []pair
	if cfg.HTTP.TLSCert != "" {
		pairs = append(pairs, pair{"http", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey})
	}
	for _, r := range cfg.Receivers {
		for _, l := range r.Listeners {
			if l.TLSCert != "" {
				pairs = append(pairs, pair{"listener " + l.Name, l.TLSCert, l.TLSKey})
			}
		}
	}
	var out []finding
	for _, p := range pairs {
		what := "certificate " + p.cert + " (" + p.who + ")"
		c, err := tls.LoadX509KeyPair(p.cert, p.key)
		if err != nil {
			out = append(out, finding{doctorFail, what, err.Error(), "give a readable PEM certificate and its key"})
			continue
		}
		left := c.Leaf.NotAfter.Sub(now)
		detail := fmt.Sprintf("valid until %s (%d days)", c.Leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
		switch {
		case left <= 0:
			out = append(out, finding{doctorFail, what, "expired on " + c.Leaf.NotAfter.UTC().Format(time.DateOnly), "renew it"})
		case left < certWarnBefore:
			out = append(out, finding{doctorWarn, what, detail, "renew it before panels and browsers refuse it"})
		default:
			out = append(out, finding{level: doctorOK, what: what, detail: detail})
		}
	}
	return out
}

// doctorSecrets checks the secrets key file, when one is set.
func doctorSecrets(cfg *configs.Config) []finding {
	if cfg.Store.SecretsKeyFile == "" {
		return nil
	}
	what := "secrets key " + cfg.Store.SecretsKeyFile
	if _, err := configs.ReadSecretsKey(cfg.Store.SecretsKeyFile); err != nil {
		return []finding{{doctorFail, what, err.Error(), "README: DC-09 keys and passcodes at rest"}}
	}
	return []finding{{level: doctorOK, what: what, detail: "readable, private"}}
}

// doctorClock measures the clock's offset from an NTP server (one SNTP
// query, RFC 4330): DC-09 timestamps and every stored time read it.
func doctorClock(server string) finding {
	if server == "" {
		return finding{level: doctorSkip, what: "clock", detail: "no NTP server given"}
	}
	offset, err := sntpOffset(server, 3*time.Second)
	if err != nil {
		return finding{level: doctorSkip, what: "clock", detail: "NTP server " + server + " not reachable (" + err.Error() + "); offset not measured"}
	}
	detail := fmt.Sprintf("%s %s %s", offset.Abs().Round(time.Millisecond), map[bool]string{true: "ahead of", false: "behind"}[offset > 0], server)
	if offset.Abs() > clockSkewWarn {
		return finding{doctorWarn, "clock", detail, "keep it synchronised (timedatectl set-ntp true, or chrony)"}
	}
	return finding{level: doctorOK, what: "clock", detail: detail}
}

// sntpOffset is how far this machine's clock is ahead of the server's
// (negative: behind), from one client request: the server's transmit time
// against the midpoint of the request's round trip.
func sntpOffset(server string, timeout time.Duration) (time.Duration, error) {
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(server, "123")
	}
	conn, err := net.DialTimeout("udp", server, timeout)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	req := make([]byte, 48)
	req[0] = 0x23 // LI 0, version 4, mode 3 (client)
	sent := time.Now()
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	resp := make([]byte, 48)
	n, err := conn.Read(resp)
	received := time.Now()
	if err != nil {
		return 0, err
	}
	if n < 48 || resp[0]&0x07 != 4 { // mode 4: server
		return 0, errors.New("not an NTP server reply")
	}
	// A kiss-o'-death (stratum 0), an unsynchronised server (leap
	// indicator 3) or no transmit time says nothing of the time (RFC 4330 §5).
	if resp[1] == 0 || resp[0]>>6 == 3 || binenc.BigEndian.Uint64(resp[40:]) == 0 {
		return 0, errors.New("the server is not synchronised")
	}
	// Transmit timestamp (bytes 40–47): seconds and fraction since 1900.
	secs, frac := binenc.BigEndian.Uint32(resp[40:]), binenc.BigEndian.Uint32(resp[44:])
	const ntpEpochOffset = 2208988800 // 1900 to 1970, in seconds
	nanos := int64(math.Round(float64(frac) * 1e9 / (1 << 32)))
	serverTime := time.Unix(int64(secs)-ntpEpochOffset, nanos)
	local := sent.Add(received.Sub(sent) / 2)
	return local.Sub(serverTime), nil
}
