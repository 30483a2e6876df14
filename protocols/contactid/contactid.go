package contactid

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// protocolName names this package in a protocols.FrameError.
const protocolName = "contactid"

// Sentinel errors. Parse errors arrive wrapped in a *protocols.FrameError
// (ReasonSyntax or ReasonChecksum); test them with errors.Is.
var (
	ErrSyntax   = errors.New("contactid: syntax")
	ErrChecksum = errors.New("contactid: checksum")
)

// Code is one row of the Contact ID event-code table.
type Code struct {
	Code       string
	Name       string
	Category   protocols.Category
	Address    protocols.AddressKind
	SIANew     string // SIA equivalent for qualifier 1
	SIARestore string // SIA equivalent for qualifier 3
}

// Lookup returns the table row for a three-digit event code: the DC-05
// codes and the vendor codes senders are known to use. It accepts the digit
// A as a synonym of 0, as Parse does.
func Lookup(code string) (Code, bool) {
	key, ok := codeKey(code)
	if !ok {
		return Code{}, false
	}
	i := int(codeIndex[key])
	switch {
	case i == 0:
		return Code{}, false
	case i <= len(codeTable):
		return codeTable[i-1], true
	}
	return vendorCodes[i-1-len(codeTable)], true
}

// Codes returns a copy of the event-code table: the DC-05 codes in code
// order, then the vendor codes.
func Codes() []Code {
	out := make([]Code, 0, len(codeTable)+len(vendorCodes))
	out = append(out, codeTable[:]...)
	return append(out, vendorCodes[:]...)
}

// codeIndex maps codeKey(code) to the position in codeTable followed by
// vendorCodes, plus one; 0 is "no such code". An array indexed by the three
// hex digits makes Lookup a load, with no hashing and no allocation.
var codeIndex = func() (index [16 * 16 * 16]uint16) {
	for i, c := range Codes() {
		key, _ := codeKey(c.Code)
		index[key] = uint16(i + 1)
	}
	return index
}()

// codeKey turns a three-digit event code into an index for codeIndex.
func codeKey(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	key := 0
	for i := 0; i < 3; i++ {
		d, ok := normalDigit(code[i])
		if !ok {
			return 0, false
		}
		key = key<<4 | hexValue(d)
	}
	return key, true
}

// syntaxError rejects input that does not follow the Contact ID grammar.
func syntaxError(format string, args ...any) error {
	return protocols.Rejectf(protocolName, protocols.ReasonSyntax, ErrSyntax, format, args...)
}

// checksumError rejects a message whose digits do not sum to a multiple of 15.
func checksumError(got, want byte) error {
	return protocols.Rejectf(protocolName, protocols.ReasonChecksum, ErrChecksum, "check digit %q, want %q", got, want)
}

// newEvent builds the Event for one Contact ID report. Unknown codes are kept
// with Known false; their CCC is treated as a zone, which is what CCC carries
// for every event report outside the open/close classes [DC-05 §layout].
func newEvent(account string, q protocols.Qualifier, code, group, address string) protocols.Event {
	ev := protocols.Event{
		Format:      protocols.FormatContactID,
		Account:     account,
		Code:        code,
		Qualifier:   q,
		Partition:   group,
		Address:     address,
		AddressKind: protocols.AddressZone,
	}
	if row, ok := Lookup(code); ok {
		ev.Known = true
		ev.Description = row.Name
		ev.Category = row.Category
		ev.AddressKind = row.Address
	}
	if ev.AddressKind == protocols.AddressUser {
		ev.User = address
	} else {
		ev.Zone = address
	}
	return ev
}
