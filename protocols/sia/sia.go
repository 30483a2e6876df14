// Package sia decodes SIA DC-03 event data. (stub: API only)
package sia

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

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

// Lookup returns the table row for a two-letter event code.
func Lookup(code string) (Code, bool) { return Code{}, false }

// ParsePayload parses DC-03 event data as carried in DC-09 SIA-DCS and in
// Sur-Gard S records: "#acct|Nri1/BA012|Atext". account is "" when the data
// carries none.
func ParsePayload(data []byte) (account string, events []protocols.Event, err error) {
	return "", nil, ErrSyntax
}
