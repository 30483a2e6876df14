package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/records"
	"github.com/alarmrx/alarmrx/store/sqlite"
)

// Client is a site, customer or installer seen by its identifier: the
// record a portal log-in names (design.md §9).
type Client struct {
	Kind       string `json:"kind"` // site, customer or installer
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Identifier string `json:"identifier"`
	// Scope names the record as portal users' scopes do: site:<id>.
	Scope string `json:"scope"`
}

// ClientKinds are the kinds of record that have an identifier, in the
// order a log-in looks them up.
var ClientKinds = []string{"site", "customer", "installer"}

func clientTable(kind string) (string, error) {
	if !slices.Contains(ClientKinds, kind) {
		return "", invalid("kind", "must be site, customer or installer")
	}
	return kind + "s", nil
}

// LookupIdentifier returns the record an identifier names, compared as a
// portal log-in compares it (IdentifierKey: "+1 312 555 0101" is
// "13125550101"): the record whose users log in with it. None is
// ErrNotFound.
func (s *Store) LookupIdentifier(ctx context.Context, identifier string) (*Client, error) {
	identifier = strings.TrimSpace(identifier)
	key := IdentifierKey(identifier)
	for _, kind := range ClientKinds {
		c := Client{Kind: kind}
		// An identifier left without a key (one that differed from another
		// only in punctuation when keys were introduced) matches as
		// written.
		err := s.rdb.QueryRowContext(ctx, `SELECT id, name, identifier FROM `+kind+`s WHERE (identifier_key = ?1 AND identifier_key <> '')
			OR (identifier_key = '' AND identifier = ?2 AND identifier <> '') ORDER BY identifier_key DESC LIMIT 1`,
			key, identifier).Scan(&c.ID, &c.Name, &c.Identifier)
		if err == nil {
			c.Scope = ScopeOf(kind, c.ID)
			return &c, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: identifier: %w", err)
		}
	}
	return nil, fmt.Errorf("%w: no site, customer or installer has the identifier %q", ErrNotFound, identifier)
}

// ClientIdentifier returns a site's, customer's or installer's identifier.
func (s *Store) ClientIdentifier(ctx context.Context, kind string, id int64) (*Client, error) {
	return s.client(ctx, s.rdb, kind, id)
}

func (s *Store) client(ctx context.Context, q queryer, kind string, id int64) (*Client, error) {
	table, err := clientTable(kind)
	if err != nil {
		return nil, err
	}
	c := Client{Kind: kind, ID: id, Scope: ScopeOf(kind, id)}
	err = q.QueryRowContext(ctx, `SELECT name, identifier FROM `+table+` WHERE id = ?`, id).Scan(&c.Name, &c.Identifier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %d", ErrNotFound, kind, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: identifier: %w", err)
	}
	return &c, nil
}

// SetIdentifier gives a site, customer or installer the identifier its
// portal users log in with, unique across the three as IdentifierKey
// compares it. Their sessions stay; their next log-in needs the new one.
// Audited as identifier.set with the identifier before and after.
func (s *Store) SetIdentifier(ctx context.Context, kind string, id int64, identifier string, by Actor) (*Client, error) {
	if strings.TrimSpace(identifier) == "" {
		return nil, invalid("identifier", "is required (a new random one: regenerate)")
	}
	return s.changeIdentifier(ctx, kind, id, identifier, "identifier.set", by)
}

// RegenerateIdentifier gives a site, customer or installer a new random
// 9-digit identifier, as a new record without one gets. Audited as
// identifier.regenerate with the identifier before and after.
func (s *Store) RegenerateIdentifier(ctx context.Context, kind string, id int64, by Actor) (*Client, error) {
	return s.changeIdentifier(ctx, kind, id, "", "identifier.regenerate", by)
}

func (s *Store) changeIdentifier(ctx context.Context, kind string, id int64, identifier, action string, by Actor) (*Client, error) {
	table, err := clientTable(kind)
	if err != nil {
		return nil, err
	}
	now, changedBy := s.opts.Now().UTC(), actorName(ctx)
	var c *Client
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if c, err = s.client(ctx, tx, kind, id); err != nil {
			return err
		}
		before := c.Identifier
		var key string
		// An empty identifier draws a random one (assignIdentifier on a new
		// record); a given one is checked against every other record.
		if err := records.AssignIdentifier(ctx, tx, table, id, &identifier, &key); err != nil {
			return err
		}
		q, args := `UPDATE `+table+` SET identifier = ?, identifier_key = ?, updated_at = ? WHERE id = ?`,
			[]any{identifier, key, now.UnixNano(), id}
		if kind == "site" { // sites record who changed them
			q, args = `UPDATE sites SET identifier = ?, identifier_key = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
				[]any{identifier, key, now.UnixNano(), changedBy, id}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		c.Identifier = identifier
		return audit(ctx, tx, now, by, action, c.Scope, map[string]any{"before": before, "after": identifier})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

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
				SELECT ? UNION SELECT c.id FROM customers c JOIN tree ON c.parent_id = tree.id)
			SELECT id, name, identifier FROM customers WHERE id IN (SELECT id FROM tree) AND id <> ? ORDER BY id`, id, id)
		if err != nil {
			return nil, fmt.Errorf("store: portal scopes: %w", err)
		}
		if out, err = sqlite.AppendRows(out, rows, func(sc sqlite.RowScanner) (Client, error) {
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
		return "", nil, invalid("identifier", "no site, customer or installer has the identifier %q", identifier)
	}
	if err != nil {
		return "", nil, err
	}
	scopes, err := s.PortalScopes(ctx, u)
	if err != nil {
		return "", nil, err
	}
	if !slices.ContainsFunc(scopes, func(x Client) bool { return x.Scope == c.Scope }) {
		return "", nil, invalid("identifier", "%s is the identifier of %s %d (%s), outside portal user %s's scope %s",
			identifier, c.Kind, c.ID, c.Name, u.Username, u.Scope)
	}
	at := c.Scope
	if at == u.Scope {
		at = ""
	}
	return s.portalSession(ctx, u, by.Name, at, ttl, by, "portal.emulate", map[string]any{"opened_at": c.Scope, "identifier": c.Identifier})
}
