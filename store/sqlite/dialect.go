package sqlite

import "github.com/alarmrx/alarmrx/store/core"

// Dialect is SQLite's SQL: "?" placeholders as written, and the scalar
// min and max.
var Dialect core.Dialect = dialect{}

type dialect struct{}

func (dialect) Name() string                { return "sqlite" }
func (dialect) Rebind(query string) string  { return query }
func (dialect) Least(a, b string) string    { return "min(" + a + ", " + b + ")" }
func (dialect) Greatest(a, b string) string { return "max(" + a + ", " + b + ")" }

// Dialect returns the engine's SQL dialect, for the domain parts that
// build a statement with a construct that differs between engines; the
// placeholders of every query are rebound by the pools' connections.
func (db *DB) Dialect() core.Dialect { return db.dialect }

// Rebind rewrites a query written with "?" placeholders for the engine.
func (db *DB) Rebind(query string) string { return db.dialect.Rebind(query) }
