package core

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Changed stands in the audit log for a secret's value.
const Changed = "changed"

// Audit appends to the audit log inside the change's transaction.
func Audit(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, action, target string, detail any) error {
	d, err := JSONText(detail)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, user_name, action, target, detail, remote_addr)
		VALUES (?,?,?,?,?,?,?)`, now.UnixNano(), NullID(actor.ID), actor.Name, action, target, d, actor.RemoteAddr)
	return err
}

// AuditChange appends an entry with its detail and the change's before
// and after (JSON objects, "" for none) to the audit log inside the
// change's transaction.
func AuditChange(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, action, target string, detail any, before, after string) error {
	d, err := JSONText(detail)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, user_name, action, target, detail, remote_addr, before_json, after_json)
		VALUES (?,?,?,?,?,?,?,?,?)`, now.UnixNano(), NullID(actor.ID), actor.Name, action, target, d, actor.RemoteAddr, before, after)
	return err
}

// JSONText renders an entry's detail: "" for none.
func JSONText(detail any) (string, error) {
	if detail == nil {
		return "", nil
	}
	b, err := json.Marshal(detail)
	return string(b), err
}

// JSONObject renders one side of a change written by hand (users): ""
// for none.
func JSONObject(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// NullID is id as a column value: NULL for 0.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// maxAuditName is the longest user name an audit row keeps: a name is
// typed by whoever tries to log in, and a failed login's row must not be
// a way to fill the disk.
const maxAuditName = 64

// AuditName cuts a name typed at a login to maxAuditName bytes (on a rune
// boundary), marking the cut.
func AuditName(s string) string {
	if len(s) <= maxAuditName {
		return s
	}
	cut := maxAuditName
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

type noFailureAuditKey struct{}

// WithoutFailedLoginAudit marks a login attempt whose failure is not to be
// written to the audit log: the evidence quota for refused input is used
// up (the attempt is still counted by the caller).
func WithoutFailedLoginAudit(ctx context.Context) context.Context {
	return context.WithValue(ctx, noFailureAuditKey{}, true)
}

// AuditFailure tells whether a failed login with ctx goes to the audit log.
func AuditFailure(ctx context.Context) bool {
	off, _ := ctx.Value(noFailureAuditKey{}).(bool)
	return !off
}
