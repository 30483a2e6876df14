package postgres_test

// The test that keeps the two engines' schemas in step: SQLite's, built by
// store/migrations/*.sql, and PostgreSQL's, built by
// store/migrations/postgres (a baseline equal to SQLite's version 19, then
// a file per later SQLite migration). Each side's catalogue is read into
// one normal form of facts ("signals column user" → "text not null default
// ''") and the facts must agree, but for the few differences listed in
// allowedDifferences.
//
// The package is postgres_test, not postgres: store will import
// store/postgres, and this test imports store for its SQLite migrations.

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/alarmrx/alarmrx/store"
	"github.com/alarmrx/alarmrx/store/postgres"
	_ "github.com/mattn/go-sqlite3"
)

// allowedDifferences are the differences the engines' schemas may have:
// every other fact must be the same on both. A key names a fact (see
// schemaFacts) or, for a whole table or sequence, every fact under it; the
// values say what each side must hold there ("" for absent), so that an
// allowance never hides another difference at the same place. An allowance
// that no longer occurs fails the test too: it is to be removed.
var allowedDifferences = []struct {
	key, sqlite, postgres, why string
}{
	{"journal", "", "*", "on SQLite the journal is a database of its own (journal.db, store/journaldb); " +
		"on PostgreSQL a table of this database, with the node that committed each entry"},
	{"sequence journal_id_seq", "", "sequence", "on PostgreSQL the journal's (and so the frames') ids come " +
		"from a sequence, shared by the nodes; on SQLite from journal.db's rowid"},
	{"schema_version", "", "*", "PostgreSQL's schema version; SQLite keeps it in PRAGMA user_version"},
	{"frames column id", "int not null pk 1 auto", "int not null pk 1", "a frame's id is its journal entry's: " +
		"given, never assigned by the table (SQLite's rowid alias cannot say so)"},
	{"signals index signals_account_id", "(account_id) where account_id is not null", "(account_id, id) where account_id is not null",
		"an account's signals in id order (its last signal, its history newest first): SQLite's index holds the rowid " +
			"after its keys, PostgreSQL's must name it (migration 0032)"},
}

// schemaFacts maps a fact's key to its value, both in normal form:
//
//	T                          table
//	T column C                 kind [not null] [default D] [pk N] [auto]
//	T columns                  the column names in order
//	T index I                  [unique] [desc] (keys) [where W]  (indexes made by CREATE INDEX)
//	T unique (a, b)            unique  (UNIQUE constraints, by column set)
//	T foreign key (a)          references U (b) on update X on delete Y
//	T check (E)                check
//	T rows                     the rows a fresh database holds (seed rows)
//	view V, trigger G          existence only (neither engine has any yet)
//	sequence S                 a sequence that no identity column owns
//
// Kinds are int, text, bytes and real (SQLite's type affinities).
// Expressions (defaults, checks, index keys and WHERE clauses) are parsed
// and printed again (normExpr): lower case, no casts, no redundant
// parentheses, PostgreSQL's "= ANY (ARRAY[…])" as IN and its rewritten
// BETWEEN as two comparisons.
type schemaFacts map[string]string

func TestSchemaMatchesSQLite(t *testing.T) {
	pgdb, _ := newTestDatabase(t)
	ctx := context.Background()
	if _, err := postgres.Migrate(ctx, pgdb, os.DirFS(pgDir), nil); err != nil {
		t.Fatalf("PostgreSQL Migrate: %v", err)
	}
	lite := sqliteFacts(t, migrateSQLite(t))
	pg := postgresFacts(t, pgdb)
	if len(lite) < 100 || len(pg) < 100 {
		t.Fatalf("read %d SQLite facts and %d PostgreSQL facts: too few for a schema", len(lite), len(pg))
	}
	if diff := compareFacts(lite, pg); diff != "" {
		t.Errorf("the PostgreSQL schema (store/migrations/postgres) differs from SQLite's (store/migrations):\n%s"+
			"Change the PostgreSQL migration to match, or list a difference that cannot be avoided in allowedDifferences.", diff)
	}
}

