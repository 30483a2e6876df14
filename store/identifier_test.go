package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestIdentifiersCompareWithoutPunctuation: login, uniqueness and lookups
// compare the key, so "+1 312 555 0101" is "13125550101".
func TestIdentifiersCompareWithoutPunctuation(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	site := *f.site
	site.Identifier = "+1 312 555 0101"
	must(t, f.s.Sites.Update(ctx, site.ID, &site))
	must(t, f.s.CreatePortalUser(ctx, &PortalUser{Scope: ScopeOf("site", site.ID), Kind: PortalManager, Username: "boss"},
		"the boss's password", Actor{Name: "admin"}))
	if _, _, err := f.s.PortalLogin(ctx, "13125550101", "boss", "the boss's password", "127.0.0.1", time.Hour); err != nil {
		t.Fatalf("login without punctuation: %v", err)
	}
	for _, rec := range []error{
		f.s.Customers.Create(ctx, &Customer{Name: "X", Identifier: "1-312-555-0101"}),
		f.s.Installers.Create(ctx, &Installer{Name: "X", Identifier: "(1) 312 555 0101"}),
		f.s.Sites.Create(ctx, &Site{CustomerID: f.site2.CustomerID, Name: "X", Identifier: "13125550101"}),
	} {
		if !errors.Is(rec, ErrConflict) {
			t.Errorf("the same number in another form: %v", rec)
		}
	}
	got, err := f.s.Sites.List(ctx, ListOptions{Where: map[string]any{"identifier": "1 312 5550101"}})
	must(t, err)
	if len(got) != 1 || got[0].ID != site.ID || got[0].Identifier != "+1 312 555 0101" {
		t.Fatalf("lookup: %+v", got)
	}
}

// TestIdentifierClashesFromBeforeAreNamed: two identifiers stored before
// keys existed that differ only in punctuation: the second keeps no key,
// logs in as written, and is named at start-up.
func TestIdentifierClashesFromBeforeAreNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	must(t, err)
	ctx := context.Background()
	c := &Customer{Name: "C", Identifier: "312-555-0101"}
	must(t, s.Customers.Create(ctx, c))
	site := &Site{CustomerID: c.ID, Name: "S", Identifier: "555 0199"}
	must(t, s.Sites.Create(ctx, site))
	must(t, s.CreatePortalUser(ctx, &PortalUser{Scope: ScopeOf("site", site.ID), Kind: PortalManager, Username: "boss"},
		"the boss's password", Actor{Name: "admin"}))
	// As migration 0012 leaves a clash: the site took the identifier the
	// customer has, in another form, and keeps no key.
	must(t, s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sites SET identifier = '3125550101', identifier_key = '' WHERE id = ?`, site.ID)
		return err
	}))
	must(t, s.Close())
	core, logs := observer.New(zap.WarnLevel)
	s, err = Open(context.Background(), path, Options{Logger: zap.New(core), Registerer: prometheus.NewRegistry()})
	must(t, err)
	defer s.Close()
	warned := logs.FilterMessageSnippet("differ from another record's only in").All()
	if len(warned) != 1 || warned[0].ContextMap()["count"] != int64(1) {
		t.Fatalf("warnings %+v", warned)
	}
	if _, _, err := s.PortalLogin(ctx, "3125550101", "boss", "the boss's password", "127.0.0.1", time.Hour); err != nil {
		t.Fatalf("the site's users log in with it as written: %v", err)
	}
	// An edit that keeps the identifier is not refused for the clash.
	got, err := s.Sites.Get(ctx, site.ID)
	must(t, err)
	got.Notes = "x"
	must(t, s.Sites.Update(ctx, site.ID, got))
}
