package store

import (
	"github.com/alarmrx/alarmrx/store/identity"
)

// The station users live in store/identity; these are their names here.
type (
	// User is a station user. The password hash never leaves the store.
	User = identity.User
	// UserChange changes a user; nil fields stay.
	UserChange = identity.UserChange
	// Session is a logged-in user's session.
	Session = identity.Session
	// SessionKeys is what console and portal sessions share.
	SessionKeys = identity.SessionKeys
	// AuditEntry is one row of the audit log.
	AuditEntry = identity.AuditEntry
)

// Station user roles (design.md §4), most powerful first.
const (
	RoleAdmin      = identity.RoleAdmin
	RoleSupervisor = identity.RoleSupervisor
	RoleOperator   = identity.RoleOperator
)

// Roles lists the station roles.
var Roles = identity.Roles

// ErrBadCredentials: wrong user name or password, or a disabled user; which
// one is not said.
var ErrBadCredentials = identity.ErrBadCredentials

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = identity.MinPasswordLength

// RoleAtLeast reports whether role has the rights of want.
func RoleAtLeast(role, want string) bool { return identity.RoleAtLeast(role, want) }

// bcryptCost: about 50–100 ms per check on the reference machine.
var bcryptCost = 11

// passwordCost is the bcrypt cost of new password hashes.
func (s *Store) passwordCost() int {
	if s.opts.PasswordCost > 0 {
		return s.opts.PasswordCost
	}
	return bcryptCost
}
