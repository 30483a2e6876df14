// Package contactid decodes Ademco Contact ID (SIA DC-05) messages. (stub: API only)
package contactid

import (
	"errors"

	"github.com/alarmrx/alarmrx/protocols"
)

// Sentinel errors.
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

// Lookup returns the table row for a three-digit event code.
func Lookup(code string) (Code, bool) { return Code{}, false }

// ParsePayload parses the DC-09 ADM-CID data block "#acct|QXYZ GG CCC"
// (the "#acct|" part optional). account is "" when the data carries none.
func ParsePayload(data []byte) (account string, ev protocols.Event, err error) {
	return "", protocols.Event{}, ErrSyntax
}
