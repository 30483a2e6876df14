package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/identity"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"
)

// Portal user kinds (design.md §9).
const (
	PortalManager    = "manager"    // account manager of a site or customer: everything in scope, creates staff; of an installer: its visits
	PortalStaff      = "staff"      // office staff: reads the scope, changes what its rights allow
	PortalTechnician = "technician" // an installer's technician: its sites, on test and off
)

// The rights an account manager may give office staff (design.md §9:
// "decides who may modify or delete records"). Modifying and deleting are
// separate rights where the portal can delete.
const (
	RightCallList       = "call_list"        // add and change call-list contacts
	RightCallListDelete = "call_list.delete" // remove call-list contacts
	RightZones          = "zones"            // change zone descriptions and types
	RightNotes          = "notes"            // change a site's notes
	RightReports        = "reports"          // annotate the customer's stored morning reports
	RightReportsDelete  = "reports.delete"   // delete them
	RightSchedules      = "schedules"        // change the systems' open/close schedules
)

// PortalRights are what office staff may be allowed to change.
var PortalRights = []string{RightCallList, RightCallListDelete, RightZones, RightNotes, RightReports, RightReportsDelete, RightSchedules}

// PortalUser is a client (or installer) user of the portal.
type PortalUser struct {
	ID        int64     `json:"id"`
	Scope     string    `json:"scope"` // site:<id>, customer:<id> or installer:<id>
	Kind      string    `json:"kind"`
	Username  string    `json:"username"`
	FullName  string    `json:"full_name"`
	Rights    Strings   `json:"rights"`
	Disabled  bool      `json:"disabled"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// May reports whether the user may change a kind of record. An
// installer's manager schedules its technicians' visits; the clients'
// records are the clients' to change.
func (u *PortalUser) May(right string) bool {
	return (u.Kind == PortalManager && !strings.HasPrefix(u.Scope, "installer:")) || slices.Contains(u.Rights, right)
}

// ScopeOf names a scope: "site", "customer" or "installer" and an id.
func ScopeOf(kind string, id int64) string { return core.ScopeOf(kind, id) }

// ParseScope is the inverse of ScopeOf.
func ParseScope(scope string) (string, int64, error) { return core.ParseScope(scope) }

// CreatePortalUser adds a portal user. The station creates managers (of a
// site, a customer or an installer) and technicians (of an installer); a
// manager of a site or customer creates office staff in its own scope.
func (s *Store) CreatePortalUser(ctx context.Context, u *PortalUser, password string, by Actor) error {
	kind, id, err := ParseScope(u.Scope)
	if err != nil {
		return err
	}
	switch {
	case u.Kind == PortalTechnician && kind != "installer", u.Kind == PortalStaff && kind == "installer":
		return core.Invalid("kind", "technicians belong to an installer, office staff to a site or customer, managers to either")
	case !slices.Contains([]string{PortalManager, PortalStaff, PortalTechnician}, u.Kind):
		return core.Invalid("kind", "must be manager, staff or technician")
	}
	if err := checkRights(u.Rights); err != nil {
		return err
	}
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	if !identity.ValidUsername(u.Username) {
		return core.Invalid("username", "2-32 characters a-z 0-9 . _ - starting with a letter or digit")
	}
	if err := identity.CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost())
	if err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	u.CreatedBy, u.CreatedAt = by.Name, now
	if u.Rights == nil {
		u.Rights = Strings{}
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := exists(ctx, tx, kind+"s", id, "scope", kind); err != nil {
			return err
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM portal_users WHERE scope = ? AND username = ?`, u.Scope, u.Username).Scan(&other)
		if err == nil {
			return &ConflictError{Field: "username", Msg: fmt.Sprintf("%s already has a portal user %s", u.Scope, u.Username)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO portal_users (scope, kind, username, full_name, password_hash, rights, created_by,
			created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`, u.Scope, u.Kind, u.Username, u.FullName, string(hash), u.Rights,
			u.CreatedBy, now.UnixNano(), now.UnixNano()).Scan(&u.ID); err != nil {
			return err
		}
		_, after, err := auditDiff[PortalUser](nil, u, nil)
		if err != nil {
			return err
		}
		if after, err = withChanged(after, "password"); err != nil {
			return err
		}
		return core.AuditChange(ctx, tx, now, by, "portal_user.create", fmt.Sprintf("portal_user:%d", u.ID),
			map[string]any{"scope": u.Scope, "kind": u.Kind, "username": u.Username, "rights": u.Rights}, "", after)
	})
}

func checkRights(rights Strings) error {
	for _, r := range rights {
		if !slices.Contains(PortalRights, r) {
			return core.Invalid("rights", "unknown right %q (known: %s)", r, strings.Join(PortalRights, ", "))
		}
	}
	return nil
}

// PortalUserChange is a change to a portal user; nil fields stay.
type PortalUserChange struct {
	FullName *string  `json:"full_name"`
	Rights   *Strings `json:"rights"`
	Disabled *bool    `json:"disabled"`
	Password *string  `json:"password"`
}

// UpdatePortalUser changes a portal user: its name, rights (office staff
// only), whether it is disabled, or its password. Disabling it or setting
// a password ends its sessions, except the one whose token is keep (a user
// changing its own password stays logged in). Audited without the
// password.
func (s *Store) UpdatePortalUser(ctx context.Context, id int64, ch PortalUserChange, keep string, by Actor) (*PortalUser, error) {
	u, err := s.PortalUser(ctx, id)
	if err != nil {
		return nil, err
	}
	orig := *u
	changed := map[string]any{}
	if ch.FullName != nil {
		u.FullName, changed["full_name"] = *ch.FullName, *ch.FullName
	}
	if ch.Rights != nil {
		if u.Kind != PortalStaff && len(*ch.Rights) > 0 {
			return nil, core.Invalid("rights", "only office staff have rights; a %s may change everything in its scope", u.Kind)
		}
		if err := checkRights(*ch.Rights); err != nil {
			return nil, err
		}
		u.Rights, changed["rights"] = *ch.Rights, *ch.Rights
	}
	if ch.Disabled != nil {
		u.Disabled, changed["disabled"] = *ch.Disabled, *ch.Disabled
	}
	var hash []byte
	if ch.Password != nil {
		if err := identity.CheckPassword(*ch.Password); err != nil {
			return nil, err
		}
		if hash, err = bcrypt.GenerateFromPassword([]byte(*ch.Password), s.passwordCost()); err != nil {
			return nil, err
		}
		changed["password"] = "changed"
	}
	now := s.opts.Now().UTC()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE portal_users SET full_name = ?, rights = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			u.FullName, u.Rights, boolInt(u.Disabled), now.UnixNano(), id); err != nil {
			return err
		}
		if hash != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE portal_users SET password_hash = ? WHERE id = ?`, string(hash), id); err != nil {
				return err
			}
		}
		if hash != nil || u.Disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM portal_sessions WHERE portal_user_id = ? AND token_hash <> ?`, id, identity.TokenHash(keep)); err != nil {
				return err
			}
		}
		before, after, err := auditDiff(&orig, u, nil)
		if err != nil {
			return err
		}
		if hash != nil {
			if before, err = withChanged(before, "password"); err != nil {
				return err
			}
			if after, err = withChanged(after, "password"); err != nil {
				return err
			}
		}
		return core.AuditChange(ctx, tx, now, by, "portal_user.update", fmt.Sprintf("portal_user:%d", id), changed, before, after)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CheckPortalPassword reports whether password is the portal user's.
func (s *Store) CheckPortalPassword(ctx context.Context, id int64, password string) (bool, error) {
	var hash string
	if err := s.rdb.QueryRowContext(ctx, `SELECT password_hash FROM portal_users WHERE id = ?`, id).Scan(&hash); err != nil {
		return false, fmt.Errorf("store: portal password: %w", err)
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil, nil
}

const portalUserColumns = `id, scope, kind, username, full_name, rights, disabled, created_by, created_at`

func scanPortalUser(sc core.RowScanner) (*PortalUser, error) {
	var u PortalUser
	var disabled int
	err := sc.Scan(&u.ID, &u.Scope, &u.Kind, &u.Username, &u.FullName, &u.Rights, &disabled, &u.CreatedBy, nanoTime{&u.CreatedAt})
	u.Disabled = disabled != 0
	return &u, err
}

// PortalUsers lists the portal users of a scope ("" for every scope).
func (s *Store) PortalUsers(ctx context.Context, scope string) ([]PortalUser, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+portalUserColumns+` FROM portal_users WHERE ? = '' OR scope = ? ORDER BY id`, scope, scope)
	if err != nil {
		return nil, fmt.Errorf("store: portal users: %w", err)
	}
	return core.AppendRows([]PortalUser{}, rows, func(sc core.RowScanner) (PortalUser, error) {
		u, err := scanPortalUser(sc)
		if err != nil {
			return PortalUser{}, err
		}
		return *u, nil
	})
}

// PortalSession is a portal user's session.
type PortalSession struct {
	User       PortalUser
	EmulatedBy string // the station user acting as this user, "" for the user
	// Scope is what the session sees: the user's scope, or the site or
	// customer within it that station staff acting as the user chose to
	// open the portal at (EmulatePortalUserAt).
	Scope string
	SessionKeys
}

// PortalLogin checks identifier + user name + password. The identifier
// names one site, customer or installer, compared as IdentifierKey compares
// it (a phone number matches with or without its punctuation); the user
// name is looked up only within it, so equal user names and passwords of
// two clients never cross.
func (s *Store) PortalLogin(ctx context.Context, identifier, username, password, remoteAddr string, ttl time.Duration) (string, *PortalSession, error) {
	identifier, username = strings.TrimSpace(identifier), strings.ToLower(strings.TrimSpace(username))
	var scope string
	switch c, err := s.LookupIdentifier(ctx, identifier); {
	case err == nil:
		scope = c.Scope
	case !errors.Is(err, ErrNotFound):
		return "", nil, fmt.Errorf("store: portal login: %w", err)
	}
	var hash string
	var u *PortalUser
	if scope != "" {
		row := s.rdb.QueryRowContext(ctx, `SELECT `+portalUserColumns+`, password_hash FROM portal_users WHERE scope = ? AND username = ?`, scope, username)
		var pu PortalUser
		var disabled int
		err := row.Scan(&pu.ID, &pu.Scope, &pu.Kind, &pu.Username, &pu.FullName, &pu.Rights, &disabled, &pu.CreatedBy, nanoTime{&pu.CreatedAt}, &hash)
		switch {
		case err == nil && disabled == 0:
			u = &pu
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return "", nil, fmt.Errorf("store: portal login: %w", err)
		}
	}
	if u == nil {
		hash = string(s.DummyHash())
	}
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil && u != nil
	now := s.opts.Now().UTC()
	actor := Actor{Name: "portal:" + core.AuditName(identifier) + "/" + core.AuditName(username), RemoteAddr: remoteAddr}
	if !ok {
		if core.AuditFailure(ctx) {
			_ = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				return core.Audit(ctx, tx, now, actor, "portal.login.failed", "", nil)
			})
		}
		return "", nil, ErrBadCredentials
	}
	return s.portalSession(ctx, u, "", "", ttl, actor, "portal.login", nil)
}

// PortalUser returns one portal user.
func (s *Store) PortalUser(ctx context.Context, id int64) (*PortalUser, error) {
	u, err := scanPortalUser(s.rdb.QueryRowContext(ctx, `SELECT `+portalUserColumns+` FROM portal_users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: portal user %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: portal user: %w", err)
	}
	return u, nil
}

