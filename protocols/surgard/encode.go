package surgard

import (
	"fmt"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// Head is the receiver and line a record names: RR (two hex digits) and
// LLL (line digits, 3 by default, 1 for MLR2-style output).
type Head struct {
	Receiver   int // 0–255, written as two hex digits
	Line       int
	LineDigits int // 1–7; 0 means 3
}

func (h Head) String() string {
	n := h.LineDigits
	if n <= 0 {
		n = 3
	}
	line := fmt.Sprintf("%0*d", n, h.Line)
	if len(line) > n {
		line = line[len(line)-n:]
	}
	return fmt.Sprintf("%02X%s", h.Receiver&0xFF, line)
}

// Heartbeat returns the link-supervision record 1RRLLL + 11 spaces + "@" +
// 4 spaces + DC4 [protocols.md §4.3].
func Heartbeat(h Head) []byte {
	return []byte("1" + h.String() + strings.Repeat(" ", 11) + "@" + strings.Repeat(" ", 4) + string(rune(DC4)))
}

// Encode returns the record for one event of an account, DC4 included
// [protocols.md §4.5]: a Contact ID event becomes 5RRLLL 18AAAAQXYZGGCCC
// when the account is exactly 4 hex digits and QRRLLL 58… when exactly 10
// (padding would change the account the automation sees); anything else —
// SIA events, other accounts (123, ABC1234) — becomes the SIA record
// SRRLLL[#acct|…], a Contact ID code translated to its SIA twin. An event
// with no form in either vocabulary is an error.
func Encode(h Head, account string, ev protocols.Event) ([]byte, error) {
	if ev.Format == protocols.FormatContactID {
		if rec, ok := encodeCID(h, account, ev); ok {
			return rec, nil
		}
		sev, ok := toSIA(ev)
		if !ok {
			return nil, fmt.Errorf("surgard: Contact ID %s of account %s has no SIA form for a SIA record", ev.Code, account)
		}
		ev = sev
	}
	if ev.Format != protocols.FormatSIA {
		return nil, fmt.Errorf("surgard: event format %q has no Sur-Gard record", ev.Format)
	}
	payload := sia.FormatPayload(account, []protocols.Event{ev})
	if payload == "" {
		return nil, fmt.Errorf("surgard: SIA event %s of account %s cannot be written", ev.Code, account)
	}
	return []byte("S" + h.String() + "[" + payload + "]" + string(rune(DC4))), nil
}

func encodeCID(h Head, account string, ev protocols.Event) ([]byte, bool) {
	body := strings.ReplaceAll(contactid.Format(ev), " ", "") // QXYZGGCCC
	if len(body) != 9 || !allHex([]byte(account)) {
		return nil, false
	}
	q := map[byte]byte{'1': 'E', '3': 'R', '6': 'P'}[body[0]]
	if q == 0 {
		return nil, false
	}
	tail := string(q) + body[1:]
	switch len(account) {
	case 4:
		return []byte("5" + h.String() + " 18" + account + tail + string(rune(DC4))), true
	case 10:
		return []byte("Q" + h.String() + " 58" + account + tail + string(rune(DC4))), true
	}
	return nil, false
}

// toSIA maps a Contact ID event to the SIA code the tables pair with it.
func toSIA(ev protocols.Event) (protocols.Event, bool) {
	row, ok := contactid.Lookup(ev.Code)
	if !ok {
		return ev, false
	}
	code := row.SIANew
	if ev.Qualifier == protocols.QualifierRestore {
		code = row.SIARestore
	}
	if code == "" {
		return ev, false
	}
	out := ev
	out.Format, out.Code = protocols.FormatSIA, code
	if s, ok := sia.Lookup(code); ok {
		out.Description, out.Category, out.AddressKind = s.Name, s.Category, s.Address
	}
	return out, true
}
