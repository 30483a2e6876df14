package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/alarmrx/alarmrx/store/core"
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
func (pairs) WriteBatch(ctx context.Context, tx *Tx, list []any, ids []int64) error {
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

// TestWriterRebindsForItsDialect: the engine is SQLite's dialect, whose
// Rebind leaves "?" as written; the writer prepares every statement
// through the engine's dialect, once, so that another dialect's
// placeholders are what runs.
func TestWriterRebindsForItsDialect(t *testing.T) {
	ctx := context.Background()
	q := `UPDATE t SET a = ? WHERE b = '?' AND c = ?`
	if Dialect.Rebind(q) != q || Dialect.Name() != "sqlite" || Dialect.Least("a", "?") != "min(a, ?)" || Dialect.Greatest("a", "b") != "max(a, b)" {
		t.Fatal("SQLite's dialect changed a query")
	}
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName), testOptions(t, testMigrations))
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect() != Dialect || db.Rebind(q) != q {
		t.Fatal("the engine's dialect is not SQLite's")
	}
	d := &numberedDialect{fallback: Dialect}
	db.dialect = d
	if err := db.Start(ctx, pairs{}); err != nil {
		db.Abort()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for i, note := range []string{"one", "two?"} {
		id, err := db.Submit(ctx, [2]any{int64(10 + i), note})
		if err != nil {
			t.Fatal(err)
		}
		if id != int64(10+i) {
			t.Fatalf("id %d, want %d", id, 10+i)
		}
	}
	var note string
	if err := db.Read().QueryRow(`SELECT note FROM notes WHERE id = 11`).Scan(&note); err != nil || note != "two?" {
		t.Fatalf("stored %q, %v", note, err)
	}
	want := []string{`INSERT INTO items (name) VALUES (?1)`, `INSERT INTO notes (note, id) VALUES (?1, ?2)`,
		`SELECT note FROM notes WHERE id = ?1 AND note = ?2`}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.rebound) != len(want) {
		t.Fatalf("rebound %q, want each statement once: %q", d.rebound, want)
	}
	for i := range want {
		if d.rebound[i] != want[i] {
			t.Errorf("rebound %q, want %q", d.rebound[i], want[i])
		}
	}
}
