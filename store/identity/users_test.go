package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/identity"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/bcrypt"
)

// fixture is the station users of a store (SQLite or PostgreSQL), with
// operators ann and bob.
type fixture struct {
	users    *identity.StationUsers
	clock    *storetest.Clock
	ann, bob core.Actor
}

func newFixture(t *testing.T, p storetest.Place) *fixture {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	st, err := store.Open(context.Background(), p.Path, store.Options{Driver: p.Driver, DSN: p.DSN,
		Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(), Now: c.Now, PasswordCost: bcrypt.MinCost,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{users: st.StationUsers, clock: c}
	for i, name := range []string{"ann", "bob"} {
		u := &identity.User{Username: name, Role: identity.RoleOperator}
		must(t, f.users.CreateUser(context.Background(), u, "correct horse battery", core.Actor{Name: "setup"}))
		a := core.Actor{ID: u.ID, Name: u.Username, Role: u.Role}
		if i == 0 {
			f.ann = a
		} else {
			f.bob = a
		}
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoginSessionsAndLockout(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, p storetest.Place) {
		f := newFixture(t, p)
		ctx := context.Background()
		if _, _, err := f.users.Login(ctx, "ann", "wrong password!", "127.0.0.1", time.Hour); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := f.users.Login(ctx, "nobody", "correct horse battery", "127.0.0.1", time.Hour); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("no such user: %v", err)
		}
		token, sess, err := f.users.Login(ctx, "ANN", "correct horse battery", "127.0.0.1", time.Hour)
		must(t, err)
		if sess.User.Username != "ann" || len(token) < 40 || sess.CSRFToken == "" {
			t.Fatalf("session %+v", sess)
		}
		got, err := f.users.SessionFor(ctx, token)
		must(t, err)
		if got.User.ID != f.ann.ID || !got.CSRFMatches(sess.CSRFToken) || got.CSRFMatches("x") {
			t.Fatalf("session lookup %+v", got)
		}
		f.clock.Add(time.Hour)
		if _, err := f.users.SessionFor(ctx, token); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		token, _, err = f.users.Login(ctx, "ann", "correct horse battery", "127.0.0.1", time.Hour)
		must(t, err)
		disabled := true
		_, err = f.users.UpdateUser(ctx, f.ann.ID, identity.UserChange{Disabled: &disabled}, core.Actor{Name: "admin"})
		must(t, err)
		if _, err := f.users.SessionFor(ctx, token); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("session of a disabled user: %v", err)
		}
		if _, _, err := f.users.Login(ctx, "ann", "correct horse battery", "127.0.0.1", time.Hour); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("disabled user logged in: %v", err)
		}
		var fe *core.FieldError
		if err := f.users.CreateUser(ctx, &identity.User{Username: "cy", Role: identity.RoleOperator}, "short", core.Actor{}); !errors.As(err, &fe) || fe.Field != "password" {
			t.Fatalf("short password: %v", err)
		}
		if err := f.users.CreateUser(ctx, &identity.User{Username: "ann", Role: identity.RoleOperator}, "correct horse battery", core.Actor{}); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("duplicate user: %v", err)
		}
		audit, err := f.users.Audit(ctx, 0, 100)
		must(t, err)
		var kinds []string
		for _, a := range audit {
			kinds = append(kinds, a.Action)
			if strings.Contains(a.Detail, "correct horse") {
				t.Fatal("a password reached the audit log")
			}
		}
		if !strings.Contains(strings.Join(kinds, " "), "login.failed") {
			t.Fatalf("audit %v", kinds)
		}
	})
}

// TestFailedLoginAuditCanBeWithheld: a login whose evidence quota is used
// up is refused as any other, and leaves no audit row; the user names kept
// are cut to a bounded length.
func TestFailedLoginAuditCanBeWithheld(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, p storetest.Place) {
		f := newFixture(t, p)
		ctx := context.Background()
		before, err := f.users.Audit(ctx, 0, 100)
		must(t, err)
		if _, _, err := f.users.Login(core.WithoutFailedLoginAudit(ctx), "ann", "wrong password!", "127.0.0.1", time.Hour); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if after, err := f.users.Audit(ctx, 0, 100); err != nil || len(after) != len(before) {
			t.Fatalf("withheld failure audited: %d rows before, %d after, %v", len(before), len(after), err)
		}
		if _, _, err := f.users.Login(ctx, strings.Repeat("x", 200), "wrong password!", "127.0.0.1", time.Hour); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("long name: %v", err)
		}
		after, err := f.users.Audit(ctx, 0, 1)
		must(t, err)
		if len(after) != 1 || after[0].Action != "login.failed" || len(after[0].UserName) > 64+len("…") {
			t.Fatalf("failed login row %+v", after)
		}
	})
}
