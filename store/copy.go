package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store/postgres"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Moving a station from one node on SQLite to nodes on PostgreSQL
// (alarmrx store copy). The copy reads one snapshot of the SQLite store
// while its daemon may go on receiving (WAL lets a reader keep its
// snapshot beside the writer), and writes it into the PostgreSQL database
// in one transaction: a copy that fails leaves the target as it was, and
// nodes never see half a station.
//
// What is copied: every table of the schema, row for row with its ids
// (records, frames and signals, incidents and their actions, users and
// sessions, the outbox with what each output delivered, evidence, the
// station's settings), then:
//   - the journal's entries the SQLite projection had not projected yet
//     (acknowledged frames a few milliseconds old): they become the
//     PostgreSQL journal's, and the first node to start projects them;
//   - the dedupe keys of the frames inside the dedupe window, so that a
//     panel's retransmission after the cut-over is still a duplicate;
//   - every identity sequence, past the highest id copied.
//
// What is not: the node-local state of a cluster (nodes, leases), which
// the target's nodes make for themselves, and the SQLite projection's
// cursor, which PostgreSQL's journal has no use for.
//
// Sealed secrets (store.secrets_key_file) are copied sealed: the nodes
// need the same key file.

// Errors of a copy.
var (
	// ErrCopyTargetInUse: the target database holds a station already
	// (frames, records or users, or nodes have run on it), or a node is
	// running on it now.
	ErrCopyTargetInUse = errors.New("store: copy: the target database is in use")
	// ErrCopySource: the source cannot be copied as it is (another schema
	// version, or a table the target has no place for).
	ErrCopySource = errors.New("store: copy: the source cannot be copied")
	// ErrCopyVerify: the target's counts after the copy differ from the
	// source's snapshot; nothing was committed.
	ErrCopyVerify = errors.New("store: copy: verification failed")
)

// CopyOptions configure a copy.
type CopyOptions struct {
	Logger *zap.Logger // nil: none
	// Replace empties a target that holds a station already; without it
	// such a target is refused. A target a node is running on is refused
	// either way.
	Replace bool
	// DedupeWindow is the nodes' dedupe.window (default 10m): the frames
	// received inside it keep their dedupe keys.
	DedupeWindow time.Duration
	// Progress, when set, hears how a table's copy goes: at its start, at
	// most once a second while it runs, and at its end.
	Progress func(CopyProgress)
	// Now is the clock for the dedupe window; nil → time.Now.
	Now func() time.Time
}

// CopyProgress is how far a copy is.
type CopyProgress struct {
	Table       string
	Rows, Total int64
	Done        bool
}

// CopiedTable is one table's verification: the rows of the source's
// snapshot, and those the target holds after the copy.
type CopiedTable struct {
	Name           string
	Source, Target int64
}

// CopyResult is what a copy did.
type CopyResult struct {
	Source, Target string // the target without its password
	SchemaVersion  int    // the source's (SQLite) schema version
	Tables         []CopiedTable
	// JournalEntries are acknowledged frames the source had not projected
	// yet; the target's first node projects them.
	JournalEntries int64
	DedupeKeys     int64
	// Sealed tells that the source holds secrets sealed at rest.
	Sealed bool
	// Replaced tells that the target held a station, now replaced.
	Replaced bool
}

// copySkipped are the target's tables a copy does not fill from a table of
// the source: the journal and the dedupe keys are built from the source's
// journal and frames, the rest are the target's own.
var copySkipped = map[string]bool{
	"schema_version": true, "journal": true, "dedupe_keys": true,
	"leases": true, "nodes": true, "projection": true,
}

// copyTargetLive is how recent a node's heartbeat makes the node running.
const copyTargetLive = 30 * time.Second