// TestMigrationsInStep: the PostgreSQL files start at a baseline that is a
// SQLite version (0019), and every SQLite migration after it has a
// PostgreSQL file of the same number, and the other way round, so that
// both engines reach the same versions.
func TestMigrationsInStep(t *testing.T) {
	lite := migrationNumbers(t, store.Migrations())
	pg := migrationNumbers(t, os.DirFS(pgDir))
	if len(pg) == 0 {
		t.Fatalf("no PostgreSQL migrations in %s", pgDir)
	}
	base := pg[0]
	if !slices.Contains(lite, base) {
		t.Errorf("the PostgreSQL baseline %04d is no SQLite schema version", base)
	}
	after := func(ns []int) []int {
		return slices.DeleteFunc(slices.Clone(ns), func(n int) bool { return n <= base })
	}
	for _, n := range after(lite) {
		if !slices.Contains(pg, n) {
			t.Errorf("SQLite migration %04d has no PostgreSQL file %04d_*.sql in %s", n, n, pgDir)
		}
	}
	for _, n := range after(pg) {
		if !slices.Contains(lite, n) {
			t.Errorf("PostgreSQL migration %04d has no SQLite migration of that number", n)
		}
	}
	lv, pv := store.SchemaVersion(), postgres.SchemaVersion(os.DirFS(pgDir))
	if lv == 0 || lv != pv {
		t.Errorf("schema versions: SQLite %d, PostgreSQL %d; want them equal", lv, pv)
	}
}

func migrationNumbers(t *testing.T, fsys fs.FS) []int {
	t.Helper()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, _ := strings.Cut(e.Name(), "_")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: no version number", e.Name())
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// compareFacts returns the differences of lite and pg that are not
// allowed, one line each, "" when there are none.
func compareFacts(lite, pg schemaFacts) string {
	keys := map[string]bool{}
	for k := range lite {
		keys[k] = true
	}
	for k := range pg {
		keys[k] = true
	}
	used := make([]bool, len(allowedDifferences))
	var lines []string
	for k := range keys {
		l, lok := lite[k]
		p, pok := pg[k]
		if lok && pok && l == p {
			continue
		}
		allowed := false
		for i, a := range allowedDifferences {
			if k != a.key && !strings.HasPrefix(k, a.key+" ") {
				continue
			}
			if matchAllowed(a.sqlite, l, lok, k == a.key) && matchAllowed(a.postgres, p, pok, k == a.key) {
				allowed, used[i] = true, true
			}
		}
		if !allowed {
			lines = append(lines, fmt.Sprintf("  %s:\n      sqlite:   %s\n      postgres: %s", k, show(l, lok), show(p, pok)))
		}
	}
	sort.Strings(lines)
	for i, a := range allowedDifferences {
		if !used[i] {
			lines = append(lines, fmt.Sprintf("  allowed difference %q (sqlite %q, postgres %q) no longer occurs: remove it",
				a.key, a.sqlite, a.postgres))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// matchAllowed: want "" means absent, "*" present with any value, and
// anything else that exact value (at the allowance's own key; facts under
// it need only be present).
func matchAllowed(want, got string, ok, exact bool) bool {
	switch {
	case want == "":
		return !ok
	case want == "*" || !exact:
		return ok
	default:
		return ok && got == want
	}
}

func show(v string, ok bool) string {
	if !ok {
		return "(none)"
	}
	return v
}

// migrateSQLite builds SQLite's schema in a new database file, applying
// store.Migrations() in order as the engine does.
func migrateSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "schema.db")+"?_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	fsys := store.Migrations()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("SQLite migration %s: %v", name, err)
		}
	}
	return db
}

// ---- SQLite's catalogue ----

func sqliteFacts(t *testing.T, db *sql.DB) schemaFacts {
	t.Helper()
	f := schemaFacts{}
	type object struct{ typ, name, table, sql string }
	var objects []object
	rows, err := db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.typ, &o.name, &o.table, &o.sql); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	indexSQL := map[string]string{}
	for _, o := range objects {
		switch o.typ {
		case "view", "trigger":
			f[o.typ+" "+o.name] = o.typ
		case "index":
			indexSQL[o.name] = o.sql
		}
	}
	for _, o := range objects {
		if o.typ == "table" {
			sqliteTable(t, db, f, o.name, o.sql, indexSQL)
		}
	}
	return f
}

