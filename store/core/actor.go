package core

import "context"

// Actor is who makes a change or a queue step: a station user, or the API
// token.
type Actor struct {
	ID         int64  // 0 for the API token
	Name       string // user name, "api" for the token
	Role       string
	RemoteAddr string
}

type actorNameKey struct{}

// WithActorName makes record changes made with ctx carry who made them
// (created_by, updated_by): a portal user's name, or a station user's.
func WithActorName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorNameKey{}, name)
}

// ActorName is the name WithActorName put on ctx, "station" without one.
func ActorName(ctx context.Context) string {
	if n, ok := ctx.Value(actorNameKey{}).(string); ok && n != "" {
		return n
	}
	return "station"
}

type actorKey struct{}

// WithActor makes the changes made with ctx audited as actor's: user id,
// name and address in each audit entry the store writes for a record
// change. Without it, an entry names the actor name of WithActorName.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is who makes the changes of ctx.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: ActorName(ctx)}
}

// CarryActor returns a function that puts ctx's actor on another context:
// the writer runs changes on its own context.
func CarryActor(ctx context.Context) func(context.Context) context.Context {
	name := ActorName(ctx)
	a, ok := ctx.Value(actorKey{}).(Actor)
	return func(to context.Context) context.Context {
		to = WithActorName(to, name)
		if ok {
			to = WithActor(to, a)
		}
		return to
	}
}
