package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/records"
)

// Client is a site, customer or installer seen by its identifier, as the
// records part keeps it.
type Client = records.Client

// ClientKinds are the kinds of record that have an identifier, in the
// order a log-in looks them up.
var ClientKinds = records.ClientKinds

// PortalScopes lists what a portal user's portal may be opened at: its own
// scope first, then, for a customer's user, every customer below it and
// every site of them all; for an installer's, every site it installed (the
// sites PortalSites gives). A site's user has its site only.
func (s *Store) PortalScopes(ctx context.Context, u *PortalUser) ([]Client, error) {
	kind, id, err := ParseScope(u.Scope)
	if err != nil {
		return nil, err
	}
	own, err := s.ClientIdentifier(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	out := []Client{*own}
	if kind == "site" {
		return out, nil
	}
	if kind == "customer" {
		rows, err := s.rdb.QueryContext(ctx, `WITH RECURSIVE tree(id) AS (
				SELECT CAST(? AS bigint) UNION SELECT c.id FROM customers c JOIN tree ON c.parent_id = tree.id)
			SELECT id, name, identifier FROM customers WHERE id IN (SELECT id FROM tree) AND id <> ? ORDER BY id`, id, id)
		if err != nil {
			return nil, fmt.Errorf("store: portal scopes: %w", err)
		}
		if out, err = core.AppendRows(out, rows, func(sc core.RowScanner) (Client, error) {
			c := Client{Kind: "customer"}
			err := sc.Scan(&c.ID, &c.Name, &c.Identifier)
			c.Scope = ScopeOf("customer", c.ID)
			return c, err
		}); err != nil {
			return nil, fmt.Errorf("store: portal scopes: %w", err)
		}
	}
	sites, err := s.PortalSites(ctx, u.Scope)
	if err != nil {
		return nil, err
	}
	for _, x := range sites {
		out = append(out, Client{Kind: "site", ID: x.ID, Name: x.Name, Identifier: x.Identifier, Scope: ScopeOf("site", x.ID)})
	}
	return out, nil
}

// EmulatePortalUserAt opens a session as a portal user for a station user,
// as EmulatePortalUser does, seeing the record an identifier names: the
// user's own scope or one within it (PortalScopes), so that a customer's
// account manager is seen at one of its sites or customers below. ""
// opens at the user's own scope. Audited as portal.emulate with the scope
// opened.
func (s *Store) EmulatePortalUserAt(ctx context.Context, id int64, identifier string, by Actor, ttl time.Duration) (string, *PortalSession, error) {
	u, err := s.PortalUser(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(identifier) == "" {
		return s.portalSession(ctx, u, by.Name, "", ttl, by, "portal.emulate", nil)
	}
	c, err := s.LookupIdentifier(ctx, identifier)
	if errors.Is(err, ErrNotFound) {
		return "", nil, core.Invalid("identifier", "no site, customer or installer has the identifier %q", identifier)
	}
	if err != nil {
		return "", nil, err
	}
	scopes, err := s.PortalScopes(ctx, u)
	if err != nil {
		return "", nil, err
	}
	if !slices.ContainsFunc(scopes, func(x Client) bool { return x.Scope == c.Scope }) {
		return "", nil, core.Invalid("identifier", "%s is the identifier of %s %d (%s), outside portal user %s's scope %s",
			identifier, c.Kind, c.ID, c.Name, u.Username, u.Scope)
	}
	at := c.Scope
	if at == u.Scope {
		at = ""
	}
	return s.portalSession(ctx, u, by.Name, at, ttl, by, "portal.emulate", map[string]any{"opened_at": c.Scope, "identifier": c.Identifier})
}