func sqliteTable(t *testing.T, db *sql.DB, f schemaFacts, table, createSQL string, indexSQL map[string]string) {
	t.Helper()
	f[table] = "table"
	toks := tokenize(t, createSQL)

	// CHECK constraints, from the CREATE TABLE text (SQLite has no pragma
	// for them); the columns they name keep a rowid alias explicit.
	checked := map[string]bool{}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].kind == tIdent && toks[i].text == "check" && toks[i+1].text == "(" {
			end := closing(t, toks, i+1)
			e := parseExpr(t, toks[i+1:end+1])
			f[table+" check ("+e.String()+")"] = "check"
			for _, id := range e.idents() {
				checked[id] = true
			}
			i = end
		}
	}
	withoutRowid := len(toks) >= 2 && toks[len(toks)-2].text == "without" && toks[len(toks)-1].text == "rowid"

	// Foreign keys.
	fkCols := map[string]bool{}
	type fk struct {
		from, to               []string
		table, onUpd, onDelete string
	}
	fks := map[int]*fk{}
	rows, err := db.Query(`SELECT id, "table", "from", coalesce("to", ''), on_update, on_delete
		FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		var ref, from, to, onUpd, onDel string
		if err := rows.Scan(&id, &ref, &from, &to, &onUpd, &onDel); err != nil {
			t.Fatal(err)
		}
		k := fks[id]
		if k == nil {
			k = &fk{table: ref, onUpd: onUpd, onDelete: onDel}
			fks[id] = k
		}
		k.from = append(k.from, from)
		k.to = append(k.to, to) // "" names the referenced table's primary key
		fkCols[from] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Columns.
	type col struct {
		name, typ, def string
		notNull        bool
		pk             int
	}
	var cols []col
	rows, err = db.Query(`SELECT name, type, "notnull", coalesce(dflt_value, ''), pk
		FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.def, &c.pk); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	pkCols := 0
	for _, c := range cols {
		if c.pk > 0 {
			pkCols++
		}
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.name)
		def := ""
		if c.def != "" {
			def = normExprText(t, c.def)
		}
		// A rowid alias (a lone INTEGER PRIMARY KEY of a rowid table) takes
		// the next id when none is given: an identity. One that is checked
		// or references another table is a key the store gives.
		auto := !withoutRowid && pkCols == 1 && c.pk == 1 && strings.EqualFold(c.typ, "INTEGER") &&
			!checked[c.name] && !fkCols[c.name]
		// Primary key columns are NOT NULL on PostgreSQL; SQLite lets a
		// rowid table's non-integer key hold NULL unless declared NOT NULL
		// (a legacy quirk, no intent): read them as NOT NULL.
		f[table+" column "+c.name] = columnFact(sqliteKind(c.typ), c.notNull || c.pk > 0, def, c.pk, auto)
	}
	f[table+" columns"] = strings.Join(names, ", ")

	for _, k := range fks {
		to := k.to
		if slices.Contains(to, "") {
			to = sqlitePrimaryKey(t, db, k.table)
		}
		f[table+" foreign key ("+strings.Join(k.from, ", ")+")"] = fkFact(k.table, to, k.onUpd, k.onDelete)
	}

	// Indexes: those made by CREATE INDEX by name, UNIQUE constraints by
	// column set; the primary key's is in the columns' pk.
	rows, err = db.Query(`SELECT name, "unique", origin FROM pragma_index_list(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	type idx struct {
		name, origin string
		unique       bool
	}
	var idxs []idx
	for rows.Next() {
		var i idx
		if err := rows.Scan(&i.name, &i.unique, &i.origin); err != nil {
			t.Fatal(err)
		}
		idxs = append(idxs, i)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, i := range idxs {
		keys, descs := sqliteIndexKeys(t, db, i.name)
		switch i.origin {
		case "pk":
		case "u":
			f[table+" unique ("+strings.Join(keys, ", ")+")"] = "unique"
		case "c":
			exprs, where := parseCreateIndex(t, indexSQL[i.name])
			if len(exprs) != len(keys) {
				t.Fatalf("index %s: %d keys in its SQL, %d in pragma_index_xinfo", i.name, len(exprs), len(keys))
			}
			for n := range keys {
				if keys[n] == "" { // an expression
					keys[n] = exprs[n]
				}
			}
			f[table+" index "+i.name] = indexFact(i.unique, keys, descs, where, "")
		default:
			t.Fatalf("index %s: origin %q", i.name, i.origin)
		}
	}

	sqlRows(t, db, f, table, `SELECT * FROM "`+table+`"`)
}

func sqlitePrimaryKey(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sqliteIndexKeys returns an index's key columns in order ("" for an
// expression) and whether each is descending.
func sqliteIndexKeys(t *testing.T, db *sql.DB, index string) (keys []string, descs []bool) {
	t.Helper()
	rows, err := db.Query(`SELECT cid, coalesce(name, ''), "desc" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno`, index)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid int
		var name string
		var desc bool
		if err := rows.Scan(&cid, &name, &desc); err != nil {
			t.Fatal(err)
		}
		if cid == -1 {
			name = "rowid"
		}
		keys = append(keys, name)
		descs = append(descs, desc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, descs
}

// parseCreateIndex returns the normalised key expressions and WHERE clause
// of a CREATE INDEX statement.
func parseCreateIndex(t *testing.T, stmt string) (keys []string, where string) {
	t.Helper()
	toks := tokenize(t, stmt)
	open := slices.IndexFunc(toks, func(k token) bool { return k.text == "(" })
	if open < 0 {
		t.Fatalf("CREATE INDEX without keys: %s", stmt)
	}
	end := closing(t, toks, open)
	for _, item := range splitTop(toks[open+1 : end]) {
		// Drop ASC/DESC and COLLATE x: pragma_index_xinfo gives the order.
		for len(item) > 0 && (item[len(item)-1].text == "asc" || item[len(item)-1].text == "desc") {
			item = item[:len(item)-1]
		}
		if c := slices.IndexFunc(item, func(k token) bool { return k.kind == tIdent && k.text == "collate" }); c >= 0 {
			item = item[:c]
		}
		keys = append(keys, parseExpr(t, item).String())
	}
	rest := toks[end+1:]
	if len(rest) > 0 {
		if rest[0].text != "where" {
			t.Fatalf("CREATE INDEX: unexpected %q after the keys: %s", rest[0].text, stmt)
		}
		where = parseExpr(t, rest[1:]).String()
	}
	return keys, where
}

// sqliteKind is a declared type's affinity [SQLite datatype3.html §3.1].
func sqliteKind(typ string) string {
	u := strings.ToUpper(typ)
	switch {
	case strings.Contains(u, "INT"):
		return "int"
	case strings.Contains(u, "CHAR"), strings.Contains(u, "CLOB"), strings.Contains(u, "TEXT"):
		return "text"
	case u == "" || strings.Contains(u, "BLOB"):
		return "bytes"
	case strings.Contains(u, "REAL"), strings.Contains(u, "FLOA"), strings.Contains(u, "DOUB"):
		return "real"
	default:
		return "numeric"
	}
}

// ---- PostgreSQL's catalogue ----

func postgresFacts(t *testing.T, db *sql.DB) schemaFacts {
	t.Helper()
	f := schemaFacts{}
	query := func(q string, scan func(rows *sql.Rows) error) {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	// Relations: tables, views, and sequences no column owns (an identity
	// column's sequence is part of the column).
	var tables []string
	query(`SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('i', 'a'))
		ORDER BY c.relname`, func(rows *sql.Rows) error {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			return err
		}
		switch kind {
		case "r", "p":
			f[name] = "table"
			tables = append(tables, name)
		case "v", "m":
			f["view "+name] = "view"
		case "S":
			f["sequence "+name] = "sequence"
		}
		return nil
	})
	query(`SELECT g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND NOT g.tgisinternal`, func(rows *sql.Rows) error {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		f["trigger "+name] = "trigger"
		return nil
	})

	// Columns, with their position in the primary key.
	columns := map[string][]string{}
	query(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
			coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text, a.attgenerated::text,
			coalesce(array_position(p.conkey, a.attnum), 0)
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		LEFT JOIN pg_constraint p ON p.conrelid = c.oid AND p.contype = 'p'
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`, func(rows *sql.Rows) error {
		var table, name, typ, def, identity, generated string
		var notNull bool
		var pk int
		if err := rows.Scan(&table, &name, &typ, &notNull, &def, &identity, &generated, &pk); err != nil {
			return err
		}
		if def != "" {
			def = normExprText(t, def)
		}
		if generated != "" {
			def = "generated " + def
		}
		columns[table] = append(columns[table], name)
		f[table+" column "+name] = columnFact(postgresKind(typ), notNull, def, pk, identity != "")
		return nil
	})
	for table, names := range columns {
		f[table+" columns"] = strings.Join(names, ", ")
	}

	// Constraints: UNIQUE by column set, foreign keys, checks.
	query(`SELECT c.relname, con.contype::text,
			(SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
			coalesce(r.relname, ''),
			coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum), ''),
			con.confupdtype::text, con.confdeltype::text, pg_get_constraintdef(con.oid)
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class r ON r.oid = con.confrelid
		WHERE n.nspname = current_schema()`, func(rows *sql.Rows) error {
		var table, typ, cols, ref, refCols, onUpd, onDel, def string
		if err := rows.Scan(&table, &typ, &cols, &ref, &refCols, &onUpd, &onDel, &def); err != nil {
			return err
		}
		keys := strings.Split(cols, ",")
		switch typ {
		case "p": // in the columns' pk
		case "u":
			f[table+" unique ("+strings.Join(keys, ", ")+")"] = "unique"
		case "f":
			f[table+" foreign key ("+strings.Join(keys, ", ")+")"] = fkFact(ref, strings.Split(refCols, ","),
				pgAction(onUpd), pgAction(onDel))
		case "c":
			e, ok := strings.CutPrefix(def, "CHECK ")
			if !ok {
				return fmt.Errorf("check constraint of %s: %q", table, def)
			}
			f[table+" check ("+normExprText(t, e)+")"] = "check"
		default:
			f[table+" constraint "+def] = typ
		}
		return nil
	})

	// Indexes made by CREATE INDEX (not those of a constraint).
	query(`SELECT c.relname, ic.relname, i.indisunique, am.amname,
			(SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), chr(31) ORDER BY k) FROM generate_series(1, i.indnkeyatts) k),
			(SELECT string_agg((i.indoption[k - 1] & 1)::text, ',' ORDER BY k) FROM generate_series(1, i.indnkeyatts) k),
			coalesce(pg_get_expr(i.indpred, i.indrelid, true), '')
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_am am ON am.oid = ic.relam
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)`,
		func(rows *sql.Rows) error {
			var table, name, method, keyList, descList, where string
			var unique bool
			if err := rows.Scan(&table, &name, &unique, &method, &keyList, &descList, &where); err != nil {
				return err
			}
			var keys []string
			for _, k := range strings.Split(keyList, "\x1f") {
				keys = append(keys, normExprText(t, k))
			}
			var descs []bool
			for _, d := range strings.Split(descList, ",") {
				descs = append(descs, d == "1")
			}
			if where != "" {
				where = normExprText(t, where)
			}
			if method == "btree" {
				method = ""
			}
			f[table+" index "+name] = indexFact(unique, keys, descs, where, method)
			return nil
		})

	for _, table := range tables {
		sqlRows(t, db, f, table, `SELECT * FROM "`+table+`"`)
	}
	return f
}

