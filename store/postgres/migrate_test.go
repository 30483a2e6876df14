package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/postgres"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// The tests run on a real PostgreSQL server: ALARMRX_TEST_PG_DSN names it
// (a database the test user may create databases from, e.g.
// postgres://alarmrx@127.0.0.1:54329/postgres?sslmode=disable). Without it
// they are skipped, unless ALARMRX_PG_TESTS=required.
const (
	dsnEnv      = "ALARMRX_TEST_PG_DSN"
	requiredEnv = "ALARMRX_PG_TESTS"
)

// pgDir is the directory of the PostgreSQL migration files.
const pgDir = "../migrations/postgres"

// newTestDatabase creates a database of its own for the test on the
// server of ALARMRX_TEST_PG_DSN, returns a handle on it and its DSN, and
// drops it when the test ends.
func newTestDatabase(t *testing.T) (*sql.DB, string) {
	t.Helper()
	server := os.Getenv(dsnEnv)
	if server == "" {
		if os.Getenv(requiredEnv) == "required" {
			t.Fatalf("%s is not set and %s=required", dsnEnv, requiredEnv)
		}
		t.Skipf("%s is not set: no PostgreSQL server to test on", dsnEnv)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("open the test server: %v", err) // pgx's error names no password
	}
	t.Cleanup(func() { _ = admin.Close() })

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "alarmrx_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	dsn := withDatabase(t, server, name)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Close() // before the drop; the drop forces out any other connection
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return db, dsn
}

// withDatabase returns the server DSN naming database name instead,
// either DSN form: a URL or key=value pairs (where a later key wins).
func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s is not a valid URL", dsnEnv) // the DSN itself may hold a password
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

