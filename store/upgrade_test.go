package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/bcrypt"
)

// filled says what the rows a table held before a migration added a
// column hold in it afterwards: want is an SQL condition every such row
// meets after the upgrade to this build, on both engines. added is the
// migration that added the column; fixed, when later, the one that gave
// the old rows their value (0: added did). A column without a row here
// fails TestUpgradeFillsNewColumns: whoever adds one decides what an
// existing station's rows get.
type filled struct {
	table, column string
	added, fixed  int
	want          string
	// of is the table whose rows from before the migration the check
	// needs (default table): a seed row derived from another table's.
	of string
}

// due is the version from which a station's existing rows are sensible.
func (f filled) due() int { return max(f.added, f.fixed) }

func (f filled) name() string { return fmt.Sprintf("%s.%s (%04d)", f.table, f.column, f.added) }

// rowsOf is the table whose old rows the check needs.
func (f filled) rowsOf() string {
	if f.of != "" {
		return f.of
	}
	return f.table
}

// upgradeFilled: every column a migration added to a table, and what the
// rows already there get.
var upgradeFilled = []filled{
	// 0002: at version 1 there were no accounts: every signal was an
	// unknown account's, to be claimed once the account is added.
	{table: "signals", column: "account_id", added: 2, want: "account_id IS NULL"},
	{table: "signals", column: "site_id", added: 2, want: "site_id IS NULL"},
	{table: "signals", column: "resolution", added: 2, want: "resolution = 'unknown'"},
	{table: "signals", column: "test", added: 2, want: "test = 0"},
	{table: "signals", column: "on_test_id", added: 2, want: "on_test_id IS NULL"},
	{table: "signals", column: "zone_description", added: 2, want: "zone_description = ''"},
	// 0003: before the queue, every signal was stored only.
	{table: "signals", column: "handling", added: 3, want: "handling = 'logged'"},
	{table: "customers", column: "report_email", added: 7, want: "report_email = ''"},
	// 0008 gave the customers and installers already there no identifier;
	// 0034 gives them one (checked further by checkIdentifiers).
	{table: "customers", column: "identifier", added: 8, fixed: 34, want: "trim(identifier) <> ''"},
	{table: "installers", column: "identifier", added: 8, fixed: 34, want: "trim(identifier) <> ''"},
	{table: "responding_parties", column: "created_by", added: 8, want: "created_by = 'station'"},
	{table: "responding_parties", column: "updated_by", added: 8, want: "updated_by = 'station'"},
	{table: "zones", column: "created_by", added: 8, want: "created_by = 'station'"},
	{table: "zones", column: "updated_by", added: 8, want: "updated_by = 'station'"},
	// Empty: the time zone of the customer's first site.
	{table: "customers", column: "time_zone", added: 9, want: "time_zone = ''"},
	{table: "sites", column: "created_by", added: 9, want: "created_by = 'station'"},
	{table: "sites", column: "updated_by", added: 9, want: "updated_by = 'station'"},
	{table: "outbox", column: "undeliverable_at", added: 11, want: "undeliverable_at IS NULL"},
	{table: "outbox", column: "undeliverable_reason", added: 11, want: "undeliverable_reason = ''"},
	// The configuration sets the mode at every start-up; 'add' is what
	// the receivers did before.
	{table: "receivers", column: "account_prefix_mode", added: 12, want: "account_prefix_mode = 'add'"},
	{table: "sites", column: "identifier_key", added: 12, want: "identifier_key <> ''"},
	{table: "customers", column: "identifier_key", added: 12, fixed: 34, want: "identifier_key <> ''"},
	{table: "installers", column: "identifier_key", added: 12, fixed: 34, want: "identifier_key <> ''"},
	// Without an installer of its own, the site's stands for the system.
	{table: "accounts", column: "installer_id", added: 13, want: "installer_id IS NULL"},
	{table: "accounts", column: "technician_id", added: 13, want: "technician_id IS NULL"},
	{table: "audit_log", column: "before_json", added: 13, want: "before_json = ''"},
	{table: "audit_log", column: "after_json", added: 13, want: "after_json = ''"},
	// Empty: the portal user's own scope.
	{table: "portal_sessions", column: "scope", added: 14, want: "scope = ''"},
	{table: "customers", column: "address", added: 15, want: "address = ''"},
	{table: "reports", column: "annotation", added: 15, want: "annotation = ''"},
	{table: "reports", column: "created_by", added: 15, want: "created_by = 'station'"},
	{table: "reports", column: "updated_by", added: 15, want: "updated_by = 'station'"},
	{table: "reports", column: "updated_at", added: 15, want: "updated_at = created_at"},
	{table: "reports", column: "deleted_at", added: 15, want: "deleted_at IS NULL"},
	{table: "reports", column: "deleted_by", added: 15, want: "deleted_by = ''"},
	// The projection's cursor starts past the frames already there: they
	// are projected, and never again.
	{table: "projection", column: "cursor", added: 17, of: "frames", want: "cursor = (SELECT max(id) FROM frames)"},
	// No test heard yet by the other nodes (CheckInsOf reads 0 as none).
	{table: "supervision", column: "last_test", added: 20, want: "last_test = 0"},
	// Unclaimed: a pending delivery is mailed at the next pass.
	{table: "report_deliveries", column: "claimed_at", added: 21, want: "claimed_at IS NULL"},
	{table: "report_deliveries", column: "claimed_epoch", added: 21, want: "claimed_epoch = 0"},
	{table: "responding_parties", column: "duress_passcode", added: 26, want: "duress_passcode = ''"},
	// Not escalated yet: an open incident unclaimed past its threshold is
	// escalated once, as a new one would be.
	{table: "incidents", column: "escalated_at", added: 28, want: "escalated_at IS NULL"},
}