func postgresKind(typ string) string {
	switch {
	case typ == "smallint" || typ == "integer" || typ == "bigint":
		return "int"
	case typ == "text" || strings.HasPrefix(typ, "character"):
		return "text"
	case typ == "bytea":
		return "bytes"
	case typ == "real" || typ == "double precision":
		return "real"
	default:
		return typ // boolean, numeric, …: no SQLite kind holds them the same way
	}
}

func pgAction(code string) string {
	switch code {
	case "a":
		return "NO ACTION"
	case "r":
		return "RESTRICT"
	case "c":
		return "CASCADE"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	default:
		return code
	}
}

// ---- facts ----

func columnFact(kind string, notNull bool, def string, pk int, auto bool) string {
	s := kind
	if notNull {
		s += " not null"
	}
	if def != "" {
		s += " default " + def
	}
	if pk > 0 {
		s += " pk " + strconv.Itoa(pk)
	}
	if auto {
		s += " auto"
	}
	return s
}

func fkFact(table string, cols []string, onUpdate, onDelete string) string {
	return fmt.Sprintf("references %s (%s) on update %s on delete %s",
		table, strings.Join(cols, ", "), strings.ToLower(onUpdate), strings.ToLower(onDelete))
}

func indexFact(unique bool, keys []string, descs []bool, where, method string) string {
	var b strings.Builder
	if unique {
		b.WriteString("unique ")
	}
	if method != "" {
		b.WriteString("using " + method + " ")
	}
	ks := slices.Clone(keys)
	for i := range ks {
		if descs[i] {
			ks[i] += " desc"
		}
	}
	b.WriteString("(" + strings.Join(ks, ", ") + ")")
	if where != "" {
		b.WriteString(" where " + where)
	}
	return b.String()
}

