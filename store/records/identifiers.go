package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/alarmrx/alarmrx/store/core"
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
		return "", core.Invalid("kind", "must be site, customer or installer")
	}
	return kind + "s", nil
}

// LookupIdentifier returns the record an identifier names, compared as a
// portal log-in compares it (IdentifierKey: "+1 312 555 0101" is
// "13125550101"): the record whose users log in with it. None is
// core.ErrNotFound.
func (k *Kinds) LookupIdentifier(ctx context.Context, identifier string) (*Client, error) {
	identifier = strings.TrimSpace(identifier)
	key := IdentifierKey(identifier)
	for _, kind := range ClientKinds {
		c := Client{Kind: kind}
		// An identifier left without a key (one that differed from another
		// only in punctuation when keys were introduced) matches as
		// written.
		err := k.rdb.QueryRowContext(ctx, `SELECT id, name, identifier FROM `+kind+`s WHERE (identifier_key = ? AND identifier_key <> '')
			OR (identifier_key = '' AND identifier = ? AND identifier <> '') ORDER BY identifier_key DESC LIMIT 1`,
			key, identifier).Scan(&c.ID, &c.Name, &c.Identifier)
		if err == nil {
			c.Scope = core.ScopeOf(kind, c.ID)
			return &c, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: identifier: %w", err)
		}
	}
	return nil, fmt.Errorf("%w: no site, customer or installer has the identifier %q", core.ErrNotFound, identifier)
}

// ClientIdentifier returns a site's, customer's or installer's identifier.
func (k *Kinds) ClientIdentifier(ctx context.Context, kind string, id int64) (*Client, error) {
	return k.client(ctx, k.rdb, kind, id)
}

func (k *Kinds) client(ctx context.Context, q Queryer, kind string, id int64) (*Client, error) {
	table, err := clientTable(kind)
	if err != nil {
		return nil, err
	}
	c := Client{Kind: kind, ID: id, Scope: core.ScopeOf(kind, id)}
	err = q.QueryRowContext(ctx, `SELECT name, identifier FROM `+table+` WHERE id = ?`, id).Scan(&c.Name, &c.Identifier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %d", core.ErrNotFound, kind, id)
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
func (k *Kinds) SetIdentifier(ctx context.Context, kind string, id int64, identifier string, by core.Actor) (*Client, error) {
	if strings.TrimSpace(identifier) == "" {
		return nil, core.Invalid("identifier", "is required (a new random one: regenerate)")
	}
	return k.changeIdentifier(ctx, kind, id, identifier, "identifier.set", by)
}

// RegenerateIdentifier gives a site, customer or installer a new random
// 9-digit identifier, as a new record without one gets. Audited as
// identifier.regenerate with the identifier before and after.
func (k *Kinds) RegenerateIdentifier(ctx context.Context, kind string, id int64, by core.Actor) (*Client, error) {
	return k.changeIdentifier(ctx, kind, id, "", "identifier.regenerate", by)
}

func (k *Kinds) changeIdentifier(ctx context.Context, kind string, id int64, identifier, action string, by core.Actor) (*Client, error) {
	table, err := clientTable(kind)
	if err != nil {
		return nil, err
	}
	now, changedBy := k.now().UTC(), core.ActorName(ctx)
	var c *Client
	err = k.db.WriteThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if c, err = k.client(ctx, tx, kind, id); err != nil {
			return err
		}
		before := c.Identifier
		var key string
		// An empty identifier draws a random one (assignIdentifier on a new
		// record); a given one is checked against every other record.
		if err := assignIdentifier(ctx, tx, table, id, identFields{&identifier, &key}, nil); err != nil {
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
		return core.Audit(ctx, tx, now, by, action, c.Scope, map[string]any{"before": before, "after": identifier})
	}, nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}
