package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
)

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	var pf panelFlags
	pf.register(fs)
	conns := fs.Int("conns", 16, "panels: TCP connections or UDP sockets, each stop-and-wait")
	count := fs.Int("count", 0, "frames in all (0: run for -duration)")
	duration := fs.Duration("duration", 10*time.Second, "how long to run when -count is 0")
	token := fs.String("token", "SIA-DCS", "message type: SIA-DCS, ADM-CID or NULL")
	base := fs.Int("account-base", 100000, "panel i uses account account-base+i")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := pf.options()
	if err != nil {
		return err
	}
	res, err := panel.Bench(ctx, panel.BenchOptions{
		Options: opts, Conns: *conns, Count: *count, Duration: *duration,
		Token: strings.ToUpper(*token), AccountBase: *base,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintln(stdout, res.String())
	}
	if res.Errors > 0 || res.Naks > 0 || res.Duhs > 0 {
		return fmt.Errorf("%d errors, %d NAK, %d DUH (first error: %s)", res.Errors, res.Naks, res.Duhs, res.FirstErr)
	}
	return nil
}
