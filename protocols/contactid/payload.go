package contactid

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

// maxAccount is the longest account DC-09 allows in "#acct" [DC-09 §account].
const maxAccount = 16

// ParsePayload parses the DC-09 ADM-CID data block "#acct|QXYZ GG CCC"
// (the "#acct|" part optional). account is "" when the data carries none.
//
// DC-09 drops the message type and the check digit and glues the qualifier
// to the event code [DC-09 §ADM-CID]. Parsing is lenient where senders
// differ (protocols.md §1.7): spaces anywhere between the digits, an account
// without "#" ("1234|…") or an empty one ("|…"), and the 11-digit form that
// keeps the message type ("18QXYZGGCCC", Bosch D6600 records). Errors are
// *protocols.FrameError wrapping ErrSyntax.
func ParsePayload(data []byte) (account string, ev protocols.Event, err error) {
	data = trimSpace(data)
	if len(data) == 0 {
		return "", protocols.Event{}, syntaxError("empty payload")
	}
	acct, body, err := splitAccount(data)
	if err != nil {
		return "", protocols.Event{}, err
	}

	// The account and the nine body digits are gathered in one buffer so one
	// string conversion yields every field.
	var buf [maxAccount + 11]byte
	n := copy(buf[:], acct)
	digits := buf[n:]
	count := 0
	for i, c := range body {
		if isSpace(c) {
			continue
		}
		d, ok := normalDigit(c)
		if !ok {
			return "", protocols.Event{}, syntaxError("byte %q at offset %d of the event is not a Contact ID digit", c, i)
		}
		if count == len(digits) {
			return "", protocols.Event{}, syntaxError("event %q has more than 11 digits", body)
		}
		digits[count] = d
		count++
	}
	switch count {
	case 9: // QXYZ GG CCC
	case 11: // MT QXYZ GG CCC
		if !(digits[0] == '1' || digits[0] == '9') || digits[1] != '8' {
			return "", protocols.Event{}, syntaxError("message type %q is neither 18 nor 98", string(digits[:2]))
		}
		copy(digits, digits[2:11])
	default:
		return "", protocols.Event{}, syntaxError("event %q has %d digits, want QXYZ GG CCC", body, count)
	}
	q, ok := qualifierOf(digits[0])
	if !ok {
		return "", protocols.Event{}, syntaxError("qualifier %q is not 1, 3 or 6", digits[0])
	}

	s := string(buf[:n+9])
	account = s[:n]
	return account, newEvent(account, q, s[n+1:n+4], s[n+4:n+6], s[n+6:n+9]), nil
}

// splitAccount separates the optional account from the event digits.
func splitAccount(data []byte) (acct, body []byte, err error) {
	if data[0] == '#' {
		i := 1
		for i < len(data) && isHex(data[i]) {
			i++
		}
		acct, body = data[1:i], data[i:]
		switch {
		case len(body) > 0 && body[0] == '|':
			body = body[1:]
		case len(body) > 0 && isSpace(body[0]):
		case len(body) > 0:
			return nil, nil, syntaxError("account %q is followed by %q, not '|'", acct, body[0])
		default:
			return nil, nil, syntaxError("account %q is not followed by '|'", acct)
		}
	} else if i := bytes.IndexByte(data, '|'); i >= 0 {
		acct, body = data[:i], data[i+1:]
		for _, c := range acct {
			if !isHex(c) {
				return nil, nil, syntaxError("account %q is not hexadecimal", acct)
			}
		}
	} else {
		body = data
	}
	if len(acct) > maxAccount {
		return nil, nil, syntaxError("account %q is longer than %d characters", acct, maxAccount)
	}
	return acct, body, nil
}

// Format returns ev in the DC-09 ADM-CID form "QXYZ GG CCC", or "" when ev
// has no Contact ID form. The group comes from Partition ("" sends 00), the
// address from Address, else from User or Zone ("" sends 000); shorter
// numbers are padded with zeros, and leading zeros beyond the field width
// are dropped. The qualifier None is sent as 1.
func Format(ev protocols.Event) string {
	var buf [11]byte
	out, ok := appendFormatted(buf[:0], ev)
	if !ok {
		return ""
	}
	return string(out)
}

// FormatPayload returns the DC-09 ADM-CID data block "#acct|QXYZ GG CCC"
// for ev, without "#acct|" when account is "". It returns "" when ev has no
// Contact ID form (see Format) or account is not 1 to 16 hex digits.
func FormatPayload(account string, ev protocols.Event) string {
	if len(account) > maxAccount {
		return ""
	}
	for i := 0; i < len(account); i++ {
		if !isHex(account[i]) {
			return ""
		}
	}
	var buf [2 + maxAccount + 11]byte
	out := buf[:0]
	if account != "" {
		out = append(append(append(out, '#'), account...), '|')
	}
	out, ok := appendFormatted(out, ev)
	if !ok {
		return ""
	}
	return string(out)
}

// appendFormatted appends "QXYZ GG CCC" for ev to dst. It reports whether
// ev has a Contact ID form.
func appendFormatted(dst []byte, ev protocols.Event) ([]byte, bool) {
	var body [9]byte
	if putBody(body[:], ev) != nil {
		return dst, false
	}
	dst = append(dst, body[0:4]...)
	dst = append(dst, ' ')
	dst = append(dst, body[4:6]...)
	dst = append(dst, ' ')
	return append(dst, body[6:9]...), true
}

// isHex reports a DC-09 account character.
func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

// trimSpace drops the white space isSpace tolerates around a payload.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
