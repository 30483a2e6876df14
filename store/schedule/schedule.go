package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MinutesPerDay bounds a window: Closes may be 1440, midnight at the end
// of the day. A window never runs past midnight; a site open overnight has
// one window ending at 24:00 and one beginning at 00:00 the next day.
const MinutesPerDay = 24 * 60

// Window is one open period of a local day, in minutes after midnight:
// the site is expected to open at Opens and to close at Closes.
type Window struct {
	Opens, Closes int
}

// Plan is one area's schedule (or the account's, for panels that report
// no areas). Which windows a local date has: a temporary day (Days) wins,
// then a holiday (closed all day), then the week.
type Plan struct {
	Week [7][]Window // by time.Weekday, sorted, not overlapping (Check)
	// Days are temporary schedules, keyed by date ("2006-01-02"): a date
	// present with no windows is closed all day.
	Days map[string][]Window
	// Holidays are closed dates, station-wide and the customer's.
	Holidays map[string]bool
	// OpenGrace is how long before or after a window's opening an opening
	// is on time; late to open falls at Opens+OpenGrace. CloseGrace is the
	// same on the closing side; late to close falls at Closes+CloseGrace.
	OpenGrace, CloseGrace time.Duration
	Loc                   *time.Location // the site's time zone
}

// DateLayout is how dates are written: in the site's calendar.
const DateLayout = "2006-01-02"

// On returns the windows of the local date day ("2006-01-02").
func (p *Plan) On(day string) []Window {
	if ws, ok := p.Days[day]; ok {
		return ws
	}
	if p.Holidays[day] {
		return nil
	}
	t, err := time.ParseInLocation(DateLayout, day, p.location())
	if err != nil {
		return nil
	}
	return p.Week[t.Weekday()]
}

func (p *Plan) location() *time.Location {
	if p.Loc == nil {
		return time.UTC
	}
	return p.Loc
}

// at is minute m of the local date y-mo-d. A wall-clock time that a DST
// change repeats is its first occurrence, and one that the change skips
// is read with the offset before the change, so that 02:30 on a
// spring-forward night is 03:30, the moment the clocks have passed it.
// time.Date leaves both choices open (it picks the second occurrence east
// of UTC and the first west of it); the offset of the day's midnight is
// the one before the change.
func (p *Plan) at(y int, mo time.Month, d, m int) time.Time {
	loc := p.location()
	t := time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
	if m >= MinutesPerDay {
		return t
	}
	_, before := time.Date(y, mo, d, 0, 0, 0, 0, loc).Zone()
	alt := time.Date(y, mo, d, m/60, m%60, 0, 0, time.UTC).Add(-time.Duration(before) * time.Second).In(loc)
	switch {
	case t.Hour()*60+t.Minute() != m: // skipped
		return alt
	case alt.Hour()*60+alt.Minute() == m && alt.Before(t): // repeated
		return alt
	}
	return t
}

// Kind is the kind of a deadline.
type Kind uint8

const (
	LateToOpen  Kind = iota + 1 // the window opened (plus grace) and the area is still closed
	LateToClose                 // the window closed (plus grace) and the area is still open
)

func (k Kind) String() string {
	switch k {
	case LateToOpen:
		return "late_to_open"
	case LateToClose:
		return "late_to_close"
	}
	return "unknown"
}

// Deadline is a moment the area's state is checked.
type Deadline struct {
	Kind Kind
	At   time.Time // the window's opening or closing plus its grace
	// Due is the window's opening or closing itself, as the schedule says.
	Due time.Time
}

