package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// panelFlags are the connection flags send and bench share.
type panelFlags struct {
	addr, keyValue, keyFormat string
	udp                       bool
	timeout                   time.Duration
}

func (p *panelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.addr, "addr", "127.0.0.1:12128", "receiver address host:port")
	fs.BoolVar(&p.udp, "udp", false, "send over UDP instead of TCP")
	fs.StringVar(&p.keyValue, "key", "", "AES key: encrypt frames (*SIA-DCS…); 32/48/64 hex digits or 16/24/32 ascii characters")
	fs.StringVar(&p.keyFormat, "key-format", "hex", "key format: hex or ascii")
	fs.DurationVar(&p.timeout, "timeout", 5*time.Second, "how long to wait for each reply")
}

func (p *panelFlags) options() (panel.Options, error) {
	o := panel.Options{Network: "tcp", Addr: p.addr, Timeout: p.timeout}
	if p.udp {
		o.Network = "udp"
	}
	if p.keyValue != "" {
		k, err := dc09.ParseKey(p.keyValue, p.keyFormat)
		if err != nil {
			return o, usageError{fmt.Errorf("-key: %w", err)}
		}
		o.Key = k
	}
	return o, nil
}

func send(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	var pf panelFlags
	pf.register(fs)
	token := fs.String("token", "SIA-DCS", "message type: SIA-DCS, ADM-CID or NULL")
	account := fs.String("account", "1234", "account (3–16 hex digits)")
	seq := fs.Int("seq", 1, "sequence number of the first frame (1–9999; 0 allowed)")
	rcvr := fs.String("receiver", "", "receiver number R (hex, optional)")
	line := fs.String("line", "0", "account prefix / line L (hex)")
	data := fs.String("data", "", `data block content; default "#ACCT|NBA01" for SIA-DCS, "#ACCT|1130 01 001" for ADM-CID`)
	at := fs.String("time", "now", `frame timestamp: "now", "none" (plain frames only) or RFC 3339 (UTC is sent)`)
	count := fs.Int("count", 1, "frames to send")
	interval := fs.Duration("interval", time.Second, "pause between frames when count > 1")
	asJSON := fs.Bool("json", false, "print each reply as JSON")
	var df dialectFlags
	df.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if df.format != "dc09" {
		*rcvr = strings.TrimSpace(*rcvr)
		return sendDialect(ctx, &pf, &df, *account, *rcvr, *seq, *count, *interval, *asJSON, stdout)
	}
	opts, err := pf.options()
	if err != nil {
		return err
	}
	*token = strings.ToUpper(*token)
	switch *token {
	case "SIA-DCS", "ADM-CID", "NULL":
	default:
		return usageError{fmt.Errorf("-token must be SIA-DCS, ADM-CID or NULL")}
	}
	if *data == "" {
		switch *token {
		case "SIA-DCS":
			*data = "#" + *account + "|NBA01"
		case "ADM-CID":
			*data = "#" + *account + "|1130 01 001"
		}
	}
	var fixed time.Time
	switch *at {
	case "now", "none":
	default:
		fixed, err = time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Errorf("-time: want now, none or RFC 3339: %w", err)}
		}
	}
	if *at == "none" && !opts.Key.IsZero() {
		return usageError{errors.New("-time none: encrypted frames must carry a timestamp [DC-09 §3.9]")}
	}
	p, err := panel.Dial(ctx, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	var failed error
	for i := range *count {
		if i > 0 {
			select {
			case <-time.After(*interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		n := (*seq-1+i)%9999 + 1
		if *seq == 0 && i == 0 {
			n = 0
		}
		f := &dc09.Frame{Token: *token, Encrypted: !opts.Key.IsZero(), Sequence: fmt.Sprintf("%04d", n),
			Receiver: *rcvr, Line: *line, Account: *account, Data: []byte(*data)}
		if df.media != "" {
			// [DC-09 §3.7] V: the verification URL of audio or video.
			f.XData = append(f.XData, dc09.XData{ID: 'V', Value: []byte(df.media)})
		}
		switch {
		case *at == "now":
			f.Timestamp, f.HasTimestamp = time.Now().UTC().Truncate(time.Second), true
		case *at != "none":
			f.Timestamp, f.HasTimestamp = fixed.UTC(), true
		}
		rep, err := p.Send(ctx, f)
		if err != nil {
			return err
		}
		printReply(stdout, f, rep, *asJSON)
		if rep.Token != "ACK" && failed == nil {
			failed = fmt.Errorf("frame %s answered %s", f.Sequence, rep.Token)
		}
	}
	return failed
}

func printReply(w io.Writer, sent *dc09.Frame, rep *panel.Reply, asJSON bool) {
	f := rep.Frame
	if asJSON {
		out := map[string]any{
			"sent_sequence": sent.Sequence, "reply": rep.Token, "encrypted": f.Encrypted,
			"sequence": f.Sequence, "receiver": f.Receiver, "line": f.Line, "account": f.Account,
			"latency_ms": float64(rep.Latency) / float64(time.Millisecond), "raw": string(rep.Raw),
		}
		if f.HasTimestamp {
			out["timestamp"] = f.Timestamp.Format(time.RFC3339)
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(w, string(b))
		return
	}
	tok := rep.Token
	if f.Encrypted {
		tok = "*" + tok
	}
	line := fmt.Sprintf("%s seq=%s account=%s latency=%s", tok, f.Sequence, f.Account,
		rep.Latency.Round(time.Microsecond))
	if f.HasTimestamp {
		line += " receiver_time=" + f.Timestamp.Format(time.RFC3339)
	}
	fmt.Fprintln(w, line+" raw="+strconv.Quote(string(rep.Raw)))
}
