package core

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAuditNameCutsOnARune(t *testing.T) {
	if got := AuditName("ann"); got != "ann" {
		t.Fatalf("short name %q", got)
	}
	long := strings.Repeat("a", 63) + "é" + "b"
	got := AuditName(long)
	if got != strings.Repeat("a", 63)+"…" {
		t.Fatalf("cut %q", got)
	}
}

func TestCarryActor(t *testing.T) {
	ctx := WithActor(WithActorName(context.Background(), "ann"), Actor{ID: 7, Name: "ann", RemoteAddr: "10.0.0.1"})
	to := CarryActor(ctx)(context.Background())
	if ActorName(to) != "ann" || ActorFrom(to).ID != 7 || ActorFrom(to).RemoteAddr != "10.0.0.1" {
		t.Fatalf("carried %q %+v", ActorName(to), ActorFrom(to))
	}
	if ActorName(context.Background()) != "station" || ActorFrom(context.Background()).Name != "station" {
		t.Fatal("no actor is not the station")
	}
}

func TestErrors(t *testing.T) {
	if err := OneOf("role", "x", []string{"a", "b"}); !errors.Is(err, ErrInvalid) || err.Error() != "role: must be one of a, b" {
		t.Fatalf("OneOf: %v", err)
	}
	if !errors.Is(&ConflictError{Msg: "taken"}, ErrConflict) {
		t.Fatal("conflict is not ErrConflict")
	}
	for n, want := range map[int]int{0: 100, -1: 100, 5: 5, MaxListLimit + 1: MaxListLimit} {
		if got := ClampLimit(n); got != want {
			t.Errorf("ClampLimit(%d) = %d, want %d", n, got, want)
		}
	}
}
