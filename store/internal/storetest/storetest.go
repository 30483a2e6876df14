package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/sqlite"
)

// Numbered is a dialect of numbered placeholders, in the "?1" form SQLite
// runs: on it, the engine rebinds every query a part runs, as an engine of
// "$1" placeholders would, and the part's tests show its SQL still means
// the same once rebound.
type Numbered struct{}

func (Numbered) Name() string                { return "numbered" }
func (Numbered) Rebind(q string) string      { return core.RebindNumbered(q, "?") }
func (Numbered) Least(a, b string) string    { return sqlite.Dialect.Least(a, b) }
func (Numbered) Greatest(a, b string) string { return sqlite.Dialect.Greatest(a, b) }

// ForEachDialect runs test on an engine of SQLite's dialect and on one of
// numbered placeholders.
func ForEachDialect(t *testing.T, test func(t *testing.T, d core.Dialect)) {
	for _, d := range []core.Dialect{sqlite.Dialect, Numbered{}} {
		t.Run(d.Name(), func(t *testing.T) { test(t, d) })
	}
}

// Clock is a test's time: it moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
