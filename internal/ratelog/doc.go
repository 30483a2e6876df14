// Package ratelog limits log lines: one per key per interval, with a count
// of what it held back. It owns no logger and imports nothing of alarmrx.
package ratelog
