package store

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestIdentifierLookupSetAndRegenerate: station staff find a record by its
// identifier (with or without punctuation), give it another (unique) one
// or a new random one; each change is audited with before and after, and
// the portal log-in follows it.
func TestIdentifierLookupSetAndRegenerate(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	admin := Actor{Name: "admin"}
	must(t, f.s.CreatePortalUser(ctx, &PortalUser{Scope: ScopeOf("site", f.site.ID), Kind: PortalManager, Username: "boss"},
		"boss's long password", admin))

	c, err := f.s.LookupIdentifier(ctx, "+49 30 123 456")
	must(t, err)
	if c.Kind != "site" || c.ID != f.site.ID || c.Name != "Branch 7 Main St" || c.Identifier != "+4930123456" || c.Scope != ScopeOf("site", f.site.ID) {
		t.Fatalf("lookup %+v", c)
	}
	if _, err := f.s.LookupIdentifier(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown identifier: %v", err)
	}
	hq, err := f.s.ClientIdentifier(ctx, "customer", 1)
	must(t, err)
	if got, err := f.s.LookupIdentifier(ctx, hq.Identifier); err != nil || got.Scope != "customer:1" {
		t.Fatalf("lookup of the HQ's identifier: %+v %v", got, err)
	}

	var ce *ConflictError
	if _, err := f.s.SetIdentifier(ctx, "customer", 1, "+49 (30) 123-456", admin); !errors.As(err, &ce) || ce.Field != "identifier" {
		t.Fatalf("the site's identifier, punctuated, for the HQ: %v", err)
	}
	var fe *FieldError
	if _, err := f.s.SetIdentifier(ctx, "site", f.site.ID, " ", admin); !errors.As(err, &fe) {
		t.Fatalf("empty identifier: %v", err)
	}
	if _, err := f.s.SetIdentifier(ctx, "branch", 1, "1", admin); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := f.s.SetIdentifier(ctx, "installer", 77, "1", admin); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no such installer: %v", err)
	}
	set, err := f.s.SetIdentifier(WithActorName(ctx, "station:admin"), "site", f.site.ID, "+49 30 777 888", admin)
	must(t, err)
	if set.Identifier != "+49 30 777 888" {
		t.Fatalf("set %+v", set)
	}
	site, err := f.s.Sites.Get(ctx, f.site.ID)
	must(t, err)
	if site.Identifier != "+49 30 777 888" || site.UpdatedBy != "station:admin" {
		t.Fatalf("the site after the change: %+v", site)
	}
	if _, _, err := f.s.PortalLogin(ctx, "4930777888", "boss", "boss's long password", "", time.Minute); err != nil {
		t.Fatalf("log in with the new identifier: %v", err)
	}
	if _, _, err := f.s.PortalLogin(ctx, "+4930123456", "boss", "boss's long password", "", time.Minute); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("log in with the old identifier: %v", err)
	}

	regen, err := f.s.RegenerateIdentifier(ctx, "site", f.site.ID, admin)
	must(t, err)
	if !regexp.MustCompile(`^[1-9][0-9]{8}$`).MatchString(regen.Identifier) {
		t.Fatalf("regenerated %q", regen.Identifier)
	}
	if got, err := f.s.LookupIdentifier(ctx, regen.Identifier); err != nil || got.ID != f.site.ID {
		t.Fatalf("lookup of the new identifier: %+v %v", got, err)
	}
	entries, err := f.s.Audit(ctx, 0, 100)
	must(t, err)
	var changes []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "identifier.") {
			changes = append(changes, e.Action+" "+e.Target+" "+e.Detail)
		}
	}
	want := []string{
		`identifier.regenerate site:1 {"after":"` + regen.Identifier + `","before":"+49 30 777 888"}`,
		`identifier.set site:1 {"after":"+49 30 777 888","before":"+4930123456"}`,
	}
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
}

