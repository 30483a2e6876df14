package sia

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// protocolName names this package in a protocols.FrameError.
const protocolName = "sia"

// ErrSyntax reports data that does not follow the DC-03 event grammar.
var ErrSyntax = errors.New("sia: syntax")

// Code is one row of the SIA event-code table.
type Code struct {
	Code     string
	Name     string
	Category protocols.Category
	Address  protocols.AddressKind
	Restore  bool
}

// Lookup returns the table row for a two-letter event code: the DC-03 codes
// and the vendor extensions panels are known to send.
func Lookup(code string) (Code, bool) {
	if len(code) != 2 || !isUpper(code[0]) || !isUpper(code[1]) {
		return Code{}, false
	}
	i := codeIndex[codeKey(code[0], code[1])]
	switch {
	case i == 0:
		return Code{}, false
	case int(i) <= len(standardCodes):
		return standardCodes[i-1], true
	}
	return vendorCodes[int(i)-1-len(standardCodes)], true
}

// Codes returns a copy of the table: the DC-03 codes in code order, then
// the vendor extensions.
func Codes() []Code {
	out := make([]Code, 0, len(standardCodes)+len(vendorCodes))
	out = append(out, standardCodes[:]...)
	return append(out, vendorCodes[:]...)
}

// codeIndex maps codeKey to the position in standardCodes followed by
// vendorCodes, plus one; 0 is "no such code". An array indexed by the two
// letters makes Lookup a load, with no hashing and no allocation.
var codeIndex = func() (index [26 * 26]uint16) {
	for i, c := range standardCodes {
		index[codeKey(c.Code[0], c.Code[1])] = uint16(i + 1)
	}
	for i, c := range vendorCodes {
		index[codeKey(c.Code[0], c.Code[1])] = uint16(len(standardCodes) + i + 1)
	}
	return index
}()

func codeKey(a, b byte) int { return int(a-'A')*26 + int(b-'A') }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isHex reports a DC-09 account character.
func isHex(c byte) bool {
	return isDigit(c) || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

// syntaxError rejects data that does not follow the DC-03 event grammar.
func syntaxError(format string, args ...any) error {
	return protocols.Rejectf(protocolName, protocols.ReasonSyntax, ErrSyntax, format, args...)
}
