package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// recordingDialect is an engine's dialect (base) that records every query
// text the store's connections take: the plan tests explain exactly what
// the store runs, so that a condition or a query added to a list cannot
// slip by.
type recordingDialect struct {
	base core.Dialect
	name string
	mu   sync.Mutex
	seen []string
}

func (r *recordingDialect) Name() string                { return r.name }
func (r *recordingDialect) Least(a, b string) string    { return r.base.Least(a, b) }
func (r *recordingDialect) Greatest(a, b string) string { return r.base.Greatest(a, b) }

// BindsArrays is the base's: the projection's statements on PostgreSQL
// take arrays.
func (r *recordingDialect) BindsArrays() bool { return core.BindsArrays(r.base) }

// ConvertArg is the base's (PostgreSQL binds bools as 0/1).
func (r *recordingDialect) ConvertArg(v any) any {
	if c, ok := r.base.(core.ArgConverter); ok {
		return c.ConvertArg(v)
	}
	return v
}

func (r *recordingDialect) Rebind(q string) string {
	r.mu.Lock()
	r.seen = append(r.seen, q)
	r.mu.Unlock()
	return r.base.Rebind(q)
}

// take returns the queries recorded since the last take.
func (r *recordingDialect) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

// planStore opens the store at path with every query recorded (rec), an
// outbox, and a frame in it; the plan tests explain what its lists run.
func planStore(t *testing.T, path string, rec *recordingDialect) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Outbox: []OutboxTarget{{Name: "hook"}}, dialect: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	raw := "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r"
	if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), testReceipt(raw)); err != nil {
		t.Fatal(err)
	}
	return s
}

// explainLists runs every list case on s and hands each SELECT it ran
// (once per text) to check; it returns the texts checked.
func explainLists(t *testing.T, s *Store, rec *recordingDialect, check func(c planCase, q string)) map[string]bool {
	t.Helper()
	checked := map[string]bool{}
	for _, c := range listPlanCases() {
		rec.take()
		if err := c.call(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, q := range rec.take() {
			if checked[q] || !strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
				continue
			}
			checked[q] = true
			check(c, q)
		}
	}
	if len(checked) == 0 {
		t.Fatal("no query was recorded")
	}
	return checked
}

// planCase is one call of a list as the API or the daemon makes it; scan
// allows a scan of signals or frames in id order (see unselective).
type planCase struct {
	name string
	call func(ctx context.Context, s *Store) error
	scan bool
}

// TestListQueriesUseIndexes runs every list query of the HTTP API and the
// console (and the dedupe seed of start-up), with each combination of the
// filters the API sends, and explains every SELECT the store ran for it
// (design.md §2 rule 6). It fails on a scan of signals or frames (a plan row
// "SCAN t" or a bare "SEARCH t" without an index: the min/max walk of the
// rowids) and on a sort of them for a LIMIT: at millions of rows either
// reads the whole table. The plans are those of the statements as
// prepared: SQLite plans before any value is bound, and the store runs no
// ANALYZE, so the plan is the one every value gets.
//
// A list without any condition scans in id order and stops at its limit,
// as does one whose conditions are all unselective (a receiver, accepted
// frames, resolved signals: most rows of a station match), which the
// case marks; no index of them would pay for its write on every frame.
func TestListQueriesUseIndexes(t *testing.T) {
	onSQLiteOnly(t)
	rec := &recordingDialect{base: sqlite.Dialect, name: "sqlite-recorded"}
	path := filepath.Join(t.TempDir(), FileName)
	s := planStore(t, path, rec)
	ctx := context.Background()
	rejected := testReceipt("\nED280035\"SIA-DCS\"0002L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r")
	rejected.Status = StatusRejected
	if _, err := s.Commit(ctx, testMessage("1234", "0002"), rejected); err != nil {
		t.Fatal(err)
	}

	explain, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = explain.Close() })
	checked := explainLists(t, s, rec, func(c planCase, q string) {
		plan, err := queryPlan(ctx, explain, q)
		if err != nil {
			t.Fatalf("%s: explain %s: %v", c.name, q, err)
		}
		if bad := badPlanRows(q, plan, c.scan); len(bad) > 0 {
			t.Errorf("%s reads all of a table:\n%s\nplan:\n%s", c.name, q, strings.Join(plan, "\n"))
		}
	})
	checkEveryTableQuery(t, checked)
}

