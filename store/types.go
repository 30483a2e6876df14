package store

import (
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// Duration is a time.Duration written in JSON as Go's duration text
// ("24h0m0s"); it also accepts a JSON number, read as seconds.
type Duration = core.Duration

// ParseDuration reads Go duration text: a number with a unit ("25h",
// "90m"); "" and "0" are 0. A bare number is refused (core.ParseDuration).
func ParseDuration(s string) (time.Duration, error) { return core.ParseDuration(s) }

// nanoTime scans a Unix-nanosecond column into a time.Time.
type nanoTime struct{ t *time.Time }

func (n nanoTime) Scan(v any) error { return core.NanoTime{T: n.t}.Scan(v) }

// nanoTimePtr scans a nullable Unix-nanosecond column.
type nanoTimePtr struct{ t **time.Time }

func (n nanoTimePtr) Scan(v any) error { return core.NanoTimePtr{T: n.t}.Scan(v) }

// Strings is a list of text stored as a JSON array.
type Strings = core.Strings
