package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/schedule"
)

// ScheduleImportColumns are the CSV columns ImportSchedules understands.
// A row is one weekly window (day, opens, closes) or one temporary day
// (date, and opens and closes, or closed=yes) of the account receiver and
// number (as stored, the prefix applied); area is the panel's area ("":
// the account's), and the graces are the account's, given on any of its
// rows (given on none, they stay as stored).
var ScheduleImportColumns = []string{"receiver", "number", "area", "day", "opens", "closes", "date", "closed",
	"open_grace_minutes", "close_grace_minutes"}

// scheduleGroup is one account's rows.
type scheduleGroup struct {
	sch                   Schedule
	first                 int   // the first row's line
	windowLines, dayLines []int // the line of each window and day
	graceLine             [2]int
}

// ImportSchedules replaces the schedules of the accounts a CSV file names
// with the windows and days its rows give, all accounts or none, as
// ImportAccounts: every bad row is reported with its line and field, and
// nothing is written while any is bad or on a dry run. An account whose
// schedule the file gives as it is stored is unchanged; each other one is
// audited as schedule.set by whoever imports.
func (s *Store) ImportSchedules(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	rows, report := parseImport(r, importKind{label: "schedule", columns: ScheduleImportColumns,
		need: [][]string{{"receiver"}, {"number"}, {"day", "date"}}})
	if rows == nil && len(report.Errors) > 0 {
		return report, nil
	}
	report.Rows = len(rows)
	by := core.ActorFrom(ctx)
	carry := core.CarryActor(ctx)
	now := s.opts.Now().UTC()
	parseErrors := report.Errors
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ctx = carry(ctx)
		report.Created, report.Updated, report.Unchanged = 0, 0, 0
		report.Errors = slices.Clone(parseErrors)
		bad := func(line int, field, format string, args ...any) {
			report.Errors = append(report.Errors, RowError{Line: line, Field: field, Error: fmt.Sprintf(format, args...)})
		}
		groups := map[int64]*scheduleGroup{}
		var order []int64
		for i := range rows {
			row := &rows[i]
			f := row.fields
			receiver, err := strconv.Atoi(f["receiver"])
			if err != nil {
				bad(row.line, "receiver", "%q is not a receiver number", f["receiver"])
				continue
			}
			var id int64
			err = tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE receiver = ? AND number = ?`, receiver, f["number"]).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				bad(row.line, "number", "no account %s on receiver %d", f["number"], receiver)
				continue
			}
			if err != nil {
				return err
			}
			g := groups[id]
			if g == nil {
				g = &scheduleGroup{sch: Schedule{AccountID: id}, first: row.line}
				groups[id] = g
				order = append(order, id)
			}
			if !setGraces(g, row, bad) {
				continue
			}
			day, date := strings.TrimSpace(f["day"]), strings.TrimSpace(f["date"])
			closed, ok := yesNo(f["closed"])
			switch {
			case !ok:
				bad(row.line, "closed", "%q is not yes or no", f["closed"])
			case day != "" && date != "":
				bad(row.line, "day", "a row is a weekly window (day) or a temporary day (date), not both")
			case day != "":
				if closed {
					bad(row.line, "closed", "only a temporary day is closed; a weekday without windows is")
					continue
				}
				g.sch.Windows = append(g.sch.Windows, ScheduleWindow{Area: f["area"], Day: day, Opens: f["opens"], Closes: f["closes"]})
				g.windowLines = append(g.windowLines, row.line)
			case date != "":
				g.sch.Days = append(g.sch.Days, ScheduleDay{Area: f["area"], Date: date, Closed: closed, Opens: f["opens"], Closes: f["closes"]})
				g.dayLines = append(g.dayLines, row.line)
			default:
				bad(row.line, "day", "give the weekday of a window or the date of a temporary day")
			}
		}
		for _, id := range order {
			g := groups[id]
			checked, err := checkSchedule(&g.sch)
			if err != nil {
				line, field := g.first, ""
				var fe *FieldError
				if errors.As(err, &fe) {
					line, field = g.lineOf(fe.Field)
					err = errors.New(fe.Msg)
				}
				bad(line, field, "%v", err)
				continue
			}
			before, err := readSchedule(ctx, tx, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			// Graces no row gives stay as stored.
			if before != nil && g.graceLine[0] == 0 {
				g.sch.OpenGraceMinutes = before.OpenGraceMinutes
			}
			if before != nil && g.graceLine[1] == 0 {
				g.sch.CloseGraceMinutes = before.CloseGraceMinutes
			}
			switch {
			case before == nil:
				report.Created++
			case sameSchedule(before, canonicalSchedule(&g.sch, checked)):
				report.Unchanged++
				continue
			default:
				report.Updated++
			}
			if err := writeSchedule(ctx, tx, &g.sch, checked, before, by, now); err != nil {
				return err
			}
		}
		slices.SortStableFunc(report.Errors, func(a, b RowError) int { return a.Line - b.Line })
		if len(report.Errors) > 0 || dryRun {
			return errImportRejected
		}
		return nil
	})
	if errors.Is(err, errImportRejected) {
		return report, nil
	}
	if err != nil {
		return nil, err
	}
	report.Applied = true
	return report, nil
}

// setGraces takes a row's graces into its account's; rows that disagree
// are refused.
func setGraces(g *scheduleGroup, row *importRow, bad func(int, string, string, ...any)) bool {
	for i, col := range []string{"open_grace_minutes", "close_grace_minutes"} {
		v := strings.TrimSpace(row.fields[col])
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(row.line, col, "%q is not a number of minutes", v)
			return false
		}
		target := &g.sch.OpenGraceMinutes
		if i == 1 {
			target = &g.sch.CloseGraceMinutes
		}
		if g.graceLine[i] != 0 && *target != n {
			bad(row.line, col, "line %d gave the account %d minutes", g.graceLine[i], *target)
			return false
		}
		*target, g.graceLine[i] = n, row.line
	}
	return true
}

func yesNo(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "no", "false", "0":
		return false, true
	case "yes", "true", "1":
		return true, true
	}
	return false, false
}

// lineOf maps a field checkSchedule named (windows[2].closes) to the line
// and the column of the row it came from.
func (g *scheduleGroup) lineOf(field string) (int, string) {
	for _, k := range []struct {
		prefix string
		lines  []int
	}{{"windows[", g.windowLines}, {"days[", g.dayLines}} {
		rest, ok := strings.CutPrefix(field, k.prefix)
		if !ok {
			continue
		}
		idx, col, _ := strings.Cut(rest, "].")
		if i, err := strconv.Atoi(idx); err == nil && i < len(k.lines) {
			return k.lines[i], col
		}
	}
	line := g.first
	switch field {
	case "open_grace_minutes":
		line = cmp.Or(g.graceLine[0], g.first)
	case "close_grace_minutes":
		line = cmp.Or(g.graceLine[1], g.first)
	}
	return line, field
}

// canonicalSchedule is a checked schedule as readSchedule would read it
// back.
func canonicalSchedule(sch *Schedule, c *scheduled) *Schedule {
	out := &Schedule{OpenGraceMinutes: sch.OpenGraceMinutes, CloseGraceMinutes: sch.CloseGraceMinutes}
	for _, w := range c.windows {
		out.Windows = append(out.Windows, ScheduleWindow{Area: w.area, Day: weekdayNames[w.weekday],
			Opens: schedule.Clock(w.w.Opens), Closes: schedule.Clock(w.w.Closes)})
	}
	for _, d := range c.days {
		sd := ScheduleDay{Area: d.area, Date: d.day, Closed: d.w.Opens < 0}
		if !sd.Closed {
			sd.Opens, sd.Closes = schedule.Clock(d.w.Opens), schedule.Clock(d.w.Closes)
		}
		out.Days = append(out.Days, sd)
	}
	return out
}

// sameSchedule reports whether two schedules have the same graces,
// windows and days, in whatever order.
func sameSchedule(a, b *Schedule) bool {
	if a.OpenGraceMinutes != b.OpenGraceMinutes || a.CloseGraceMinutes != b.CloseGraceMinutes ||
		len(a.Windows) != len(b.Windows) || len(a.Days) != len(b.Days) {
		return false
	}
	wkey := func(w ScheduleWindow) string { return w.Area + "\x00" + w.Day + "\x00" + w.Opens + "\x00" + w.Closes }
	dkey := func(d ScheduleDay) string {
		return fmt.Sprint(d.Area, "\x00", d.Date, "\x00", d.Closed, d.Opens, "\x00", d.Closes)
	}
	return sameKeys(a.Windows, b.Windows, wkey) && sameKeys(a.Days, b.Days, dkey)
}

func sameKeys[T any](a, b []T, key func(T) string) bool {
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i], kb[i] = key(a[i]), key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
