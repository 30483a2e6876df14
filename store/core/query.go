package core

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
)

// Where builds a WHERE clause from optional conditions.
type Where struct {
	conds []string
	args  []any
}

// Add adds a condition with one "?" and its value.
func (w *Where) Add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

// AddN adds a condition with as many "?" as args.
func (w *Where) AddN(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// Finish appends the clause, the order and the limit (ClampLimit) to q.
func (w *Where) Finish(q, orderBy string, limit int) (string, []any) {
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	return q + " ORDER BY " + orderBy + " LIMIT ?", append(w.args, ClampLimit(limit))
}

// Required refuses an empty (or blank) value of field.
func Required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return Invalid(field, "is required")
	}
	return nil
}

// Exists checks that a referenced record is there, so that a bad reference
// is a 400 naming the field rather than an anonymous constraint failure.
func Exists(ctx context.Context, tx *sql.Tx, tableName string, id int64, field, label string) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+tableName+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return Invalid(field, "%s %d does not exist", label, id)
	}
	return err
}

// NormaliseZone is the form zones are matched in: leading zeros dropped, so
// that a panel's "017" finds the zone entered as "17".
func NormaliseZone(z string) string {
	z = strings.ToUpper(strings.TrimSpace(z))
	t := strings.TrimLeft(z, "0")
	if t == "" && z != "" {
		return "0"
	}
	return t
}

// ScopeOf names a scope: "site", "customer" or "installer" and an id.
func ScopeOf(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// ParseScope is the inverse of ScopeOf.
func ParseScope(scope string) (string, int64, error) {
	kind, id, ok := strings.Cut(scope, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || !slices.Contains([]string{"site", "customer", "installer"}, kind) {
		return "", 0, Invalid("scope", "must be site:<id>, customer:<id> or installer:<id>")
	}
	return kind, n, nil
}

// CheckEmail refuses a value of field that is not one plain address.
func CheckEmail(field, v string) error {
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v {
		return Invalid(field, "%q is not an e-mail address such as dana@example.com", v)
	}
	return nil
}

// Reader is an engine's read side. Its queries see every commit
// acknowledged before they were asked: an engine that builds derived rows
// after the acknowledgement (the journal's projection) waits for it first.
type Reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Like makes a LIKE pattern (with ESCAPE '\') that finds text anywhere
// in a lower-cased column.
func Like(text string) string {
	r := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
	return "%" + r.Replace(strings.ToLower(strings.TrimSpace(text))) + "%"
}

// LikeAny is a Search condition over columns: any of them holds the text.
func LikeAny(cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "lower(" + c + ") LIKE ? ESCAPE '\\'"
	}
	return strings.Join(parts, " OR ")
}

// Marks is n comma-separated "?" for an IN (…) list of n values.
func Marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
