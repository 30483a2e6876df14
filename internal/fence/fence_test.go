package fence

import (
	"context"
	"errors"
	"testing"
)

type authority struct{ valid bool }

func (a *authority) Valid() bool { return a.valid }

func TestCheck(t *testing.T) {
	if err := Check(context.Background()); err != nil {
		t.Fatalf("no authority: %v, want nil", err)
	}
	a := &authority{valid: true}
	ctx := With(context.Background(), a)
	if err := Check(ctx); err != nil {
		t.Fatalf("valid: %v", err)
	}
	a.valid = false
	if err := Check(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("lapsed: %v, want ErrLost", err)
	}
}
