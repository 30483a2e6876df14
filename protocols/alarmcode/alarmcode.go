// Package alarmcode turns the event code an XML or text dialect carries
// (Micro Key SI, MASXML EventCode, Manitou Event, Sentinel Event, SOS
// Access eventcode) into a protocols.Event, through the Contact ID and SIA
// code tables, so that it is classified like a signal of any panel.
//
// Clouds write Contact ID codes with their qualifier as a letter (E130 new,
// R130 restore, P130 status: automation-research.md §2.2, Ajax's Micro Key
// output) or as a digit (1130, 3130, 6130), or bare (130, a new event);
// SIA codes are two letters (BA). A code in neither form, or in a form
// whose table does not list it, is kept and classified unknown, and
// described "Invalid alarm <code>", the way Manitou shows a code it does
// not know (automation-research.md §2.1, CHeKT's "invalid alarm"): it is
// stored and acknowledged, never refused.
package alarmcode

import (
	"errors"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// MaxCode is the longest code kept; a longer one is refused (ErrBadCode).
const MaxCode = 16

// Sentinel errors; a dialect answers them with its own refusal.
var (
	ErrNoCode  = errors.New("alarmcode: no event code")
	ErrBadCode = errors.New("alarmcode: event code longer than 16 characters or not printable")
)

// Fields are what a dialect sends for one event, as text; "" is absent.
type Fields struct {
	Account string
	Code    string
	Area    string // partition, area, group
	Zone    string // zone, point, physical zone, detector
	User    string
	Text    string
}

// Event classifies f.Code (see the package comment) and fills the event's
// account, partition, zone or user (whichever its table row addresses; a
// zone when the code is unknown) and text. Leading and trailing space is
// dropped; letters are upper-cased.
func Event(f Fields) (protocols.Event, error) {
	code := strings.ToUpper(strings.TrimSpace(f.Code))
	switch {
	case code == "":
		return protocols.Event{}, ErrNoCode
	case len(code) > MaxCode || strings.IndexFunc(code, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return protocols.Event{}, ErrBadCode
	}
	ev := protocols.Event{
		Account:   strings.TrimSpace(f.Account),
		Partition: strings.TrimSpace(f.Area),
		Text:      strings.TrimSpace(f.Text),
	}
	zone, user := strings.TrimSpace(f.Zone), strings.TrimSpace(f.User)
	if q, cid, ok := contactIDForm(code); ok {
		ev.Format, ev.Code, ev.Qualifier = protocols.FormatContactID, cid, q
		ev.AddressKind = protocols.AddressZone
		if row, ok := contactid.Lookup(cid); ok {
			ev.Known, ev.Description, ev.Category, ev.AddressKind = true, row.Name, row.Category, row.Address
		} else {
			ev.Description = "Invalid alarm " + cid
		}
	} else if row, ok := sia.Lookup(code); ok {
		ev.Format, ev.Code = protocols.FormatSIA, code
		ev.Known, ev.Description, ev.Category, ev.AddressKind = true, row.Name, row.Category, row.Address
		ev.Qualifier = protocols.QualifierNew
		if row.Restore {
			ev.Qualifier = protocols.QualifierRestore
		}
	} else {
		// Unknown: a letter code is read as SIA's vocabulary, a number as
		// Contact ID's; neither table knows it.
		ev.Format, ev.Code, ev.AddressKind = protocols.FormatSIA, code, protocols.AddressZone
		if code[0] >= '0' && code[0] <= '9' {
			ev.Format = protocols.FormatContactID
		}
		ev.Description = "Invalid alarm " + code
	}
	switch ev.AddressKind {
	case protocols.AddressUser:
		ev.User, ev.Address = firstNonEmpty(user, zone), firstNonEmpty(user, zone)
		ev.Zone = zoneIfUser(zone, user)
	case protocols.AddressArea:
		ev.Address = firstNonEmpty(ev.Partition, zone)
		ev.Zone, ev.User = zone, user
	case protocols.AddressNone:
		ev.Zone, ev.User = zone, user
	default:
		ev.Zone, ev.Address, ev.User = zone, zone, user
	}
	return ev, nil
}

// contactIDForm reads E130, R130, P130, 1130, 3130, 6130 and 130.
func contactIDForm(code string) (protocols.Qualifier, string, bool) {
	q := protocols.QualifierNew
	digits := code
	switch {
	case len(code) == 4 && (code[0] == 'E' || code[0] == 'R' || code[0] == 'P'):
		q, digits = letterQualifier(code[0]), code[1:]
	case len(code) == 4 && (code[0] == '1' || code[0] == '3' || code[0] == '6'):
		q, digits = digitQualifier(code[0]), code[1:]
	case len(code) != 3:
		return 0, "", false
	}
	for i := 0; i < 3; i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, "", false
		}
	}
	return q, digits, true
}

