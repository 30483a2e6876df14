package contactid

import "github.com/alarmrx/alarmrx/protocols"

// messageDigits is the length of a Contact ID message: ACCT(4) MT(2) Q(1)
// XYZ(3) GG(2) CCC(3) S(1) [DC-05 §layout].
const messageDigits = 16

// Message is one 16-digit Contact ID message. Every field holds canonical
// digits: an A received for 0 reads as 0, lower case as upper case.
type Message struct {
	Account   string              // ACCT: subscriber account, four digits
	Type      string              // MT: message type, "18" or "98"
	Qualifier protocols.Qualifier // Q: 1 new, 3 restore, 6 status
	Code      string              // XYZ: event code
	Group     string              // GG: group or partition, "00" for none
	Address   string              // CCC: zone or user number, see Lookup
	Checksum  byte                // S: check digit as received
}

// Event returns the message as a protocols.Event, classified by the code
// table. An unknown code gives Known false and CategoryUnknown, not an error.
func (m Message) Event() protocols.Event {
	return newEvent(m.Account, m.Qualifier, m.Code, m.Group, m.Address)
}

// Parse decodes a 16-digit Contact ID message "ACCT MT Q XYZ GG CCC S".
// White space between digits is ignored, so both the wire form and the
// printed form are accepted. Errors are *protocols.FrameError wrapping
// ErrSyntax (ReasonSyntax) or ErrChecksum (ReasonChecksum).
func Parse(msg []byte) (Message, error) {
	var digits [messageDigits]byte
	n := 0
	for i, c := range msg {
		if isSpace(c) {
			continue
		}
		d, ok := normalDigit(c)
		if !ok {
			return Message{}, syntaxError("byte %q at offset %d is not a Contact ID digit", c, i)
		}
		if n == messageDigits {
			return Message{}, syntaxError("more than %d digits", messageDigits)
		}
		digits[n] = d
		n++
	}
	if n != messageDigits {
		return Message{}, syntaxError("%d digits, want %d", n, messageDigits)
	}

	// The checksum goes first: when it fails, no other digit can be trusted
	// and the panel must repeat the message [DC-05 §checksum].
	sum := 0
	for _, d := range digits {
		sum += weight(d)
	}
	if sum%15 != 0 {
		var first15 int
		for _, d := range digits[:messageDigits-1] {
			first15 += weight(d)
		}
		return Message{}, checksumError(digits[messageDigits-1], checkDigit(first15))
	}

	// Receivers must accept both message types [DC-05 §message type].
	if mt := digits[4:6]; !(mt[0] == '1' || mt[0] == '9') || mt[1] != '8' {
		return Message{}, syntaxError("message type %q is neither 18 nor 98", string(mt))
	}
	q, ok := qualifierOf(digits[6])
	if !ok {
		return Message{}, syntaxError("qualifier %q is not 1, 3 or 6", digits[6])
	}

	s := string(digits[:]) // one allocation; the fields below share it
	return Message{
		Account:   s[0:4],
		Type:      s[4:6],
		Qualifier: q,
		Code:      s[7:10],
		Group:     s[10:12],
		Address:   s[12:15],
		Checksum:  digits[15],
	}, nil
}

// Encode returns ev as a 16-digit Contact ID message with message type 18
// and its check digit, as sent to automation in Sur-Gard "5" records and by
// a Contact ID dialler. An account shorter than four digits is padded with
// leading zeros (as are group and address, see Format). The error
// wraps ErrSyntax when a field has no Contact ID form.
func Encode(account string, ev protocols.Event) (string, error) {
	var buf [messageDigits]byte
	if err := putDigits(buf[:4], account, "account"); err != nil {
		return "", err
	}
	buf[4], buf[5] = '1', '8'
	if err := putBody(buf[6:15], ev); err != nil {
		return "", err
	}
	sum := 0
	for _, d := range buf[:15] {
		sum += weight(d)
	}
	buf[15] = checkDigit(sum)
	return string(buf[:]), nil
}

// qualifierOf maps the Q digit [DC-05 §qualifier].
func qualifierOf(d byte) (protocols.Qualifier, bool) {
	switch d {
	case '1':
		return protocols.QualifierNew, true
	case '3':
		return protocols.QualifierRestore, true
	case '6':
		return protocols.QualifierStatus, true
	}
	return protocols.QualifierNone, false
}

// qualifierDigit is the inverse of qualifierOf. An event without qualifier
// goes out as a new event: Contact ID has no "no qualifier" digit.
func qualifierDigit(q protocols.Qualifier) (byte, bool) {
	switch q {
	case protocols.QualifierNew, protocols.QualifierNone:
		return '1', true
	case protocols.QualifierRestore:
		return '3', true
	case protocols.QualifierStatus:
		return '6', true
	}
	return 0, false
}

// putBody writes Q XYZ GG CCC of ev, without spaces, into dst (9 bytes).
func putBody(dst []byte, ev protocols.Event) error {
	q, ok := qualifierDigit(ev.Qualifier)
	if !ok {
		return syntaxError("qualifier %d has no Contact ID digit", ev.Qualifier)
	}
	dst[0] = q
	if len(ev.Code) != 3 {
		return syntaxError("event code %q is not three digits", ev.Code)
	}
	if err := putDigits(dst[1:4], ev.Code, "event code"); err != nil {
		return err
	}
	if err := putDigits(dst[4:6], ev.Partition, "group"); err != nil {
		return err
	}
	return putDigits(dst[6:9], eventAddress(ev), "address")
}

// eventAddress is the number to send as CCC: the address as received, else
// the zone or user the event names.
func eventAddress(ev protocols.Event) string {
	switch {
	case ev.Address != "":
		return ev.Address
	case ev.AddressKind == protocols.AddressUser:
		return ev.User
	case ev.Zone != "":
		return ev.Zone
	}
	return ev.User
}

// putDigits right-aligns the digits of s in dst, padding with 0. Leading
// zeros beyond the field width are dropped, so a SIA zone "0015" fits CCC;
// any other overflow is an error.
func putDigits(dst []byte, s, field string) error {
	for len(s) > len(dst) && s[0] == '0' {
		s = s[1:]
	}
	if len(s) > len(dst) {
		return syntaxError("%s %q is longer than %d digits", field, s, len(dst))
	}
	pad := len(dst) - len(s)
	for i := 0; i < pad; i++ {
		dst[i] = '0'
	}
	for i := 0; i < len(s); i++ {
		d, ok := normalDigit(s[i])
		if !ok {
			return syntaxError("%s %q holds %q, not a Contact ID digit", field, s, s[i])
		}
		dst[pad+i] = d
	}
	return nil
}

// isSpace reports the white space tolerated between digits and around a
// payload (a captured line keeps its CR LF; DC-09 senders pad with NUL).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0
}
