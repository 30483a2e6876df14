package store

import "errors"

// Sentinel errors.
var (
	// ErrClosed is returned by Commit after Close has begun.
	ErrClosed = errors.New("store: closed")
	// ErrUnavailable wraps a failed commit: the rows are not stored and the
	// caller must not acknowledge them.
	ErrUnavailable = errors.New("store: unavailable")
)
