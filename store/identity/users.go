package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"golang.org/x/crypto/bcrypt"
)

// Engine is what the station users need of the store's engine: the
// writer, for every change, and the read pool.
type Engine interface {
	Write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error
	Read() core.Reader
}

// Options configure the station users.
type Options struct {
	Now func() time.Time // required
	// PasswordCost is the bcrypt cost of new password hashes, asked at
	// each hash.
	PasswordCost func() int // required
}

// StationUsers are the station's users, their console sessions and the
// audit log.
type StationUsers struct {
	db   Engine
	rdb  core.Reader
	opts Options
	// dummy is the hash a login of an unknown user is checked against.
	dummy     []byte
	dummyOnce sync.Once
}

// New returns the station users kept by db.
func New(db Engine, o Options) *StationUsers {
	return &StationUsers{db: db, rdb: db.Read(), opts: o}
}

// Station user roles (design.md §4), most powerful first.
const (
	RoleAdmin      = "admin"      // users, records, everything
	RoleSupervisor = "supervisor" // the queue, including take-over of any claim
	RoleOperator   = "operator"   // the queue
)

// Roles lists the station roles.
var Roles = []string{RoleAdmin, RoleSupervisor, RoleOperator}

// User is a station user. The password hash never leaves the store.
type User struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	FullName  string    `json:"full_name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrBadCredentials: wrong user name or password, or a disabled user; which
// one is not said.
var ErrBadCredentials = errors.New("store: wrong user name or password")

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// DummyHash is compared against when the user does not exist, so that the
// answer takes as long as for a wrong password (portal users share it).
func (s *StationUsers) DummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), s.opts.PasswordCost())
	})
	return s.dummy
}

// ValidUsername tells whether name (lower case, trimmed) is a user name:
// 2-32 characters a-z 0-9 . _ - starting with a letter or digit.
func ValidUsername(name string) bool { return usernameRE.MatchString(name) }

// CheckPassword refuses a password too short, or too long for bcrypt.
func CheckPassword(p string) error {
	if len(p) < MinPasswordLength {
		return core.Invalid("password", "must have at least %d characters", MinPasswordLength)
	}
	if len(p) > 72 {
		return core.Invalid("password", "must have at most 72 bytes")
	}
	return nil
}

// CreateUser adds a station user with a bcrypt-hashed password.
func (s *StationUsers) CreateUser(ctx context.Context, u *User, password string, by core.Actor) error {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	if !usernameRE.MatchString(u.Username) {
		return core.Invalid("username", "2-32 characters a-z 0-9 . _ - starting with a letter or digit")
	}
	if err := core.OneOf("role", u.Role, Roles); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.PasswordCost())
	if err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ?`, u.Username).Scan(&other)
		if err == nil {
			return &core.ConflictError{Field: "username", Msg: fmt.Sprintf("user %s exists (id %d)", u.Username, other)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (username, full_name, role, password_hash, disabled, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?) RETURNING id`, u.Username, u.FullName, u.Role, string(hash), boolInt(u.Disabled), now.UnixNano(),
			now.UnixNano()).Scan(&u.ID); err != nil {
			return err
		}
		u.CreatedAt, u.UpdatedAt = now, now
		after, err := core.JSONObject(map[string]any{"username": u.Username, "full_name": u.FullName, "role": u.Role,
			"disabled": u.Disabled, "password": core.Changed})
		if err != nil {
			return err
		}
		return core.AuditChange(ctx, tx, now, by, "user.create", fmt.Sprintf("user:%d", u.ID),
			map[string]any{"username": u.Username, "role": u.Role}, "", after)
	})
}

// UserChange changes a user; nil fields stay.
type UserChange struct {
	FullName *string `json:"full_name"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

// UpdateUser changes a user's name, role, disabled flag or password.
// Disabling a user or changing its password ends its sessions.
func (s *StationUsers) UpdateUser(ctx context.Context, id int64, c UserChange, by core.Actor) (*User, error) {
	var hash string
	if c.Role != nil {
		if err := core.OneOf("role", *c.Role, Roles); err != nil {
			return nil, err
		}
	}
	if c.Password != nil {
		if err := CheckPassword(*c.Password); err != nil {
			return nil, err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(*c.Password), s.opts.PasswordCost())
		if err != nil {
			return nil, err
		}
		hash = string(h)
	}
	now := s.opts.Now().UTC()
	err := s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := s.user(ctx, tx, id)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		before, after := map[string]any{}, map[string]any{}
		was := func(field string, from, to any) {
			if from != to {
				before[field], after[field] = from, to
			}
		}
		set := func(col string, v any) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET `+col+` = ?, updated_at = ? WHERE id = ?`, v, now.UnixNano(), id)
			return err
		}
		if c.FullName != nil {
			changed["full_name"] = *c.FullName
			was("full_name", old.FullName, *c.FullName)
			if err := set("full_name", *c.FullName); err != nil {
				return err
			}
		}
		if c.Role != nil {
			changed["role"] = *c.Role
			was("role", old.Role, *c.Role)
			if err := set("role", *c.Role); err != nil {
				return err
			}
		}
		if c.Disabled != nil {
			changed["disabled"] = *c.Disabled
			was("disabled", old.Disabled, *c.Disabled)
			if err := set("disabled", boolInt(*c.Disabled)); err != nil {
				return err
			}
		}
		if c.Password != nil {
			changed["password"] = core.Changed // never the password itself
			before["password"], after["password"] = core.Changed, core.Changed
			if err := set("password_hash", hash); err != nil {
				return err
			}
		}
		if (c.Disabled != nil && *c.Disabled) || c.Password != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return err
			}
		}
		b, err := core.JSONObject(before)
		if err != nil {
			return err
		}
		a, err := core.JSONObject(after)
		if err != nil {
			return err
		}
		return core.AuditChange(ctx, tx, now, by, "user.update", fmt.Sprintf("user:%d", id), changed, b, a)
	})
	if err != nil {
		return nil, err
	}
	return s.user(ctx, s.rdb, id)
}

type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *StationUsers) user(ctx context.Context, q rowQueryer, id int64) (*User, error) {
	var u User
	var disabled int
	err := q.QueryRowContext(ctx, `SELECT id, username, full_name, role, disabled, created_at, updated_at FROM users WHERE id = ?`, id).
		Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &disabled, core.NanoTime{T: &u.CreatedAt}, core.NanoTime{T: &u.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: user %d", core.ErrNotFound, id)
	}
	u.Disabled = disabled != 0
	return &u, err
}

// Users lists the station users.
func (s *StationUsers) Users(ctx context.Context) ([]User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, username, full_name, role, disabled, created_at, updated_at FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return core.AppendRows([]User{}, rows, func(sc core.RowScanner) (User, error) {
		var u User
		var disabled int
		err := sc.Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &disabled, core.NanoTime{T: &u.CreatedAt}, core.NanoTime{T: &u.UpdatedAt})
		u.Disabled = disabled != 0
		return u, err
	})
}

// Session is a logged-in user's session.
type Session struct {
	User User
	SessionKeys
}

// SessionKeys is what console and portal sessions share: the CSRF token
// that changes must carry, and the end.
type SessionKeys struct {
	CSRFToken string
	ExpiresAt time.Time
}

// NewSessionKeys makes a session's cookie token (the caller stores only
// its hash) and its CSRF token.
func NewSessionKeys(now time.Time, ttl time.Duration) (string, SessionKeys, error) {
	token, err := randomToken()
	if err != nil {
		return "", SessionKeys{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", SessionKeys{}, err
	}
	return token, SessionKeys{CSRFToken: csrf, ExpiresAt: now.Add(ttl)}, nil
}

// TokenHash is what the store keeps of a session's cookie token.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Login checks a user name and password and opens a session of the given
// length. It returns the session cookie value, which the store keeps only
// as a hash. Success and failure are both audited.
func (s *StationUsers) Login(ctx context.Context, username, password, remoteAddr string, ttl time.Duration) (string, *Session, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var u User
	var hash string
	var disabled int
	err := s.rdb.QueryRowContext(ctx, `SELECT id, username, full_name, role, disabled, password_hash, created_at, updated_at
		FROM users WHERE username = ?`, username).
		Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &disabled, &hash, core.NanoTime{T: &u.CreatedAt}, core.NanoTime{T: &u.UpdatedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		hash = string(s.DummyHash())
	case err != nil:
		return "", nil, fmt.Errorf("store: login: %w", err)
	}
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil && u.ID != 0 && disabled == 0
	now := s.opts.Now().UTC()
	actor := core.Actor{ID: u.ID, Name: core.AuditName(username), RemoteAddr: remoteAddr}
	if !ok {
		if core.AuditFailure(ctx) {
			_ = s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				return core.Audit(ctx, tx, now, actor, "login.failed", "", nil)
			})
		}
		return "", nil, ErrBadCredentials
	}
	token, keys, err := NewSessionKeys(now, ttl)
	if err != nil {
		return "", nil, err
	}
	sess := &Session{User: u, SessionKeys: keys}
	err = s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Expired sessions go on every login; there is no other sweeper.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixNano()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, remote_addr)
			VALUES (?,?,?,?,?,?)`, TokenHash(token), u.ID, keys.CSRFToken, now.UnixNano(), sess.ExpiresAt.UnixNano(), remoteAddr); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, actor, "login", fmt.Sprintf("user:%d", u.ID), nil)
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// SessionFor returns the live session of a cookie value.
func (s *StationUsers) SessionFor(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, core.ErrNotFound
	}
	var sess Session
	var disabled int
	u := &sess.User
	err := s.rdb.QueryRowContext(ctx, `SELECT u.id, u.username, u.full_name, u.role, u.disabled, u.created_at, u.updated_at,
		x.csrf_token, x.expires_at FROM sessions x JOIN users u ON u.id = x.user_id WHERE x.token_hash = ?`, TokenHash(token)).
		Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &disabled, core.NanoTime{T: &u.CreatedAt}, core.NanoTime{T: &u.UpdatedAt},
			&sess.CSRFToken, core.NanoTime{T: &sess.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	if disabled != 0 || !s.opts.Now().Before(sess.ExpiresAt) {
		return nil, core.ErrNotFound
	}
	return &sess, nil
}

// Logout ends a session.
func (s *StationUsers) Logout(ctx context.Context, token string, actor core.Actor) error {
	now := s.opts.Now().UTC()
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, TokenHash(token)); err != nil {
			return err
		}
		return core.Audit(ctx, tx, now, actor, "logout", fmt.Sprintf("user:%d", actor.ID), nil)
	})
}

