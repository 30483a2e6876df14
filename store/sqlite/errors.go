package sqlite

import "github.com/alarmrx/alarmrx/store/engine"

// The writer's errors, which the store re-exports.
var (
	ErrClosed         = engine.ErrClosed
	ErrUnavailable    = engine.ErrUnavailable
	ErrOutcomeUnknown = engine.ErrOutcomeUnknown
)
