package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestPGSetup(t *testing.T) {
	for _, c := range []struct {
		dsn, mode string
		run, fail bool
	}{
		{"", "", false, false},
		{"", "yes", false, false},
		{"", "required", false, true},
		{"postgres://alarmrx@127.0.0.1:54329/postgres?sslmode=disable", "", true, false},
		{"postgres://alarmrx@127.0.0.1:54329/postgres?sslmode=disable", "required", true, false},
		{"host=127.0.0.1 port=54329 user=alarmrx dbname=postgres", "required", true, false},
		{"mysql://root@localhost/x", "", false, true},
		{"postgres://alarmrx@127.0.0.1:54329/postgres?sslmode=bogus", "", false, true},
		{"postgres://u:se%zzcret@127.0.0.1/postgres", "", false, true},
	} {
		srv, skip, err := pgSetup(c.dsn, c.mode)
		if got := srv != nil; got != c.run {
			t.Errorf("pgSetup(%q, %q) runs %v, want %v", c.dsn, c.mode, got, c.run)
		}
		if got := err != nil; got != c.fail {
			t.Errorf("pgSetup(%q, %q) fails %v (%v), want %v", c.dsn, c.mode, got, err, c.fail)
		}
		if !c.run && !c.fail && !strings.Contains(skip, pgDSNEnv) {
			t.Errorf("pgSetup(%q, %q) skips saying %q, which names no %s", c.dsn, c.mode, skip, pgDSNEnv)
		}
		if err != nil && strings.Contains(err.Error(), "cret") {
			t.Errorf("pgSetup(%q) error %q shows the password", c.dsn, err)
		}
	}
}

func TestPGWithDatabase(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://alarmrx@127.0.0.1:54329/postgres?sslmode=disable",
			"postgres://alarmrx@127.0.0.1:54329/t_x_1?sslmode=disable"},
		{"postgresql://alarmrx:p%40ss@[::1]:5432?sslmode=disable",
			"postgresql://alarmrx:p%40ss@[::1]:5432/t_x_1?sslmode=disable"},
		{"postgres://alarmrx@127.0.0.1/postgres?dbname=other&sslmode=disable",
			"postgres://alarmrx@127.0.0.1/t_x_1?sslmode=disable"},
		{"host=127.0.0.1 user=alarmrx dbname=postgres",
			"host=127.0.0.1 user=alarmrx dbname=postgres dbname=t_x_1"},
	} {
		srv, err := parsePGServer(c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		got := srv.withDatabase("t_x_1")
		if got != c.want {
			t.Errorf("%q with t_x_1 = %q, want %q", c.dsn, got, c.want)
		}
		cfg, err := pgconn.ParseConfig(got)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database != "t_x_1" {
			t.Errorf("%q connects to database %q, want t_x_1", got, cfg.Database)
		}
	}
}

func TestPGRedacted(t *testing.T) {
	for _, dsn := range []string{
		"postgres://alarmrx:s3cr%21t@127.0.0.1:54329/postgres",
		"postgres://alarmrx@127.0.0.1:54329/postgres?password=s3cr%21t",
		"host=127.0.0.1 user=alarmrx password=s3cr!t",
	} {
		srv, err := parsePGServer(dsn)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{srv.Redacted(), srv.redact("failed: " + dsn + " (s3cr!t)")} {
			if strings.Contains(s, "s3cr") {
				t.Errorf("%q redacted is %q", dsn, s)
			}
		}
		if !strings.Contains(srv.Redacted(), "127.0.0.1") {
			t.Errorf("%q redacted is %q: the host went too", dsn, srv.Redacted())
		}
	}
}

var pgNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func TestDatabaseName(t *testing.T) {
	seen := map[string]bool{}
	for _, test := range []string{"", "TestX", "TestX", strings.Repeat("TestÜberLong/sub-case#01/", 20)} {
		name := pgDatabaseName(test)
		if len(name) > 63 || !pgNameRE.MatchString(name) || seen[name] {
			t.Errorf("pgDatabaseName(%q) = %q: want a new lower-case identifier of at most 63 bytes", test, name)
		}
		seen[name] = true
	}
}

// pgTestServer returns the admin side of the tests' server, skipping as
// Database does without one.
func pgTestServer(t *testing.T) *sql.DB {
	t.Helper()
	srv, skip, err := pgSetup(os.Getenv(pgDSNEnv), os.Getenv(pgModeEnv))
	if err != nil {
		t.Fatal(err)
	}
	if srv == nil {
		t.Skip(skip)
	}
	return pgAdmin(t, srv)
}

func pgOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func pgDatabaseExists(t *testing.T, admin *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestDatabase: each call gives a database of its own, empty, that the
// test can write to and no other test sees.
func TestDatabase(t *testing.T) {
	pgTestServer(t)
	a, b := pgOpen(t, Database(t)), pgOpen(t, Database(t))
	var nameA, nameB string
	if err := a.QueryRow("SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow("SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB || !strings.HasPrefix(nameA, "t_testdatabase_") {
		t.Fatalf("databases %q and %q", nameA, nameB)
	}
	tables := func(db *sql.DB) int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables
			WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := tables(a); n != 0 {
		t.Fatalf("a new database holds %d tables", n)
	}
	if _, err := a.Exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("INSERT INTO t (id, v) VALUES ($1, $2)", 1, "a"); err != nil {
		t.Fatal(err)
	}
	if n := tables(a); n != 1 {
		t.Fatalf("after CREATE TABLE, %d tables", n)
	}
	if n := tables(b); n != 0 {
		t.Fatalf("a table made in one database shows in another: %d tables", n)
	}
	if _, err := b.Exec("SELECT 1 FROM t"); err == nil {
		t.Fatal("table t is in the other database too")
	}
}

// TestDatabaseDropped: a test's database is gone when the test ends,
// even with a connection of the test still open on it.
func TestDatabaseDropped(t *testing.T) {
	admin := pgTestServer(t)
	var name string
	var left *sql.DB
	t.Run("sub", func(t *testing.T) {
		db, err := sql.Open("pgx", Database(t))
		if err != nil {
			t.Fatal(err)
		}
		left = db // not closed till the subtest is over
		if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !pgDatabaseExists(t, admin, name) {
			t.Fatalf("database %s is not in pg_database", name)
		}
	})
	if left != nil {
		defer left.Close()
	}
	if name == "" {
		t.Fatal("the subtest made no database")
	}
	if pgDatabaseExists(t, admin, name) {
		t.Fatalf("database %s outlived its test", name)
	}
}

// TestDatabaseParallel: many parallel tests, each with its database, on
// the one small admin pool.
func TestDatabaseParallel(t *testing.T) {
	pgTestServer(t)
	var mu sync.Mutex
	names := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range 24 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := pgOpen(t, Database(t))
				var name string
				if err := db.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec("CREATE TABLE t (id bigint)"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if names[name] {
					t.Errorf("database %s given twice", name)
				}
				names[name] = true
			})
		}
	})
	if len(names) != 24 && !t.Failed() {
		t.Errorf("%d databases, want 24", len(names))
	}
}
