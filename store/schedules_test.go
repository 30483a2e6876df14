package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/schedule"
)

func officeWeek(area string) []ScheduleWindow {
	var ws []ScheduleWindow
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		ws = append(ws, ScheduleWindow{Area: area, Day: d, Opens: "08:00", Closes: "17:00"})
	}
	return ws
}

// TestScheduleRefusals: each wrong schedule is refused with the field
// that is wrong named, and nothing is stored.
func TestScheduleRefusals(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	by := Actor{Name: "admin", Role: RoleAdmin}
	cases := []struct {
		name  string
		sch   Schedule
		field string
	}{
		{"an inverted window", Schedule{Windows: []ScheduleWindow{{Day: "monday", Opens: "17:00", Closes: "08:00"}}}, "windows[0].closes"},
		{"an empty window", Schedule{Windows: []ScheduleWindow{{Day: "monday", Opens: "08:00", Closes: "08:00"}}}, "windows[0].closes"},
		{"overlapping windows", Schedule{Windows: []ScheduleWindow{{Day: "monday", Opens: "08:00", Closes: "12:00"},
			{Day: "tuesday", Opens: "08:00", Closes: "12:00"}, {Day: "monday", Opens: "11:00", Closes: "17:00"}}}, "windows[2].opens"},
		{"an unknown day", Schedule{Windows: []ScheduleWindow{{Day: "funday", Opens: "08:00", Closes: "17:00"}}}, "windows[0].day"},
		{"a time that is none", Schedule{Windows: []ScheduleWindow{{Day: "monday", Opens: "8am", Closes: "17:00"}}}, "windows[0].opens"},
		{"past the end of the day", Schedule{Windows: []ScheduleWindow{{Day: "monday", Opens: "08:00", Closes: "24:30"}}}, "windows[0].closes"},
		{"a bad date", Schedule{Days: []ScheduleDay{{Date: "2026-13-01", Closed: true}}}, "days[0].date"},
		{"closed with times", Schedule{Days: []ScheduleDay{{Date: "2026-12-24", Closed: true, Opens: "08:00", Closes: "12:00"}}}, "days[0].closed"},
		{"closed and open the same day", Schedule{Days: []ScheduleDay{{Date: "2026-12-24", Opens: "08:00", Closes: "12:00"},
			{Date: "2026-12-24", Closed: true}}}, "days[1].closed"},
		{"overlapping temporary windows", Schedule{Days: []ScheduleDay{{Date: "2026-12-24", Opens: "08:00", Closes: "12:00"},
			{Date: "2026-12-24", Opens: "09:00", Closes: "10:00"}}}, "days[1].opens"},
		{"a negative grace", Schedule{OpenGraceMinutes: -1}, "open_grace_minutes"},
		{"a grace of a day", Schedule{CloseGraceMinutes: 24 * 60}, "close_grace_minutes"},
		{"an area with a space", Schedule{Windows: []ScheduleWindow{{Area: "a 1", Day: "monday", Opens: "08:00", Closes: "17:00"}}}, "windows[0].area"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sch := c.sch
			sch.AccountID = f.a.ID
			err := f.s.SetSchedule(ctx, &sch, by)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("error %v, want one naming %s", err, c.field)
			}
			if _, err := f.s.Schedule(ctx, f.a.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a refused schedule was stored: %v", err)
			}
		})
	}
	sch := Schedule{AccountID: 999999, Windows: officeWeek("")}
	if err := f.s.SetSchedule(ctx, &sch, by); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown account: %v, want ErrNotFound", err)
	}
	// Windows of different areas, or of a weekday and a temporary day, do
	// not overlap each other.
	sch = Schedule{AccountID: f.a.ID, Windows: append(officeWeek(""), officeWeek("1")...),
		Days: []ScheduleDay{{Date: "2026-12-07", Opens: "10:00", Closes: "11:00"}}}
	must(t, f.s.SetSchedule(ctx, &sch, by))
}

