package store

import (
	"context"
	"database/sql"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// The generic record table lives in store/records; these are its names
// here.
type (
	// Records is the create/read/update/delete surface of one record kind.
	Records[T any] = records.Records[T]
	// ListOptions select records: Where maps filter columns (see Filters)
	// to values; AfterID and Limit page through by id.
	ListOptions = records.ListOptions
	// queryer reads a row: the read pool, or a change's transaction.
	queryer = records.Queryer
)

// exists checks that a referenced record is there (core.Exists).
func exists(ctx context.Context, tx *sql.Tx, tableName string, id int64, field, label string) error {
	return core.Exists(ctx, tx, tableName, id, field, label)
}
