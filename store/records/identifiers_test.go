package records_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
)

// TestIdentifiersAreLookedUpSetAndRegenerated: a record is found by its
// identifier with or without punctuation; another record's identifier is
// refused, an unknown kind or record too; a set or regenerated identifier
// is the record's, who changed a site is recorded, and each change is
// audited with the identifier before and after.
func TestIdentifiersAreLookedUpSetAndRegenerated(t *testing.T) {
	storetest.ForEachDialect(t, testIdentifiersAreLookedUpSetAndRegenerated)
}

func testIdentifiersAreLookedUpSetAndRegenerated(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	admin := core.Actor{Name: "admin"}
	c, err := f.k.LookupIdentifier(ctx, "+49 30 123 456")
	must(t, err)
	if c.Kind != "site" || c.ID != f.site.ID || c.Identifier != "+4930123456" || c.Scope != core.ScopeOf("site", f.site.ID) {
		t.Fatalf("lookup %+v", c)
	}
	if _, err := f.k.LookupIdentifier(ctx, "999"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("unknown identifier: %v", err)
	}
	var ce *core.ConflictError
	if _, err := f.k.SetIdentifier(ctx, "customer", 1, "+49 (30) 123-456", admin); !errors.As(err, &ce) || ce.Field != "identifier" {
		t.Fatalf("the site's identifier, punctuated, for a customer: %v", err)
	}
	var fe *core.FieldError
	if _, err := f.k.SetIdentifier(ctx, "branch", 1, "1", admin); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := f.k.SetIdentifier(ctx, "installer", 77, "1", admin); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("no such installer: %v", err)
	}
	must(t, errOf(f.k.SetIdentifier(core.WithActorName(ctx, "station:admin"), "site", f.site.ID, "+49 30 777 888", admin)))
	site, err := f.k.Sites.Get(ctx, f.site.ID)
	must(t, err)
	if site.Identifier != "+49 30 777 888" || site.UpdatedBy != "station:admin" {
		t.Fatalf("the site after the change: %+v", site)
	}
	regen, err := f.k.RegenerateIdentifier(ctx, "site", f.site.ID, admin)
	must(t, err)
	if !regexp.MustCompile(`^[1-9][0-9]{8}$`).MatchString(regen.Identifier) {
		t.Fatalf("regenerated %q", regen.Identifier)
	}
	if got, err := f.k.ClientIdentifier(ctx, "site", f.site.ID); err != nil || got.Identifier != regen.Identifier {
		t.Fatalf("the site's identifier: %+v %v", got, err)
	}
	rows, err := f.db.Read().QueryContext(context.Background(), `SELECT action, target, detail FROM audit_log WHERE action LIKE 'identifier.%' ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var action, target, detail string
		must(t, rows.Scan(&action, &target, &detail))
		got = append(got, action+" "+target+" "+detail)
	}
	must(t, rows.Err())
	want := []string{
		`identifier.set site:1 {"after":"+49 30 777 888","before":"+4930123456"}`,
		`identifier.regenerate site:1 {"after":"` + regen.Identifier + `","before":"+49 30 777 888"}`,
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

func errOf[T any](_ T, err error) error { return err }
