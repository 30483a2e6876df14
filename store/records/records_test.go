package records_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/records"
)

// installer is a record kind of the test's own on the store's installers
// table, with the e-mail kept as a write-only secret.
type installer struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	Email      string    `json:"email"`
	Identifier string    `json:"identifier"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type noBatches struct{}

func (noBatches) Statements() []string { return nil }
func (noBatches) WriteBatch(context.Context, *engine.Tx, []any, []int64) error {
	return errors.New("no batches here")
}
func (noBatches) Committed([]any) {}
func (noBatches) Released([]any)  {}

type fixture struct {
	db              storetest.Engine
	recs            *records.Records[installer]
	now             time.Time
	storetest.Calls // the hooks the part called, in order
}

func newFixture(t *testing.T, d core.Dialect) *fixture {
	t.Helper()
	db := storetest.StartEngine(t, storetest.NewPlace(t, d), d, store.MigrationsFor(d), noBatches{})
	f := &fixture{db: db, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.recs = records.New(db, func() time.Time { return f.now }, &records.Table[installer]{
		Name: "installers", Label: "installer",
		Columns: []string{"name", "phone", "email", "identifier"},
		Values:  func(i *installer) []any { return []any{i.Name, i.Phone, i.Email, i.Identifier} },
		Scan: func(i *installer) []any {
			return []any{&i.ID, &i.Name, &i.Phone, &i.Email, &i.Identifier, core.NanoTime{T: &i.CreatedAt}, core.NanoTime{T: &i.UpdatedAt}}
		},
		ID: func(i *installer) *int64 { return &i.ID },
		Check: func(_ context.Context, _ *sql.Tx, i, old *installer) error {
			if old == nil {
				f.Hook("check new")
			} else {
				f.Hook("check " + old.Name)
			}
			i.Phone = strings.TrimSpace(i.Phone)
			return core.Required("name", i.Name)
		},
		Filters:  []string{"name", "identifier"},
		FilterAs: map[string]func(string) (string, any){"identifier": func(v string) (string, any) { return "identifier = upper(?)", v }},
		Written: func(context.Context, *sql.Tx, *installer, *installer) error {
			f.Hook("written")
			return nil
		},
		Redact:      func(i *installer) { i.Email = "" },
		Secrets:     []string{"email"},
		AfterCommit: func(old, rec *installer) { f.Hook("after") },
		Stamps:      func(i *installer) (*time.Time, *time.Time) { return &i.CreatedAt, &i.UpdatedAt },
	})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type auditEntry struct{ action, target, before, after string }

func (f *fixture) audit(t *testing.T) []auditEntry {
	t.Helper()
	rows, err := f.db.Read().QueryContext(context.Background(), `SELECT action, target, coalesce(before_json, ''), coalesce(after_json, '') FROM audit_log ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var out []auditEntry
	for rows.Next() {
		var e auditEntry
		must(t, rows.Scan(&e.action, &e.target, &e.before, &e.after))
		out = append(out, e)
	}
	must(t, rows.Err())
	return out
}

// TestRecordsAreCheckedAuditedAndHooked: a change is checked (old given
// on update), written, audited with the fields that differ (a secret as
// "changed", never its value) and followed by AfterCommit; times are the
// clock's, created_at kept on update; reads are redacted; a broken rule
// or a uniqueness conflict is refused and leaves nothing.
func TestRecordsAreCheckedAuditedAndHooked(t *testing.T) {
	storetest.ForEachDialect(t, testRecordsAreCheckedAuditedAndHooked)
}