// notLists are the functions of the store's packages that read or write
// signals or frames and are no list: the reason each needs no plan here.
var notLists = map[string]string{
	"retention.go const":                    "the retention picks and deletes: TestPruneQueriesUseIndexes explains each",
	"journal.go loadJournal":                "reads the greatest frame id, once at open",
	"evidence.go PruneEvidence":             "deletes rejected frames by id, through frames_rejected, in chunks",
	"evidence.go evidenceCutoff":            "walks the rejected frames newest first through frames_rejected, to find the pruning cutoff",
	"query.go Counts":                       "counts every row; only tests call it",
	"receivers.go ClaimSignals":             "an operator's claim of an account's number: signals_account",
	"unprogrammed.go FoldUnprogrammedZones": "reads the signals between two ids, by the primary key",
	"unprogrammed.go unprogrammedCursor":    "reads the greatest id",
	"queue/incidents.go hasFire":            "an incident's signals, by the primary key",
	"plans.go incidentPlan":                 "one incident's signals, through incident_signals and the primary key",
	"queue/signalnotes.go AddSignalNote":    "one signal, by the primary key",
	"copy.go checkTarget":                   "counts the target's rows once, before a copy, to refuse a database in use",
	"copy.go copyDedupeKeys":                "the dedupe window's frames through frames_received_at, once per copy",
	"copy.go setSequences":                  "the greatest frame id, once per copy",
}

// tableQueryRE finds a query text that reads or writes signals or frames.
var tableQueryRE = regexp.MustCompile(`(?i)\b(FROM|JOIN|UPDATE|INTO)\s+(signals|frames)\b`)

