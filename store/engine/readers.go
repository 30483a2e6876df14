package engine

import (
	"context"
	"database/sql"
)

// Readers is an engine's read pool behind the store's read barrier: the
// store's wait for its projection, so that a read sees every frame
// acknowledged before it.
type Readers struct {
	Pool    *sql.DB
	Barrier func(context.Context)
}

func (r *Readers) wait(ctx context.Context) {
	if r.Barrier != nil && ctx.Value(asProjectedKey{}) == nil {
		r.Barrier(ctx)
	}
}

type asProjectedKey struct{}

// AsProjected marks the reads made with ctx as taking what is projected
// as it is, past the barrier: figures recounted after each projection,
// whose wait would only hurry the projection into more, smaller
// transactions.
func AsProjected(ctx context.Context) context.Context {
	return context.WithValue(ctx, asProjectedKey{}, true)
}

func (r *Readers) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.wait(ctx)
	return r.Pool.QueryContext(ctx, query, args...)
}

func (r *Readers) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.wait(ctx)
	return r.Pool.QueryRowContext(ctx, query, args...)
}
