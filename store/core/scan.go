package core

import (
	"fmt"
	"time"
)

// NanoTime scans a Unix-nanosecond column (NULL reads as the zero time)
// into *T: every time the store keeps is one.
type NanoTime struct{ T *time.Time }

// Scan implements sql.Scanner.
func (n NanoTime) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*n.T = time.Unix(0, x).UTC()
	case nil:
		*n.T = time.Time{}
	default:
		return fmt.Errorf("store: time column holds %T", v)
	}
	return nil
}
