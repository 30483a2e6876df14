// Package schedule judges openings and closings against an account's open/close schedule, and says when its late-to-open and late-to-close deadlines fall, in the site's time zone, holidays and temporary days included.
// It is pure: values in, verdicts out, no clock, no I/O; the store keeps the schedules and the supervision service asks it.
package schedule
