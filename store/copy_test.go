package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/alarmrx/alarmrx/store/postgres"
	"go.uber.org/zap/zaptest"
)

// TestCopyToPostgres: a station on SQLite, still running and with frames
// its projection has not projected yet, is copied to PostgreSQL; a node
// opened on the copy holds every frame once (the unprojected ones too),
// resolves the accounts, keeps the customer tree and the queue, takes a
// retransmission of a copied frame for a duplicate, and gives new ids past
// the copied ones. A second copy is refused unless told to replace, and
// refused either way while a node runs on the target.
func TestCopyToPostgres(t *testing.T) {
	if testEngine != nil {
		t.Skip("copies SQLite to PostgreSQL itself: it ran in the first pass")
	}
	dsn := pgtest.Database(t)
	ctx := context.Background()
	f := newRecordsFixture(t)
	src := f.s
	// A customer created after the tree becomes the root's parent: a
	// child row older than its parent, which the copy must still order.
	holding := &Customer{Name: "Holding"}
	must(t, src.Customers.Create(ctx, holding))
	var root int64
	must(t, src.db.Setup().QueryRowContext(ctx, `SELECT id FROM customers WHERE name = 'Bank HQ'`).Scan(&root))
	if _, err := src.db.Setup().ExecContext(ctx, `UPDATE customers SET parent_id = ? WHERE id = ?`, holding.ID, root); err != nil {
		t.Fatal(err)
	}
	acc := &Account{Receiver: 1, Number: "4321", SiteID: f.site.ID}
	must(t, src.Accounts.Create(ctx, acc))
	commit := func(s *Store, seq string) (int64, error) {
		msg := testMessage("4321", seq)
		rec := dedupeReceipt("dc09/4321/" + seq)
		rec.ReceivedAt = time.Now()
		rec.Resolutions = []Resolution{{AccountID: acc.ID, SiteID: f.site.ID}}
		rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
		return s.Commit(ctx, msg, rec)
	}
	var last int64
	for i := range 20 {
		id, err := commit(src, fmt.Sprintf("%04d", i))
		must(t, err)
		last = id
	}
	must(t, src.Settle(ctx))
	// The projection stops; acknowledgements go on into the journal.
	src.db.InjectFault(func() error { return errors.New("the projection is held") })
	for i := 20; i < 23; i++ {
		id, err := commit(src, fmt.Sprintf("%04d", i))
		must(t, err)
		last = id
	}
	path := src.Path()

	var progress []string
	res, err := CopyToPostgres(ctx, path, dsn, CopyOptions{Logger: zaptest.NewLogger(t),
		Progress: func(p CopyProgress) {
			if p.Done {
				progress = append(progress, fmt.Sprintf("%s %d/%d", p.Table, p.Rows, p.Total))
			}
		}})
	must(t, err)
	src.db.InjectFault(nil)
	if res.JournalEntries != 3 {
		t.Errorf("%d journal entries copied, want the 3 unprojected", res.JournalEntries)
	}
	if res.DedupeKeys != 23 {
		t.Errorf("%d dedupe keys, want 23 (every frame is inside the window)", res.DedupeKeys)
	}
	if res.Replaced || res.Sealed || res.SchemaVersion != SchemaVersion() {
		t.Errorf("result %+v", res)
	}
	want := map[string]int64{"frames": 20, "signals": 20, "customers": 4, "sites": 2, "accounts": 1, "receivers": 2, "incidents": 1}
	copied := map[string]bool{}
	for _, tb := range res.Tables {
		copied[tb.Name] = true
		if tb.Source != tb.Target {
			t.Errorf("table %s: %d in the source, %d in the target", tb.Name, tb.Source, tb.Target)
		}
		if n, ok := want[tb.Name]; ok && tb.Source != n {
			t.Errorf("table %s: %d rows, want %d", tb.Name, tb.Source, n)
		}
	}
	for _, name := range []string{"users", "sessions", "outbox", "settings", "incident_actions", "portal_users", "projections"} {
		if !copied[name] {
			t.Errorf("table %s was not copied", name)
		}
	}
	if len(progress) != len(res.Tables) || !slices.Contains(progress, "signals 20/20") {
		t.Errorf("progress said %q done, for %d tables", progress, len(res.Tables))
	}

	node := openNode(t, dsn, "node-a")
	// The journal's entries are a dead node's: the node's next poll of
	// the journal takes them (sharedPoll).
	framesWithin(t, node, 23, 10*time.Second)
	if got := node.Resolve(1, "4321", nil, time.Now()).AccountID; got != acc.ID {
		t.Errorf("the node resolves account 4321 to %d, want %d", got, acc.ID)
	}
	sites, err := node.ScopeSites(ctx, holding.ID)
	must(t, err)
	if len(sites) != 2 {
		t.Errorf("the holding's scope has %d sites, want the tree's 2", len(sites))
	}
	incidents, _, err := node.Queue(ctx, time.Now())
	must(t, err)
	if len(incidents) != 1 {
		t.Errorf("the node's queue has %d incidents, want 1", len(incidents))
	}
	if dup, err := commit(node, "0005"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a retransmission of a copied frame: %d, %v; want ErrDuplicate", dup, err)
	}
	if dup, err := commit(node, "0021"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a retransmission of a copied journal entry: %d, %v; want ErrDuplicate", dup, err)
	}
	id, err := commit(node, "0100")
	must(t, err)
	if id <= last {
		t.Errorf("a new frame's id %d is not past the copied %d", id, last)
	}
	c := &Customer{Name: "After the copy"}
	must(t, node.Customers.Create(ctx, c))
	if c.ID <= holding.ID {
		t.Errorf("a new customer's id %d is not past the copied %d", c.ID, holding.ID)
	}

	// The target holds a station now.
	_, err = CopyToPostgres(ctx, path, dsn, CopyOptions{})
	if !errors.Is(err, ErrCopyTargetInUse) {
		t.Fatalf("a second copy: %v, want ErrCopyTargetInUse", err)
	}
	must(t, node.Heartbeat(ctx, "", "test"))
	_, err = CopyToPostgres(ctx, path, dsn, CopyOptions{Replace: true})
	if !errors.Is(err, ErrCopyTargetInUse) || !strings.Contains(err.Error(), `"node-a" is running`) {
		t.Fatalf("a copy over a running node: %v, want ErrCopyTargetInUse naming it", err)
	}
	must(t, node.Close())
	// The node stopped long ago.
	conn, _, err := postgres.Connect(ctx, dsn, "test", time.Second)
	must(t, err)
	_, err = conn.Exec(ctx, `UPDATE nodes SET heartbeat_at = 0`)
	must(t, err)
	must(t, conn.Close(ctx))
	res, err = CopyToPostgres(ctx, path, dsn, CopyOptions{Replace: true})
	must(t, err)
	if !res.Replaced {
		t.Error("the result does not say the station was replaced")
	}
	again := openNode(t, dsn, "node-b")
	framesWithin(t, again, 23, 10*time.Second)
	var nodes int
	must(t, again.db.Setup().QueryRowContext(ctx, `SELECT count(*) FROM nodes WHERE id <> 'node-b'`).Scan(&nodes))
	if nodes != 0 {
		t.Errorf("the replaced station kept %d rows of its nodes", nodes)
	}
}

