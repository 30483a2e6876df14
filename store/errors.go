package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
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

// The short names the store's files use for core's helpers.
func invalid(field, format string, args ...any) error { return core.Invalid(field, format, args...) }
func oneOf(field, v string, allowed []string) error   { return core.OneOf(field, v, allowed) }
func clampLimit(n int) int                            { return core.ClampLimit(n) }
func actorName(ctx context.Context) string            { return core.ActorName(ctx) }
func actorFrom(ctx context.Context) Actor             { return core.ActorFrom(ctx) }
func carryActor(ctx context.Context) func(context.Context) context.Context {
	return core.CarryActor(ctx)
}
func jsonText(detail any) (string, error)         { return core.JSONText(detail) }
func jsonObject(m map[string]any) (string, error) { return core.JSONObject(m) }
func auditName(s string) string                   { return core.AuditName(s) }
func auditFailure(ctx context.Context) bool       { return core.AuditFailure(ctx) }
func audit(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, action, target string, detail any) error {
	return core.Audit(ctx, tx, now, actor, action, target, detail)
}
func auditChange(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, action, target string, detail any, before, after string) error {
	return core.AuditChange(ctx, tx, now, actor, action, target, detail, before, after)
}
