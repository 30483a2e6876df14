package postgres

import "github.com/alarmrx/alarmrx/store/core"

// Dialect is PostgreSQL's SQL: "$1" placeholders, LEAST and GREATEST, and
// Go bools bound as the 0 and 1 the schema's integer flags hold.
var Dialect core.Dialect = dialect{}

type dialect struct{}

func (dialect) Name() string                { return "postgres" }
func (dialect) Rebind(query string) string  { return core.RebindNumbered(query, "$") }
func (dialect) Least(a, b string) string    { return "LEAST(" + a + ", " + b + ")" }
func (dialect) Greatest(a, b string) string { return "GREATEST(" + a + ", " + b + ")" }

// BindsArrays: pgx binds a Go slice as an array (core.ArrayBinder).
func (dialect) BindsArrays() bool { return true }

// ConvertArg binds a bool as an integer: the flags are integer columns in
// both engines' schemas, so that one query text (test = 1) serves both.
func (dialect) ConvertArg(v any) any {
	if b, ok := v.(bool); ok {
		if b {
			return int64(1)
		}
		return int64(0)
	}
	return v
}
