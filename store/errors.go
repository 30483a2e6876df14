package store

import (
	"context"
	"errors"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// Errors of refused changes and lookups (store/core), under their names
// here.
var (
	// ErrNotFound: no record has the id or key asked for.
	ErrNotFound = core.ErrNotFound
	// ErrConflict: the change would break a uniqueness or reference rule;
	// a *ConflictError says which.
	ErrConflict = core.ErrConflict
	// ErrInvalid: a field of a record is missing or malformed; a
	// *FieldError says which.
	ErrInvalid = core.ErrInvalid
	// ErrDuplicate: Commit met the frame's dedupe or idempotency key in
	// the database, stored by this node or another one within the dedupe
	// window; the frame ID returned is the stored copy's, and the frame is
	// answered as stored.
	ErrDuplicate = errors.New("store: duplicate of a stored frame")
	// ErrNodeIDInUse: another running process has this node's
	// store.node_id (PostgreSQL); the leases are held by id, so two
	// processes must never share one.
	ErrNodeIDInUse = errors.New("store: node id in use")
)

// FieldError names the field of a record that is missing or malformed.
type FieldError = core.FieldError

// ConflictError explains a refused change.
type ConflictError = core.ConflictError

// Actor is who makes a change or a queue step: a station user, or the API
// token.
type Actor = core.Actor

// MaxListLimit caps one page of any list.
const MaxListLimit = core.MaxListLimit

// MaxListIDs caps the ids one record list may be asked for, and
// MaxSearch its search text.
const (
	MaxListIDs = records.MaxListIDs
	MaxSearch  = records.MaxSearch
)

// WithActorName makes record changes made with ctx carry who made them
// (created_by, updated_by): a portal user's name, or a station user's.
func WithActorName(ctx context.Context, name string) context.Context {
	return core.WithActorName(ctx, name)
}

// WithActor makes the changes made with ctx audited as actor's.
func WithActor(ctx context.Context, a Actor) context.Context { return core.WithActor(ctx, a) }

// WithoutFailedLoginAudit marks a login attempt whose failure is not to be
// written to the audit log.
func WithoutFailedLoginAudit(ctx context.Context) context.Context {
	return core.WithoutFailedLoginAudit(ctx)
}