// Deadlines lists the deadlines in (after, through], oldest first.
func (p *Plan) Deadlines(after, through time.Time) []Deadline {
	if !through.After(after) {
		return nil
	}
	loc := p.location()
	var out []Deadline
	// Local dates from the day before after's to through's: a grace can
	// carry a window's deadline past midnight.
	start := after.In(loc)
	d := time.Date(start.Year(), start.Month(), start.Day()-1, 12, 0, 0, 0, loc)
	end := through.In(loc)
	last := time.Date(end.Year(), end.Month(), end.Day(), 12, 0, 0, 0, loc)
	for ; !d.After(last); d = time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, loc) {
		for _, w := range p.On(d.Format(DateLayout)) {
			opens, closes := p.at(d.Year(), d.Month(), d.Day(), w.Opens), p.at(d.Year(), d.Month(), d.Day(), w.Closes)
			for _, dl := range []Deadline{{LateToOpen, opens.Add(p.OpenGrace), opens}, {LateToClose, closes.Add(p.CloseGrace), closes}} {
				if dl.At.After(after) && !dl.At.After(through) {
					out = append(out, dl)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Deadline) int { return a.At.Compare(b.At) })
	return out
}

// Verdict is what an opening or a closing means against the schedule.
type Verdict uint8

const (
	// InSchedule: logged only, as every opening and closing is.
	InSchedule Verdict = iota
	// EarlyOpen: an opening before a window of its day, earlier than the
	// window's opening grace allows.
	EarlyOpen
	// UnscheduledOpen: an opening on a day without windows (closed by the
	// week, a holiday or a temporary day), or after the day's last window
	// and its closing grace.
	UnscheduledOpen
	// UnscheduledClose: a closing while the site should be open, inside a
	// window before its closing grace begins. A closing on a closed day or
	// outside the windows is where the site is expected to be: in
	// schedule.
	UnscheduledClose
)

func (v Verdict) String() string {
	switch v {
	case InSchedule:
		return "in_schedule"
	case EarlyOpen:
		return "early_open"
	case UnscheduledOpen:
		return "unscheduled_open"
	case UnscheduledClose:
		return "unscheduled_close"
	}
	return "unknown"
}

// Judge says what an opening (opening true) or a closing at t means.
func (p *Plan) Judge(opening bool, t time.Time) Verdict {
	local := t.In(p.location())
	y, mo, d := local.Date()
	ws := p.On(local.Format(DateLayout))
	if opening && len(ws) == 0 {
		return UnscheduledOpen
	}
	for _, w := range ws {
		opens, closes := p.at(y, mo, d, w.Opens), p.at(y, mo, d, w.Closes)
		if opening {
			switch {
			case t.Before(opens.Add(-p.OpenGrace)):
				return EarlyOpen // before this window, and after the ones before it
			case t.Before(closes.Add(p.CloseGrace)):
				return InSchedule
			}
			continue
		}
		if !t.Before(opens.Add(-p.OpenGrace)) && t.Before(closes.Add(-p.CloseGrace)) {
			return UnscheduledClose
		}
	}
	if opening {
		return UnscheduledOpen
	}
	return InSchedule
}

// AreaKey is the key an area's schedule and state are kept under: the
// partition as the panel reports it, without leading zeros, so that
// Contact ID group 01 and SIA ri1 are one area; no partition and group 00
// are the account's ("").
func AreaKey(partition string) string {
	return strings.TrimLeft(strings.TrimSpace(partition), "0")
}

// ParseClock reads "08:30" (or "24:00", the end of the day) as minutes.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	digits := func(x string) bool { return len(x) == 2 && x[0] >= '0' && x[0] <= '9' && x[1] >= '0' && x[1] <= '9' }
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if !ok || !digits(h) || !digits(m) || mm > 59 || hh*60+mm > MinutesPerDay {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

// Clock writes minutes as "08:30".
func Clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Check reports the first wrong window of one day: inverted, empty or
// out of the day, or overlapping another. Windows are sorted first.
func Check(ws []Window) (int, error) {
	order := make([]int, len(ws))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return ws[a].Opens - ws[b].Opens })
	for k, i := range order {
		w := ws[i]
		switch {
		case w.Opens < 0 || w.Closes > MinutesPerDay:
			return i, fmt.Errorf("a window lies within one day, 00:00 to 24:00")
		case w.Closes <= w.Opens:
			return i, fmt.Errorf("closes %s is not after opens %s", Clock(w.Closes), Clock(w.Opens))
		case k > 0 && w.Opens < ws[order[k-1]].Closes:
			prev := ws[order[k-1]]
			return i, fmt.Errorf("%s–%s overlaps %s–%s", Clock(w.Opens), Clock(w.Closes), Clock(prev.Opens), Clock(prev.Closes))
		}
	}
	return -1, nil
}
