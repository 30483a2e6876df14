package queue

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// ResponseTimes is the report of how fast the station answered the
// incidents opened in a range: receipt → first claim → first dispatch →
// resolution, per priority and per operator (who resolved it), with
// percentiles.
type ResponseTimes struct {
	From         time.Time       `json:"from"`
	To           time.Time       `json:"to"`
	ByPriority   []ResponseGroup `json:"by_priority"`
	ByOperator   []ResponseGroup `json:"by_operator"`
	Incidents    int             `json:"incidents"`
	Unresolved   int             `json:"unresolved"`
	Unclaimed    int             `json:"unclaimed"`
	Undispatched int             `json:"undispatched"`
}

// ResponseGroup is one row of the report: the incidents of a priority or
// of an operator, and the seconds each stage took.
type ResponseGroup struct {
	Priority  int    `json:"priority,omitempty"`
	Operator  string `json:"operator,omitempty"`
	Incidents int    `json:"incidents"`
	// Claim is receipt to first claim, Dispatch receipt to first dispatch
	// (of the incidents dispatched), Resolve receipt to resolution.
	Claim    Percentiles `json:"claim_seconds"`
	Dispatch Percentiles `json:"dispatch_seconds"`
	Resolve  Percentiles `json:"resolve_seconds"`
}

// Percentiles of a stage's durations in seconds; N is how many incidents
// reached the stage (0: the others are null).
type Percentiles struct {
	N   int      `json:"n"`
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
	P99 *float64 `json:"p99"`
	Max *float64 `json:"max"`
}

// maxReportIncidents bounds one report's read; a range holding more is
// refused naming "from": a year of a large station is several reports.
const maxReportIncidents = 500_000

// ResponseTimes reads the incidents opened in [from, to) through
// incidents_opened and works out the report.
func (b *Board) ResponseTimes(ctx context.Context, from, to time.Time) (*ResponseTimes, error) {
	if !to.After(from) {
		return nil, core.Invalid("to", "must be after from")
	}
	rows, err := b.rdb.QueryContext(ctx, `SELECT i.priority, i.opened_at, i.first_claimed_at, i.resolved_at,
		coalesce(u.username, ''),
		(SELECT min(a.at) FROM incident_actions a WHERE a.incident_id = i.id AND a.action = 'dispatched')
		FROM incidents i LEFT JOIN users u ON u.id = i.resolved_by
		WHERE i.opened_at >= ? AND i.opened_at < ? ORDER BY i.opened_at LIMIT ?`,
		from.UnixNano(), to.UnixNano(), maxReportIncidents+1)
	if err != nil {
		return nil, fmt.Errorf("store: response times: %w", err)
	}
	defer rows.Close()
	byPriority, byOperator := map[int]*stageTimes{}, map[string]*stageTimes{}
	rep := &ResponseTimes{From: from, To: to, ByPriority: []ResponseGroup{}, ByOperator: []ResponseGroup{}}
	for rows.Next() {
		var prio int
		var opened int64
		var claimed, resolved, dispatched *int64
		var operator string
		if err := rows.Scan(&prio, &opened, &claimed, &resolved, &operator, &dispatched); err != nil {
			return nil, fmt.Errorf("store: response times: %w", err)
		}
		if rep.Incidents++; rep.Incidents > maxReportIncidents {
			return nil, core.Invalid("from", "the range holds more than %d incidents: ask for a shorter one", maxReportIncidents)
		}
		// An operator's row counts the incidents they resolved.
		groups := []*stageTimes{stagesOf(byPriority, prio)}
		if resolved != nil {
			groups = append(groups, stagesOf(byOperator, operator))
		}
		secs := func(t *int64) (float64, bool) {
			if t == nil {
				return 0, false
			}
			return math.Max(0, float64(*t-opened)/1e9), true
		}
		c, okC := secs(claimed)
		d, okD := secs(dispatched)
		r, okR := secs(resolved)
		rep.Unclaimed += boolInt(!okC)
		rep.Undispatched += boolInt(!okD)
		rep.Unresolved += boolInt(!okR)
		for _, g := range groups {
			g.n++
			if okC {
				g.claim = append(g.claim, c)
			}
			if okD {
				g.dispatch = append(g.dispatch, d)
			}
			if okR {
				g.resolve = append(g.resolve, r)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: response times: %w", err)
	}
	for _, p := range slices.Sorted(maps.Keys(byPriority)) {
		g := byPriority[p].group()
		g.Priority = p
		rep.ByPriority = append(rep.ByPriority, g)
	}
	for _, o := range slices.Sorted(maps.Keys(byOperator)) {
		g := byOperator[o].group()
		g.Operator = o
		rep.ByOperator = append(rep.ByOperator, g)
	}
	return rep, nil
}

// stageTimes are one group's incidents (n) and the durations of each
// stage they reached, in seconds.
type stageTimes struct {
	n                        int
	claim, dispatch, resolve []float64
}

// group is the report's row of these incidents.
func (s *stageTimes) group() ResponseGroup {
	return ResponseGroup{Incidents: s.n, Claim: percentiles(s.claim), Dispatch: percentiles(s.dispatch), Resolve: percentiles(s.resolve)}
}

// stagesOf is the group k of m, made when new.
func stagesOf[K comparable](m map[K]*stageTimes, k K) *stageTimes {
	if m[k] == nil {
		m[k] = &stageTimes{}
	}
	return m[k]
}

// percentiles of durations by the nearest rank (no interpolation: each
// figure is a real incident's).
func percentiles(v []float64) Percentiles {
	p := Percentiles{N: len(v)}
	if len(v) == 0 {
		return p
	}
	slices.Sort(v)
	at := func(q float64) *float64 {
		i := int(math.Ceil(q*float64(len(v)))) - 1
		x := v[max(0, min(i, len(v)-1))]
		return &x
	}
	p.P50, p.P90, p.P99, p.Max = at(.5), at(.9), at(.99), at(1)
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