func testRecordsAreCheckedAuditedAndHooked(t *testing.T, d core.Dialect) {
	f := newFixture(t, d)
	ctx := core.WithActorName(context.Background(), "ann")
	var fe *core.FieldError
	if err := f.recs.Create(ctx, &installer{Phone: "1"}); !errors.As(err, &fe) || fe.Field != "name" {
		t.Fatalf("no name: %v", err)
	}
	a := &installer{Name: "Acme", Phone: " 555 ", Email: "ops@acme.example", Identifier: "ACME"}
	must(t, f.recs.Create(ctx, a))
	if a.ID == 0 || a.Phone != "555" || !a.CreatedAt.Equal(f.now) || !a.UpdatedAt.Equal(f.now) || a.Email != "" {
		t.Fatalf("created: %+v", a)
	}
	if err := f.recs.Create(ctx, &installer{Name: "Copy", Identifier: "ACME"}); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("same identifier: %v", err)
	}
	got, err := f.recs.Get(ctx, a.ID)
	must(t, err)
	if got.Name != "Acme" || got.Email != "" || got.Identifier != "ACME" {
		t.Errorf("get: %+v", got)
	}
	if _, err := f.recs.Get(ctx, a.ID+100); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}

	created := f.now
	f.now = f.now.Add(time.Hour)
	b := &installer{Name: "Acme Ltd", Phone: "555", Email: "new@acme.example", Identifier: "ACME"}
	must(t, f.recs.Update(ctx, a.ID, b))
	if b.ID != a.ID || !b.CreatedAt.Equal(created) || !b.UpdatedAt.Equal(f.now) {
		t.Fatalf("updated: %+v", b)
	}
	var email string
	must(t, f.db.Read().QueryRowContext(context.Background(), `SELECT email FROM installers WHERE id = ?`, a.ID).Scan(&email))
	if email != "new@acme.example" {
		t.Errorf("stored e-mail %q", email)
	}

	for _, o := range []records.ListOptions{{}, {Where: map[string]any{"name": "Acme Ltd"}}, {Where: map[string]any{"identifier": "acme"}}} {
		if list, err := f.recs.List(ctx, o); err != nil || len(list) != 1 || list[0].ID != a.ID || list[0].Email != "" {
			t.Errorf("list %+v: %+v, %v", o, list, err)
		}
	}
	if list, err := f.recs.List(ctx, records.ListOptions{AfterID: a.ID}); err != nil || len(list) != 0 {
		t.Errorf("after: %+v, %v", list, err)
	}
	if _, err := f.recs.List(ctx, records.ListOptions{Where: map[string]any{"phone": "555"}}); !errors.As(err, &fe) || fe.Field != "phone" {
		t.Errorf("not a filter: %v", err)
	}
	if fl := f.recs.Filters(); !slices.Equal(fl, []string{"name", "identifier"}) {
		t.Errorf("filters %q", fl)
	}

	must(t, f.recs.Delete(ctx, a.ID))
	if _, err := f.recs.Get(ctx, a.ID); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}

	want := []string{"check new", "check new", "written", "after", "check new", "check Acme", "written", "after", "written", "after"}
	if c := f.Called(); !slices.Equal(c, want) {
		t.Errorf("hooks %q\nwant %q", c, want)
	}
	log := f.audit(t)
	if len(log) != 3 {
		t.Fatalf("audit: %+v", log)
	}
	target := "installer:" + jsonNumber(a.ID)
	for i, action := range []string{"installer.create", "installer.update", "installer.delete"} {
		if log[i].action != action || log[i].target != target {
			t.Errorf("audit %d: %+v", i, log[i])
		}
	}
	fields := func(s string) map[string]any {
		m := map[string]any{}
		if s != "" {
			must(t, json.Unmarshal([]byte(s), &m))
		}
		return m
	}
	if c := fields(log[0].after); log[0].before != "" || c["name"] != "Acme" || c["email"] != core.Changed || c["id"] != nil {
		t.Errorf("create audit: %+v", log[0])
	}
	if bef, aft := fields(log[1].before), fields(log[1].after); bef["name"] != "Acme" || aft["name"] != "Acme Ltd" ||
		aft["email"] != core.Changed || bef["phone"] != nil || aft["phone"] != nil {
		t.Errorf("update audit: %+v", log[1])
	}
	if log[2].after != "" || fields(log[2].before)["name"] != "Acme Ltd" {
		t.Errorf("delete audit: %+v", log[2])
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
