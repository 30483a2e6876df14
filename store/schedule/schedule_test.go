package schedule

import (
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// officeHours is Monday to Friday 08:00–17:00, 15 minutes' grace to open
// and 30 to close.
func officeHours(loc *time.Location) *Plan {
	p := &Plan{OpenGrace: 15 * time.Minute, CloseGrace: 30 * time.Minute, Loc: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		p.Week[d] = []Window{{8 * 60, 17 * 60}}
	}
	return p
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeadlinesAcrossDST(t *testing.T) {
	berlin, newYork := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	type want struct {
		kind Kind
		at   string
	}
	cases := []struct {
		name           string
		plan           *Plan
		after, through string
		want           []want
	}{
		{"Berlin spring forward: CET Friday, CEST Monday", officeHours(berlin), "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z", []want{
			{LateToOpen, "2026-03-27T07:15:00Z"}, {LateToClose, "2026-03-27T16:30:00Z"},
			{LateToOpen, "2026-03-30T06:15:00Z"}, {LateToClose, "2026-03-30T15:30:00Z"},
		}},
		{"Berlin fall back: CEST Friday, CET Monday", officeHours(berlin), "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z", []want{
			{LateToOpen, "2026-10-23T06:15:00Z"}, {LateToClose, "2026-10-23T15:30:00Z"},
			{LateToOpen, "2026-10-26T07:15:00Z"}, {LateToClose, "2026-10-26T16:30:00Z"},
		}},
		{"New York spring forward, a window in the skipped hour opens at 03:30 EDT", &Plan{Loc: newYork,
			Days: map[string][]Window{"2026-03-08": {{2*60 + 30, 4 * 60}}}}, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", []want{
			{LateToOpen, "2026-03-08T07:30:00Z"}, {LateToClose, "2026-03-08T08:00:00Z"},
		}},
		{"New York fall back, 01:30 is its first occurrence (EDT)", &Plan{Loc: newYork,
			Days: map[string][]Window{"2026-11-01": {{1*60 + 30, 3 * 60}}}}, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", []want{
			{LateToOpen, "2026-11-01T05:30:00Z"}, {LateToClose, "2026-11-01T08:00:00Z"},
		}},
		{"Berlin fall back, 02:30 is its first occurrence (CEST), as in New York", &Plan{Loc: berlin,
			Days: map[string][]Window{"2026-10-25": {{2*60 + 30, 4 * 60}}}}, "2026-10-24T22:00:00Z", "2026-10-25T22:00:00Z", []want{
			{LateToOpen, "2026-10-25T00:30:00Z"}, {LateToClose, "2026-10-25T03:00:00Z"},
		}},
		{"a holiday has no deadlines", func() *Plan {
			p := officeHours(berlin)
			p.Holidays = map[string]bool{"2026-12-24": true, "2026-12-25": true}
			return p
		}(), "2026-12-23T23:00:00Z", "2026-12-25T23:00:00Z", nil},
		{"a temporary day wins over a holiday", func() *Plan {
			p := officeHours(berlin)
			p.Holidays = map[string]bool{"2026-12-24": true}
			p.Days = map[string][]Window{"2026-12-24": {{9 * 60, 12 * 60}}}
			return p
		}(), "2026-12-23T23:00:00Z", "2026-12-24T23:00:00Z", []want{
			{LateToOpen, "2026-12-24T08:15:00Z"}, {LateToClose, "2026-12-24T11:30:00Z"},
		}},
		{"a temporary day with no windows is closed", func() *Plan {
			p := officeHours(berlin)
			p.Days = map[string][]Window{"2026-12-02": nil}
			return p
		}(), "2026-12-01T23:00:00Z", "2026-12-02T23:00:00Z", nil},
		{"a close grace carries the deadline past midnight", &Plan{Loc: time.UTC, CloseGrace: time.Hour,
			Days: map[string][]Window{"2026-12-01": {{20 * 60, MinutesPerDay}}}}, "2026-12-01T23:30:00Z", "2026-12-02T03:00:00Z", []want{
			{LateToClose, "2026-12-02T01:00:00Z"},
		}},
		{"after is excluded and through included", officeHours(time.UTC), "2026-12-01T08:15:00Z", "2026-12-01T17:30:00Z", []want{
			{LateToClose, "2026-12-01T17:30:00Z"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.plan.Deadlines(utc(c.after), utc(c.through))
			if len(got) != len(c.want) {
				t.Fatalf("got %d deadlines %v, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				if got[i].Kind != w.kind || !got[i].At.Equal(utc(w.at)) {
					t.Errorf("deadline %d: %s at %s, want %s at %s", i, got[i].Kind, got[i].At.UTC().Format(time.RFC3339), w.kind, w.at)
				}
			}
		})
	}
}

func TestJudge(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	p := officeHours(berlin)
	p.Week[time.Saturday] = []Window{{9 * 60, 12 * 60}, {13 * 60, 15 * 60}}
	p.Holidays = map[string]bool{"2026-12-25": true}
	cases := []struct {
		opening bool
		at      string // Berlin is UTC+1 in December
		want    Verdict
	}{
		{true, "2026-12-01T06:44:00Z", EarlyOpen},       // 07:44, 16 min before the window
		{true, "2026-12-01T06:45:00Z", InSchedule},      // 07:45, the grace's first minute
		{true, "2026-12-01T09:00:00Z", InSchedule},      // 10:00, late but inside the window
		{true, "2026-12-01T16:29:00Z", InSchedule},      // 17:29, inside the closing grace
		{true, "2026-12-01T16:30:00Z", UnscheduledOpen}, // 17:30, after the last window
		{true, "2026-12-06T10:00:00Z", UnscheduledOpen}, // Sunday
		{true, "2026-12-25T08:00:00Z", UnscheduledOpen}, // a holiday Friday
		{true, "2026-12-05T11:20:00Z", InSchedule},      // Saturday 12:20, first window's closing grace
		{true, "2026-12-05T11:40:00Z", EarlyOpen},       // 12:40, between the graces
		{true, "2026-12-05T11:50:00Z", InSchedule},      // 12:50, the second window's opening grace
		{false, "2026-12-01T14:00:00Z", UnscheduledClose},
		{false, "2026-12-01T15:29:00Z", UnscheduledClose}, // 16:29, a minute before the closing grace
		{false, "2026-12-01T15:30:00Z", InSchedule},       // 16:30
		{false, "2026-12-01T05:00:00Z", InSchedule},       // 06:00, before the window
		{false, "2026-12-01T20:00:00Z", InSchedule},       // after the window
		{false, "2026-12-06T10:00:00Z", InSchedule},       // Sunday
		{false, "2026-12-05T11:00:00Z", InSchedule},       // Saturday 12:00, between the windows
		{false, "2026-12-05T12:30:00Z", UnscheduledClose}, // Saturday 13:30, inside the second
	}
	for _, c := range cases {
		if got := p.Judge(c.opening, utc(c.at)); got != c.want {
			t.Errorf("Judge(opening %v, %s) = %s, want %s", c.opening, c.at, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		ws    []Window
		wrong int
	}{
		{[]Window{{480, 720}, {780, 1020}}, -1},
		{[]Window{{780, 1020}, {480, 720}}, -1}, // unsorted is fine
		{[]Window{{0, MinutesPerDay}}, -1},
		{[]Window{{600, 600}}, 0},               // empty
		{[]Window{{480, 720}, {1020, 780}}, 1},  // inverted
		{[]Window{{480, 720}, {700, 800}}, 1},   // overlapping
		{[]Window{{900, 1000}, {480, 901}}, 0},  // overlapping, named as given
		{[]Window{{-1, 100}}, 0},                // before the day
		{[]Window{{100, MinutesPerDay + 1}}, 0}, // after it
		{[]Window{{480, 720}, {720, 1020}}, -1}, // touching
		{[]Window{{480, 720}, {480, 1020}}, 1},  // same opening
		{[]Window{{480, 720}, {481, 482}, {0, 10}}, 1},
	}
	for _, c := range cases {
		if got, err := Check(c.ws); got != c.wrong {
			t.Errorf("Check(%v) = %d (%v), want %d", c.ws, got, err, c.wrong)
		}
	}
}

var clockCases = []struct {
	in   string
	want int // -1: refused
}{
	{"00:00", 0}, {"08:30", 510}, {"23:59", 1439}, {"24:00", 1440},
	{"24:01", -1}, {"8:30", -1}, {"08:60", -1}, {"0830", -1}, {"", -1}, {"-1:00", -1}, {"08:-1", -1}, {"ab:cd", -1},
}

func TestParseClock(t *testing.T) {
	for _, c := range clockCases {
		got, err := ParseClock(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("ParseClock(%q) = %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want || Clock(got) != c.in {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func FuzzParseClock(f *testing.F) {
	for _, c := range clockCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseClock(s)
		if err != nil {
			return
		}
		if m < 0 || m > MinutesPerDay {
			t.Fatalf("ParseClock(%q) = %d, outside the day", s, m)
		}
		if Clock(m) != s {
			t.Fatalf("ParseClock(%q) = %d, written back as %q", s, m, Clock(m))
		}
	})
}
