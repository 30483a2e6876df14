package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// dialectFlags are send's flags for the formats other than dc09: alarmrx
// as a cloud sends one signal per message in the dialect, as an output
// does (daemon.PeerDialect), and checks the peer's answer.
type dialectFlags struct {
	format                  string
	code, zone, area, user  string
	text, media             string
	heartbeat               bool
	sender, passkey, txType string
}

func (d *dialectFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
}) {
	fs.StringVar(&d.format, "format", "dc09", "dc09, or a dialect sent as an output sends it: "+strings.Join(dialectFormats(), ", "))
	fs.StringVar(&d.code, "code", "E130", "dialects: the event code (E130, R130, P130, 130 or SIA letters)")
	fs.StringVar(&d.zone, "zone", "001", "dialects: the zone")
	fs.StringVar(&d.area, "area", "1", "dialects: the area")
	fs.StringVar(&d.user, "user", "", "dialects: the user")
	fs.StringVar(&d.text, "text", "", "dialects: the event text")
	fs.StringVar(&d.media, "media", "", "a media link (http or https), sent as the signal's clip (dc09: in the extended data block V)")
	fs.BoolVar(&d.heartbeat, "heartbeat", false, "dialects: send the dialect's heartbeat instead of a signal")
	fs.StringVar(&d.sender, "sender", "alarmrx", "dialects: the sender id (MASXML SourceID, Manitou Source, SOS Access transmitter code)")
	fs.StringVar(&d.passkey, "passkey", "", "dialects: the passkey (Manitou heartbeats; SOS Access authentication, 15 characters)")
	fs.StringVar(&d.txType, "transmitter-type", "ARXRX", "sos: the transmittertype (5 characters)")
}

// dialectFormats are the formats send takes besides dc09.
func dialectFormats() []string {
	return slices.DeleteFunc(slices.Clone(configs.PeerFormats), func(f string) bool { return f == "dc09" })
}

// sendDialect sends count messages of the dialect to pf.addr over TCP, one
// at a time, each after the answer to the one before, and prints each
// answer; it fails when one was not accepted.
func sendDialect(ctx context.Context, pf *panelFlags, df *dialectFlags, account, receiver string, seq, count int,
	interval time.Duration, asJSON bool, stdout io.Writer) error {
	if !slices.Contains(dialectFormats(), df.format) {
		return usageError{fmt.Errorf("-format must be dc09 or one of %s", strings.Join(dialectFormats(), ", "))}
	}
	if pf.udp || pf.keyValue != "" {
		return usageError{errors.New("-udp and -key are DC-09's: the dialects are sent over TCP")}
	}
	d, err := daemon.PeerDialect(configs.PeerOutput{Format: df.format, SenderID: df.sender, Passkey: df.passkey,
		Receiver: receiver, TransmitterType: df.txType}, time.Now)
	if err != nil {
		return usageError{err}
	}
	ev, err := alarmcode.Event(alarmcode.Fields{Account: account, Code: df.code, Area: df.area, Zone: df.zone, User: df.user, Text: df.text})
	if err != nil {
		return usageError{fmt.Errorf("-code: %w", err)}
	}
	if df.media != "" {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "media_clip", Value: df.media})
	}
	dialer := net.Dialer{Timeout: pf.timeout}
	conn, err := dialer.DialContext(ctx, "tcp", pf.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 512), 64<<10)
	sc.Split(protocols.ScannerSplit(d.SplitReply))
	var failed error
	for i := range count {
		if i > 0 {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		n := strconv.Itoa(max(seq, 1) + i)
		var msg []byte
		if df.heartbeat {
			msg = d.EncodeHeartbeat(n, time.Now().UTC())
		} else if msg, err = d.EncodeSignal(n, account, ev, time.Now().UTC()); err != nil {
			return usageError{err}
		}
		start := time.Now()
		_ = conn.SetDeadline(start.Add(pf.timeout))
		if _, err := conn.Write(msg); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return fmt.Errorf("no answer: %w", err)
			}
			return errors.New("no answer: the peer closed the connection")
		}
		raw := sc.Text()
		r, perr := d.ParseReply(sc.Bytes())
		printDialectReply(stdout, df.format, n, r, perr, raw, time.Since(start), asJSON)
		if (perr != nil || !r.OK) && failed == nil {
			failed = fmt.Errorf("message %s not accepted", n)
		}
	}
	return failed
}

func printDialectReply(w io.Writer, format, seq string, r protocols.PeerReply, perr error, raw string, latency time.Duration, asJSON bool) {
	verdict := "ACCEPTED"
	switch {
	case perr != nil:
		verdict = "UNREADABLE"
	case !r.OK && r.Retry:
		verdict = "RETRY"
	case !r.OK:
		verdict = "REFUSED"
	}
	if asJSON {
		out := map[string]any{"format": format, "sent_sequence": seq, "reply": verdict, "sequence": r.Seq, "text": r.Text,
			"latency_ms": float64(latency) / float64(time.Millisecond), "raw": raw}
		if perr != nil {
			out["error"] = perr.Error()
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(w, string(b))
		return
	}
	fmt.Fprintf(w, "%s seq=%s echoed=%q text=%q latency=%s raw=%q\n", verdict, seq, r.Seq, r.Text, latency.Round(time.Microsecond), raw)
}