// CopyToPostgres copies the SQLite store at sqlitePath (its journal beside
// it) into the PostgreSQL database dsn names, migrating that first. The
// source may be in use by its daemon; the target must not be.
func CopyToPostgres(ctx context.Context, sqlitePath, dsn string, o CopyOptions) (*CopyResult, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.DedupeWindow <= 0 {
		o.DedupeWindow = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &stationCopy{o: o, res: &CopyResult{Source: sqlitePath}}
	defer c.close()
	if err := c.openSource(ctx, sqlitePath); err != nil {
		return nil, err
	}
	if err := c.openTarget(ctx, dsn); err != nil {
		return nil, err
	}
	if err := c.run(ctx); err != nil {
		return nil, err
	}
	return c.res, nil
}

// stationCopy is one copy under way.
type stationCopy struct {
	o   CopyOptions
	res *CopyResult

	src, jsrc *sql.DB
	stx, jtx  *sql.Tx // the snapshots: the journal's taken first
	cursor    int64   // the source's last projected entry
	conn      *pgx.Conn
	keys      map[string]dedupeKey
}

type dedupeKey struct{ frame, at int64 }

// copyTable is one table of the target, as the copy fills it.
type copyTable struct {
	name     string
	columns  []string
	types    []string // the target's data_type of each column
	identity []string // the columns a sequence gives
	order    []string // the primary key's columns
}

func (c *stationCopy) close() {
	for _, tx := range []*sql.Tx{c.stx, c.jtx} {
		if tx != nil {
			_ = tx.Rollback()
		}
	}
	for _, db := range []*sql.DB{c.src, c.jsrc} {
		if db != nil {
			_ = db.Close()
		}
	}
	if c.conn != nil {
		_ = c.conn.Close(context.Background())
	}
}

// openSource opens the store and its journal read-only and takes their
// snapshots: the journal's first. The journal forgets only what the
// projection recorded as projected, and the store's snapshot, taken after,
// has a cursor at least that far: every acknowledged entry is in one
// snapshot or the other.
func (c *stationCopy) openSource(ctx context.Context, path string) (err error) {
	if c.src, err = sqlite.OpenReadOnly(ctx, path); err != nil {
		return err
	}
	var version int
	if err := c.src.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: copy: %s: %w", path, err)
	}
	c.res.SchemaVersion = version
	if want := SchemaVersion(); version != want {
		hint := "run this version's daemon on it once (it migrates at start), then copy"
		if version > want {
			hint = "copy with the alarmrx version that wrote it"
		}
		return fmt.Errorf("%w: %s has schema version %d, this build copies %d: %s", ErrCopySource, path, version, want, hint)
	}
	jpath := filepath.Join(filepath.Dir(path), JournalFileName)
	if _, err := os.Stat(jpath); err == nil {
		if c.jsrc, err = sqlite.OpenReadOnly(ctx, jpath); err != nil {
			return err
		}
		if c.jtx, err = c.jsrc.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
			return fmt.Errorf("store: copy: %s: %w", jpath, err)
		}
		var n int64
		// A deferred transaction's snapshot is taken at its first read.
		if err := c.jtx.QueryRowContext(ctx, `SELECT count(*) FROM journal`).Scan(&n); err != nil {
			return fmt.Errorf("store: copy: %s: %w", jpath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: copy: %s: %w", jpath, err)
	}
	if c.stx, err = c.src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
		return fmt.Errorf("store: copy: %s: %w", path, err)
	}
	if err := c.stx.QueryRowContext(ctx, `SELECT cursor FROM projection WHERE id = 1`).Scan(&c.cursor); err != nil {
		return fmt.Errorf("store: copy: %s: %w", path, err)
	}
	return nil
}

// openTarget migrates the target to this build's schema and opens the
// copy's own session on it.
func (c *stationCopy) openTarget(ctx context.Context, dsn string) error {
	db, err := postgres.Open(ctx, dsn, postgres.Options{Logger: c.o.Logger, Registerer: prometheus.NewRegistry(),
		Migrations: PostgresMigrations(), ApplicationName: "alarmrx/copy", ConnectWait: 10 * time.Second})
	if err != nil {
		return err
	}
	db.Abort()
	c.conn, c.res.Target, err = postgres.Connect(ctx, dsn, "alarmrx/copy", 10*time.Second)
	return err
}

