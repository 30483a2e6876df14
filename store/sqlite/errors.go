package sqlite

import "errors"

// The engine's errors are the store's errors to its callers (the store
// re-exports them), so they read "store:".
var (
	// ErrClosed is returned by a write after Close has begun.
	ErrClosed = errors.New("store: closed")
	// ErrUnavailable wraps a failed commit: the rows are not stored and the
	// caller must not acknowledge them.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrOutcomeUnknown: the caller stopped waiting for a commit that was
	// already queued; it may still land.
	ErrOutcomeUnknown = errors.New("store: commit outcome not known yet")
)
