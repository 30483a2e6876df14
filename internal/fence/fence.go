// Package fence carries the authority a singleton job runs under (its
// lease, daemon/cluster) in the job's context, for the services that act
// outside the database (an output's send, a report's mail) to check just
// before they act: a node paused past its lease finds it gone when it
// resumes, and sends nothing under it.
package fence

import (
	"context"
	"errors"
)

// An Authority is a job's lease.
type Authority interface {
	// Valid tells that the authority is still this node's.
	Valid() bool
}

// ErrLost is the error of an effect not made because the job's authority
// is no longer this node's.
var ErrLost = errors.New("the job's lease is no longer this node's")

type key struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Authority) context.Context { return context.WithValue(ctx, key{}, a) }

// Check is nil while the authority ctx carries is valid, or when it
// carries none (a job that needs none: a single node), and ErrLost once
// it is not.
func Check(ctx context.Context) error {
	if a, ok := ctx.Value(key{}).(Authority); ok && !a.Valid() {
		return ErrLost
	}
	return nil
}

// A Lease is an Authority the database knows: the job it runs and the
// epoch the database gave it (a fencing token), which a write checks in
// its own transaction.
type Lease interface {
	Authority
	Job() string
	Epoch() int64
}

// LeaseOf returns the lease ctx carries, nil when it carries none (a
// single node runs its jobs without leases).
func LeaseOf(ctx context.Context) Lease {
	l, _ := ctx.Value(key{}).(Lease)
	return l
}
