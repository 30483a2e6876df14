package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
)

// apiClient talks to a running daemon's management API. The records live
// in the daemon's store and its in-memory index, so the tools change them
// through the daemon rather than behind its back in the SQLite file.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// clientFlags adds --config, --server and --token to fs and returns a
// function building the client once fs is parsed: the server and token
// default to the configuration's http.listen and http.admin_token
// (ALARMRX_HTTP_ADMIN_TOKEN in the environment overrides the file).
func clientFlags(fs *flag.FlagSet) func() (*apiClient, error) {
	path := fs.String("config", "", "configuration file of the daemon (default: the embedded example)")
	server := fs.String("server", "", "daemon base URL (default: http://<http.listen> from the configuration)")
	token := fs.String("token", "", "admin token (default: http.admin_token from the configuration; prefer ALARMRX_HTTP_ADMIN_TOKEN)")
	return func() (*apiClient, error) {
		c := &apiClient{base: strings.TrimRight(*server, "/"), token: *token, http: &http.Client{Timeout: 2 * time.Minute}}
		if c.base == "" || c.token == "" {
			cfg, err := configs.Load(*path)
			if err != nil {
				return nil, err
			}
			if c.base == "" {
				if cfg.HTTP.Listen == "" {
					return nil, usageError{errors.New("http is off in the configuration: give --server")}
				}
				c.base = "http://" + cfg.HTTP.Listen
			}
			if c.token == "" {
				c.token = cfg.HTTP.AdminToken
			}
		}
		if c.token == "" {
			return nil, usageError{errors.New("no admin token: set ALARMRX_HTTP_ADMIN_TOKEN or give --token")}
		}
		return c, nil
	}
}

// apiFailure is an error answer of the API.
type apiFailure struct {
	Status int
	Field  string
	Msg    string
}

func (e *apiFailure) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (field %s, HTTP %d)", e.Msg, e.Field, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Msg, e.Status)
}

// do sends a request and decodes a 2xx JSON answer into out. Non-2xx
// answers become *apiFailure, except those listed in accept, which are
// decoded into out like a success.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body io.Reader, out any, accept ...int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach the daemon at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	ok := resp.StatusCode/100 == 2
	for _, s := range accept {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return resp.StatusCode, &apiFailure{Status: resp.StatusCode, Field: e.Field, Msg: e.Error}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("unexpected answer from %s: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *apiClient) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, "POST", path, "application/json", bytes.NewReader(b), out)
	return err
}

// findAccount resolves a receiver and account number as a signal would be.
func (c *apiClient) findAccount(ctx context.Context, receiver int, number string) (*store.Account, error) {
	var a store.Account
	_, err := c.do(ctx, "GET", fmt.Sprintf("/api/v1/receivers/%d/accounts/%s", receiver, url.PathEscape(number)), "", nil, &a)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

const accountsUsage = `usage: alarmrx accounts <import FILE.csv | list> [flags]

  import FILE.csv   create or update accounts from CSV, all rows or none;
                    prints a report, and every bad row with its line number
  list              list accounts (filters: --receiver, --site)
`

func accounts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, accountsUsage)
		return usageError{errors.New("accounts: import or list?")}
	}
	switch args[0] {
	case "import":
		return accountsImport(ctx, args[1:], stdout, stderr)
	case "list":
		return accountsList(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, accountsUsage)
	return usageError{fmt.Errorf("accounts: unknown subcommand %q", args[0])}
}

func accountsImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return importCSV(ctx, "accounts", args, stdout, stderr)
}

const sitesUsage = `usage: alarmrx sites import FILE.csv [--dry-run] [flags]

  import FILE.csv   create or update sites from CSV, all rows or none, keyed
                    by identifier; prints a report, and every bad row with
                    its line number
`

const customersUsage = `usage: alarmrx customers import FILE.csv [--dry-run] [flags]

  import FILE.csv   create or update customers from CSV, all rows or none,
                    keyed by identifier; prints a report, and every bad row
                    with its line number
`

