package store

import (
	"context"
	"database/sql"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
)

// The store's engines (store.driver).
const (
	DriverSQLite   = "sqlite"   // one node, an embedded file in the data directory (the default)
	DriverPostgres = "postgres" // a PostgreSQL database (store.dsn)
)

// engineDB is what the store needs of an engine: store/sqlite's DB and
// store/postgres's DB both are one. The writer (Submit, Write, WriteThen,
// Healthy, InjectFault) is store/engine's in both.
type engineDB interface {
	Setup() *sql.DB
	Read() core.Reader
	SetReadBarrier(func(context.Context))
	Start(context.Context, engine.Batcher) error
	Submit(ctx context.Context, item any) (int64, error)
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	WriteThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error
	Healthy() (bool, string)
	Ping(context.Context) error
	InjectFault(func() error)
	Close() error
	Abort()
	Dialect() core.Dialect
	Fenced() error
	Damaged(error) error
	Created() bool
	Path() string
	FileBytes() int64
	IsStorageFailure(error) bool
}

// vacuumer is an engine whose file the store shrinks itself (SQLite's
// incremental vacuum); PostgreSQL's autovacuum is the database's own.
type vacuumer interface {
	AutoVacuum(context.Context) (int, error)
	FreePages(context.Context) (int64, error)
	IncrementalVacuum(ctx context.Context, pages int) (int64, error)
}
