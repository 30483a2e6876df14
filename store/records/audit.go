package records

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
)

// auditSkip are the fields a record's audit entry leaves out: its id (the
// entry's target), the times and names the change itself sets, and what
// is derived from other fields.
var auditSkip = []string{"id", "created_at", "updated_at", "created_by", "updated_by", "has_dc09_key", "has_passcode", "has_duress_passcode", "sent_number"}

// jsonFields are a record's fields as its JSON has them; nil for nil.
func jsonFields(rec any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(rec)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	return m, json.Unmarshal(b, &m)
}

// secretValue is a secret field's text ("" for absent, null or empty).
func secretValue(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// AuditDiff renders a change's before and after as JSON objects of the
// fields that differ, every field of a created or deleted record; nil old
// is a create (before ""), nil rec a delete (after ""). A secret is never
// written: one that is set, removed or replaced is core.Changed on the sides
// that exist.
func AuditDiff[T any](old, rec *T, secrets []string) (before, after string, err error) {
	o, err := jsonFields(old)
	if err != nil {
		return "", "", err
	}
	n, err := jsonFields(rec)
	if err != nil {
		return "", "", err
	}
	changed := json.RawMessage(`"` + core.Changed + `"`)
	b, a := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	for k := range keys {
		ov, inOld := o[k]
		nv, inNew := n[k]
		switch {
		case slices.Contains(auditSkip, k):
		case slices.Contains(secrets, k):
			if secretValue(ov) == secretValue(nv) {
				continue
			}
			if old != nil {
				b[k] = changed
			}
			if rec != nil {
				a[k] = changed
			}
		case old != nil && rec != nil && bytes.Equal(ov, nv):
		default:
			if inOld {
				b[k] = ov
			}
			if inNew {
				a[k] = nv
			}
		}
	}
	render := func(side map[string]json.RawMessage, present bool) (string, error) {
		if !present {
			return "", nil
		}
		out, err := json.Marshal(side) // keys sorted
		return string(out), err
	}
	if before, err = render(b, old != nil); err != nil {
		return "", "", err
	}
	after, err = render(a, rec != nil)
	return before, after, err
}

// WithChanged marks a secret field as core.Changed in an audit side (a JSON
// object): it was set or replaced, and its value is never written.
func WithChanged(side, field string) (string, error) {
	m := map[string]any{}
	if side != "" {
		if err := json.Unmarshal([]byte(side), &m); err != nil {
			return "", err
		}
	}
	m[field] = core.Changed
	out, err := json.Marshal(m)
	return string(out), err
}

// auditRecord writes the audit entry of a record change (op create,
// update or delete) inside its transaction: who, the record as target
// ("responding_party:12"), and its fields before and after.
func (r *Records[T]) auditRecord(ctx context.Context, tx *sql.Tx, now time.Time, op string, old, rec *T) error {
	before, after, err := AuditDiff(old, rec, r.t.Secrets)
	if err != nil {
		return err
	}
	which := rec
	if which == nil {
		which = old
	}
	kind := strings.ReplaceAll(r.t.Label, " ", "_")
	return core.AuditChange(ctx, tx, now, core.ActorFrom(ctx), kind+"."+op, fmt.Sprintf("%s:%d", kind, *r.t.ID(which)), nil, before, after)
}
