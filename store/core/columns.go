package core

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Strings is a list of text stored as a JSON array.
type Strings []string

// Value stores the list as a JSON array ("[]" when empty).
func (s Strings) Value() (driver.Value, error) {
	if s == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(s))
	return string(b), err
}

// Scan reads a JSON array; NULL reads as an empty list.
func (s *Strings) Scan(v any) error {
	b, err := TextColumn(v, "list")
	if err != nil {
		return err
	}
	out := []string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("store: list column: %w", err)
		}
	}
	*s = out
	return nil
}

// MarshalJSON writes an empty list as [] rather than null.
func (s Strings) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(s))
}

// TextColumn is the bytes of a TEXT column as the drivers scan it (string
// or []byte); nil for NULL. what names the column in the error.
func TextColumn(v any, what string) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("store: %s column holds %T", what, v)
	}
}

// NanoTimePtr scans a nullable Unix-nanosecond column into *T.
type NanoTimePtr struct{ T **time.Time }

// Scan implements sql.Scanner.
func (n NanoTimePtr) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		t := time.Unix(0, x).UTC()
		*n.T = &t
	case nil:
		*n.T = nil
	default:
		return fmt.Errorf("store: time column holds %T", v)
	}
	return nil
}
