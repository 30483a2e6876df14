package store

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/jackc/pgx/v5"
)

// TestMain runs the package's tests twice: on SQLite, then on PostgreSQL
// when a server is given (pgtest.Suite), every store a test opens
// standing on a database of its own. Benchmarks and fuzzing run once, on
// SQLite.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code != 0 || flag.Lookup("test.bench").Value.String() != "" || flag.Lookup("test.fuzz").Value.String() != "" {
		os.Exit(code)
	}
	suite, skip, err := pgtest.NewSuite()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if suite == nil {
		fmt.Println("store: the PostgreSQL run is skipped:", skip)
		os.Exit(code)
	}
	fmt.Println("store: the same tests on PostgreSQL,", suite.Location())
	// A test that reopens its store by the path it was opened at finds
	// the same database; so does one that reopens it at s.Path(), which
	// is the database's location on PostgreSQL.
	var mu sync.Mutex
	byLocation := map[string]string{}
	testEngine = func(path string) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		if dsn, ok := byLocation[path]; ok {
			return DriverPostgres, dsn, nil
		}
		dsn, err := suite.Database(path)
		if err != nil {
			return "", "", err
		}
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return "", "", err
		}
		byLocation[postgres.Location(cfg)] = dsn
		return DriverPostgres, dsn, nil
	}
	code = m.Run()
	if err := suite.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// onSQLiteOnly skips a test of what only the SQLite engine has (its
// files, their locks and checks) on the PostgreSQL run.
func onSQLiteOnly(t testing.TB) {
	t.Helper()
	if testEngine != nil {
		t.Skip("SQLite's own: the data directory's files")
	}
}
