package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
)

// numberedDialect renders placeholders numbered, as PostgreSQL's "$1"
// but in SQLite's own "?1" form, so that the engine can run what it
// rebinds; it records each query it rebinds.
type numberedDialect struct {
	mu       sync.Mutex
	rebound  []string
	fallback core.Dialect
}

func (*numberedDialect) Name() string { return "numbered" }
func (d *numberedDialect) Rebind(q string) string {
	out := core.RebindNumbered(q, "?")
	d.mu.Lock()
	d.rebound = append(d.rebound, out)
	d.mu.Unlock()
	return out
}
func (d *numberedDialect) Least(a, b string) string    { return d.fallback.Least(a, b) }
func (d *numberedDialect) Greatest(a, b string) string { return d.fallback.Greatest(a, b) }

// pairs inserts each item, a [2]string of id and note, with ExecContext
// on the batch's Tx.
type pairs struct{}

const insertPair = `INSERT INTO notes (note, id) VALUES (?, ?)`

func (pairs) Statements() []string { return []string{`INSERT INTO items (name) VALUES (?)`} }
func (pairs) WriteBatch(ctx context.Context, tx *engine.Tx, list []any, ids []int64) error {
	for i, it := range list {
		p := it.([2]any)
		res, err := tx.ExecContext(ctx, insertPair, p[1], p[0])
		if err != nil {
			return err
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return err
		}
		var note string
		if err := tx.QueryRowContext(ctx, `SELECT note FROM notes WHERE id = ? AND note = ?`, p[0], p[1]).Scan(&note); err != nil {
			return err
		}
	}
	return nil
}
func (pairs) Committed([]any) {}
func (pairs) Released([]any)  {}

// TestEveryQueryIsReboundForTheDialect: SQLite's dialect leaves "?" as
// written and the engine opens its pools on the driver itself; with
// another dialect, every query of every path (the writer's prepared
// statements, a transaction of its own, the read pool) runs as the
// dialect rebinds it.
func TestEveryQueryIsReboundForTheDialect(t *testing.T) {
	ctx := context.Background()
	q := `UPDATE t SET a = ? WHERE b = '?' AND c = ?`
	if Dialect.Rebind(q) != q || Dialect.Name() != "sqlite" || Dialect.Least("a", "?") != "min(a, ?)" || Dialect.Greatest("a", "b") != "max(a, b)" {
		t.Fatal("SQLite's dialect changed a query")
	}
	plain := openStarted(t, filepath.Join(t.TempDir(), FileName), &items{})
	if plain.Dialect() != Dialect || plain.Rebind(q) != q {
		t.Fatal("the engine's dialect is not SQLite's")
	}

	d := &numberedDialect{fallback: Dialect}
	o := testOptions(t, testMigrations)
	o.Dialect = d
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(ctx, pairs{}); err != nil {
		db.Abort()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if db.Dialect() != d {
		t.Fatal("the engine's dialect is not the one opened with")
	}
	for i, note := range []string{"one", "two?"} {
		id, err := db.Submit(ctx, [2]any{int64(10 + i), note})
		if err != nil {
			t.Fatal(err)
		}
		if id != int64(10+i) {
			t.Fatalf("id %d, want %d", id, 10+i)
		}
	}
	if err := db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notes SET note = ? || note WHERE id = ?`, "re: ", 11)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var note string
	if err := db.Read().QueryRowContext(ctx, `SELECT note FROM notes WHERE id = ? AND ? = 1`, 11, 1).Scan(&note); err != nil || note != "re: two?" {
		t.Fatalf("stored %q, %v", note, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, want := range []string{
		`INSERT INTO items (name) VALUES (?1)`,               // prepared at Start
		`INSERT INTO notes (note, id) VALUES (?1, ?2)`,       // the batch's ExecContext
		`SELECT note FROM notes WHERE id = ?1 AND note = ?2`, // the batch's QueryRowContext
		`UPDATE notes SET note = ?1 || note WHERE id = ?2`,   // a transaction of its own
		`SELECT note FROM notes WHERE id = ?1 AND ?2 = 1`,    // the read pool
	} {
		if !slices.Contains(d.rebound, want) {
			t.Errorf("%q was not run rebound; rebound: %q", want, d.rebound)
		}
	}
}