// CSRFMatches compares a request's CSRF token with the session's in
// constant time.
func (sess *SessionKeys) CSRFMatches(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) == 1
}

// RoleAtLeast reports whether role has the rights of want.
func RoleAtLeast(role, want string) bool {
	i, j := slices.Index(Roles, role), slices.Index(Roles, want)
	return i >= 0 && j >= 0 && i <= j
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	UserID     *int64    `json:"user_id"`
	UserName   string    `json:"user_name"`
	Action     string    `json:"action"`
	Target     string    `json:"target"`
	Detail     string    `json:"detail"`
	RemoteAddr string    `json:"remote_addr"`
	// Before and After are a change's fields before and after it (JSON
	// objects of the fields that changed; every field of a record created
	// or deleted), secrets as "changed"; null when the entry has none.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Audit lists the audit log, newest first.
func (s *StationUsers) Audit(ctx context.Context, afterID int64, limit int) ([]AuditEntry, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, at, user_id, user_name, action, target, detail, remote_addr, before_json, after_json
		FROM audit_log WHERE id > ? ORDER BY id DESC LIMIT ?`, afterID, core.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return core.AppendRows([]AuditEntry{}, rows, func(sc core.RowScanner) (AuditEntry, error) {
		var a AuditEntry
		var before, after string
		err := sc.Scan(&a.ID, core.NanoTime{T: &a.At}, &a.UserID, &a.UserName, &a.Action, &a.Target, &a.Detail, &a.RemoteAddr,
			&before, &after)
		if before != "" {
			a.Before = json.RawMessage(before)
		}
		if after != "" {
			a.After = json.RawMessage(after)
		}
		return a, err
	})
}

// RecordAudit appends one entry to the audit log on its own (changes that
// do not write their own entry: the management API's record changes).
func (s *StationUsers) RecordAudit(ctx context.Context, actor core.Actor, action, target string, detail any) error {
	now := s.opts.Now().UTC()
	return s.db.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return core.Audit(ctx, tx, now, actor, action, target, detail)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