// checkEveryTableQuery fails on a query text of the store's packages that
// reads signals or frames and is neither part of a query the plan test
// checked nor in notLists: a list added without a case here cannot slip
// by. The writer's INSERTs are no reads, and are left out.
func checkEveryTableQuery(t *testing.T, checked map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			name := ""
			switch d := decl.(type) {
			case *ast.FuncDecl:
				name = d.Name.Name
			case *ast.GenDecl:
				name = "const"
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				text, err := strconv.Unquote(lit.Value)
				if err != nil || !tableQueryRE.MatchString(text) || strings.HasPrefix(strings.TrimSpace(text), "INSERT") {
					return true
				}
				where := filepath.ToSlash(path) + " " + name
				if notLists[where] != "" {
					return true
				}
				for q := range checked {
					if strings.Contains(q, text) {
						return true
					}
				}
				t.Errorf("%s (%s): a query of signals or frames that no case of TestListQueriesUseIndexes ran "+
					"and notLists does not name:\n%s", where, fset.Position(lit.Pos()), text)
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// filterOpt sets one filter of a list route.
type filterOpt[F any] struct {
	name  string
	apply func(*F)
}

// filterCases is a plan case for every combination of a route's filters
// (opts), each value of its one enumerated filter (none first), and both
// orders. A case is allowed to scan in id order only when none of its
// filters selects (receiver alone, and the enumerated filter's common
// value): an index on either would cost every frame a B-tree write.
func filterCases[F any](route string, opts []filterOpt[F], enumName string, enum []string, common string,
	newFilter func(enum string, desc bool) F, call func(context.Context, *Store, F) error) []planCase {
	var cases []planCase
	for mask := 0; mask < 1<<len(opts); mask++ {
		for _, e := range append([]string{""}, enum...) {
			for _, desc := range []bool{false, true} {
				f := newFilter(e, desc)
				var names []string
				selective := false
				for i, o := range opts {
					if mask&(1<<i) != 0 {
						o.apply(&f)
						names = append(names, o.name)
						selective = selective || o.name != "receiver"
					}
				}
				if e != "" {
					names = append(names, enumName+"="+e)
					selective = selective || e != common
				}
				if desc {
					names = append(names, "order=desc")
				}
				cases = append(cases, planCase{name: route + "?" + strings.Join(names, "&"), scan: !selective,
					call: func(ctx context.Context, s *Store) error { return call(ctx, s, f) }})
			}
		}
	}
	return cases
}

// listPlanCases are the calls the lists make: every filter combination
// the API's routes can send.
func listPlanCases() []planCase {
	since := time.Date(2024, 1, 1, 11, 45, 0, 0, time.UTC)
	signalOpts := []filterOpt[SignalFilter]{
		{"account", func(f *SignalFilter) { f.Account = "1234" }},
		{"receiver", func(f *SignalFilter) { f.Receiver = 1 }},
		{"since", func(f *SignalFilter) { f.Since = since }},
		{"after_id", func(f *SignalFilter) { f.AfterID = 7 }},
		{"before_id", func(f *SignalFilter) { f.BeforeID = 9 }},
		{"account_id", func(f *SignalFilter) { f.AccountID = 3 }},
		{"site_id", func(f *SignalFilter) { f.SiteID = 2 }},
		{"test", func(f *SignalFilter) { f.TestOnly = true }},
	}
	cases := filterCases("GET /api/v1/signals", signalOpts, "resolution",
		[]string{ResolutionResolved, ResolutionUnknown, ResolutionClaimed}, ResolutionResolved,
		func(res string, desc bool) SignalFilter { return SignalFilter{Resolution: res, Desc: desc, Limit: 100} },
		func(ctx context.Context, s *Store, f SignalFilter) error { _, err := s.Signals(ctx, f); return err })
	// The history search: its filters narrow an account's or a site's
	// signals (scoped), so they are served by that scope's index.
	for _, scope := range []filterOpt[SignalFilter]{signalOpts[0], signalOpts[5], signalOpts[6]} {
		for _, desc := range []bool{false, true} {
			f := SignalFilter{Code: "BA", Category: "burglary", Zone: "017", Text: "door", Since: since, Until: since.Add(time.Hour),
				BeforeID: 9, Desc: desc, Limit: 100}
			scope.apply(&f)
			cases = append(cases, planCase{name: "GET /api/v1/signals?" + scope.name + "&code&category&zone&q&since&until",
				call: func(ctx context.Context, s *Store) error { _, err := s.Signals(ctx, f); return err }})
		}
	}
	// A customer's signals: each of its sites' through that site's index
	// (customerSignals), with and without the history filters.
	for _, history := range []bool{false, true} {
		for _, desc := range []bool{false, true} {
			f := SignalFilter{Since: since, BeforeID: 9, Desc: desc, Limit: 100}
			name := "GET /api/v1/signals?customer_id&since&before_id"
			if history {
				f.Code, f.Category, f.Zone, f.Text, f.Until = "BA", "burglary", "017", "door", since.Add(time.Hour)
				name += "&code&category&zone&q&until"
			}
			cases = append(cases, planCase{name: name, call: func(ctx context.Context, s *Store) error {
				c := &Customer{Name: "Plan HQ"}
				if err := s.Customers.Create(ctx, c); err != nil {
					return err
				}
				for _, n := range []string{"Plan store 1", "Plan store 2"} {
					if err := s.Sites.Create(ctx, &Site{CustomerID: c.ID, Name: n}); err != nil {
						return err
					}
				}
				f.CustomerID = c.ID
				_, err := s.Signals(ctx, f)
				return err
			}})
		}
	}
	frameOpts := []filterOpt[FrameFilter]{
		{"account", func(f *FrameFilter) { f.Account = "1234" }},
		{"receiver", func(f *FrameFilter) { f.Receiver = 1 }},
		{"since", func(f *FrameFilter) { f.Since = since }},
		{"after_id", func(f *FrameFilter) { f.AfterID = 7 }},
		{"before_id", func(f *FrameFilter) { f.BeforeID = 9 }},
	}
	cases = append(cases, filterCases("GET /api/v1/frames", frameOpts, "status",
		[]string{StatusAccepted, StatusRejected}, StatusAccepted,
		func(status string, desc bool) FrameFilter { return FrameFilter{Status: status, Desc: desc, Limit: 100} },
		func(ctx context.Context, s *Store, f FrameFilter) error { _, err := s.Frames(ctx, f); return err })...)
	cases = append(cases,
		planCase{name: "the dedupe seed at start-up", call: func(ctx context.Context, s *Store) error {
			_, err := s.RecentDedupeKeys(ctx, since)
			return err
		}},
		planCase{name: "GET /api/v1/accounts/{id}/test-results", call: func(ctx context.Context, s *Store) error {
			_, err := s.Signals(ctx, SignalFilter{AccountID: 3, TestOnly: true, Since: since, Until: since.Add(time.Hour), Limit: MaxListLimit})
			return err
		}},
		planCase{name: "GET /api/v1/incidents/{id} (its signals)", call: func(ctx context.Context, s *Store) error {
			_, err := s.Signals(ctx, SignalFilter{IDs: []int64{1, 2}, Limit: MaxListLimit})
			return err
		}},
		planCase{name: "GET /portal/api/signals", call: func(ctx context.Context, s *Store) error {
			_, err := s.SiteActivity(ctx, 2, since, since.Add(time.Hour))
			return err
		}},
		planCase{name: "GET /api/v1/outputs/{name}/undeliverable", call: func(ctx context.Context, s *Store) error {
			_, err := s.UndeliverableOutbox(ctx, "hook", 5, 100)
			return err
		}},
		planCase{name: "the outputs' pending outbox", call: func(ctx context.Context, s *Store) error {
			_, err := s.PendingOutbox(ctx, "hook", 100)
			return err
		}},
		planCase{name: "GET /api/v1/audit", call: func(ctx context.Context, s *Store) error {
			_, err := s.Audit(ctx, 5, 100)
			return err
		}},
		planCase{name: "GET /api/v1/queue", call: func(ctx context.Context, s *Store) error {
			_, _, err := s.Queue(ctx, since)
			return err
		}},
		planCase{name: "GET /portal/api/incidents", call: func(ctx context.Context, s *Store) error {
			_, err := s.SiteIncidents(ctx, 2, since, since.Add(time.Hour))
			return err
		}},
		planCase{name: "GET /api/v1/reports/silent-accounts", call: func(ctx context.Context, s *Store) error {
			_, err := s.SilentAccounts(ctx, since, since.Add(time.Hour))
			return err
		}},
		planCase{name: "GET /api/v1/reports/on-test", call: func(ctx context.Context, s *Store) error {
			_, err := s.OnTestHistory(ctx, since, since.Add(time.Hour))
			return err
		}},
		planCase{name: "GET /api/v1/reports/operator-activity", call: func(ctx context.Context, s *Store) error {
			_, err := s.OperatorActivity(ctx, since, since.Add(time.Hour))
			return err
		}},
		planCase{name: "GET /api/v1/reports/open-close", call: func(ctx context.Context, s *Store) error {
			c := &Customer{Name: "Plan"}
			site := &Site{Name: "Plan site"}
			if err := s.Customers.Create(ctx, c); err != nil {
				return err
			}
			site.CustomerID = c.ID
			if err := s.Sites.Create(ctx, site); err != nil {
				return err
			}
			_, err := s.OpenCloseHistory(ctx, site.ID, since, since.Add(time.Hour))
			return err
		}},
	)
	for _, f := range []IncidentFilter{{}, {Status: "open"}, {AccountID: 3}, {Since: since}, {AfterID: 5},
		{Status: "closed", AccountID: 3, Since: since, AfterID: 5}} {
		cases = append(cases, planCase{name: fmt.Sprintf("GET /api/v1/incidents %+v", f),
			call: func(ctx context.Context, s *Store) error { _, err := s.Incidents(ctx, f); return err }})
	}
	for _, f := range []StationEventFilter{{}, {Kind: EventUnknownAccount}, {AccountID: 3}, {Since: since}, {AfterID: 5},
		{Kind: EventUnknownAccount, AccountID: 3, Since: since, AfterID: 5}} {
		cases = append(cases, planCase{name: fmt.Sprintf("GET /api/v1/station-events %+v", f),
			call: func(ctx context.Context, s *Store) error { _, err := s.StationEvents(ctx, f); return err }})
	}
	for _, f := range []VisitFilter{{}, {SiteID: 2}, {TechnicianUserID: 4}, {InstallerID: 5}, {SiteIDs: []int64{2, 3}},
		{Status: "open"}, {Since: since}, {AfterID: 5}} {
		cases = append(cases, planCase{name: fmt.Sprintf("GET /api/v1/visits %+v", f),
			call: func(ctx context.Context, s *Store) error { _, err := s.Visits(ctx, f); return err }})
	}
	return cases
}

// queryPlan returns the detail column of q's EXPLAIN QUERY PLAN, each row
// indented by its depth, with every parameter NULL.
func queryPlan(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var n int
	if err := conn.Raw(func(dc any) error {
		st, err := dc.(driver.Conn).Prepare(q)
		if err != nil {
			return err
		}
		n = st.NumInput()
		return st.Close()
	}); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, n)...)
	if err != nil {
		return nil, err
	}
	depth := map[int]int{}
	return core.AppendRows(nil, rows, func(sc core.RowScanner) (string, error) {
		var id, parent, unused int
		var detail string
		err := sc.Scan(&id, &parent, &unused, &detail)
		depth[id] = depth[parent] + 1
		return strings.Repeat("  ", depth[id]-1) + detail, err
	})
}

