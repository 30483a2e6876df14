package store

import (
	"context"
	"database/sql"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// The generic record table and the station's record kinds live in
// store/records; these are their names here.
type (
	// Records is the create/read/update/delete surface of one record kind.
	Records[T any] = records.Records[T]
	// ListOptions select records: Where maps filter columns (see Filters)
	// to values; AfterID and Limit page through by id.
	ListOptions = records.ListOptions

	// Customer is who buys and is billed; customers nest through ParentID.
	Customer = records.Customer
	// Installer is an installing company.
	Installer = records.Installer
	// Technician works for an installer.
	Technician = records.Technician
	// Site is where systems are installed.
	Site = records.Site
	// Account is a transmitter: an account number on a receiver.
	Account = records.Account
	// Zone is a zone of an account.
	Zone = records.Zone
	// RespondingParty is one entry of a site's ordered call list.
	RespondingParty = records.RespondingParty
	// Authority is the police, fire, medical or guard service for a site.
	Authority = records.Authority
	// PostalAddress is where a customer is invoiced.
	PostalAddress = records.PostalAddress
	// CustomerContact is a person of a customer's.
	CustomerContact = records.CustomerContact
	// PrefixMode is how the senders of a receiver send account numbers.
	PrefixMode = records.PrefixMode
	// SystemType is one kind of system an account may be.
	SystemType = records.SystemType
)

// The prefix modes (records.PrefixAdd, records.PrefixExpect).
const (
	PrefixAdd    = records.PrefixAdd
	PrefixExpect = records.PrefixExpect
)

// RoleGuard is the call-list role of a guard or patrol company.
const RoleGuard = records.RoleGuard

var (
	// AuthorityKinds are the agencies a site may have.
	AuthorityKinds = records.AuthorityKinds
	// ContactRoles are the roles a customer's contact may have.
	ContactRoles = records.ContactRoles
	// PrefixModes are the valid prefix modes.
	PrefixModes = records.PrefixModes
	// SystemTypes are the names of the system types.
	SystemTypes = records.SystemTypes
)

// NormaliseZone is the form zones are matched in.
func NormaliseZone(z string) string { return core.NormaliseZone(z) }

// IdentifierKey is the form identifiers are compared in.
func IdentifierKey(s string) string { return records.IdentifierKey(s) }

// ParsePrefixMode reads a mode; "" is PrefixAdd.
func ParsePrefixMode(s string) (PrefixMode, error) { return records.ParsePrefixMode(s) }

// ApplyPrefix returns the account number as stored for a number sent.
func ApplyPrefix(prefix string, mode PrefixMode, sent string) string {
	return records.ApplyPrefix(prefix, mode, sent)
}

// LacksPrefix reports whether an account number lacks a receiver's prefix.
func LacksPrefix(prefix, number string) bool { return records.LacksPrefix(prefix, number) }

// SystemLabel is what the pages show for the system type named.
func SystemLabel(name string) string { return records.SystemLabel(name) }

// SystemCategory is the category of an event from a system of the type
// named.
func SystemCategory(systemType string, c protocols.Category) protocols.Category {
	return records.SystemCategory(systemType, c)
}

// exists checks that a referenced record is there (core.Exists).
func exists(ctx context.Context, tx *sql.Tx, tableName string, id int64, field, label string) error {
	return core.Exists(ctx, tx, tableName, id, field, label)
}

// newKinds builds the record kinds on the engine: their secrets sealed by
// the store's key, the account index and the unprogrammed zones following
// their changes.
func (s *Store) newKinds() {
	k := records.NewKinds(s.db, records.Options{
		Now:              s.opts.Now,
		Secrets:          kindSecrets{s.sec},
		AccountCommitted: s.accountChanged,
		ZoneWritten:      zoneProgrammed,
	})
	s.Kinds = k
}

// kindSecrets seals the record kinds' secret columns with the store's key
// (nil: plaintext).
type kindSecrets struct{ x *secrets }

func (k kindSecrets) column(c records.Secret) secretColumn {
	switch c {
	case records.Passcode:
		return passcodeColumn
	case records.DuressPasscode:
		return duressColumn
	}
	return accountKeyColumn
}

func (k kindSecrets) Seal(c records.Secret, v string) string { return k.x.seal(k.column(c), v) }

func (k kindSecrets) Open(c records.Secret, dst *string) sql.Scanner {
	return openSecret{k.x, k.column(c), dst}
}

func (kindSecrets) CheckNotSealed(field string, v *string) error { return checkNotSealed(field, v) }

// The receivers and a site's systems as the records part reads them.
type (
	// Receiver is a logical receiver of the station.
	Receiver = records.Receiver
	// System is one system (account) of a site with who installed it and
	// who looks after it.
	System = records.System
	// Contractor is an installer or technician as a system names it.
	Contractor = records.Contractor
)
