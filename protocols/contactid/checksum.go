package contactid

// Digits. Contact ID uses the hex digits 0-9 and B-F; the value ten is
// written 0, so A never appears as data [DC-05 §digits]. Some panels are
// programmed with A where 0 is meant (DSC reporting-code note), so A is read
// as 0. Lower-case b-f are read as upper case: they only come from software
// senders and cannot mean anything else.

// normalDigit returns the canonical form of a Contact ID digit: A becomes 0,
// lower case becomes upper case. ok is false for a byte that is no digit.
func normalDigit(c byte) (d byte, ok bool) {
	switch {
	case c >= '0' && c <= '9', c >= 'B' && c <= 'F':
		return c, true
	case c >= 'b' && c <= 'f':
		return c - 'a' + 'A', true
	case c == 'A' || c == 'a':
		return '0', true
	}
	return 0, false
}

// hexValue returns the numeric value of a canonical digit (0 for '0').
func hexValue(d byte) int {
	if d <= '9' {
		return int(d - '0')
	}
	return int(d-'A') + 10
}

// weight returns the checksum weight of a canonical digit: 0 counts as 10,
// B-F as 11-15 [DC-05 §checksum].
func weight(d byte) int {
	if d == '0' {
		return 10
	}
	return hexValue(d)
}

// checkDigit returns the digit whose weight brings sum to a multiple of 15.
// A remainder of 0 needs weight 15, sent as F; weight 10 is sent as 0
// [DC-05 §checksum].
func checkDigit(sum int) byte {
	w := 15 - sum%15
	switch {
	case w == 10:
		return '0'
	case w > 10:
		return 'A' + byte(w-10)
	}
	return '0' + byte(w)
}

// Checksum returns the check digit S for the first 15 digits of a Contact ID
// message (ACCT MT Q XYZ GG CCC). Spaces between the fields are ignored, so
// the printed form "1234 18 1131 01 015" works as well.
func Checksum(first15 []byte) (byte, error) {
	sum, n := 0, 0
	for i, c := range first15 {
		if c == ' ' {
			continue
		}
		d, ok := normalDigit(c)
		if !ok {
			return 0, syntaxError("byte %q at offset %d is not a Contact ID digit", c, i)
		}
		sum += weight(d)
		n++
	}
	if n != 15 {
		return 0, syntaxError("%d digits before the checksum, want 15", n)
	}
	return checkDigit(sum), nil
}