// TestScheduleBook: a schedule is stored and read back in its canonical
// form, in the site's time zone; the book gives supervision one plan per
// area with the holidays of the station and of the site's customer and
// those above it; every change is audited and moves the book's version.
func TestScheduleBook(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	by := Actor{Name: "admin", Role: RoleAdmin}
	_, v0, err := f.s.ScheduleClock(ctx)
	must(t, err)
	sch := Schedule{AccountID: f.a.ID, OpenGraceMinutes: 15, CloseGraceMinutes: 30,
		Windows: append(officeWeek(""), ScheduleWindow{Area: "02", Day: "Saturday", Opens: "09:00", Closes: "12:00"}),
		Days:    []ScheduleDay{{Date: "2026-12-24", Opens: "08:00", Closes: "12:00"}, {Date: "2026-12-31", Closed: true}}}
	must(t, f.s.SetSchedule(ctx, &sch, by))
	if sch.TimeZone != "Europe/Berlin" || sch.UpdatedBy != "admin" || !sch.UpdatedAt.Equal(f.clock.Now()) || len(sch.Windows) != 6 {
		t.Fatalf("stored schedule: %+v", sch)
	}
	if w := sch.Windows[5]; w.Area != "2" || w.Day != "saturday" || w.Opens != "09:00" || w.Closes != "12:00" {
		t.Fatalf("the area's window is read back as %+v, want area 2 (leading zero dropped), saturday", w)
	}
	if d := sch.Days[1]; d.Date != "2026-12-31" || !d.Closed || d.Opens != "" {
		t.Fatalf("the closed day is read back as %+v", d)
	}
	// Holidays: the station's, the region's (above the site's branch) and
	// another customer's, which does not apply.
	region := *f.site2 // North depot's customer is the region
	for _, h := range []*Holiday{{CustomerID: 0, Date: "2026-12-25", Name: "Christmas Day"},
		{CustomerID: region.CustomerID, Date: "2026-12-28", Name: "Regional stock-take"}} {
		must(t, f.s.CreateHoliday(ctx, h, by))
	}
	other := &Customer{Name: "Other"}
	must(t, f.s.Customers.Create(ctx, other))
	must(t, f.s.CreateHoliday(ctx, &Holiday{CustomerID: other.ID, Date: "2026-12-29", Name: "Theirs"}, by))
	for _, c := range []struct {
		h     Holiday
		field string
	}{
		{Holiday{Date: "2026-12-25", Name: "again"}, "date"},
		{Holiday{Date: "25.12.2026", Name: "x"}, "date"},
		{Holiday{Date: "2026-12-26"}, "name"},
		{Holiday{CustomerID: 999999, Date: "2026-12-26", Name: "x"}, "customer_id"},
	} {
		var fe *FieldError
		if err := f.s.CreateHoliday(ctx, &c.h, by); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("holiday %+v: %v, want an error naming %s", c.h, err, c.field)
		}
	}
	book, err := f.s.ScheduleBook(ctx)
	must(t, err)
	if book.Version != v0+4 { // the schedule and three holidays; the refused ones moved nothing
		t.Errorf("book version %d, want %d", book.Version, v0+4)
	}
	if len(book.Accounts) != 1 || book.Accounts[0].AccountID != f.a.ID || book.Accounts[0].Number != "1111" {
		t.Fatalf("book: %+v", book.Accounts)
	}
	acct := book.Accounts[0]
	p, area := acct.PlanFor("2")
	if area != "2" || len(p.Week[time.Saturday]) != 1 || len(p.Week[time.Monday]) != 0 {
		t.Fatalf("area 2's plan: %+v (%q)", p, area)
	}
	p, area = acct.PlanFor("7") // no windows of its own: the account's
	if area != "" || p.Loc.String() != "Europe/Berlin" || p.OpenGrace != 15*time.Minute || p.CloseGrace != 30*time.Minute {
		t.Fatalf("area 7 is judged by %q, %+v", area, p)
	}
	if !p.Holidays["2026-12-25"] || !p.Holidays["2026-12-28"] || p.Holidays["2026-12-29"] {
		t.Errorf("holidays %v: want the station's and the region's, not another customer's", p.Holidays)
	}
	if ws := p.On("2026-12-24"); len(ws) != 1 || ws[0] != (schedule.Window{Opens: 480, Closes: 720}) {
		t.Errorf("Christmas Eve (a temporary day): %v", ws)
	}
	if ws := p.On("2026-12-31"); len(ws) != 0 {
		t.Errorf("New Year's Eve is closed, has %v", ws)
	}
	// Audited: the set with before and after, the holidays.
	entries, err := f.s.Audit(ctx, 0, 1000)
	must(t, err)
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "schedule.") || strings.HasPrefix(e.Action, "holiday.") {
			got = append(got, e.Action+" "+e.Target+" by "+e.UserName)
		}
	}
	if want := fmt.Sprintf("schedule.set account:%d by admin", f.a.ID); len(got) != 4 || got[3] != want {
		t.Errorf("audit %q (newest first), want three holidays after %q", got, want)
	}
	// Changing it: the audit entry has both; deleting removes it from the book.
	f.clock.Add(time.Hour)
	sch = Schedule{AccountID: f.a.ID, Windows: officeWeek("")}
	must(t, f.s.SetSchedule(ctx, &sch, by))
	if !sch.UpdatedAt.Equal(f.clock.Now()) || len(sch.Days) != 0 {
		t.Errorf("replaced schedule: %+v", sch)
	}
	entries, err = f.s.Audit(ctx, 0, 1000)
	must(t, err)
	last := entries[0]
	if last.Action != "schedule.set" || !strings.Contains(last.Detail, `"before"`) || !strings.Contains(last.Detail, `"after"`) {
		t.Errorf("the change's audit entry: %s %s", last.Action, last.Detail)
	}
	// Deleting a holiday moves the book's version: supervision reloads.
	hs, err := f.s.Holidays(ctx, 0)
	must(t, err)
	_, v1, err := f.s.ScheduleClock(ctx)
	must(t, err)
	must(t, f.s.DeleteHoliday(ctx, hs[0].ID, by))
	if _, v2, err := f.s.ScheduleClock(ctx); err != nil || v2 != v1+1 {
		t.Fatalf("book version %d after a holiday's delete, want %d (%v)", v2, v1+1, err)
	}
	must(t, f.s.DeleteSchedule(ctx, f.a.ID, by))
	book, err = f.s.ScheduleBook(ctx)
	must(t, err)
	if len(book.Accounts) != 0 {
		t.Errorf("deleted schedule still in the book: %+v", book.Accounts)
	}
	if err := f.s.DeleteSchedule(ctx, f.a.ID, by); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting it again: %v", err)
	}
}