// framesWithin waits until s holds want frames.
func framesWithin(t *testing.T, s *Store, want int, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		n := frameCount(t, s)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node holds %d frames after %s, want %d", n, wait, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCopyRefusesAnotherSchemaVersion: a source of another schema version
// is refused, before anything is written.
func TestCopyRefusesAnotherSchemaVersion(t *testing.T) {
	if testEngine != nil {
		t.Skip("copies SQLite to PostgreSQL itself: it ran in the first pass")
	}
	s, _ := openTest(t, "")
	path := s.Path()
	if _, err := s.db.Setup().ExecContext(context.Background(), `PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	_, err := CopyToPostgres(context.Background(), path, "postgres://nobody@127.0.0.1:1/none", CopyOptions{})
	if !errors.Is(err, ErrCopySource) || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("copy of a newer schema: %v, want ErrCopySource", err)
	}
}

// TestCopyValueConversions: SQLite types values, not columns; each lands
// in its target column's type, or is refused with the column's type.
func TestCopyValueConversions(t *testing.T) {
	for _, c := range []struct {
		in   any
		typ  string
		want any
		bad  bool
	}{
		{int64(7), "bigint", int64(7), false},
		{float64(7), "integer", int64(7), false},
		{7.5, "bigint", nil, true},
		{"7", "bigint", nil, true},
		{[]byte("ann"), "text", "ann", false},
		{int64(42), "text", "42", false},
		{"raw", "bytea", []byte("raw"), false},
		{int64(1), "bytea", nil, true},
		{nil, "text", nil, false},
		{"x", "jsonb", nil, true},
	} {
		got, err := copyValue(c.in, c.typ)
		if (err != nil) != c.bad {
			t.Errorf("copyValue(%#v, %s): error %v, want bad=%v", c.in, c.typ, err, c.bad)
			continue
		}
		if !c.bad && fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("copyValue(%#v, %s) = %#v, want %#v", c.in, c.typ, got, c.want)
		}
	}
}