// EmulatePortalUser opens a session as a portal user for a station user:
// the station sees the portal as the account manager does. Audited.
func (s *Store) EmulatePortalUser(ctx context.Context, id int64, by Actor, ttl time.Duration) (string, *PortalSession, error) {
	return s.EmulatePortalUserAt(ctx, id, "", by, ttl)
}

// portalSession opens a session of u seeing scope at ("" for u's own).
func (s *Store) portalSession(ctx context.Context, u *PortalUser, emulatedBy, at string, ttl time.Duration, actor Actor, action string,
	detail map[string]any) (string, *PortalSession, error) {
	now := s.opts.Now().UTC()
	token, keys, err := identity.NewSessionKeys(now, ttl)
	if err != nil {
		return "", nil, err
	}
	sess := &PortalSession{User: *u, EmulatedBy: emulatedBy, Scope: u.Scope, SessionKeys: keys}
	if at != "" {
		sess.Scope = at
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["scope"] = u.Scope
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_sessions WHERE expires_at <= ?`, now.UnixNano()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_sessions (token_hash, portal_user_id, csrf_token, emulated_by, scope, created_at,
			expires_at) VALUES (?,?,?,?,?,?,?)`, identity.TokenHash(token), u.ID, keys.CSRFToken, emulatedBy, at, now.UnixNano(),
			sess.ExpiresAt.UnixNano()); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, actor, action, fmt.Sprintf("portal_user:%d", u.ID), detail)
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// PortalSessionFor returns the live portal session of a cookie value.
func (s *Store) PortalSessionFor(ctx context.Context, token string) (*PortalSession, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	var sess PortalSession
	var disabled int
	u := &sess.User
	err := s.rdb.QueryRowContext(ctx, `SELECT u.id, u.scope, u.kind, u.username, u.full_name, u.rights, u.disabled, u.created_by,
		u.created_at, x.csrf_token, x.emulated_by, coalesce(nullif(x.scope, ''), u.scope), x.expires_at FROM portal_sessions x
		JOIN portal_users u ON u.id = x.portal_user_id WHERE x.token_hash = ?`, identity.TokenHash(token)).
		Scan(&u.ID, &u.Scope, &u.Kind, &u.Username, &u.FullName, &u.Rights, &disabled, &u.CreatedBy, nanoTime{&u.CreatedAt},
			&sess.CSRFToken, &sess.EmulatedBy, &sess.Scope, nanoTime{&sess.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (disabled != 0 || !s.opts.Now().Before(sess.ExpiresAt))) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: portal session: %w", err)
	}
	return &sess, nil
}