var (
	// aliasRE finds the names signals and frames go by in a query.
	aliasRE = regexp.MustCompile(`\b(signals|frames)(?:\s+(?:AS\s+)?([a-z]\w*))?`)
	// planRowRE reads a plan row that reads a table.
	planRowRE = regexp.MustCompile(`^(SCAN|SEARCH) (\w+)(.*)$`)
)

// sqlWords are the words that can follow a table's name without being its
// alias.
var sqlWords = map[string]bool{"where": true, "join": true, "left": true, "on": true, "order": true, "group": true,
	"limit": true, "indexed": true, "not": true, "union": true, "inner": true, "cross": true}

// badPlanRows returns the rows of plan that read all of signals or frames:
// a scan (unless scan allows one in id order), a bare search (no index:
// the min/max walk of the rowids), and a sort for a LIMIT.
func badPlanRows(q string, plan []string, scan bool) []string {
	names := map[string]bool{}
	for _, m := range aliasRE.FindAllStringSubmatch(q, -1) {
		names[m[1]] = true
		if m[2] != "" && !sqlWords[strings.ToLower(m[2])] {
			names[m[2]] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	limited := strings.Contains(q, " LIMIT ")
	var bad []string
	for _, row := range plan {
		row = strings.TrimSpace(row)
		if limited && strings.HasPrefix(row, "USE TEMP B-TREE FOR") && strings.Contains(row, "ORDER BY") {
			bad = append(bad, row)
			continue
		}
		m := planRowRE.FindStringSubmatch(row)
		if m == nil || !names[m[2]] {
			continue
		}
		indexed := strings.Contains(m[3], "USING INDEX") || strings.Contains(m[3], "USING COVERING INDEX") ||
			strings.Contains(m[3], "USING INTEGER PRIMARY KEY")
		if indexed || (scan && m[1] == "SCAN") {
			continue
		}
		bad = append(bad, row)
	}
	return bad
}

// TestTimeBoundsKeepResults: the id bound a time filter adds (sinceFrame,
// sinceSignal) leaves the lists as the time filter alone gives them, with
// frames committed out of their order of receipt, as concurrent sessions
// and a clock stepped back commit them.
func TestTimeBoundsKeepResults(t *testing.T) {
	s, _ := openTest(t, "")
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	// Minutes after base, in commit order: a stepped-back clock (3 after
	// 9), sessions overtaking each other (5 before 4) and a repeat.
	minutes := []int{0, 2, 9, 10, 3, 5, 4, 4, 11, 1, 12}
	type row struct {
		id  int64
		at  time.Time
		key string
	}
	var frames []row
	for i, m := range minutes {
		acct := fmt.Sprintf("%04d", 1000+i%2)
		rec := testReceipt("\nED280035\"SIA-DCS\"0001L0#" + acct + "[#" + acct + "|NBA01]_12:00:00,01-01-2024\r")
		rec.ReceivedAt = base.Add(time.Duration(m) * time.Minute)
		rec.DedupeKey = fmt.Sprint("key", i)
		if i == 6 {
			rec.Status = StatusRejected
		}
		id, err := s.Commit(ctx, testMessage(acct, "0001"), rec)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, row{id, rec.ReceivedAt, rec.DedupeKey})
	}
	for m := -1; m <= 13; m++ {
		since := base.Add(time.Duration(m) * time.Minute)
		var wantFrames, wantKeys []string
		for _, f := range frames {
			if !f.at.Before(since) {
				wantFrames = append(wantFrames, fmt.Sprint(f.id))
				if f.id != frames[6].id {
					wantKeys = append(wantKeys, f.key)
				}
			}
		}
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{2, 100} {
				sigs, err := s.Signals(ctx, SignalFilter{Since: since, Desc: desc, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				fr, err := s.Frames(ctx, FrameFilter{Since: since, Desc: desc, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				var gotSignals, gotFrames []string
				for _, sg := range sigs {
					gotSignals = append(gotSignals, fmt.Sprint(sg.FrameID))
				}
				for _, f := range fr {
					gotFrames = append(gotFrames, fmt.Sprint(f.ID))
				}
				want := slices.Clone(wantFrames)
				if desc {
					slices.Reverse(want)
				}
				wantSignals := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == fmt.Sprint(frames[6].id) })
				want = want[:min(limit, len(want))]
				wantSignals = wantSignals[:min(limit, len(wantSignals))]
				if !slices.Equal(gotFrames, want) || !slices.Equal(gotSignals, wantSignals) {
					t.Errorf("since +%dm desc=%v limit %d: frames %v, signals of frames %v; want %v, %v",
						m, desc, limit, gotFrames, gotSignals, want, wantSignals)
				}
			}
		}
		seed, err := s.RecentDedupeKeys(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		var gotKeys []string
		for _, e := range seed {
			gotKeys = append(gotKeys, e.Key)
		}
		if !slices.Equal(gotKeys, wantKeys) {
			t.Errorf("dedupe seed since +%dm: %v, want %v", m, gotKeys, wantKeys)
		}
	}
}