// TestScheduleTransitions: the projection keeps the openings and closings
// of accounts with a schedule, in the signal's transaction, and no other
// signal; supervision's progress deletes the ones it judged and keeps the
// areas' states.
func TestScheduleTransitions(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	by := Actor{Name: "admin", Role: RoleAdmin}
	sch := Schedule{AccountID: f.a.ID, Windows: officeWeek("")}
	must(t, f.s.SetSchedule(ctx, &sch, by))
	f.signal(t, "1111", "OP", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	f.signal(t, "1111", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.signal(t, "2222", "CL", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9) // no schedule
	f.clock.Add(time.Minute)
	f.signal(t, "1111", "CL", "", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	list, err := f.s.ScheduleTransitions(ctx, 0, 10)
	must(t, err)
	if len(list) != 2 || !list[0].Opening || list[1].Opening || list[0].AccountID != f.a.ID ||
		!list[1].At.Equal(f.clock.Now()) || list[0].SignalID == 0 {
		t.Fatalf("transitions %+v, want the account's opening and closing", list)
	}
	if more, err := f.s.ScheduleTransitions(ctx, list[0].ID, 10); err != nil || len(more) != 1 {
		t.Fatalf("after the first: %+v, %v", more, err)
	}
	must(t, f.s.SaveScheduleProgress(ctx, ScheduleProgress{TakenThrough: list[1].ID, EvaluatedThrough: f.clock.Now(),
		States: []ScheduleAreaState{{AccountID: f.a.ID, Open: false, Since: list[1].At}}}))
	if left, err := f.s.ScheduleTransitions(ctx, 0, 10); err != nil || len(left) != 0 {
		t.Fatalf("judged transitions left: %+v, %v", left, err)
	}
	through, _, err := f.s.ScheduleClock(ctx)
	must(t, err)
	// The clock only moves forward.
	must(t, f.s.SaveScheduleProgress(ctx, ScheduleProgress{EvaluatedThrough: f.clock.Now().Add(-time.Hour)}))
	if again, _, _ := f.s.ScheduleClock(ctx); !through.Equal(f.clock.Now()) || !again.Equal(through) {
		t.Errorf("evaluated through %v then %v, want %v both times", through, again, f.clock.Now())
	}
	got, err := f.s.Schedule(ctx, f.a.ID)
	must(t, err)
	if len(got.States) != 1 || got.States[0].Open || !got.States[0].Since.Equal(list[1].At) {
		t.Errorf("states %+v", got.States)
	}
}

// TestImportSchedules: a CSV file gives each account's whole schedule, a
// row a window or a temporary day; a bad row is reported with its line and
// column and nothing is written; importing the same file again changes
// nothing; the audit names who imported.
func TestImportSchedules(t *testing.T) {
	f := newQueueFixture(t)
	ctx := WithActor(context.Background(), Actor{Name: "ada", Role: RoleAdmin})
	good := "receiver,number,area,day,opens,closes,date,closed,open_grace_minutes,close_grace_minutes\n" +
		"1,1111,,monday,08:00,17:00,,,15,30\n" +
		"1,1111,,tuesday,08:00,17:00,,,,\n" +
		"1,1111,02,saturday,09:00,12:00,,,,\n" +
		"1,1111,,,,,2026-12-24,,,\n" + // a temporary day needs its windows
		"1,1111,,,09:00,12:00,2026-12-31,,,\n" +
		"1,2222,,friday,10:00,18:00,,,,\n"
	bad := strings.Replace(good, "2026-12-24,,", "2026-12-24,yes,", 1)
	bad = strings.Replace(bad, "1,2222,,friday,10:00,18:00", "1,2222,,friday,18:00,10:00", 1)
	bad += "1,9999,,monday,08:00,17:00,,,,\n" + "1,1111,,wednesday,08:00,17:00,,,20,\n"
	rep, err := f.s.ImportSchedules(ctx, strings.NewReader(bad), false)
	must(t, err)
	got := fmt.Sprint(rep.Errors)
	want := "[{7 closes closes 10:00 is not after opens 18:00} {8 number no account 9999 on receiver 1} {9 open_grace_minutes line 2 gave the account 15 minutes}]"
	if rep.Applied || got != want {
		t.Fatalf("bad file: applied %v, errors %s\nwant %s", rep.Applied, got, want)
	}
	if _, err := f.s.Schedule(ctx, f.a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused import wrote: %v", err)
	}
	// The temporary day of line 5 without windows is refused too.
	rep, err = f.s.ImportSchedules(ctx, strings.NewReader(good), false)
	must(t, err)
	if rep.Applied || len(rep.Errors) != 1 || rep.Errors[0].Line != 5 || rep.Errors[0].Field != "opens" {
		t.Fatalf("a temporary day without windows: %+v", rep)
	}
	good = strings.Replace(good, "1,1111,,,,,2026-12-24,,,\n", "1,1111,,,,,2026-12-24,yes,,\n", 1)
	rep, err = f.s.ImportSchedules(ctx, strings.NewReader(good), true)
	must(t, err)
	if rep.Applied || rep.Created != 2 || len(rep.Errors) != 0 {
		t.Fatalf("dry run: %+v", rep)
	}
	rep, err = f.s.ImportSchedules(ctx, strings.NewReader(good), false)
	must(t, err)
	if !rep.Applied || rep.Created != 2 || rep.Rows != 6 {
		t.Fatalf("import: %+v", rep)
	}
	sch, err := f.s.Schedule(ctx, f.a.ID)
	must(t, err)
	if len(sch.Windows) != 3 || len(sch.Days) != 2 || !sch.Days[0].Closed || sch.OpenGraceMinutes != 15 || sch.CloseGraceMinutes != 30 ||
		sch.UpdatedBy != "ada" || sch.Windows[2].Area != "2" {
		t.Fatalf("imported schedule %+v", sch)
	}
	rep, err = f.s.ImportSchedules(ctx, strings.NewReader(good), false)
	must(t, err)
	if !rep.Applied || rep.Unchanged != 2 || rep.Created+rep.Updated != 0 {
		t.Fatalf("the same file again: %+v", rep)
	}
	rep, err = f.s.ImportSchedules(ctx, strings.NewReader(strings.Replace(good, "10:00,18:00", "10:00,19:00", 1)), false)
	must(t, err)
	if rep.Updated != 1 || rep.Unchanged != 1 {
		t.Fatalf("one account changed: %+v", rep)
	}
	entries, err := f.s.Audit(ctx, 0, 10)
	must(t, err)
	if entries[0].Action != "schedule.set" || entries[0].UserName != "ada" || entries[0].Target != fmt.Sprintf("account:%d", f.b.ID) {
		t.Fatalf("audit %+v", entries[0])
	}
}

// TestAreaWithOnlyTemporaryDays: an area given only a temporary day keeps
// the account's week on every other day.
func TestAreaWithOnlyTemporaryDays(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	sch := Schedule{AccountID: f.b.ID, Windows: officeWeek(""), Days: []ScheduleDay{{Area: "3", Date: "2026-12-24", Closed: true}}}
	must(t, f.s.SetSchedule(ctx, &sch, Actor{Name: "admin", Role: RoleAdmin}))
	book, err := f.s.ScheduleBook(ctx)
	must(t, err)
	if len(book.Accounts) != 1 {
		t.Fatalf("book %+v", book.Accounts)
	}
	p, area := book.Accounts[0].PlanFor("3")
	if area != "3" || len(p.Week[time.Monday]) != 1 || len(p.On("2026-12-24")) != 0 || len(p.On("2026-12-23")) != 1 {
		t.Errorf("area 3: %+v", p)
	}
}