// fixtureStep is what a station at version v or later writes, in the
// columns it has at v (a later migration adds only columns with a default
// or NULL, so the statement stays valid). X'…' is a BLOB, bytea on
// PostgreSQL.
type fixtureStep struct {
	v    int
	sql  string
	args []any
}

// upgradePassword is the portal user's of the old station.
const upgradePassword = "old station's manager"

// oldStation is the rows of a station that started long ago and kept
// each version's records: customers that never got an identifier, sites
// with theirs, accounts, zones, a call list, signals and incidents, users,
// reports and their deliveries, a portal user of a customer without an
// identifier. Times are 2024-01-01 and later, in Unix nanoseconds.
func oldStation(t *testing.T) []fixtureStep {
	hash, err := bcrypt.GenerateFromPassword([]byte(upgradePassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	const at = "1704110400000000000"
	step := func(v int, sql string, args ...any) fixtureStep {
		return fixtureStep{v: v, sql: strings.ReplaceAll(sql, "@", at), args: args}
	}
	return []fixtureStep{
		step(1, `INSERT INTO frames (id, received_at, receiver, line, listener, transport, remote_addr, protocol, kind, account, status, raw)
			VALUES (1, @, 1, 1, 'dc09-main', 'tcp', '192.0.2.10:4000', 'dc09', 'SIA-DCS', '1234', 'accepted', X'0a41'),
			       (2, @ + 1000, 1, 1, 'dc09-main', 'tcp', '192.0.2.11:4000', 'dc09', 'ADM-CID', '5678', 'accepted', X'0a42')`),
		step(1, `INSERT INTO signals (id, frame_id, idx, received_at, receiver, account, format, event_code, zone, priority)
			VALUES (1, 1, 0, @, 1, '1234', 'SIA', 'BA', '1', 2), (2, 2, 0, @ + 1000, 1, '5678', 'CID', '130', '3', 2)`),

		step(2, `INSERT INTO receivers (number, name) VALUES (1, 'main')`),
		step(2, `INSERT INTO customers (id, parent_id, name, created_at, updated_at) VALUES (1, NULL, 'Acme HQ', @, @), (2, 1, 'Acme North', @, @)`),
		step(2, `INSERT INTO installers (id, name, phone, created_at, updated_at) VALUES (1, 'Bolt Alarms', '+1 312 555 0199', @, @)`),
		step(2, `INSERT INTO technicians (id, installer_id, name, created_at, updated_at) VALUES (1, 1, 'Tom', @, @)`),
		step(2, `INSERT INTO sites (id, customer_id, installer_id, name, identifier, created_at, updated_at)
			VALUES (1, 2, 1, 'North store', '+1 312 555 0101', @, @), (2, 1, NULL, 'Head office', '44-71-234', @, @)`),
		step(2, `INSERT INTO accounts (id, receiver, number, site_id, supervision_seconds, created_at, updated_at)
			VALUES (1, 1, '1234', 1, 3600, @, @), (2, 1, '5678', 2, 0, @, @)`),
		step(2, `INSERT INTO zones (id, account_id, number, description, created_at, updated_at) VALUES (1, 1, '1', 'Front door', @, @)`),
		step(2, `INSERT INTO responding_parties (id, site_id, position, name, phones, passcode, created_at, updated_at)
			VALUES (1, 1, 1, 'Ann Keyholder', '["+1 312 555 0142"]', 'sesame', @, @)`),
		step(2, `INSERT INTO authorities (id, site_id, kind, name, created_at, updated_at) VALUES (1, 1, 'police', 'North precinct', @, @)`),
		step(2, `INSERT INTO on_tests (id, account_id, scope, starts_at, ends_at, reason, authorised_by, created_at, ended_at, end_reason)
			VALUES (1, 1, 'account', @, @ + 3600000000000, 'service', 'ann', @, @ + 3600000000000, 'expired')`),
		step(2, `INSERT INTO station_events (id, at, kind, receiver, account) VALUES (1, @, 'unknown_account', 1, '9999')`),
		step(2, `UPDATE signals SET account_id = 1, site_id = 1, resolution = 'resolved' WHERE id = 1`),

		step(3, `INSERT INTO incidents (id, account_key, account_id, site_id, receiver, account, kind, title, priority, status,
			opened_at, last_signal_at, signal_count) VALUES (1, 'id:1', 1, 1, 1, '1234', 'alarm', 'Burglary', 2, 'open', @, @, 1)`),
		step(3, `INSERT INTO incident_signals (incident_id, signal_id, role) VALUES (1, 1, 'alarm')`),
		step(3, `INSERT INTO incident_actions (id, incident_id, at, user_name, action) VALUES (1, 1, @, 'system', 'opened')`),
		step(3, `UPDATE signals SET handling = 'queue' WHERE id = 1`),
		step(3, `INSERT INTO users (id, username, full_name, role, password_hash, created_at, updated_at)
			VALUES (1, 'admin', 'Station admin', 'admin', ?, @, @)`, string(hash)),
		step(3, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ('tok', 1, 'csrf', @, @ + 3600000000000)`),
		step(3, `INSERT INTO audit_log (id, at, user_id, user_name, action, target) VALUES (1, @, 1, 'admin', 'customer.create', 'customer:1')`),
		step(4, `INSERT INTO message_ids (key, frame_id, at) VALUES ('xml:cloud:42', 2, @)`),
		step(5, `INSERT INTO outbox (id, target, kind, signal_id, created_at, attempts, delivered_at)
			VALUES (1, 'webhook', 'signal', 1, @, 1, @ + 5000), (2, 'webhook', 'signal', 2, @ + 1000, 3, NULL)`),
		step(6, `INSERT INTO supervision (account_id, last_seen, failed, test_late) VALUES (1, @, 0, 0)`),
		step(7, `INSERT INTO reports (id, customer_id, night, window_from, window_to, recipients, subject, html, text, created_at, sent_at)
			VALUES (1, 1, '2024-01-02', @, @ + 43200000000000, 'ops@acme.example', 'Night report', '<p>quiet</p>', 'quiet', @, NULL)`),

		// From 0008 on, a new customer or installer draws an identifier;
		// the old ones keep none until someone edits them.
		step(8, `INSERT INTO customers (id, parent_id, name, identifier, created_at, updated_at) VALUES (3, NULL, 'Beta Ltd', '100200300', @, @)`),
		step(8, `INSERT INTO installers (id, name, identifier, created_at, updated_at) VALUES (2, 'Coil Security', '200300400', @, @)`),
		step(8, `INSERT INTO portal_users (id, scope, kind, username, password_hash, created_by, created_at, updated_at)
			VALUES (1, 'customer:1', 'manager', 'mia', ?, 'admin', @, @)`, string(hash)),
		step(8, `INSERT INTO portal_sessions (token_hash, portal_user_id, csrf_token, created_at, expires_at) VALUES ('ptok', 1, 'pcsrf', @, @ + 3600000000000)`),
		// The keys 0012 derives from the identifiers, for the rows written
		// before it.
		step(12, `UPDATE sites SET identifier_key = CASE id WHEN 1 THEN '13125550101' ELSE '4471234' END`),
		step(12, `UPDATE customers SET identifier_key = identifier WHERE identifier <> ''`),
		step(12, `UPDATE installers SET identifier_key = identifier WHERE identifier <> ''`),
		step(15, `INSERT INTO customer_contacts (id, customer_id, name, email, report, created_at, updated_at)
			VALUES (1, 1, 'Ops desk', 'ops@acme.example', 1, @, @)`),
		step(15, `INSERT INTO report_deliveries (id, report_id, kind, recipient_id, name, address, sent_at, attempts)
			VALUES (1, 1, 'contact', 1, 'Ops desk', 'ops@acme.example', NULL, 1)`),
		step(16, `INSERT INTO poll_evidence (receiver, account, listener, account_id, first_at, last_at, polls, transport, remote_addr, protocol, kind, raw)
			VALUES (1, '1234', 'dc09-main', 1, @, @ + 60000000000, 12, 'tcp', '192.0.2.10:4000', 'dc09', 'NULL', X'0a4e')`),
		// The projection has projected every frame there is.
		step(17, `UPDATE projection SET cursor = (SELECT max(id) FROM frames)`),
	}
}

// upgradeStarts are the versions an old station is built at on each
// engine: on SQLite from the first on, on PostgreSQL from its baseline
// (no PostgreSQL database is older), and on both the version just before
// this build's.
func upgradeStarts(t *testing.T, postgresRun bool) []int {
	if postgresRun {
		ms, err := engine.Migrations(PostgresMigrations(), true)
		if err != nil {
			t.Fatal(err)
		}
		return []int{ms[0].Version, SchemaVersion() - 1}
	}
	return []int{1, 6, 7, 13, 19, SchemaVersion() - 1}
}

// TestUpgradeFillsNewColumns builds a station at an old schema version
// with the rows it would hold, upgrades it by opening the store (this
// build's migrations), and checks that every column added since holds a
// sensible value in every row that was there (upgradeFilled), and that
// every site, customer and installer has an identifier its portal users
// log in with. On SQLite from several versions, on PostgreSQL from its
// baseline.
func TestUpgradeFillsNewColumns(t *testing.T) {
	pg := testEngine != nil
	checkFilledListed(t)
	starts := upgradeStarts(t, pg)
	covered := map[string]bool{}
	for _, from := range starts {
		t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			before := buildOldStation(t, path, from)
			s, _ := openTest(t, path)
			ctx := context.Background()
			if v := schemaVersionOf(t, s); v != SchemaVersion() {
				t.Fatalf("schema version %d after the upgrade, want %d", v, SchemaVersion())
			}
			for _, f := range upgradeFilled {
				if f.due() <= from || before.rows[f.rowsOf()] == 0 {
					continue
				}
				covered[f.name()] = true
				var n, bad int
				if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+f.table).Scan(&n); err != nil {
					t.Fatalf("%s: %v", f.name(), err)
				}
				if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+f.table+` WHERE NOT (`+f.want+`)`).Scan(&bad); err != nil {
					t.Fatalf("%s: %v", f.name(), err)
				}
				if n == 0 || bad != 0 {
					t.Errorf("%s: %d of the %d rows there since version %d miss %s", f.name(), bad, n, from, f.want)
				}
			}
			checkIdentifiers(t, s, before)
		})
	}
	if t.Failed() {
		return
	}
	oldest := slices.Min(starts)
	for _, f := range upgradeFilled {
		if f.due() > oldest && !covered[f.name()] {
			t.Errorf("%s: no old station held a row of %s before it; give oldStation one, or upgradeStarts a version before %d",
				f.name(), f.rowsOf(), f.due())
		}
	}
}

// checkFilledListed: every column a migration of either engine adds has
// its row in upgradeFilled, with the migration's number.
func checkFilledListed(t *testing.T) {
	t.Helper()
	addColumn := regexp.MustCompile(`(?i)ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)`)
	for _, fsys := range []fs.FS{Migrations(), PostgresMigrations()} {
		ms, err := engine.Migrations(fsys, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if strings.Contains(m.Name, "baseline") {
				continue // the whole schema at its version: SQLite's migrations added its columns
			}
			for _, sub := range addColumn.FindAllStringSubmatch(m.SQL, -1) {
				if !slices.ContainsFunc(upgradeFilled, func(f filled) bool {
					return f.table == sub[1] && f.column == sub[2] && f.added == m.Version
				}) {
					t.Errorf("%s adds %s.%s: say in upgradeFilled what the rows already there get", m.Name, sub[1], sub[2])
				}
			}
		}
	}
}

// oldRows is what the old station held before its upgrade.
type oldRows struct {
	from int
	rows map[string]int // rows per table
	// bare are the sites, customers and installers without an
	// identifier ("customer:1").
	bare []string
}

// buildOldStation writes, at path, a store at schema version from (this
// build's migrations up to it) holding the rows of oldStation up to that
// version, and says what it holds.
func buildOldStation(t *testing.T, path string, from int) oldRows {
	t.Helper()
	ctx := context.Background()
	log := zaptest.NewLogger(t)
	var db interface {
		Setup() *sql.DB
		Abort()
	}
	pg := testEngine != nil
	if pg {
		_, dsn, err := testEngine(path)
		if err != nil {
			t.Fatal(err)
		}
		pdb, err := postgres.Open(ctx, dsn, postgres.Options{Logger: log, Registerer: prometheus.NewRegistry(),
			Migrations: migrationsUpTo(t, PostgresMigrations(), from)})
		if err != nil {
			t.Fatal(err)
		}
		db = pdb
	} else {
		sdb, err := sqlite.Open(ctx, path, sqlite.Options{Logger: log, Registerer: prometheus.NewRegistry(),
			Synchronous: "full", BusyTimeout: 5 * time.Second, BatchMax: 64, PendingMax: 64, FileCheckInterval: time.Second,
			Migrations: migrationsUpTo(t, Migrations(), from)})
		if err != nil {
			t.Fatal(err)
		}
		db = sdb
	}
	defer db.Abort()
	w := db.Setup()
	blob := regexp.MustCompile(`X'([0-9a-f]*)'`)
	for _, st := range oldStation(t) {
		if st.v > from {
			continue
		}
		q := st.sql
		if pg {
			q = blob.ReplaceAllString(q, `'\x$1'::bytea`)
		}
		if _, err := w.ExecContext(ctx, q, st.args...); err != nil {
			t.Fatalf("version %d: %s: %v", st.v, q, err)
		}
	}
	if pg {
		// Ids given explicitly leave the identities behind: move them on,
		// as the rows' own inserts would have.
		rows, err := w.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND is_identity = 'YES'`)
		if err != nil {
			t.Fatal(err)
		}
		var ids [][2]string
		for rows.Next() {
			var tc [2]string
			if err := rows.Scan(&tc[0], &tc[1]); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tc)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range ids {
			if _, err := w.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+tc[0]+`', '`+tc[1]+`'), coalesce(max(`+tc[1]+`), 0) + 1, false) FROM `+tc[0]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.ExecContext(ctx, `SELECT setval('journal_id_seq', coalesce(max(id), 0) + 1, false) FROM frames`); err != nil {
			t.Fatal(err)
		}
	}
	out := oldRows{from: from, rows: map[string]int{}}
	for _, f := range upgradeFilled {
		var n int
		if w.QueryRowContext(ctx, `SELECT count(*) FROM `+f.rowsOf()).Scan(&n) == nil {
			out.rows[f.rowsOf()] = n
		}
	}
	for _, kind := range []string{"site", "customer", "installer"} {
		rows, err := w.QueryContext(ctx, `SELECT id FROM `+kind+`s WHERE trim(identifier) = ''`)
		if err != nil { // no identifier column yet (customers and installers before 0008)
			rows, err = w.QueryContext(ctx, `SELECT id FROM `+kind+`s`)
		}
		if err != nil { // no table yet (version 1)
			continue
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out.bare = append(out.bare, core.ScopeOf(kind, id))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// migrationsUpTo are the migrations of fsys up to version v.
func migrationsUpTo(t *testing.T, fsys fs.FS, v int) fs.FS {
	t.Helper()
	ms, err := engine.Migrations(fsys, true)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= v {
			out[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no migration up to version %d", v)
	}
	return out
}

func schemaVersionOf(t *testing.T, s *Store) int {
	t.Helper()
	q := `PRAGMA user_version`
	if testEngine != nil {
		q = `SELECT version FROM schema_version`
	}
	var v int
	if err := s.rdb.QueryRowContext(context.Background(), q).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkIdentifiers: every site, customer and installer has an identifier
// and its key, no two alike; a record that had none got a 9-digit one,
// audited as its regeneration by the upgrade; each is found by its
// identifier as a portal log-in finds it, and the old customer's portal
// user logs in with it.
func checkIdentifiers(t *testing.T, s *Store, before oldRows) {
	t.Helper()
	ctx := context.Background()
	byScope := map[string]string{}
	keys := map[string]string{}
	for _, kind := range []string{"site", "customer", "installer"} {
		rows, err := s.rdb.QueryContext(ctx, `SELECT id, identifier, identifier_key FROM `+kind+`s ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var ident, key string
			if err := rows.Scan(&id, &ident, &key); err != nil {
				t.Fatal(err)
			}
			scope := core.ScopeOf(kind, id)
			byScope[scope] = ident
			switch {
			case strings.TrimSpace(ident) == "":
				t.Errorf("%s has no identifier: its portal users cannot log in", scope)
			case key != IdentifierKey(ident):
				t.Errorf("%s: identifier %q with key %q, want %q", scope, ident, key, IdentifierKey(ident))
			case keys[key] != "":
				t.Errorf("%s and %s share the identifier key %q", keys[key], scope, key)
			}
			keys[key] = scope
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for scope, ident := range byScope {
		c, err := s.LookupIdentifier(ctx, ident)
		if err != nil || c.Scope != scope {
			t.Errorf("identifier %q of %s: LookupIdentifier = %+v, %v", ident, scope, c, err)
		}
	}
	if len(before.bare) == 0 && before.from < 2 {
		return // version 1 had no records
	}
	if len(before.bare) == 0 {
		t.Fatalf("the station at version %d has every identifier: it tests no upgrade of them", before.from)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT target, detail FROM audit_log WHERE user_name = 'upgrade' AND action = 'identifier.regenerate' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for rows.Next() {
		var target, detail string
		if err := rows.Scan(&target, &detail); err != nil {
			t.Fatal(err)
		}
		audited = append(audited, target)
		var d struct{ Before, After string }
		if err := json.Unmarshal([]byte(detail), &d); err != nil || d.Before != "" || d.After != byScope[target] {
			t.Errorf("audit of %s: detail %s (%v); want before \"\" and after %q", target, detail, err, byScope[target])
		}
		if n, err := strconv.Atoi(d.After); err != nil || n < 100_000_000 || n > 999_999_999 {
			t.Errorf("%s was given %q, want a 9-digit number as a new record draws", target, d.After)
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(audited, before.bare) {
		t.Errorf("identifiers audited as given by the upgrade: %v; want those that had none: %v", audited, before.bare)
	}
	if before.from >= 8 { // the customer's portal user, who could not log in before
		_, sess, err := s.PortalLogin(ctx, byScope["customer:1"], "mia", upgradePassword, "192.0.2.50", time.Hour)
		if err != nil || sess.User.Scope != "customer:1" {
			t.Errorf("portal user mia of customer 1 logs in with %q: %+v, %v", byScope["customer:1"], sess, err)
		}
	}
}

// TestOpenRefusesNewerSchema: a store whose schema a newer alarmrx wrote
// is refused at open, on either engine, with one message naming both
// versions, and left as it was.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, _ := openTest(t, path)
	ctx := context.Background()
	newer := SchemaVersion() + 1
	bump := fmt.Sprintf(`PRAGMA user_version = %d`, newer)
	if testEngine != nil {
		bump = fmt.Sprintf(`UPDATE schema_version SET version = %d`, newer)
	}
	if _, err := s.db.Setup().ExecContext(ctx, bump); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var count func() (version, nodes int)
	if testEngine != nil {
		_, dsn, err := testEngine(path)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		count = func() (version, nodes int) {
			if err := db.QueryRowContext(ctx, `SELECT (SELECT version FROM schema_version), (SELECT count(*) FROM nodes)`).
				Scan(&version, &nodes); err != nil {
				t.Fatal(err)
			}
			return version, nodes
		}
	} else {
		count = func() (version, nodes int) {
			db, err := sqlite.OpenReadOnly(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
				t.Fatal(err)
			}
			return version, 0
		}
	}
	_, nodes := count()
	_, err := Open(ctx, path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry()})
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaNewer", err)
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("schema version %d, newer than this build's %d", newer, SchemaVersion()),
		"run the alarmrx version that wrote it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is more than one line", msg)
	}
	if v, n := count(); v != newer || n != nodes {
		t.Errorf("after the refused open: schema version %d and %d nodes; want %d and %d, untouched", v, n, newer, nodes)
	}
}
