package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// The environment of the PostgreSQL tests. scripts/pg-test-server start
// prints a server's DSN for ALARMRX_TEST_PG_DSN; .ci/run and `make test-pg`
// start one and set both.
const (
	pgDSNEnv  = "ALARMRX_TEST_PG_DSN" // the server, as a postgres:// URL
	pgModeEnv = "ALARMRX_PG_TESTS"    // "required": fail, not skip, without a server
)

// Database returns the DSN of a new, empty PostgreSQL database for this
// test, dropped when the test ends.
// Without ALARMRX_TEST_PG_DSN the test is skipped, unless
// ALARMRX_PG_TESTS=required (then it fails).
//
// ALARMRX_TEST_PG_DSN is a URL, postgres://user[:password]@host:port/db?…,
// of a role that may create databases; the DSN returned is the same with
// the new database in place of db. (A key=value DSN works too: the one
// returned ends in dbname=….) Its password is never logged.
func Database(t testing.TB) string {
	t.Helper()
	srv, skip, err := pgSetup(os.Getenv(pgDSNEnv), os.Getenv(pgModeEnv))
	if err != nil {
		t.Fatal(err)
	}
	if srv == nil {
		t.Skip(skip)
	}
	admin := pgAdmin(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var name string
	for try := 0; ; try++ {
		name = pgDatabaseName(t.Name())
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pgQuoteIdent(name)+" TEMPLATE template0")
		var pgErr *pgconn.PgError
		if err == nil || try == 2 || !errors.As(err, &pgErr) || pgErr.Code != "42P04" { // duplicate_database
			break
		}
	}
	if err != nil {
		t.Fatalf("pgtest: CREATE DATABASE %s on %s: %s", name, srv.Redacted(), srv.redact(err.Error()))
	}
	// Registered after pgAdmin's release, so run before it.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends the connections a test left open.
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgQuoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: DROP DATABASE %s on %s: %s", name, srv.Redacted(), srv.redact(err.Error()))
		}
	})
	t.Logf("pgtest: PostgreSQL database %s on %s", name, srv.Redacted())
	return srv.withDatabase(name)
}

// pgSetup says, from the values of ALARMRX_TEST_PG_DSN and
// ALARMRX_PG_TESTS, which server the PostgreSQL tests run on: with none
// (srv nil and err nil) they skip, saying skip. A DSN that is set but
// unusable, or none when mode is "required", is an error.
func pgSetup(dsn, mode string) (srv *pgServer, skip string, err error) {
	if dsn == "" {
		if mode == "required" {
			return nil, "", errors.New("pgtest: no PostgreSQL: " + pgDSNEnv + " is not set, and " + pgModeEnv + "=required")
		}
		return nil, "no PostgreSQL: set " + pgDSNEnv + " to a server's URL (scripts/pg-test-server start DIR prints one; make test-pg starts one and runs the tests)", nil
	}
	srv, err = parsePGServer(dsn)
	if err != nil {
		return nil, "", err
	}
	return srv, "", nil
}

// pgServer is the server of ALARMRX_TEST_PG_DSN.
type pgServer struct {
	dsn     string
	url     *url.URL // nil for a key=value DSN
	secrets []string // forms of its password, to redact
}

func parsePGServer(dsn string) (*pgServer, error) {
	s := &pgServer{dsn: dsn}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// url's errors quote the URL, password and all.
			return nil, fmt.Errorf("pgtest: %s is not a valid URL", pgDSNEnv)
		}
		s.url = u
		if pw, ok := u.User.Password(); ok {
			s.addSecret(pw)
		}
	} else if strings.Contains(dsn, "://") {
		return nil, fmt.Errorf("pgtest: %s is not a postgres:// URL", pgDSNEnv)
	}
	// pgconn's own errors redact the password.
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %s: %s", pgDSNEnv, s.redact(err.Error()))
	}
	s.addSecret(cfg.Password)
	return s, nil
}

// addSecret has redact hide password pw, as it is and as a URL holds it.
func (s *pgServer) addSecret(pw string) {
	if pw != "" {
		s.secrets = append(s.secrets, url.QueryEscape(pw), url.PathEscape(pw), pw)
	}
}

// withDatabase returns the server's DSN with database name in place of its own.
func (s *pgServer) withDatabase(name string) string {
	if s.url == nil {
		// Of a key repeated, the last counts.
		return s.dsn + " dbname=" + name
	}
	u := *s.url
	u.Path, u.RawPath = "/"+name, ""
	q := u.Query()
	if q.Has("dbname") || q.Has("database") {
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Redacted is the server's DSN without its password.
func (s *pgServer) Redacted() string {
	if s.url != nil {
		return s.redact(s.url.Redacted()) // and a ?password=
	}
	return s.redact(s.dsn)
}

func (s *pgServer) redact(msg string) string {
	for _, pw := range s.secrets {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// The admin pools, one a server, shared by the tests that hold one and
// closed when the last lets go, so that no pool outlives the tests.
var pgAdmins struct {
	sync.Mutex
	m map[string]*pgAdminPool
}

type pgAdminPool struct {
	db   *sql.DB
	refs int
}

// pgAdmin returns a pool on srv's own database, held until the test ends.
// Many tests run in parallel on one server: the pool is small.
func pgAdmin(t testing.TB, srv *pgServer) *sql.DB {
	t.Helper()
	pgAdmins.Lock()
	defer pgAdmins.Unlock()
	p := pgAdmins.m[srv.dsn]
	if p == nil {
		db, err := sql.Open("pgx", srv.dsn)
		if err != nil {
			t.Fatalf("pgtest: opening %s: %s", srv.Redacted(), srv.redact(err.Error()))
		}
		db.SetMaxOpenConns(2)
		db.SetMaxIdleConns(2)
		p = &pgAdminPool{db: db}
		if pgAdmins.m == nil {
			pgAdmins.m = map[string]*pgAdminPool{}
		}
		pgAdmins.m[srv.dsn] = p
	}
	p.refs++
	t.Cleanup(func() {
		pgAdmins.Lock()
		defer pgAdmins.Unlock()
		if p.refs--; p.refs == 0 {
			delete(pgAdmins.m, srv.dsn)
			_ = p.db.Close()
		}
	})
	return p.db
}

var pgDatabaseSeq atomic.Uint64

// pgDatabaseName returns a new database name for the test: lower-case
// letters, digits and underscores, at most 63 bytes, unique in the process
// by a counter and between processes (go test runs packages in parallel on
// one server) by 32 random bits.
func pgDatabaseName(test string) string {
	var slug []byte
	for i := 0; i < len(test) && len(slug) < 20; i++ {
		switch c := test[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			slug = append(slug, c)
		case 'A' <= c && c <= 'Z':
			slug = append(slug, c+'a'-'A')
		case len(slug) > 0 && slug[len(slug)-1] != '_':
			slug = append(slug, '_')
		}
	}
	sum := sha256.Sum256([]byte(test))
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	// 2 + 20 + 1 + 8 + 1 + 8 + 1 + up to 20: 61 at most.
	return "t_" + strings.TrimRight(string(slug), "_") + "_" + hex.EncodeToString(sum[:4]) +
		"_" + hex.EncodeToString(rnd[:]) + "_" + strconv.FormatUint(pgDatabaseSeq.Add(1), 10)
}

// pgQuoteIdent quotes an SQL identifier.
func pgQuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
