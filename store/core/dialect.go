package core

import (
	"strconv"
	"strings"
)

// Dialect is what differs in SQL between the engines the store may stand
// on. The domain parts write their queries once, with "?" placeholders
// and portable SQL (ON CONFLICT … DO NOTHING / DO UPDATE … excluded.x,
// coalesce, WITH RECURSIVE); the engine rebinds the placeholders, and the
// few constructs that are not portable come from the dialect.
type Dialect interface {
	// Name is the engine's name: "sqlite".
	Name() string
	// Rebind rewrites a query written with "?" placeholders into the
	// engine's (identity for SQLite; "$1, $2" for PostgreSQL).
	Rebind(query string) string
	// Least and Greatest are the scalar minimum and maximum of two SQL
	// expressions: SQLite's min(a, b) and max(a, b), LEAST and GREATEST
	// elsewhere.
	Least(a, b string) string
	Greatest(a, b string) string
}

// ArrayBinder is a Dialect whose driver binds a Go slice as an SQL array
// (PostgreSQL's): a batch of rows then goes in one statement (unnest),
// one round trip to the database instead of one a row.
type ArrayBinder interface {
	BindsArrays() bool
}

// BindsArrays says whether d binds slices as arrays (ArrayBinder).
func BindsArrays(d Dialect) bool {
	a, ok := d.(ArrayBinder)
	return ok && a.BindsArrays()
}

// RebindNumbered rewrites each "?" placeholder of query into prefix and
// its 1-based position ("$1", "$2" with prefix "$"), and a numbered one
// ("?3", which SQLite reads as the third argument, for a query that binds
// one argument twice) into prefix and its number. A "?" inside a quoted
// string or identifier, or a comment, is text and stays.
func RebindNumbered(query, prefix string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			// Copy through the closing quote; a doubled quote is an
			// escaped one and keeps the literal open.
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			end := strings.Index(query[i+2:], "*/")
			stop := len(query)
			if end >= 0 {
				stop = i + 2 + end + 2
			}
			b.WriteString(query[i:stop])
			i = stop - 1
		case c == '?' && i+1 < len(query) && '0' <= query[i+1] && query[i+1] <= '9':
			j := i + 1
			for j < len(query) && '0' <= query[j] && query[j] <= '9' {
				j++
			}
			b.WriteString(prefix)
			b.WriteString(query[i+1 : j])
			i = j - 1
		case c == '?':
			n++
			b.WriteString(prefix)
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
