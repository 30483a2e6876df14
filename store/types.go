package store

import (
	"fmt"
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

// secondsDuration scans an integer seconds column into a Duration.
type secondsDuration struct{ d *Duration }

func (s secondsDuration) Scan(v any) error {
	x, ok := v.(int64)
	if !ok {
		return fmt.Errorf("store: seconds column holds %T", v)
	}
	*s.d = Duration(time.Duration(x) * time.Second)
	return nil
}

func seconds(d Duration) int64 { return int64(time.Duration(d) / time.Second) }

// Strings is a list of text stored as a JSON array.
type Strings = core.Strings

func textColumn(v any, what string) ([]byte, error) { return core.TextColumn(v, what) }