// records runs "alarmrx sites import" and "alarmrx customers import".
func records(kind, usage string) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) == 0 || args[0] != "import" {
			fmt.Fprint(stderr, usage)
			if len(args) == 0 {
				return usageError{errors.New(kind + ": import?")}
			}
			return usageError{fmt.Errorf("%s: unknown subcommand %q", kind, args[0])}
		}
		return importCSV(ctx, kind, args[1:], stdout, stderr)
	}
}

// importCSV posts a CSV file to /api/v1/<kind>/import and prints the
// report: all rows or none, every bad row with its line.
func importCSV(ctx context.Context, kind string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(kind+" import", stderr)
	client := clientFlags(fs)
	dry := fs.Bool("dry-run", false, "check the file and report, write nothing")
	file, rest := splitPositional(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if file == "" {
		return usageError{fmt.Errorf("%s import: name the CSV file", kind)}
	}
	c, err := client()
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var rep store.ImportReport
	path := "/api/v1/" + kind + "/import"
	if *dry {
		path += "?dry_run=true"
	}
	if _, err := c.do(ctx, "POST", path, "text/csv", f, &rep, http.StatusUnprocessableEntity); err != nil {
		return err
	}
	for _, e := range rep.Errors {
		field := ""
		if e.Field != "" {
			field = " " + e.Field + ":"
		}
		fmt.Fprintf(stdout, "%s:%d:%s %s\n", file, e.Line, field, e.Error)
	}
	switch {
	case len(rep.Errors) > 0:
		fmt.Fprintf(stdout, "%d rows, %d bad: nothing imported\n", rep.Rows, len(rep.Errors))
		return fmt.Errorf("%s: %d bad rows", file, len(rep.Errors))
	case !rep.Applied:
		fmt.Fprintf(stdout, "%d rows checked (dry run): %d would be created, %d updated, %d unchanged%s\n",
			rep.Rows, rep.Created, rep.Updated, rep.Unchanged, moved(rep))
	default:
		fmt.Fprintf(stdout, "%d rows imported: %d created, %d updated, %d unchanged%s\n",
			rep.Rows, rep.Created, rep.Updated, rep.Unchanged, moved(rep))
	}
	return nil
}

// moved says how many updated accounts move to another site (move=yes).
func moved(rep store.ImportReport) string {
	if rep.Moved == 0 {
		return ""
	}
	return fmt.Sprintf("; %d moved to another site", rep.Moved)
}

func accountsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("accounts list", stderr)
	client := clientFlags(fs)
	receiver := fs.Int("receiver", 0, "only this receiver")
	site := fs.Int64("site", 0, "only this site id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(store.MaxListLimit)}}
	if *receiver != 0 {
		q.Set("receiver", strconv.Itoa(*receiver))
	}
	if *site != 0 {
		q.Set("site_id", strconv.FormatInt(*site, 10))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVER\tNUMBER\tSITE\tSYSTEM\tKEY\tSUPERVISION\tTEST")
	var after int64
	for {
		q.Set("after_id", strconv.FormatInt(after, 10))
		var page struct {
			Items []store.Account `json:"items"`
		}
		if _, err := c.do(ctx, "GET", "/api/v1/accounts?"+q.Encode(), "", nil, &page); err != nil {
			return err
		}
		for _, a := range page.Items {
			key := "-"
			if a.HasKey {
				key = a.KeyFormat
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", a.ID, a.Receiver, a.Number, a.SiteID, a.SystemType,
				key, time.Duration(a.SupervisionInterval), time.Duration(a.TestInterval))
			after = a.ID
		}
		if len(page.Items) < store.MaxListLimit {
			break
		}
	}
	return tw.Flush()
}

const testUsage = `usage: alarmrx test <on | off | status> ACCOUNT [flags]

  on      put ACCOUNT on test (--for 2h or --until TIME; --zones or --categories
          to narrow the scope; --reason and --by are required)
  off     take ACCOUNT off test now (--by is required)
  status  show ACCOUNT's open on-test periods
`

func testCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, testUsage)
		return usageError{errors.New("test: on, off or status?")}
	}
	verb := args[0]
	fs := newFlags("test "+verb, stderr)
	client := clientFlags(fs)
	receiver := fs.Int("receiver", 1, "receiver the account is on")
	var forDur time.Duration
	var until, zones, categories, reason, by string
	switch verb {
	case "on":
		fs.DurationVar(&forDur, "for", 0, "how long, e.g. 2h")
		fs.StringVar(&until, "until", "", "end time, RFC 3339 (instead of --for)")
		fs.StringVar(&zones, "zones", "", "comma-separated zones on test (default: the whole account)")
		fs.StringVar(&categories, "categories", "", "comma-separated event categories on test, e.g. fire,trouble")
		fs.StringVar(&reason, "reason", "", "why (required)")
		fs.StringVar(&by, "by", "", "who authorised it (required)")
	case "off":
		fs.StringVar(&by, "by", "", "who takes it off test (required)")
	case "status":
	default:
		fmt.Fprint(stderr, testUsage)
		return usageError{fmt.Errorf("test: unknown subcommand %q", verb)}
	}
	account, rest := splitPositional(args[1:])
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if account == "" {
		return usageError{fmt.Errorf("test %s: name the account", verb)}
	}
	c, err := client()
	if err != nil {
		return err
	}
	a, err := c.findAccount(ctx, *receiver, account)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("/api/v1/accounts/%d/tests", a.ID)
	switch verb {
	case "on":
		req := map[string]any{"reason": reason, "authorised_by": by, "scope": store.ScopeAccount}
		switch {
		case zones != "" && categories != "":
			return usageError{errors.New("test on: --zones or --categories, not both")}
		case zones != "":
			req["scope"], req["zones"] = store.ScopeZones, splitList(zones)
		case categories != "":
			req["scope"], req["categories"] = store.ScopeCategories, splitList(categories)
		}
		if until != "" {
			req["until"] = until
		} else {
			req["duration"] = forDur.String()
		}
		var t store.OnTest
		if err := c.postJSON(ctx, base, req, &t); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s on receiver %d is on test (%s) until %s, period %d\n",
			a.Number, a.Receiver, t.ScopeText(), t.EndsAt.Local().Format(time.RFC3339), t.ID)
	case "off":
		var out struct {
			Ended []store.OnTest `json:"ended"`
		}
		if err := c.postJSON(ctx, base+"/off", map[string]any{"by": by}, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s on receiver %d is off test (%d period(s) ended)\n", a.Number, a.Receiver, len(out.Ended))
	case "status":
		var out struct {
			Items []struct {
				store.OnTest
				Active bool `json:"active"`
			} `json:"items"`
		}
		if _, err := c.do(ctx, "GET", base+"?open=true", "", nil, &out); err != nil {
			return err
		}
		if len(out.Items) == 0 {
			fmt.Fprintf(stdout, "account %s on receiver %d: in service (not on test)\n", a.Number, a.Receiver)
			return nil
		}
		for _, t := range out.Items {
			state := "scheduled"
			if t.Active {
				state = "ON TEST"
			}
			fmt.Fprintf(stdout, "account %s on receiver %d: %s (%s) from %s until %s, reason %q, authorised by %s, period %d\n",
				a.Number, a.Receiver, state, t.OnTest.ScopeText(), t.StartsAt.Local().Format(time.RFC3339),
				t.EndsAt.Local().Format(time.RFC3339), t.Reason, t.AuthorisedBy, t.ID)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitPositional takes the first argument that is not a flag out of args,
// so that "test on 1234 --for 2h" and "test on --for 2h 1234" both work.
func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") {
		// Only when the one before it is not a flag expecting a value.
		if n == 1 || !strings.HasPrefix(args[n-2], "-") || strings.Contains(args[n-2], "=") || isBoolFlag(args[n-2]) {
			return args[n-1], args[:n-1]
		}
	}
	return "", args
}

func isBoolFlag(arg string) bool {
	return strings.TrimLeft(arg, "-") == "dry-run"
}
