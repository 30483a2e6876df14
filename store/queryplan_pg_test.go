package store

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/jackc/pgx/v5"
)

// pgScanRE finds a plan node that reads signals or frames.
var pgScanRE = regexp.MustCompile(`(Seq Scan|Index Scan|Index Scan Backward|Index Only Scan|Index Only Scan Backward|Bitmap Heap Scan)` +
	`(?: using (\S+))? on (signals|frames)\b`)

// pgBadPlanRows returns the nodes of plan that read all of signals or
// frames: a sequential scan, or the primary key walked without a
// condition (id order, every row filtered). Another index is a condition
// of its own (a partial index's predicate shows no Index Cond).
func pgBadPlanRows(plan []string) []string {
	var bad []string
	for i, row := range plan {
		m := pgScanRE.FindStringSubmatch(row)
		if m == nil {
			continue
		}
		bounded := m[2] != "" && m[2] != m[3]+"_pkey"
		depth := len(row) - len(strings.TrimLeft(row, " "))
		for _, detail := range plan[i+1:] {
			d := strings.TrimLeft(detail, " ")
			if strings.HasPrefix(d, "->") || len(detail)-len(d) <= depth {
				break
			}
			bounded = bounded || strings.HasPrefix(d, "Index Cond:") || strings.HasPrefix(d, "Recheck Cond:")
		}
		if !bounded {
			bad = append(bad, strings.TrimSpace(row))
		}
	}
	return bad
}

// placeholderRE finds the numbered parameters of a rebound query.
var placeholderRE = regexp.MustCompile(`\$(\d+)`)

// TestListQueriesUseIndexesOnPostgres is TestListQueriesUseIndexes on
// PostgreSQL: every list query, with each combination of filters, is
// prepared as the store prepares it and explained as a generic plan (the
// one any values get) with sequential scans priced out, so that the plan
// shows whether an index can serve it at all. A scan of signals or frames
// that remains (sequential, or an index without a condition) is a list
// reading the whole table at millions of rows; a case that may scan in id
// order (no selective filter) is exempt.
func TestListQueriesUseIndexesOnPostgres(t *testing.T) {
	if testEngine == nil {
		t.Skip("PostgreSQL's planner: the PostgreSQL run has it")
	}
	rec := &recordingDialect{base: postgres.Dialect, name: postgres.Dialect.Name()}
	s := planStore(t, t.TempDir()+"/"+FileName, rec)
	ctx := context.Background()
	// A session of its own: the store's writer has one connection.
	conn, _, err := postgres.Connect(ctx, s.opts.DSN, "plan-test", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, set := range []string{"SET plan_cache_mode = force_generic_plan", "SET enable_seqscan = off"} {
		if _, err := conn.Exec(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	tables := 0
	checked := explainLists(t, s, rec, func(c planCase, q string) {
		if !tableQueryRE.MatchString(q) {
			return
		}
		tables++
		pq := postgres.Dialect.Rebind(q)
		n := 0
		for _, m := range placeholderRE.FindAllStringSubmatch(pq, -1) {
			v, _ := strconv.Atoi(m[1])
			n = max(n, v)
		}
		if _, err := conn.Exec(ctx, "PREPARE plan_check AS "+pq); err != nil {
			t.Fatalf("%s: prepare %s: %v", c.name, q, err)
		}
		explain := "EXPLAIN EXECUTE plan_check"
		if n > 0 {
			explain += "(" + strings.TrimSuffix(strings.Repeat("NULL,", n), ",") + ")"
		}
		rows, err := conn.Query(ctx, explain)
		if err != nil {
			t.Fatalf("%s: explain %s: %v", c.name, q, err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: explain %s: %v", c.name, q, err)
		}
		if _, err := conn.Exec(ctx, "DEALLOCATE plan_check"); err != nil {
			t.Fatal(err)
		}
		if bad := pgBadPlanRows(plan); !c.scan && len(bad) > 0 {
			t.Errorf("%s reads all of a table on PostgreSQL:\n%s\nplan:\n%s", c.name, pq, strings.Join(plan, "\n"))
		}
	})
	if tables == 0 {
		t.Fatal("no query of signals or frames was recorded")
	}
	t.Logf("%d queries of signals or frames explained, of %d", tables, len(checked))
}
