package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/registry"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
)

// receive is the automation side of an output, for testing one: it
// listens on TCP, frames and decodes each message with the dialect's
// codec, prints it as one JSON line, and answers it as a receiver of the
// dialect would (ACK, or with --nak the answer of a receiver whose store
// failed, which a sender resends). --count ends it after that many
// messages.
func receive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("receive", stderr)
	format := fs.String("format", "", "the dialect: "+strings.Join(registry.Names(), ", ")+" (native is xmlsignal)")
	listen := fs.String("listen", "127.0.0.1:7000", "host:port to listen on")
	nak := fs.Bool("nak", false, "answer every message as a receiver whose store failed (the sender sends it again)")
	count := fs.Int("count", 0, "stop after this many messages (0: until interrupted)")
	sender := fs.String("sender", "", "xmlsignal, manitou, sos: a sender id whose passkey is checked")
	passkey := fs.String("passkey", "", "the sender's passkey")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := *format
	if name == "native" { // as send and outputs call the native schema
		name = xmlsignal.Name
	}
	proto, ok := registry.Lookup(name)
	if !ok {
		return usageError{fmt.Errorf("-format must be one of %s", strings.Join(registry.Names(), ", "))}
	}
	o := registry.Options{Senders: map[string]string{}}
	if *sender != "" {
		o.Senders[*sender] = *passkey
	}
	codec, err := proto.Build(o)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "alarmrx receive: %s on %s\n", *format, ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-ctx.Done(); _ = ln.Close() }()
	var mu sync.Mutex // one line of output at a time; counts the messages
	seen := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Go(func() {
			defer c.Close()
			go func() { <-ctx.Done(); _ = c.Close() }()
			sc := bufio.NewScanner(c)
			sc.Buffer(make([]byte, 0, 4096), max(proto.MaxFrameBytes(o), 64<<10)+4096)
			sc.Split(protocols.ScannerSplit(codec.Split))
			for sc.Scan() {
				frame := sc.Bytes()
				now := time.Now()
				m, derr := codec.Decode(frame, now)
				outcome := derr
				if outcome == nil && *nak {
					outcome = protocols.Reject("receiver", protocols.ReasonStore, nil)
				}
				reply := codec.Reply(m, outcome, now)
				mu.Lock()
				printReceived(stdout, *format, c.RemoteAddr().String(), m, derr, reply)
				seen++
				done := *count > 0 && seen >= *count
				mu.Unlock()
				if len(reply) > 0 {
					_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
					_, _ = c.Write(reply)
				}
				if done {
					cancel()
					return
				}
			}
		})
	}
}

func printReceived(w io.Writer, format, from string, m *protocols.Message, derr error, reply []byte) {
	out := map[string]any{"format": format, "from": from, "reply": string(reply)}
	if derr != nil {
		out["error"] = derr.Error()
	}
	if m != nil {
		out["kind"], out["account"], out["sequence"] = m.Kind, m.Account, m.Sequence
		var evs []map[string]any
		for _, ev := range m.Events {
			e := map[string]any{"account": ev.Account, "format": ev.Format, "code": ev.Code, "qualifier": ev.Qualifier.String(),
				"area": ev.Partition, "zone": ev.Zone, "user": ev.User, "text": ev.Text, "description": ev.Description}
			for _, md := range ev.Modifiers {
				if strings.HasPrefix(md.Name, "media_") {
					e[md.Name] = md.Value
				}
			}
			evs = append(evs, e)
		}
		out["events"] = evs
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the replies are XML: kept readable
	_ = enc.Encode(out)
}
