package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/panel"
)

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fill" {
		return benchFill(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("bench", stderr)
	var pf panelFlags
	pf.register(fs)
	conns := fs.Int("conns", 16, "panels: TCP connections or UDP sockets, each stop-and-wait")
	count := fs.Int("count", 0, "frames in all (0: run for -duration)")
	duration := fs.Duration("duration", 10*time.Second, "how long to run when -count is 0")
	typ := fs.String("type", panel.BenchSIA, fmt.Sprintf("what the panels send: null (NULL polls), sia (SIA-DCS alarms), "+
		"cid (ADM-CID alarms) or mix (per panel %d polls, then an SIA-DCS alarm)", panel.MixEvery-1))
	token := fs.String("token", "SIA-DCS", "DC-09 token of every frame: SIA-DCS (as --type sia), ADM-CID (cid) or NULL (null)")
	base := fs.Int("account-base", 100000, "panel i uses account account-base+i")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// --token came first and scripts still use it; given with --type, one
	// of the two would have to be ignored, and either could be the one the
	// caller meant.
	if set["type"] && set["token"] {
		return usageError{errors.New("give --type or --token, not both")}
	}
	if set["token"] {
		t, ok := panel.BenchTypeForToken(strings.ToUpper(*token))
		if !ok {
			return usageError{errors.New("-token must be SIA-DCS, ADM-CID or NULL")}
		}
		*typ = t
	}
	*typ = strings.ToLower(*typ)
	if !slices.Contains(panel.BenchTypes, *typ) {
		return usageError{fmt.Errorf("-type must be one of %s", strings.Join(panel.BenchTypes, ", "))}
	}
	opts, err := pf.options()
	if err != nil {
		return err
	}
	res, err := panel.Bench(ctx, panel.BenchOptions{
		Options: opts, Conns: *conns, Count: *count, Duration: *duration,
		Type: *typ, AccountBase: *base,
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
