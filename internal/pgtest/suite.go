package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// A Suite gives a package's tests PostgreSQL databases where no
// *testing.T reaches: a TestMain that runs the package's tests a second
// time, on PostgreSQL, hands the store one database for each data
// directory a test opens (a test that reopens its store finds its data).
// Close drops them all.
type Suite struct {
	srv   *pgServer
	admin *sql.DB

	mu    sync.Mutex
	byKey map[string]string // key → database name
}

// NewSuite connects to the server of ALARMRX_TEST_PG_DSN. Without one
// it returns nil and why (the second run is skipped), unless
// ALARMRX_PG_TESTS=required, which makes that an error.
func NewSuite() (_ *Suite, skip string, err error) {
	srv, skip, err := pgSetup(os.Getenv(pgDSNEnv), os.Getenv(pgModeEnv))
	if err != nil || srv == nil {
		return nil, skip, err
	}
	admin, err := sql.Open("pgx", srv.dsn)
	if err != nil {
		return nil, "", fmt.Errorf("pgtest: opening %s: %s", srv.Redacted(), srv.redact(err.Error()))
	}
	admin.SetMaxOpenConns(2)
	return &Suite{srv: srv, admin: admin, byKey: map[string]string{}}, "", nil
}

// Database returns the DSN of the database for key, created empty the
// first time key is asked for.
func (s *Suite) Database(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name, ok := s.byKey[key]; ok {
		return s.srv.withDatabase(name), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := pgDatabaseName("suite")
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pgQuoteIdent(name)+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("pgtest: CREATE DATABASE %s on %s: %s", name, s.srv.Redacted(), s.srv.redact(err.Error()))
	}
	s.byKey[key] = name
	return s.srv.withDatabase(name), nil
}

// Location is the server, without its password.
func (s *Suite) Location() string { return s.srv.Redacted() }

// Close drops every database the suite made.
func (s *Suite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var errs []error
	for _, name := range s.byKey {
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgQuoteIdent(name)+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: DROP DATABASE %s: %s", name, s.srv.redact(err.Error())))
		}
	}
	clear(s.byKey)
	return errors.Join(append(errs, s.admin.Close())...)
}