func (c *stationCopy) run(ctx context.Context) error {
	tables, err := c.plan(ctx)
	if err != nil {
		return err
	}
	tx, err := c.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: copy: %s: %w", c.res.Target, err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	// A node that starts meanwhile waits for the copy (its claim of a
	// nodes row), rather than slipping in between the check and the
	// TRUNCATE and running on a database replaced under it.
	if _, err := tx.Exec(ctx, `LOCK TABLE nodes IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("store: copy: %s: %w", c.res.Target, err)
	}
	if err := c.checkTarget(ctx, tx); err != nil {
		return err
	}
	names := []string{"journal", "dedupe_keys", "leases", "nodes"}
	for _, t := range tables {
		names = append(names, t.name)
	}
	// The sequences are set after the copy (setSequences).
	if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(quoteAll(names), ", ")); err != nil {
		return fmt.Errorf("store: copy: empty the target: %w", err)
	}
	// The journal first, and its snapshot let go: it is the running
	// daemon's acknowledgement path, whose WAL cannot be reset while a
	// reader holds it.
	if err := c.copyJournal(ctx, tx); err != nil {
		return err
	}
	if c.jtx != nil {
		_ = c.jtx.Rollback()
		c.jtx = nil
	}
	for _, t := range tables {
		if err := c.copyTable(ctx, tx, t); err != nil {
			return err
		}
	}
	if err := c.copyDedupeKeys(ctx, tx); err != nil {
		return err
	}
	if err := c.setSequences(ctx, tx, tables); err != nil {
		return err
	}
	if err := c.verify(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: copy: commit: %w", err)
	}
	return nil
}

// plan reads the target's tables, in an order that puts every table after
// those its foreign keys reference, and checks that the source has a table
// for each and none the target lacks.
func (c *stationCopy) plan(ctx context.Context) ([]copyTable, error) {
	byName := map[string]*copyTable{}
	rows, err := c.conn.Query(ctx, `SELECT table_name, column_name, data_type, is_identity = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("store: copy: the target's tables: %w", err)
	}
	for rows.Next() {
		var table, column, typ string
		var identity bool
		if err := rows.Scan(&table, &column, &typ, &identity); err != nil {
			return nil, err
		}
		t := byName[table]
		if t == nil {
			t = &copyTable{name: table}
			byName[table] = t
		}
		t.columns, t.types = append(t.columns, column), append(t.types, typ)
		if identity {
			t.identity = append(t.identity, column)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: copy: the target's tables: %w", err)
	}
	rows, err = c.conn.Query(ctx, `SELECT cl.relname, k.contype, coalesce(rf.relname, ''), a.attname
		FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid
		JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
		LEFT JOIN pg_class rf ON rf.oid = k.confrelid
		WHERE k.contype IN ('f', 'p') AND k.connamespace = current_schema()::regnamespace
		ORDER BY cl.relname, k.conname, array_position(k.conkey, a.attnum)`)
	if err != nil {
		return nil, fmt.Errorf("store: copy: the target's keys: %w", err)
	}
	deps := map[string][]string{}
	for rows.Next() {
		var table, kind, ref, column string
		if err := rows.Scan(&table, &kind, &ref, &column); err != nil {
			return nil, err
		}
		t := byName[table]
		switch {
		case t == nil:
		case kind == "p":
			t.order = append(t.order, column)
		case ref != table:
			deps[table] = append(deps[table], ref)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: copy: the target's keys: %w", err)
	}
	if err := c.checkSourceTables(ctx, byName); err != nil {
		return nil, err
	}
	// Kahn's order, by name among the tables ready at once: the same plan
	// every run.
	var plan []copyTable
	done := map[string]bool{}
	for len(done) < len(byName) {
		var ready []string
		for name := range byName {
			if done[name] {
				continue
			}
			if !slices.ContainsFunc(deps[name], func(d string) bool { return !done[d] }) {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("%w: the target's foreign keys form a cycle", ErrCopySource)
		}
		slices.Sort(ready)
		for _, name := range ready {
			done[name] = true
			if !copySkipped[name] {
				plan = append(plan, *byName[name])
			}
		}
	}
	return plan, nil
}

// checkSourceTables checks that every table of the source has a place in
// the target, with the same columns: nothing of the station is left behind.
func (c *stationCopy) checkSourceTables(ctx context.Context, target map[string]*copyTable) error {
	rows, err := c.stx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' ORDER BY m.name, p.cid`)
	if err != nil {
		return fmt.Errorf("store: copy: the source's tables: %w", err)
	}
	defer rows.Close()
	source := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return err
		}
		source[table] = append(source[table], column)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: copy: the source's tables: %w", err)
	}
	for table, columns := range source {
		t := target[table]
		if t == nil {
			return fmt.Errorf("%w: the target has no table %s", ErrCopySource, table)
		}
		if copySkipped[table] {
			continue
		}
		a, b := slices.Sorted(slices.Values(columns)), slices.Sorted(slices.Values(t.columns))
		if !slices.Equal(a, b) {
			return fmt.Errorf("%w: table %s has columns %v in the source and %v in the target", ErrCopySource, table, a, b)
		}
	}
	for name := range target {
		if _, ok := source[name]; !ok && !copySkipped[name] {
			return fmt.Errorf("%w: the source has no table %s", ErrCopySource, name)
		}
	}
	return nil
}

// checkTarget refuses a target a node runs on, and one that holds a
// station unless Replace.
func (c *stationCopy) checkTarget(ctx context.Context, tx pgx.Tx) error {
	var live string
	err := tx.QueryRow(ctx, `SELECT id FROM nodes WHERE heartbeat_at > `+dbNowSQL+` - $1 ORDER BY heartbeat_at DESC LIMIT 1`,
		copyTargetLive.Nanoseconds()).Scan(&live)
	switch {
	case err == nil:
		return fmt.Errorf("%w: node %q is running on it (its heartbeat is under %s old): stop every node first",
			ErrCopyTargetInUse, live, copyTargetLive)
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: copy: %s: %w", c.res.Target, err)
	}
	var nodes, frames, records, users int64
	err = tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM nodes),
		(SELECT count(*) FROM frames) + (SELECT count(*) FROM journal),
		(SELECT count(*) FROM customers) + (SELECT count(*) FROM sites) + (SELECT count(*) FROM accounts),
		(SELECT count(*) FROM users) + (SELECT count(*) FROM portal_users)`).Scan(&nodes, &frames, &records, &users)
	if err != nil {
		return fmt.Errorf("store: copy: %s: %w", c.res.Target, err)
	}
	if nodes+frames+records+users == 0 {
		return nil
	}
	if !c.o.Replace {
		return fmt.Errorf("%w: it holds a station (%d frames, %d customers, sites and accounts, %d users; %d nodes have run on it): "+
			"copy to an empty database, or replace what it holds (--replace)", ErrCopyTargetInUse, frames, records, users, nodes)
	}
	c.res.Replaced = true
	return nil
}

// copyTable streams t's rows from the source's snapshot into the target
// with COPY.
func (c *stationCopy) copyTable(ctx context.Context, tx pgx.Tx, t copyTable) error {
	var total int64
	if err := c.stx.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t.name)).Scan(&total); err != nil {
		return fmt.Errorf("store: copy: %s: %w", t.name, err)
	}
	c.res.Tables = append(c.res.Tables, CopiedTable{Name: t.name, Source: total})
	cols := make([]string, len(t.columns))
	for i, col := range t.columns {
		cols[i] = "t." + quote(col)
	}
	query := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + quote(t.name) + ` t`
	// A row may come before the one it references (a customer moved
	// under a newer one): PostgreSQL checks a foreign key at the end of
	// the statement, the whole COPY.
	if len(t.order) > 0 {
		query += ` ORDER BY t.` + strings.Join(quoteAll(t.order), ", t.")
	}
	rows, err := c.stx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("store: copy: %s: %w", t.name, err)
	}
	defer rows.Close()
	src := newRowSource(rows, t, total, c.o.Progress)
	// CopyFrom returns the source's Err too. The verification counts the
	// target itself.
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, src); err != nil {
		return fmt.Errorf("store: copy: %s, after %d rows: %w", t.name, src.n, err)
	}
	src.report(true)
	return nil
}

// rowSource is a source table's rows as pgx's COPY takes them, each value
// converted to its target column's type.
type rowSource struct {
	rows     *sql.Rows
	t        copyTable
	vals     []any
	ptrs     []any
	out      []any
	n, total int64
	err      error
	progress func(CopyProgress)
	said     time.Time
}

func newRowSource(rows *sql.Rows, t copyTable, total int64, progress func(CopyProgress)) *rowSource {
	r := &rowSource{rows: rows, t: t, total: total, progress: progress, said: time.Now(),
		vals: make([]any, len(t.columns)), ptrs: make([]any, len(t.columns)), out: make([]any, len(t.columns))}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	r.report(false)
	return r
}

func (r *rowSource) report(done bool) {
	if r.progress == nil || (!done && r.n > 0 && time.Since(r.said) < time.Second) {
		return
	}
	r.said = time.Now()
	r.progress(CopyProgress{Table: r.t.name, Rows: r.n, Total: r.total, Done: done})
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		r.err = r.rows.Err()
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	r.n++
	r.report(false)
	return true
}

func (r *rowSource) Values() ([]any, error) {
	for i, v := range r.vals {
		out, err := copyValue(v, r.t.types[i])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", r.t.columns[i], err)
		}
		r.out[i] = out
	}
	return r.out, nil
}

func (r *rowSource) Err() error { return r.err }

// copyValue converts a SQLite value to the target column's type: SQLite
// types values, not columns, so a text column may hold a blob and the
// other way round.
func copyValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default:
		return nil, fmt.Errorf("the target's type %s has no conversion", typ)
	}
	return nil, fmt.Errorf("a %T value does not fit type %s", v, typ)
}

// copyJournal copies the source's entries not projected yet, as entries
// of no node committed at their receipt: the first node to project takes
// them as a dead node's. Their keys join the dedupe keys.
func (c *stationCopy) copyJournal(ctx context.Context, tx pgx.Tx) error {
	c.keys = map[string]dedupeKey{}
	if c.jtx == nil {
		return nil
	}
	rows, err := c.jtx.QueryContext(ctx, `SELECT id, entry FROM journal WHERE id > ? ORDER BY id`, c.cursor)
	if err != nil {
		return fmt.Errorf("store: copy: journal: %w", err)
	}
	defer rows.Close()
	// Streamed, as the tables are: one entry in hand at a time.
	var row []any
	next := func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		var id int64
		var entry []byte
		if err := rows.Scan(&id, &entry); err != nil {
			return nil, err
		}
		_, rec, err := decodeEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", id, err)
		}
		at := rec.ReceivedAt.UnixNano()
		for _, key := range frameKeys(rec) {
			if key != "" {
				c.keys[key] = dedupeKey{frame: id, at: at}
			}
		}
		c.res.JournalEntries++
		row = append(row[:0], id, "", at, entry)
		return row, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"journal"}, []string{"id", "node", "committed_at", "entry"},
		pgx.CopyFromFunc(next)); err != nil {
		return fmt.Errorf("store: copy: journal: %w", err)
	}
	return nil
}

// copyDedupeKeys gives the target the dedupe and idempotency keys of the
// frames received inside the dedupe window, the newest frame's where two
// share one, as the nodes' journal would have taken them.
func (c *stationCopy) copyDedupeKeys(ctx context.Context, tx pgx.Tx) error {
	cutoff := c.o.Now().Add(-c.o.DedupeWindow).UnixNano()
	for _, q := range []struct{ prefix, sql string }{
		// frames_received_at: the window's frames only. The newest frame
		// of a key wins whatever the order the rows come in.
		{dedupeKeyPrefix, `SELECT dedupe_key, id, received_at FROM frames
			WHERE received_at >= ? AND dedupe_key <> '' AND status = 'accepted'`},
		{messageKeyPrefix, `SELECT key, frame_id, at FROM message_ids WHERE at >= ?`},
	} {
		rows, err := c.stx.QueryContext(ctx, q.sql, cutoff)
		if err != nil {
			return fmt.Errorf("store: copy: dedupe keys: %w", err)
		}
		for rows.Next() {
			var key string
			var k dedupeKey
			if err := rows.Scan(&key, &k.frame, &k.at); err != nil {
				rows.Close()
				return fmt.Errorf("store: copy: dedupe keys: %w", err)
			}
			// The journal's entries came later than every frame.
			if old, ok := c.keys[q.prefix+key]; !ok || old.frame < k.frame {
				c.keys[q.prefix+key] = k
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("store: copy: dedupe keys: %w", err)
		}
	}
	keys := slices.Sorted(maps.Keys(c.keys))
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k, c.keys[k].frame, c.keys[k].at}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dedupe_keys"}, []string{"key", "frame_id", "at"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("store: copy: dedupe keys: %w", err)
	}
	c.res.DedupeKeys = int64(len(rows))
	return nil
}

// setSequences moves every identity sequence past the highest id copied,
// and the journal's past every frame and entry: the nodes' next ids never
// meet a copied one.
func (c *stationCopy) setSequences(ctx context.Context, tx pgx.Tx, tables []copyTable) error {
	for _, t := range tables {
		for _, col := range t.identity {
			_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+quote(col)+`), 0) + 1, false) FROM `+quote(t.name),
				t.name, col)
			if err != nil {
				return fmt.Errorf("store: copy: %s.%s's sequence: %w", t.name, col, err)
			}
		}
	}
	_, err := tx.Exec(ctx, `SELECT setval('journal_id_seq', GREATEST($1::bigint, (SELECT coalesce(max(id), 0) FROM frames),
		(SELECT coalesce(max(id), 0) FROM journal)) + 1, false)`, c.cursor)
	if err != nil {
		return fmt.Errorf("store: copy: the journal's sequence: %w", err)
	}
	return nil
}

// verify counts every table in the target, inside the copy's transaction,
// against the source's snapshot, and looks for sealed secrets.
func (c *stationCopy) verify(ctx context.Context, tx pgx.Tx) error {
	var bad []string
	for i := range c.res.Tables {
		t := &c.res.Tables[i]
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+quote(t.Name)).Scan(&t.Target); err != nil {
			return fmt.Errorf("store: copy: verify %s: %w", t.Name, err)
		}
		if t.Target != t.Source {
			bad = append(bad, fmt.Sprintf("%s: %d in the source, %d copied", t.Name, t.Source, t.Target))
		}
	}
	var journal int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM journal`).Scan(&journal); err != nil {
		return fmt.Errorf("store: copy: verify journal: %w", err)
	}
	if journal != c.res.JournalEntries {
		bad = append(bad, fmt.Sprintf("journal: %d entries read, %d copied", c.res.JournalEntries, journal))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w (nothing was committed): %s", ErrCopyVerify, strings.Join(bad, "; "))
	}
	for _, col := range secretColumns {
		var sealed bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+quote(col.table)+` WHERE `+quote(col.column)+` LIKE $1)`,
			sealPrefix+"%").Scan(&sealed); err != nil {
			return fmt.Errorf("store: copy: verify %s: %w", col, err)
		}
		c.res.Sealed = c.res.Sealed || sealed
	}
	return nil
}

// quote makes name an SQL identifier, in both engines' syntax.
func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quote(n)
	}
	return out
}
