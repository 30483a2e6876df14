package core

import "testing"

// numbered is a dialect of numbered placeholders, as PostgreSQL's.
type numbered struct{ prefix string }

func (numbered) Name() string                { return "numbered" }
func (d numbered) Rebind(q string) string    { return RebindNumbered(q, d.prefix) }
func (numbered) Least(a, b string) string    { return "LEAST(" + a + ", " + b + ")" }
func (numbered) Greatest(a, b string) string { return "GREATEST(" + a + ", " + b + ")" }

// TestRebindNumbered: each placeholder becomes its position, a numbered
// one its number; a "?" that is text (a string, a quoted name, a comment) stays.
func TestRebindNumbered(t *testing.T) {
	var d Dialect = numbered{prefix: "$"}
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`INSERT INTO outbox (target, signal_id, created_at) VALUES (?,?,?)`,
			`INSERT INTO outbox (target, signal_id, created_at) VALUES ($1,$2,$3)`},
		{`UPDATE t SET a = ?, note = 'why?' WHERE id = ? AND b IN (?, ?)`,
			`UPDATE t SET a = $1, note = 'why?' WHERE id = $2 AND b IN ($3, $4)`},
		{`SELECT "odd?name" FROM t WHERE x = 'it''s ?' AND y = ?`, `SELECT "odd?name" FROM t WHERE x = 'it''s ?' AND y = $1`},
		{"SELECT a -- any?\nFROM t WHERE b = ? /* or? */ AND c = ?", "SELECT a -- any?\nFROM t WHERE b = $1 /* or? */ AND c = $2"},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
		// SQLite's numbered placeholders keep their number: one argument
		// bound twice.
		{`SELECT id FROM sites WHERE installer_id = ?1 UNION SELECT site_id FROM accounts WHERE installer_id = ?1 LIMIT ?12`,
			`SELECT id FROM sites WHERE installer_id = $1 UNION SELECT site_id FROM accounts WHERE installer_id = $1 LIMIT $12`},
	} {
		if got := d.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
	if got := d.Least("priority", d.Rebind("?")); got != "LEAST(priority, $1)" {
		t.Errorf("Least: %q", got)
	}
}
