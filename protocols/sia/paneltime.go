package sia

import "time"

// panelTime combines the ti and da modifiers into the time the panel gave
// for an event. ti is hh:mm or hh:mm:ss, da is MM-DD-YY [DC-03 §modifiers];
// "." is read like ":" and a four-digit year is accepted. Panels send no
// zone, so the time is taken as UTC. A missing or invalid part gives the
// zero time: the event itself is still good.
func panelTime(ti, da string) time.Time {
	if ti == "" || da == "" {
		return time.Time{}
	}
	hour, minute, second, ok := parseClock(ti)
	if !ok {
		return time.Time{}
	}
	year, month, day, ok := parseDate(da)
	if !ok {
		return time.Time{}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Day() != day { // 02-30 and the like roll over
		return time.Time{}
	}
	return t
}

func parseClock(s string) (hour, minute, second int, ok bool) {
	if len(s) != 5 && len(s) != 8 {
		return 0, 0, 0, false
	}
	if hour, ok = twoDigits(s, 0); !ok || hour > 23 || !isClockSeparator(s[2]) {
		return 0, 0, 0, false
	}
	if minute, ok = twoDigits(s, 3); !ok || minute > 59 {
		return 0, 0, 0, false
	}
	if len(s) == 8 {
		if second, ok = twoDigits(s, 6); !ok || second > 59 || !isClockSeparator(s[5]) {
			return 0, 0, 0, false
		}
	}
	return hour, minute, second, true
}

func parseDate(s string) (year, month, day int, ok bool) {
	if len(s) != 8 && len(s) != 10 || s[2] != '-' || s[5] != '-' {
		return 0, 0, 0, false
	}
	if month, ok = twoDigits(s, 0); !ok || month < 1 || month > 12 {
		return 0, 0, 0, false
	}
	if day, ok = twoDigits(s, 3); !ok || day < 1 {
		return 0, 0, 0, false
	}
	if year, ok = twoDigits(s, 6); !ok {
		return 0, 0, 0, false
	}
	if len(s) == 10 {
		low, ok := twoDigits(s, 8)
		if !ok {
			return 0, 0, 0, false
		}
		return year*100 + low, month, day, true
	}
	// Two-digit years pivot as in Go's time package: 69-99 are 1969-1999
	// (the Sur-Gard manual's example is da04-22-94), 00-68 are 2000-2068.
	if year >= 69 {
		return 1900 + year, month, day, true
	}
	return 2000 + year, month, day, true
}

func twoDigits(s string, i int) (int, bool) {
	if !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

func isClockSeparator(c byte) bool { return c == ':' || c == '.' }