// PortalLogout ends a portal session.
func (s *Store) PortalLogout(ctx context.Context, token string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM portal_sessions WHERE token_hash = ?`, identity.TokenHash(token))
		return err
	})
}

// PortalSites returns the sites a portal user's scope covers: its site;
// its customer's sites and those of every customer below; or the sites
// its installer installed: those it is the site's installer of, and those
// where it installed any system (an account's installer_id). Every portal
// query goes through it.
func (s *Store) PortalSites(ctx context.Context, scope string) ([]Site, error) {
	kind, id, err := ParseScope(scope)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "customer":
		return s.ScopeSites(ctx, id)
	case "installer":
		return s.installerSites(ctx, id)
	}
	site, err := s.Sites.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return []Site{*site}, nil
}

// warnIdentifierClashes names, at start-up, the records whose identifier
// differs from another's only in punctuation (kept from before identifiers
// were compared so): their users log in with the identifier exactly as
// written until one of the two gets another identifier.
func (s *Store) warnIdentifierClashes(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT 'site', id, identifier FROM sites WHERE identifier_key = '' AND identifier <> ''
		UNION ALL SELECT 'customer', id, identifier FROM customers WHERE identifier_key = '' AND identifier <> ''
		UNION ALL SELECT 'installer', id, identifier FROM installers WHERE identifier_key = '' AND identifier <> ''`)
	if err != nil {
		return fmt.Errorf("store: identifiers: %w", err)
	}
	named, err := core.AppendRows(nil, rows, func(sc core.RowScanner) (string, error) {
		var kind, ident string
		var id int64
		err := sc.Scan(&kind, &id, &ident)
		return fmt.Sprintf("%s %d (%s)", kind, id, ident), err
	})
	if err != nil {
		return fmt.Errorf("store: identifiers: %w", err)
	}
	if len(named) > 0 {
		s.log.Warn("identifiers that differ from another record's only in spaces or + - . ( ) /: their portal users must type them "+
			"exactly as written; give each of these records another identifier", zap.Int("count", len(named)), zap.Strings("records", named))
	}
	return nil
}

// installerSites are the sites an installer installed: as the site's
// installer or as the installer of one of its systems, in id order.
func (s *Store) installerSites(ctx context.Context, installerID int64) ([]Site, error) {
	ids, err := s.queryIDs(ctx, `SELECT id FROM sites WHERE installer_id = ?1
		UNION SELECT site_id FROM accounts WHERE installer_id = ?1 ORDER BY 1 LIMIT ?2`, installerID, MaxListLimit)
	if err != nil {
		return nil, fmt.Errorf("store: installer scope: %w", err)
	}
	return s.sitesByID(ctx, ids)
}
