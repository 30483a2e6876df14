package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

const storeUsage = `usage: alarmrx store copy --from sqlite:PATH --to postgres:DSN [flags]

  copy  copy a station's SQLite store (PATH: its data dir or its alarmrx.db)
        into a PostgreSQL database, in one transaction, and verify every
        table's count. The SQLite daemon may keep running: the copy reads one
        snapshot. The target is migrated first; one that holds a station is
        refused unless --replace, and one a node runs on is refused always.
        "--to postgres:" alone takes the DSN from ALARMRX_STORE_DSN, which
        keeps the password off the command line.
`

func storeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprint(stderr, storeUsage)
		if len(args) == 0 {
			return usageError{errors.New("store: copy?")}
		}
		return usageError{fmt.Errorf("store: unknown subcommand %q", args[0])}
	}
	fs := newFlags("store copy", stderr)
	from := fs.String("from", "", "the source: sqlite:PATH (the data dir, or its alarmrx.db)")
	to := fs.String("to", "", "the target: postgres:DSN, or postgres: for $ALARMRX_STORE_DSN")
	replace := fs.Bool("replace", false, "empty a target that holds a station already")
	window := fs.Duration("dedupe-window", 10*time.Minute, "the nodes' dedupe.window: frames inside it stay duplicates after the move")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	path, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || path == "" {
		return usageError{errors.New("store copy: --from sqlite:PATH names the source")}
	}
	var dsn string
	switch {
	case strings.HasPrefix(*to, "postgres://"), strings.HasPrefix(*to, "postgresql://"):
		dsn = *to // a URL DSN is its own prefix
	case strings.HasPrefix(*to, "postgres:"):
		dsn = strings.TrimPrefix(*to, "postgres:") // key=value, or none
	default:
		return usageError{errors.New("store copy: --to postgres:DSN names the target")}
	}
	if dsn == "" {
		if dsn = os.Getenv("ALARMRX_STORE_DSN"); dsn == "" {
			return usageError{errors.New("store copy: --to postgres: without a DSN takes ALARMRX_STORE_DSN, which is not set")}
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, store.FileName)
	}
	started := time.Now()
	res, err := store.CopyToPostgres(ctx, path, dsn, store.CopyOptions{Replace: *replace, DedupeWindow: *window,
		Progress: func(p store.CopyProgress) {
			switch {
			case p.Done:
				fmt.Fprintf(stderr, "copy: %s: %d rows\n", p.Table, p.Rows)
			case p.Rows > 0:
				fmt.Fprintf(stderr, "copy: %s: %d of %d rows (%d%%)\n", p.Table, p.Rows, p.Total, 100*p.Rows/max(p.Total, 1))
			}
		}})
	if err != nil {
		return err
	}
	width := len("table")
	for _, t := range res.Tables {
		width = max(width, len(t.Name))
	}
	fmt.Fprintf(stdout, "%-*s %12s %12s\n", width, "table", "source", "copied")
	var rows int64
	for _, t := range res.Tables {
		fmt.Fprintf(stdout, "%-*s %12d %12d\n", width, t.Name, t.Source, t.Target)
		rows += t.Target
	}
	fmt.Fprintf(stdout, "copied %s (schema %d) to %s in %s: %d rows in %d tables, every count verified\n",
		res.Source, res.SchemaVersion, res.Target, time.Since(started).Round(time.Millisecond), rows, len(res.Tables))
	fmt.Fprintf(stdout, "journal: %d acknowledged frames not projected yet; the first node to start projects them\n", res.JournalEntries)
	fmt.Fprintf(stdout, "dedupe: %d keys of the last %s's frames\n", res.DedupeKeys, *window)
	if res.Replaced {
		fmt.Fprintln(stdout, "the station the target held was replaced")
	}
	if res.Sealed {
		fmt.Fprintln(stdout, "secrets are sealed at rest: give every node the same store.secrets_key_file")
	}
	return nil
}
