// Package routine starts and tracks goroutines: every long-lived or
// per-connection goroutine of the receiver is started through a Group, which
// recovers its panics, refuses new work once shutdown began, and lets the
// shutdown wait for what runs, bounded by the caller's context. It imports
// no other alarmrx package.
package routine