// TestEmulateAtAnIdentifier: station staff acting as a customer's account
// manager may open the portal at a customer or site within its scope, by
// the identifier; the session sees that scope only; an identifier outside
// the user's scope is refused. Audited with the scope opened.
func TestEmulateAtAnIdentifier(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	admin := Actor{Name: "admin"}
	region, err := f.s.ClientIdentifier(ctx, "customer", 2) // Bank North, below the HQ
	must(t, err)
	other := &Customer{Name: "Another bank"}
	must(t, f.s.Customers.Create(ctx, other))
	hqBoss := &PortalUser{Scope: "customer:1", Kind: PortalManager, Username: "cso"}
	branchBoss := &PortalUser{Scope: "customer:3", Kind: PortalManager, Username: "branch"}
	for _, u := range []*PortalUser{hqBoss, branchBoss} {
		must(t, f.s.CreatePortalUser(ctx, u, "a long password", admin))
	}

	scopes, err := f.s.PortalScopes(ctx, hqBoss)
	must(t, err)
	var names []string
	for _, c := range scopes {
		names = append(names, c.Scope)
	}
	if got := strings.Join(names, " "); got != "customer:1 customer:2 customer:3 site:1 site:2" {
		t.Fatalf("the HQ manager's scopes: %s", got)
	}

	token, sess, err := f.s.EmulatePortalUserAt(ctx, hqBoss.ID, "+49 30 123-456", admin, time.Hour)
	must(t, err)
	if sess.Scope != ScopeOf("site", f.site.ID) || sess.User.Scope != "customer:1" || sess.EmulatedBy != "admin" {
		t.Fatalf("session %+v", sess)
	}
	back, err := f.s.PortalSessionFor(ctx, token)
	must(t, err)
	if back.Scope != ScopeOf("site", f.site.ID) || back.User.Scope != "customer:1" {
		t.Fatalf("session read back: scope %s, user's %s", back.Scope, back.User.Scope)
	}
	sites, err := f.s.PortalSites(ctx, back.Scope)
	must(t, err)
	if len(sites) != 1 || sites[0].ID != f.site.ID {
		t.Fatalf("the session's sites: %+v", sites)
	}
	token, _, err = f.s.EmulatePortalUserAt(ctx, hqBoss.ID, region.Identifier, admin, time.Hour)
	must(t, err)
	if back, _ := f.s.PortalSessionFor(ctx, token); back.Scope != "customer:2" {
		t.Fatalf("opened at the region: %s", back.Scope)
	}
	// The user's own identifier, or none, opens its own scope.
	hq, _ := f.s.ClientIdentifier(ctx, "customer", 1)
	for _, ident := range []string{hq.Identifier, ""} {
		token, _, err = f.s.EmulatePortalUserAt(ctx, hqBoss.ID, ident, admin, time.Hour)
		must(t, err)
		if back, _ := f.s.PortalSessionFor(ctx, token); back.Scope != "customer:1" {
			t.Fatalf("opened at %q: %s", ident, back.Scope)
		}
	}
	// A branch's manager cannot be opened at the region above it, nor
	// anyone at another client or at an identifier nobody has.
	for _, c := range []struct {
		user  int64
		ident string
	}{{branchBoss.ID, region.Identifier}, {hqBoss.ID, other.Identifier}, {hqBoss.ID, "000"}} {
		var fe *FieldError
		if _, _, err := f.s.EmulatePortalUserAt(ctx, c.user, c.ident, admin, time.Hour); !errors.As(err, &fe) || fe.Field != "identifier" {
			t.Errorf("user %d at %s: %v", c.user, c.ident, err)
		}
	}
	entries, err := f.s.Audit(ctx, 0, 100)
	must(t, err)
	var opened []string
	for _, e := range entries {
		if e.Action == "portal.emulate" {
			opened = append(opened, e.Detail)
		}
	}
	if len(opened) != 4 || !strings.Contains(opened[3], `"opened_at":"site:1"`) || !strings.Contains(opened[3], `"scope":"customer:1"`) {
		t.Fatalf("emulations audited: %v", opened)
	}
}
