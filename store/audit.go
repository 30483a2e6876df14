package store

import (
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// Changed stands in the audit log for a secret's value.
const Changed = core.Changed

// auditDiff renders a change's before and after (records.AuditDiff).
func auditDiff[T any](old, rec *T, secrets []string) (before, after string, err error) {
	return records.AuditDiff(old, rec, secrets)
}

// withChanged marks a secret field as Changed in an audit side
// (records.WithChanged).
func withChanged(side, field string) (string, error) { return records.WithChanged(side, field) }