func migrate(t *testing.T, db *sql.DB) int {
	t.Helper()
	v, err := postgres.Migrate(context.Background(), db, os.DirFS(pgDir), nil)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return v
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow(`SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// latest is the schema version of this build: the newest migration of
// both engines (TestMigrationsInStep keeps them equal).
var latest = store.SchemaVersion()

func schemaVersion(t *testing.T, db *sql.DB) (rows, version int) {
	t.Helper()
	if err := db.QueryRow(`SELECT count(*), coalesce(max(version), 0) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	return rows, version
}

func TestSchemaVersion(t *testing.T) {
	if v := postgres.SchemaVersion(os.DirFS(pgDir)); v != latest {
		t.Errorf("SchemaVersion(%s) = %d, want %d", pgDir, v, latest)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"empty":        {},
		"gap":          {"0019_a.sql": {Data: []byte("SELECT 1")}, "0021_c.sql": {Data: []byte("SELECT 1")}},
		"duplicate":    {"0019_a.sql": {Data: []byte("SELECT 1")}, "0019_b.sql": {Data: []byte("SELECT 1")}},
		"no number":    {"baseline.sql": {Data: []byte("SELECT 1")}},
		"zero":         {"0000_a.sql": {Data: []byte("SELECT 1")}},
		"not a number": {"00x1_a.sql": {Data: []byte("SELECT 1")}},
	} {
		if v := postgres.SchemaVersion(fsys); v != 0 {
			t.Errorf("%s: SchemaVersion = %d, want 0", name, v)
		}
	}
	ok := fstest.MapFS{
		"0005_base.sql": {Data: []byte("SELECT 1")},
		"0006_next.sql": {Data: []byte("SELECT 1")},
		"README.md":     {Data: []byte("not a migration")},
		"sub/0007.sql":  {Data: []byte("not at the top")},
	}
	if v := postgres.SchemaVersion(ok); v != 6 {
		t.Errorf("SchemaVersion = %d, want 6", v)
	}
}

func TestMigrateFresh(t *testing.T) {
	db, _ := newTestDatabase(t)
	if v := migrate(t, db); v != latest {
		t.Fatalf("Migrate = %d, want %d", v, latest)
	}
	if rows, v := schemaVersion(t, db); rows != 1 || v != latest {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, %d", rows, v, latest)
	}
	for _, table := range []string{"frames", "signals", "incidents", "outbox", "accounts", "poll_evidence",
		"projection", "projections", "journal", "journal_id_seq"} {
		if !tableExists(t, db, table) {
			t.Errorf("%s missing after Migrate", table)
		}
	}
	// The seed rows of 0013 and 0017.
	var cursor, signalID int64
	if err := db.QueryRow(`SELECT cursor FROM projection WHERE id = 1`).Scan(&cursor); err != nil || cursor != 0 {
		t.Errorf("projection cursor = %d, %v; want 0", cursor, err)
	}
	if err := db.QueryRow(`SELECT signal_id FROM projections WHERE name = 'unprogrammed_zones'`).Scan(&signalID); err != nil || signalID != 0 {
		t.Errorf("projections unprogrammed_zones = %d, %v; want 0", signalID, err)
	}
	// Frame ids come from the journal's sequence; other ids are identities.
	var id int64
	if err := db.QueryRow(`SELECT nextval('journal_id_seq')`).Scan(&id); err != nil || id != 1 {
		t.Errorf("nextval(journal_id_seq) = %d, %v; want 1", id, err)
	}
	if err := db.QueryRow(`INSERT INTO users (username, role, password_hash, created_at, updated_at)
		VALUES ('op', 'operator', 'x', 1, 1) RETURNING id`).Scan(&id); err != nil || id != 1 {
		t.Errorf("users id = %d, %v; want 1", id, err)
	}
	if _, err := db.Exec(`INSERT INTO frames (received_at, receiver, line, listener, transport, remote_addr,
		protocol, kind, account, status, raw) VALUES (1, 1, 1, 'l', 'tcp', 'a', 'dc09', 'NULL', '1234', 'accepted', '')`); err == nil {
		t.Error("a frame without an id was stored; frames.id must have no default")
	}
}

func TestMigrateAgain(t *testing.T) {
	db, _ := newTestDatabase(t)
	migrate(t, db)
	if _, err := db.Exec(`INSERT INTO receivers (number, name) VALUES (1, 'r1')`); err != nil {
		t.Fatal(err)
	}
	if v := migrate(t, db); v != latest {
		t.Fatalf("second Migrate = %d, want %d", v, latest)
	}
	if rows, v := schemaVersion(t, db); rows != 1 || v != latest {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, %d", rows, v, latest)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM receivers`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("receivers: %d rows, %v; want the one written before", n, err)
	}
}

// TestMigrateConcurrent starts migrators together on a fresh database, each
// on a connection pool of its own, as nodes starting together would: the
// advisory lock lets one apply the baseline while the others wait, then
// find it applied. Without it, they would collide creating the same tables.
// One of them says it created the schema.
func TestMigrateConcurrent(t *testing.T) {
	db, dsn := newTestDatabase(t)
	const n = 4
	var dbs []*sql.DB
	for range n {
		other, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Close() })
		dbs = append(dbs, other)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	versions := make([]int, n)
	start := make(chan struct{})
	obs, logs := observer.New(zap.InfoLevel)
	for i := range n {
		wg.Go(func() {
			<-start
			versions[i], errs[i] = postgres.Migrate(context.Background(), dbs[i], os.DirFS(pgDir), zap.New(obs))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || versions[i] != latest {
			t.Errorf("migrator %d: version %d, %v; want %d, nil", i, versions[i], errs[i], latest)
		}
	}
	if rows, v := schemaVersion(t, db); rows != 1 || v != latest {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, %d", rows, v, latest)
	}
	if created := logs.FilterMessage("schema created").Len(); created != 1 {
		t.Errorf("%d migrators said they created the schema, want 1: %v", created, entries(logs.All()))
	}
}

// TestMigrateWaitsForLock holds the migrators' lock and shows that Migrate
// waits for it before it reads or writes anything, longer than the
// session's statement_timeout and lock_timeout (the store's sessions have
// both: a node starting while another migrates must wait, not fail).
func TestMigrateWaitsForLock(t *testing.T) {
	db, dsn := newTestDatabase(t)
	ctx := context.Background()
	migrator, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer migrator.Close()
	migrator.SetMaxOpenConns(1) // one session, whose timeouts are short
	if _, err := migrator.ExecContext(ctx, `SET statement_timeout = 100`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.ExecContext(ctx, `SET lock_timeout = 100`); err != nil {
		t.Fatal(err)
	}
	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	// The key is the one migrate.go names; the test says it again on purpose:
	// changing it breaks mixed-version clusters during a rolling upgrade.
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(0x616c61726d72785f)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := postgres.Migrate(ctx, migrator, os.DirFS(pgDir), nil)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Migrate returned (%v) while another migrator held the lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if tableExists(t, db, "schema_version") {
		t.Fatal("schema_version created while another migrator held the lock")
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Migrate after the lock was released: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Migrate did not finish after the lock was released")
	}
	if _, v := schemaVersion(t, db); v != latest {
		t.Fatalf("version %d, want %d", v, latest)
	}
}

// TestMigrateSessionTimeouts: a migration's own statements run without
// the session's statement_timeout, under its lock_timeout (a migration
// waiting behind another session's lock fails instead of holding up every
// query queued behind it), and the session keeps both afterwards.
func TestMigrateSessionTimeouts(t *testing.T) {
	_, dsn := newTestDatabase(t)
	ctx := context.Background()
	migrator, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer migrator.Close()
	migrator.SetMaxOpenConns(1)
	if _, err := migrator.ExecContext(ctx, `SET statement_timeout = 1500`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.ExecContext(ctx, `SET lock_timeout = 1200`); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"0005_base.sql": {Data: []byte(`CREATE TABLE seen AS
		SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock`)}}
	if _, err := postgres.Migrate(ctx, migrator, fsys, nil); err != nil {
		t.Fatal(err)
	}
	var statement, lock string
	if err := migrator.QueryRowContext(ctx, `SELECT statement, lock FROM seen`).Scan(&statement, &lock); err != nil {
		t.Fatal(err)
	}
	if statement != "0" || lock != "1200ms" {
		t.Errorf("a migration ran with statement_timeout %s and lock_timeout %s; want 0 and the session's 1200ms", statement, lock)
	}
	if err := migrator.QueryRowContext(ctx, `SELECT current_setting('statement_timeout'), current_setting('lock_timeout')`).
		Scan(&statement, &lock); err != nil {
		t.Fatal(err)
	}
	if statement != "1500ms" || lock != "1200ms" {
		t.Errorf("after Migrate the session has statement_timeout %s and lock_timeout %s; want 1500ms and 1200ms", statement, lock)
	}
}

// TestMigrateLogs: a fresh database logs one line with the version
// reached; an older one logs the upgrade with both versions, then each
// migration applied with its name, version and time taken, in order.
func TestMigrateLogs(t *testing.T) {
	db, _ := newTestDatabase(t)
	ctx := context.Background()
	all, err := engine.Migrations(os.DirFS(pgDir), true)
	if err != nil {
		t.Fatal(err)
	}
	base := all[0]
	obs, logs := observer.New(zap.InfoLevel)
	fsys := fstest.MapFS{base.Name: {Data: []byte(base.SQL)}}
	if v, err := postgres.Migrate(ctx, db, fsys, zap.New(obs)); err != nil || v != base.Version {
		t.Fatalf("Migrate the baseline = %d, %v", v, err)
	}
	if got := logs.TakeAll(); len(got) != 1 || got[0].Message != "schema created" ||
		got[0].ContextMap()["version"] != int64(base.Version) {
		t.Fatalf("a fresh database logged %v; want one \"schema created\" with version %d", entries(got), base.Version)
	}
	if v, err := postgres.Migrate(ctx, db, os.DirFS(pgDir), zap.New(obs)); err != nil || v != latest {
		t.Fatalf("Migrate = %d, %v; want %d", v, err, latest)
	}
	got := logs.TakeAll()
	if len(got) != len(all) { // the upgrade's line, then one per file after the baseline
		t.Fatalf("the upgrade logged %d lines, want %d: %v", len(got), len(all), entries(got))
	}
	if f := got[0].ContextMap(); !strings.HasPrefix(got[0].Message, "upgrading the database's schema") ||
		!strings.Contains(got[0].Message, "pg_dump") || f["from"] != int64(base.Version) || f["to"] != int64(latest) {
		t.Errorf("first line %q %v; want the upgrade from %d to %d, naming pg_dump", got[0].Message, f, base.Version, latest)
	}
	for i, m := range all[1:] {
		e := got[i+1]
		f := e.ContextMap()
		if _, timed := f["took"].(time.Duration); e.Message != "schema migration applied" || f["migration"] != m.Name ||
			f["version"] != int64(m.Version) || !timed {
			t.Errorf("line %d: %q %v; want \"schema migration applied\" of %s, version %d, with its time", i+1, e.Message, f, m.Name, m.Version)
		}
	}
	if _, err := postgres.Migrate(ctx, db, os.DirFS(pgDir), zap.New(obs)); err != nil {
		t.Fatal(err)
	}
	if got := logs.TakeAll(); len(got) != 0 {
		t.Errorf("a database already at this version logged %v; want nothing", entries(got))
	}
}

func entries(es []observer.LoggedEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprint(e.Message, " ", e.ContextMap()))
	}
	return out
}

func TestMigrateSchemaNewer(t *testing.T) {
	db, _ := newTestDatabase(t)
	if _, err := db.Exec(`CREATE TABLE schema_version (version integer NOT NULL);
		INSERT INTO schema_version (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	v, err := postgres.Migrate(context.Background(), db, os.DirFS(pgDir), nil)
	if !errors.Is(err, postgres.ErrSchemaNewer) {
		t.Fatalf("Migrate = %d, %v; want ErrSchemaNewer", v, err)
	}
	for _, want := range []string{"999", strconv.Itoa(latest), "run the alarmrx version that wrote it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if tableExists(t, db, "frames") {
		t.Error("Migrate wrote to a database newer than its files")
	}
	if rows, v := schemaVersion(t, db); rows != 1 || v != 999 {
		t.Errorf("schema_version: %d rows, version %d; want it untouched", rows, v)
	}
}

func TestMigrateGap(t *testing.T) {
	db, _ := newTestDatabase(t)
	fsys := fstest.MapFS{
		"0019_base.sql":  {Data: []byte("CREATE TABLE a (x integer)")},
		"0021_later.sql": {Data: []byte("CREATE TABLE c (x integer)")},
	}
	if _, err := postgres.Migrate(context.Background(), db, fsys, nil); err == nil || !strings.Contains(err.Error(), "0021_later.sql") {
		t.Fatalf("Migrate with a gap = %v; want an error naming 0021_later.sql", err)
	}
	if tableExists(t, db, "schema_version") || tableExists(t, db, "a") {
		t.Error("Migrate wrote to the database before it found the gap")
	}
}

// TestMigrateSteps runs a baseline and later files, each holding several
// statements, and a failing file, which leaves the database at the version
// before it with none of its statements applied.
func TestMigrateSteps(t *testing.T) {
	db, _ := newTestDatabase(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"0005_base.sql": {Data: []byte(`-- a baseline
CREATE TABLE a (x integer NOT NULL);
INSERT INTO a (x) VALUES (1);
INSERT INTO a (x) VALUES (2); -- a comment; with a semicolon
`)},
	}
	if v, err := postgres.Migrate(ctx, db, fsys, nil); err != nil || v != 5 {
		t.Fatalf("Migrate = %d, %v; want 5", v, err)
	}
	fsys["0006_more.sql"] = &fstest.MapFile{Data: []byte(`ALTER TABLE a ADD COLUMN y text NOT NULL DEFAULT 'semi;colon';
CREATE TABLE b (z integer);`)}
	fsys["0007_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE c (z integer); INSERT INTO nowhere VALUES (1);`)}
	v, err := postgres.Migrate(ctx, db, fsys, nil)
	if err == nil || !strings.Contains(err.Error(), "0007_broken.sql") || v != 6 {
		t.Fatalf("Migrate = %d, %v; want 6 and an error naming 0007_broken.sql", v, err)
	}
	if rows, v := schemaVersion(t, db); rows != 1 || v != 6 {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, 6", rows, v)
	}
	var n int
	var y string
	if err := db.QueryRow(`SELECT count(*), min(y) FROM a`).Scan(&n, &y); err != nil || n != 2 || y != "semi;colon" {
		t.Errorf("a: %d rows, y %q, %v; want 2 rows of 'semi;colon'", n, y, err)
	}
	if !tableExists(t, db, "b") || tableExists(t, db, "c") {
		t.Error("want table b (0006) and no table c (0007 failed)")
	}
	fsys["0007_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE c (z integer)`)}
	if v, err := postgres.Migrate(ctx, db, fsys, nil); err != nil || v != 7 {
		t.Fatalf("Migrate after the fix = %d, %v; want 7", v, err)
	}

	// A database older than the baseline has no way forward.
	if _, err := db.Exec(`UPDATE schema_version SET version = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Migrate(ctx, db, fsys, nil); err == nil || !strings.Contains(err.Error(), "older than this build's baseline 5") {
		t.Fatalf("Migrate from version 3 = %v; want an error about the baseline", err)
	}
}