// sqlRows records the rows of a table, if it has any: in a fresh database,
// the seed rows the migrations insert.
func sqlRows(t *testing.T, db *sql.DB, f schemaFacts, table, q string) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				s = append(s, "NULL")
			case []byte:
				s = append(s, fmt.Sprintf("x'%x'", v))
			case string:
				s = append(s, strconv.Quote(v))
			default:
				s = append(s, fmt.Sprint(v))
			}
		}
		out = append(out, "("+strings.Join(s, ", ")+")")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) > 0 {
		sort.Strings(out)
		f[table+" rows"] = strings.Join(out, ", ")
	}
}

// ---- expressions ----

// normExprText parses an SQL expression of either engine and prints it in
// normal form.
func normExprText(t *testing.T, s string) string {
	t.Helper()
	return parseExpr(t, tokenize(t, s)).String()
}

type tokenKind int

const (
	tIdent  tokenKind = iota // lower-cased; quoted identifiers unquoted
	tNumber                  // as written
	tString                  // with its quotes, as written
	tOp                      // punctuation and operators
)

type token struct {
	kind tokenKind
	text string
}

// tokenize splits SQL text into tokens, dropping comments and white space.
func tokenize(t *testing.T, s string) []token {
	t.Helper()
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				t.Fatalf("unterminated comment in %q", s)
			}
			i += end + 4
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					t.Fatalf("unterminated string in %q", s)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, token{tString, s[i : j+1]})
			i = j + 1
		case c == '"' || c == '`': // [name] is SQLite's too, unused here: "[" is ARRAY[…]'s
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				t.Fatalf("unterminated identifier in %q", s)
			}
			out = append(out, token{tIdent, strings.ToLower(s[i+1 : i+1+end])})
			i += end + 2
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			out = append(out, token{tNumber, s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || unicode.IsLetter(rune(s[j])) || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{tIdent, strings.ToLower(s[i:j])})
			i = j
		default:
			op := string(c)
			for _, two := range []string{"::", "<>", "!=", "<=", ">=", "==", "||", "~~"} {
				if strings.HasPrefix(s[i:], two) {
					op = two
				}
			}
			out = append(out, token{tOp, op})
			i += len(op)
		}
	}
	return out
}

