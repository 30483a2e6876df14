package sqlite

import (
	"errors"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/mattn/go-sqlite3"
)

func init() { core.RegisterConstraintClassifier(constraintOf) }

// IsStorageFailure tells errors that would fail any transaction (disk
// full, read-only file, I/O error, lock held too long, the file lost, an
// injected fault) from errors tied to one row.
func IsStorageFailure(err error) bool {
	if errors.As(err, new(engine.StorageFault)) {
		return true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrBusy, sqlite3.ErrLocked,
		sqlite3.ErrCantOpen, sqlite3.ErrCorrupt, sqlite3.ErrNotADB, sqlite3.ErrNoLFS:
		return true
	}
	return false
}

// constraintOf reads SQLite's constraint codes.
func constraintOf(err error) (core.Constraint, string) {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintForeignKey, sqlite3.ErrConstraintTrigger:
			return core.ReferenceConstraint, se.Error()
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return core.UniqueConstraint, se.Error()
		}
	}
	return core.NoConstraint, ""
}

// IsStorageFailure is the engine's IsStorageFailure.
func (db *DB) IsStorageFailure(err error) bool { return IsStorageFailure(err) }
