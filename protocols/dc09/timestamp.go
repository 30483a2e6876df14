package dc09

import "time"

// timestampLen is the length of "HH:MM:SS,MM-DD-YYYY", the text after '_'
// [DC-09 §3.3].
const timestampLen = 19

// parseTimestamp parses "HH:MM:SS,MM-DD-YYYY" as UTC [DC-09 §3.9]. Each field
// must be in range; nothing is normalised.
func parseTimestamp(b []byte) (time.Time, bool) {
	if len(b) != timestampLen || b[2] != ':' || b[5] != ':' || b[8] != ',' || b[11] != '-' || b[14] != '-' {
		return time.Time{}, false
	}
	hh, ok1 := digits(b[0:2])
	mi, ok2 := digits(b[3:5])
	ss, ok3 := digits(b[6:8])
	mo, ok4 := digits(b[9:11])
	dd, ok5 := digits(b[12:14])
	yy, ok6 := digits(b[15:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return time.Time{}, false
	}
	if hh > 23 || mi > 59 || ss > 59 || mo < 1 || mo > 12 || dd < 1 || dd > daysIn(time.Month(mo), yy) {
		return time.Time{}, false
	}
	return time.Date(yy, time.Month(mo), dd, hh, mi, ss, 0, time.UTC), true
}

// appendTimestamp appends "_HH:MM:SS,MM-DD-YYYY" for t in UTC. The year must
// be in 0…9999.
func appendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	yy, mo, dd := t.Date()
	hh, mi, ss := t.Clock()
	dst = append(dst, '_')
	dst = append2(dst, hh)
	dst = append(dst, ':')
	dst = append2(dst, mi)
	dst = append(dst, ':')
	dst = append2(dst, ss)
	dst = append(dst, ',')
	dst = append2(dst, int(mo))
	dst = append(dst, '-')
	dst = append2(dst, dd)
	dst = append(dst, '-')
	dst = append2(dst, yy/100)
	return append2(dst, yy%100)
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// encodableYear reports whether t's UTC year fits the four-digit field.
func encodableYear(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// inWindow reports whether ts lies within w around now, bounds inclusive.
// now is truncated to the second because timestamps have one-second
// resolution: at 12:00:40.7 a frame stamped 12:00:00 is 40 s old, not 40.7 s
// [DC-09-2013 §5.5.1.8, DC-09 §3.9].
func (w Window) inWindow(ts, now time.Time) bool {
	d := ts.Sub(now.Truncate(time.Second))
	return d <= w.Ahead && d >= -w.Behind
}
