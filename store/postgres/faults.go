package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/jackc/pgx/v5/pgconn"
)

func init() { core.RegisterConstraintClassifier(constraintOf) }

// IsStorageFailure tells errors that would fail any transaction (the
// database unreachable or shutting down, out of disk or connections, a
// standby that cannot write, a statement or lock timeout, an injected
// fault) from errors tied to one row: the first stop acknowledgements
// until a commit succeeds again, as a full disk does on SQLite.
func IsStorageFailure(err error) bool {
	if err == nil {
		return false
	}
	if errors.As(err, new(engine.StorageFault)) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", // connection exception
			"53", // insufficient resources: disk full, out of memory, too many connections
			"57", // operator intervention: shutdown, crash, cannot connect now, statement timeout
			"58", // system error: I/O
			"XX": // internal error, data corrupted
			return true
		}
		switch pe.Code {
		case "25006", // read-only transaction: the primary was demoted
			"55P03": // lock not available: lock_timeout
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded)
}

// Retryable tells a transaction the database refused for a conflict of its
// own, which may commit if run again: a serialization failure or a
// deadlock.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// constraintOf reads PostgreSQL's integrity-constraint SQLSTATEs.
func constraintOf(err error) (core.Constraint, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return core.NoConstraint, ""
	}
	switch pe.Code {
	case "23503": // foreign_key_violation (and the triggers guarding references)
		return core.ReferenceConstraint, pe.Message
	case "23505": // unique_violation
		return core.UniqueConstraint, pe.Message
	}
	return core.NoConstraint, ""
}
