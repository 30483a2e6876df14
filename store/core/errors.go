package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors of refused changes and lookups.
var (
	// ErrNotFound: no record has the id or key asked for.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the change would break a uniqueness or reference rule;
	// a *ConflictError says which.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: a field of a record is missing or malformed; a
	// *FieldError says which.
	ErrInvalid = errors.New("store: invalid")
)

// FieldError names the field of a record that is missing or malformed. The
// HTTP API answers it with 400 and the field name.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Invalid is a *FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// OneOf refuses a value of field that is not one of allowed.
func OneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return Invalid(field, "must be one of %s", strings.Join(allowed, ", "))
	}
	return nil
}

// ConflictError explains a refused change: which rule, on which field, and
// the record in the way (an account number is held by a site).
type ConflictError struct {
	Field string
	Msg   string
}

func (e *ConflictError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// MaxListLimit caps one page of any list.
const MaxListLimit = 10000

// ClampLimit is a list's page size: 100 when n is not set, at most
// MaxListLimit.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > MaxListLimit:
		return MaxListLimit
	}
	return n
}