// closing returns the index of the parenthesis or bracket closing the one
// at toks[open].
func closing(t *testing.T, toks []token, open int) int {
	t.Helper()
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].text {
		case "(", "[":
			if toks[i].kind == tOp {
				depth++
			}
		case ")", "]":
			if toks[i].kind == tOp {
				depth--
				if depth == 0 {
					return i
				}
			}
		}
	}
	t.Fatalf("unbalanced parentheses")
	return 0
}

// splitTop splits tokens at the commas outside parentheses.
func splitTop(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, k := range toks {
		if k.kind != tOp {
			continue
		}
		switch k.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

// expr is a parsed expression. Parentheses make no node, casts are
// dropped, and each form either engine writes for one meaning is parsed
// into one node.
type expr struct {
	op   string // "lit", "ident", "call", "in", "not in", "is null", "is not null", "not", "neg", or a binary operator
	text string // lit, ident, call: the literal, name or function
	args []*expr
}

// precedence of the binary operators, and of "not", the IS and IN tests
// (as comparisons) and the atoms, for printing parentheses.
func (e *expr) prec() int {
	switch e.op {
	case "or":
		return 1
	case "and":
		return 2
	case "not":
		return 3
	case "=", "<>", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "like", "not like", "is", "is not":
		return 4
	case "+", "-", "||":
		return 5
	case "*", "/", "%":
		return 6
	case "neg":
		return 7
	default:
		return 8
	}
}

func (e *expr) String() string {
	sub := func(a *expr, min int) string {
		if a.prec() < min {
			return "(" + a.String() + ")"
		}
		return a.String()
	}
	list := func(as []*expr) string {
		var s []string
		for _, a := range as {
			s = append(s, a.String())
		}
		return strings.Join(s, ", ")
	}
	switch e.op {
	case "lit", "ident":
		return e.text
	case "call":
		return e.text + "(" + list(e.args) + ")"
	case "in", "not in":
		if len(e.args) == 2 { // PostgreSQL prints "x IN (a)" as "x = a"
			return (&expr{op: map[string]string{"in": "=", "not in": "<>"}[e.op], args: e.args}).String()
		}
		return sub(e.args[0], 5) + " " + e.op + " (" + list(e.args[1:]) + ")"
	case "is null", "is not null":
		return sub(e.args[0], 5) + " " + e.op
	case "not":
		return "not " + sub(e.args[0], 3)
	case "neg":
		return "-" + sub(e.args[0], 7)
	case "and", "or":
		var s []string
		for _, a := range e.args {
			s = append(s, sub(a, e.prec()+1))
		}
		return strings.Join(s, " "+e.op+" ")
	default: // binary, left-associative
		return sub(e.args[0], e.prec()) + " " + e.op + " " + sub(e.args[1], e.prec()+1)
	}
}

// idents returns the column names an expression reads.
func (e *expr) idents() []string {
	var out []string
	if e.op == "ident" {
		out = append(out, e.text)
	}
	for _, a := range e.args {
		out = append(out, a.idents()...)
	}
	return out
}

type parser struct {
	t    *testing.T
	toks []token
	pos  int
}

func parseExpr(t *testing.T, toks []token) *expr {
	t.Helper()
	p := &parser{t: t, toks: toks}
	e := p.or()
	if p.pos != len(toks) {
		t.Fatalf("expression: unexpected %q in %v", toks[p.pos].text, toks)
	}
	return e
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *parser) peekAt(n int) string {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n].text
	}
	return ""
}