func letterQualifier(c byte) protocols.Qualifier {
	switch c {
	case 'R':
		return protocols.QualifierRestore
	case 'P':
		return protocols.QualifierStatus
	}
	return protocols.QualifierNew
}

func digitQualifier(c byte) protocols.Qualifier {
	switch c {
	case '3':
		return protocols.QualifierRestore
	case '6':
		return protocols.QualifierStatus
	}
	return protocols.QualifierNew
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// zoneIfUser keeps the zone beside a user only when both were sent.
func zoneIfUser(zone, user string) string {
	if user != "" {
		return zone
	}
	return ""
}

// Wire is a Contact ID event's code as the dialects write it, its
// qualifier a letter in front: E130 new, R130 restore, P130 status
// (Ajax's Micro Key output [automation-research.md §2.2], CHeKT's XML).
// Event reads it back. ok is false for an event that is not Contact ID or
// whose code is not three digits, which goes as it is.
func Wire(ev protocols.Event) (code string, ok bool) {
	code = strings.TrimSpace(ev.Code)
	if ev.Format != protocols.FormatContactID || len(code) != 3 ||
		strings.IndexFunc(code, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return code, false
	}
	switch ev.Qualifier {
	case protocols.QualifierRestore:
		return "R" + code, true
	case protocols.QualifierStatus:
		return "P" + code, true
	}
	return "E" + code, true
}

// Transition says whether an opening/closing event is an opening (the
// area disarmed) or a closing (armed): SIA O… and C… codes of the
// open/close category, and Contact ID codes through their SIA equivalents
// (qualifier 1 an opening, 3 a closing [DC-05 §3]), so that 441 Armed
// STAY is a closing whatever its qualifier, as are the perimeter (stay)
// armings N[FLM]. Cancels (OC), closing extensions and recent-closing
// reports (CE, CR) and point (zone) openings and closings (OZ, CZ) change
// no area's state: neither.
func Transition(ev protocols.Event) (opening, ok bool) {
	if ev.Category != protocols.CategoryOpenClose {
		return false, false
	}
	code := ev.Code
	if ev.Format == protocols.FormatContactID {
		row, found := contactid.Lookup(ev.Code)
		switch {
		case !found:
			return false, false
		case ev.Qualifier == protocols.QualifierNew:
			code = row.SIANew
		case ev.Qualifier == protocols.QualifierRestore:
			code = row.SIARestore
		default:
			return false, false
		}
		if row, found := sia.Lookup(code); !found || row.Category != protocols.CategoryOpenClose {
			return false, false
		}
	} else if ev.Format != protocols.FormatSIA {
		return false, false
	}
	switch {
	case code == "OC" || code == "CE" || code == "CR" || code == "OZ" || code == "CZ":
		return false, false
	case code == "NF" || code == "NL" || code == "NM":
		return false, true
	case strings.HasPrefix(code, "O"):
		return true, true
	case strings.HasPrefix(code, "C"):
		return false, true
	}
	return false, false
}
