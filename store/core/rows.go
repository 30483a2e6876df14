package core

import "database/sql"

// RowScanner is what a row scan reads from: *sql.Rows and *sql.Row.
type RowScanner interface{ Scan(...any) error }

// AppendRows appends every row of rows, read by scan, to dst and closes
// rows. The error is the first of a scan or of the iteration; dst decides
// what no rows give (nil, or an empty list that JSON shows as []).
func AppendRows[T any](dst []T, rows *sql.Rows, scan func(RowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return dst, nil
}