func (p *parser) accept(s string) bool {
	if p.peek() == s {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(s string) {
	p.t.Helper()
	if !p.accept(s) {
		p.t.Fatalf("expression: want %q, have %q in %v", s, p.peek(), p.toks)
	}
}

// flat builds an AND or OR node, merging nested ones of the same op:
// "a and (b and c)" is "a and b and c".
func flat(op string, a, b *expr) *expr {
	var args []*expr
	for _, x := range []*expr{a, b} {
		if x.op == op {
			args = append(args, x.args...)
		} else {
			args = append(args, x)
		}
	}
	return &expr{op: op, args: args}
}

func (p *parser) or() *expr {
	e := p.and()
	for p.accept("or") {
		e = flat("or", e, p.and())
	}
	return e
}

func (p *parser) and() *expr {
	e := p.not()
	for p.accept("and") {
		e = flat("and", e, p.not())
	}
	return e
}

func (p *parser) not() *expr {
	if p.accept("not") {
		return &expr{op: "not", args: []*expr{p.not()}}
	}
	return p.cmp()
}

func (p *parser) cmp() *expr {
	left := p.add()
	switch op := p.peek(); op {
	case "=", "==", "<>", "!=", "<", "<=", ">", ">=":
		p.pos++
		if same, ok := map[string]string{"==": "=", "!=": "<>"}[op]; ok {
			op = same
		}
		// PostgreSQL prints "x IN (a, b)" as "x = ANY (ARRAY[a, b])", and
		// "x NOT IN (a, b)" as "x <> ALL (ARRAY[a, b])".
		if (op == "=" && p.peek() == "any" || op == "<>" && p.peek() == "all") && p.peekAt(1) == "(" {
			p.pos += 2
			list := p.arrayList()
			p.expect(")")
			in := "in"
			if op == "<>" {
				in = "not in"
			}
			return &expr{op: in, args: append([]*expr{left}, list...)}
		}
		return &expr{op: op, args: []*expr{left, p.add()}}
	case "is":
		p.pos++
		neg := p.accept("not")
		if p.accept("null") {
			if neg {
				return &expr{op: "is not null", args: []*expr{left}}
			}
			return &expr{op: "is null", args: []*expr{left}}
		}
		op := "is"
		if neg {
			op = "is not"
		}
		return &expr{op: op, args: []*expr{left, p.add()}}
	case "notnull":
		p.pos++
		return &expr{op: "is not null", args: []*expr{left}}
	case "isnull":
		p.pos++
		return &expr{op: "is null", args: []*expr{left}}
	}
	neg := false
	if p.peek() == "not" && (p.peekAt(1) == "in" || p.peekAt(1) == "between" || p.peekAt(1) == "like") {
		p.pos++
		neg = true
	}
	switch {
	case p.accept("in"):
		p.expect("(")
		list := []*expr{left}
		for {
			list = append(list, p.or())
			if !p.accept(",") {
				break
			}
		}
		p.expect(")")
		op := "in"
		if neg {
			op = "not in"
		}
		return &expr{op: op, args: list}
	case p.accept("between"):
		// PostgreSQL prints "x BETWEEN a AND b" as "x >= a AND x <= b".
		lo := p.add()
		p.expect("and")
		hi := p.add()
		if neg {
			return &expr{op: "or", args: []*expr{{op: "<", args: []*expr{left, lo}}, {op: ">", args: []*expr{left, hi}}}}
		}
		return &expr{op: "and", args: []*expr{{op: ">=", args: []*expr{left, lo}}, {op: "<=", args: []*expr{left, hi}}}}
	case p.accept("like"), p.accept("~~"):
		op := "like"
		if neg {
			op = "not like"
		}
		return &expr{op: op, args: []*expr{left, p.add()}}
	}
	return left
}

// arrayList parses ARRAY[a, b] (after "= ANY (").
func (p *parser) arrayList() []*expr {
	p.expect("array")
	p.expect("[")
	var list []*expr
	for {
		list = append(list, p.or())
		if !p.accept(",") {
			break
		}
	}
	p.expect("]")
	return list
}

func (p *parser) add() *expr {
	e := p.mul()
	for {
		op := p.peek()
		if op != "+" && op != "-" && op != "||" {
			return e
		}
		p.pos++
		e = &expr{op: op, args: []*expr{e, p.mul()}}
	}
}

func (p *parser) mul() *expr {
	e := p.unary()
	for {
		op := p.peek()
		if op != "*" && op != "/" && op != "%" {
			return e
		}
		p.pos++
		e = &expr{op: op, args: []*expr{e, p.unary()}}
	}
}

func (p *parser) unary() *expr {
	if p.accept("-") {
		a := p.unary()
		if a.op == "lit" && a.text != "" && a.text[0] >= '0' && a.text[0] <= '9' {
			return &expr{op: "lit", text: "-" + a.text}
		}
		return &expr{op: "neg", args: []*expr{a}}
	}
	p.accept("+")
	return p.cast()
}

// cast parses an atom and drops the casts after it ("'a'::text",
// "(x)::bigint", "'a'::character varying").
func (p *parser) cast() *expr {
	e := p.primary()
	for p.accept("::") {
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tIdent {
			p.t.Fatalf("expression: cast to %q", p.peek())
		}
		p.pos++
		for p.peek() == "varying" || p.peek() == "precision" {
			p.pos++
		}
		if p.peek() == "(" {
			p.pos = closing(p.t, p.toks, p.pos) + 1
		}
		for p.peek() == "[" && p.peekAt(1) == "]" {
			p.pos += 2
		}
	}
	return e
}

func (p *parser) primary() *expr {
	p.t.Helper()
	if p.pos >= len(p.toks) {
		p.t.Fatalf("expression ends early: %v", p.toks)
	}
	k := p.toks[p.pos]
	p.pos++
	switch {
	case k.kind == tOp && k.text == "(":
		e := p.or()
		p.expect(")")
		return e
	case k.kind == tNumber || k.kind == tString:
		return &expr{op: "lit", text: k.text}
	case k.kind == tIdent && (k.text == "null" || k.text == "true" || k.text == "false"):
		return &expr{op: "lit", text: k.text}
	case k.kind == tIdent && p.peek() == "(":
		p.pos++
		e := &expr{op: "call", text: k.text}
		if !p.accept(")") {
			for {
				e.args = append(e.args, p.or())
				if !p.accept(",") {
					break
				}
			}
			p.expect(")")
		}
		return e
	case k.kind == tIdent:
		name := k.text
		for p.peek() == "." && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tIdent {
			name = p.toks[p.pos+1].text // a qualified column: its table adds nothing here
			p.pos += 2
		}
		return &expr{op: "ident", text: name}
	}
	p.t.Fatalf("expression: unexpected %q in %v", k.text, p.toks)
	return nil
}
