package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/internal/pgtest"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// openNode opens the store of node id on the PostgreSQL database dsn.
func openNode(t *testing.T, dsn, id string) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir()+"/unused", Options{Logger: zaptest.NewLogger(t).Named(id),
		Registerer: prometheus.NewRegistry(), Driver: DriverPostgres, DSN: dsn, NodeID: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// twoNodes opens nodes a and b on one new PostgreSQL database. The
// PostgreSQL run of the package's tests skips it: it names its engine.
func twoNodes(t *testing.T) (a, b *Store) {
	t.Helper()
	if testEngine != nil {
		t.Skip("opens PostgreSQL itself: it ran in the first pass")
	}
	dsn := pgtest.Database(t)
	return openNode(t, dsn, "node-a"), openNode(t, dsn, "node-b")
}

func dedupeReceipt(key string) Receipt {
	r := testReceipt("frame " + key)
	r.DedupeKey = key
	return r
}

// frameCount is how many frames the database holds once the frames the
// nodes acknowledged are projected, counted on the first.
func frameCount(t *testing.T, nodes ...*Store) int {
	t.Helper()
	for _, s := range nodes {
		if err := s.Settle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	s := nodes[0]
	var n int
	if err := s.db.Setup().QueryRowContext(context.Background(), `SELECT count(*) FROM frames`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNodesDedupeInTheDatabase: a retransmission that reaches the other
// node is a duplicate of the frame the first one stored, and copies
// committed on both nodes at once are stored once.
func TestNodesDedupeInTheDatabase(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	id, err := a.Commit(ctx, testMessage("1234", "0001"), dedupeReceipt("dc09/1234/0001"))
	if err != nil {
		t.Fatal(err)
	}
	dup, err := b.Commit(ctx, testMessage("1234", "0001"), dedupeReceipt("dc09/1234/0001"))
	if !errors.Is(err, ErrDuplicate) || dup != id {
		t.Fatalf("the copy on node b: %d, %v; want %d, ErrDuplicate", dup, err, id)
	}

	const frames = 40
	var wg sync.WaitGroup
	stored := make([][2]error, frames)
	for i := range frames {
		for n, s := range []*Store{a, b} {
			wg.Go(func() {
				key := fmt.Sprintf("dc09/5678/%04d", i)
				_, stored[i][n] = s.Commit(ctx, testMessage("5678", key[10:]), dedupeReceipt(key))
			})
		}
	}
	wg.Wait()
	for i, errs := range stored {
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrDuplicate):
				t.Errorf("frame %d: %v", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("frame %d was stored by %d nodes, want 1 (%v)", i, ok, errs)
		}
	}
	if n := frameCount(t, a, b); n != frames+1 {
		t.Errorf("%d frames stored, want %d", n, frames+1)
	}
	// Each node reads what either stored once it is projected (a read
	// waits for the frames its own node acknowledged; Settle on both
	// above waited for the others').
	for _, s := range []*Store{a, b} {
		sigs, err := s.Signals(ctx, SignalFilter{Account: "5678", Limit: 100})
		if err != nil || len(sigs) != frames {
			t.Errorf("signals of 5678: %d, %v; want %d", len(sigs), err, frames)
		}
	}
}

// TestAnotherNodeProjectsWhatOneLeft: entries a node committed and could
// not project (its store's transactions fail, as when it dies right after
// the ACK) are projected by another node, once, and each node's reads
// then see them.
func TestAnotherNodeProjectsWhatOneLeft(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	a.db.InjectFault(func() error { return errors.New("node a's projection is down") })
	for i := range 5 {
		seq := fmt.Sprintf("%04d", i)
		if _, err := a.Commit(ctx, testMessage("4321", seq), dedupeReceipt("dc09/4321/"+seq)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		sigs, err := b.Signals(ctx, SignalFilter{Account: "4321", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(sigs) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b shows %d of node a's 5 signals after 10s", len(sigs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.db.InjectFault(nil)
	if err := a.Settle(ctx); err != nil {
		t.Fatalf("node a settles once another node projected its entries: %v", err)
	}
	if n := frameCount(t, a); n != 5 {
		t.Errorf("%d frames, want 5", n)
	}
	var left int
	if err := a.db.Setup().QueryRowContext(ctx, `SELECT count(*) FROM journal`).Scan(&left); err != nil || left != 0 {
		t.Errorf("journal holds %d entries, %v; want none", left, err)
	}
}

// TestNodesFollowEachOthersChanges: an account created, renumbered and
// deleted through one node resolves (or no longer does) on the other
// within a second, and the other node's queue stream shows the incident
// a signal on the first opened.
func TestNodesFollowEachOthersChanges(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	within := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within a second", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	resolves := func(s *Store, number string) int64 { return s.Resolve(1, number, nil, time.Now()).AccountID }

	must(t, a.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP 1"}}))
	must(t, b.SyncReceivers(ctx, []Receiver{{Number: 1, Name: "IP 1"}}))
	c := &Customer{Name: "Bank"}
	must(t, a.Customers.Create(ctx, c))
	site := &Site{CustomerID: c.ID, Name: "Main St"}
	must(t, a.Sites.Create(ctx, site))
	acc := &Account{Receiver: 1, Number: "7001", SiteID: site.ID}
	must(t, a.Accounts.Create(ctx, acc))
	within("node b resolves the account node a created", func() bool { return resolves(b, "7001") == acc.ID })

	acc.Number = "7002"
	must(t, a.Accounts.Update(ctx, acc.ID, acc))
	within("node b follows the renumbering", func() bool { return resolves(b, "7002") == acc.ID && resolves(b, "7001") == 0 })

	events, stop := b.SubscribeQueue()
	defer stop()
	msg := testMessage("7002", "0001")
	rec := testReceipt("alarm")
	rec.Resolutions = []Resolution{{AccountID: acc.ID, SiteID: site.ID}}
	rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 4}}
	if _, err := a.Commit(ctx, msg, rec); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for opened := false; !opened; {
		select {
		case e := <-events:
			opened = e.IncidentID != 0 && e.Action != "resync"
		case <-timeout:
			t.Fatal("node b's queue stream shows no incident opened by node a's signal")
		}
	}

	must(t, a.Accounts.Delete(ctx, acc.ID))
	within("node b forgets the deleted account", func() bool { return resolves(b, "7002") == 0 })
}

// TestLeasesTakeOverOnlyOnceLapsed: one node holds a job's lease while it
// renews it; the other gets it only once it lapsed, or at once when
// released, and each change of holder has a new epoch.
func TestLeasesTakeOverOnlyOnceLapsed(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	const ttl = 300 * time.Millisecond
	ea, held, err := a.AcquireLease(ctx, "output:automation", ttl)
	if err != nil || !held || ea != 1 {
		t.Fatalf("node a takes the free lease: %d, %v, %v", ea, held, err)
	}
	if _, held, err := b.AcquireLease(ctx, "output:automation", ttl); err != nil || held {
		t.Fatalf("node b takes a held lease: %v, %v", held, err)
	}
	if e, held, err := a.AcquireLease(ctx, "output:automation", ttl); err != nil || !held || e != ea {
		t.Fatalf("node a renews: %d, %v, %v; want epoch %d", e, held, err, ea)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	eb, held, err := b.AcquireLease(ctx, "output:automation", ttl)
	if err != nil || !held || eb != ea+1 {
		t.Fatalf("node b takes the lapsed lease: %d, %v, %v; want epoch %d", eb, held, err, ea+1)
	}
	if _, held, _ := a.AcquireLease(ctx, "output:automation", ttl); held {
		t.Fatal("node a renews a lease node b took")
	}
	must(t, b.ReleaseLease(ctx, "output:automation", eb))
	if e, held, err := a.AcquireLease(ctx, "output:automation", ttl); err != nil || !held || e != eb+1 {
		t.Fatalf("node a takes the released lease: %d, %v, %v; want epoch %d", e, held, err, eb+1)
	}
	must(t, a.Heartbeat(ctx, "127.0.0.1:8080", "test"))
	nodes, leases, _, err := b.Cluster(ctx)
	// Each node's row is there from its Open on.
	if err != nil || len(nodes) != 2 || nodes[0].ID != "node-a" || nodes[0].HTTPAddr != "127.0.0.1:8080" || nodes[1].ID != "node-b" ||
		len(leases) != 1 || leases[0].Holder != "node-a" || !leases[0].Held {
		t.Fatalf("cluster: %+v %+v %v", nodes, leases, err)
	}
}

// TestSettleWithCommitsDuringProjections: frames committed while a
// projection runs are projected too, and a reader's wait for them ends
// (a projection must not count them as done when it did not see them).
// One node: no other projects what it would leave.
func TestSettleWithCommitsDuringProjections(t *testing.T) {
	if testEngine != nil {
		t.Skip("opens PostgreSQL itself: it ran in the first pass")
	}
	s := openNode(t, pgtest.Database(t), "solo")
	ctx := context.Background()
	var wg sync.WaitGroup
	for p := range 16 {
		wg.Go(func() {
			account := strconv.Itoa(300000 + p)
			for i := range 100 {
				rec := testReceipt("frame")
				rec.DedupeKey = fmt.Sprintf("settle/%d/%d", p, i)
				if _, err := s.Commit(ctx, testMessage(account, fmt.Sprintf("%04d", i)), rec); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err := s.Settle(sctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if n := frameCount(t, s); n != 1600 {
		t.Errorf("%d frames, want 1600", n)
	}
}

// TestDSNPasswordIsNeverLogged: the DSN's password appears in no log line
// of a store's life on PostgreSQL, nor in its Path.
func TestDSNPasswordIsNeverLogged(t *testing.T) {
	if testing.Short() || testEngine != nil {
		t.Skip("opens PostgreSQL itself: it runs in the first pass")
	}
	u, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	const password = "pw-that-must-not-show-3f9a"
	u.User = url.UserPassword(u.User.Username(), password) // the test server trusts any
	core, logs := observer.New(zapcore.DebugLevel)
	s, err := Open(context.Background(), t.TempDir()+"/unused", Options{Logger: zap.New(core),
		Registerer: prometheus.NewRegistry(), Driver: DriverPostgres, DSN: u.String(), NodeID: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), dedupeReceipt("k")); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	if strings.Contains(s.Path(), password) {
		t.Errorf("Path() = %q", s.Path())
	}
	if logs.Len() == 0 {
		t.Fatal("no log lines to look at")
	}
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, password) {
			t.Errorf("log line shows the password: %s", line)
		}
	}
	// A DSN that does not parse is refused without being quoted.
	_, err = Open(context.Background(), t.TempDir()+"/unused", Options{Logger: zap.New(core),
		Registerer: prometheus.NewRegistry(), Driver: DriverPostgres, DSN: "postgres://u:" + password + "@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("bad DSN: %v", err)
	}
}

// TestNodeIDIsOneProcess: a node id belongs to one running process, for
// the leases are held by id. A second process given the id of a node
// that beats is refused at Open; one that starts after the node fell
// silent (its crash, and a restart) takes the id over, and the silent
// one, should it resume, is told at its next heartbeat.
func TestNodeIDIsOneProcess(t *testing.T) {
	if testEngine != nil {
		t.Skip("opens PostgreSQL itself: it ran in the first pass")
	}
	dsn := pgtest.Database(t)
	ctx := context.Background()
	a := openNode(t, dsn, "node-x")
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		for {
			if err := a.Heartbeat(ctx, "", "test"); err != nil {
				t.Errorf("node a's heartbeat: %v", err)
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	_, err := Open(ctx, t.TempDir()+"/unused", Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Driver: DriverPostgres, DSN: dsn, NodeID: "node-x"})
	if !errors.Is(err, ErrNodeIDInUse) || !strings.Contains(err.Error(), `"node-x"`) {
		t.Fatalf("a second process as node-x while it beats: %v, want ErrNodeIDInUse", err)
	}
	close(stop)
	<-beating
	// Node a falls silent; a process started now waits for its heartbeat
	// to lapse, and takes the id.
	b := openNode(t, dsn, "node-x")
	must(t, b.Heartbeat(ctx, "", "test"))
	if err := a.Heartbeat(ctx, "", "test"); !errors.Is(err, ErrNodeIDInUse) {
		t.Fatalf("the silent process's next heartbeat: %v, want ErrNodeIDInUse", err)
	}
}

// testLease is a lease as the keeper hands it to a job (fence.Lease).
type testLease struct {
	job   string
	epoch int64
}

func (l testLease) Valid() bool  { return true }
func (l testLease) Job() string  { return l.job }
func (l testLease) Epoch() int64 { return l.epoch }

// TestReportClaimsCheckTheLease: a report delivery is claimed only while
// the database still gives the report job's lease to the claiming node,
// under the epoch the job runs with: node a, paused past its lease while
// node b took the job, claims nothing when it resumes, whatever its own
// clock says (its lease still looks valid to it).
func TestReportClaimsCheckTheLease(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	cust := &Customer{Name: "Northwind"}
	must(t, a.Customers.Create(ctx, cust))
	rep, _, err := a.SaveReport(ctx, &Report{CustomerID: cust.ID, Night: "2026-11-30", Subject: "Night report"},
		[]ReportRecipient{{Kind: "report_email", Email: "a@x.example"}, {Kind: "report_email", Email: "b@x.example"}})
	must(t, err)
	pending, err := a.PendingDeliveries(ctx, rep)
	must(t, err)
	ttl := 300 * time.Millisecond
	ea, held, err := a.AcquireLease(ctx, "report", ttl)
	if err != nil || !held {
		t.Fatalf("node a takes the lease: %v %v", held, err)
	}
	underA := fence.With(ctx, testLease{job: "report", epoch: ea})
	if claim, err := a.ClaimDelivery(underA, pending[0].ID); err != nil || claim == 0 {
		t.Fatalf("node a's claim under its lease: %d, %v", claim, err)
	}
	time.Sleep(ttl + 100*time.Millisecond) // node a is paused; its lease lapses
	eb, held, err := b.AcquireLease(ctx, "report", time.Minute)
	if err != nil || !held || eb != ea+1 {
		t.Fatalf("node b takes the lapsed lease: %d %v %v", eb, held, err)
	}
	if claim, err := a.ClaimDelivery(underA, pending[1].ID); !errors.Is(err, fence.ErrLost) || claim != 0 {
		t.Fatalf("node a's claim on its stale lease: %d, %v; want fence.ErrLost", claim, err)
	}
	underB := fence.With(ctx, testLease{job: "report", epoch: eb})
	left, err := b.PendingDeliveries(underB, rep)
	must(t, err)
	if len(left) != 1 || left[0].ID != pending[1].ID {
		t.Fatalf("node b finds %+v pending, want the one node a did not claim", left)
	}
	if claim, err := b.ClaimDelivery(underB, pending[1].ID); err != nil || claim == 0 {
		t.Fatalf("node b's claim under its lease: %d, %v", claim, err)
	}
	all, err := b.ReportDeliveries(ctx, rep.ID)
	must(t, err)
	if all[0].LastError != UnconfirmedDelivery {
		t.Fatalf("node a's claim, found by node b: %+v, want unconfirmed", all[0])
	}
}

// TestBatchKeysOnOneNode: frames that share a key in one batch of the
// journal (concurrent commits group) are stored once, the others answered
// as its duplicates with its id; a frame whose idempotency key is taken
// is a duplicate, and the dedupe key it brought is given back, so that a
// later frame with that dedupe key alone is stored.
func TestBatchKeysOnOneNode(t *testing.T) {
	a, _ := twoNodes(t)
	ctx := context.Background()
	const copies = 32
	ids := make([]int64, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { ids[i], errs[i] = a.Commit(ctx, testMessage("2468", "0001"), dedupeReceipt("dc09/2468/0001")) })
	}
	wg.Wait()
	stored := int64(0)
	for i, err := range errs {
		switch {
		case err == nil && stored == 0:
			stored = ids[i]
		case err == nil:
			t.Fatalf("copy %d stored as %d besides %d", i, ids[i], stored)
		case !errors.Is(err, ErrDuplicate):
			t.Fatalf("copy %d: %v", i, err)
		}
	}
	for i, err := range errs {
		if err != nil && ids[i] != stored {
			t.Errorf("copy %d is the duplicate of %d, want %d", i, ids[i], stored)
		}
	}

	first := dedupeReceipt("dc09/2468/0002")
	first.IdempotencyKey = "msg-1"
	id, err := a.Commit(ctx, testMessage("2468", "0002"), first)
	must(t, err)
	again := dedupeReceipt("dc09/2468/0003")
	again.IdempotencyKey = "msg-1"
	if dup, err := a.Commit(ctx, testMessage("2468", "0003"), again); !errors.Is(err, ErrDuplicate) || dup != id {
		t.Fatalf("a frame with a taken idempotency key: %d, %v; want %d, ErrDuplicate", dup, err, id)
	}
	if _, err := a.Commit(ctx, testMessage("2468", "0003"), dedupeReceipt("dc09/2468/0003")); err != nil {
		t.Fatalf("the dedupe key the duplicate brought was not given back: %v", err)
	}
	if n := frameCount(t, a); n != 3 {
		t.Errorf("%d frames stored, want 3", n)
	}
}

// TestSerializationFailuresAreRetried: a change that PostgreSQL refuses
// with a serialization failure (SQLSTATE 40001, raised here by the server
// itself) runs again, up to 3 times, each counted in
// alarmrx_store_retries_total; past that its error is the caller's.
func TestSerializationFailuresAreRetried(t *testing.T) {
	if testEngine == nil {
		t.Skip("PostgreSQL's: the PostgreSQL run has it")
	}
	s, reg := openTest(t, "")
	ctx := context.Background()
	failing := func(fails int) (runs int, err error) {
		err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			runs++
			if runs <= fails {
				_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$`)
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, created_at) VALUES (?, ?, 0)`,
				fmt.Sprintf("retry-%d", fails), []byte("x"))
			return err
		})
		return runs, err
	}
	runs, err := failing(2)
	if err != nil || runs != 3 {
		t.Fatalf("two serialization failures: %d runs, %v; want 3 runs and the change committed", runs, err)
	}
	retries := func() float64 {
		t.Helper()
		m, err := gatherOne(reg, "alarmrx_store_retries_total", "db", "store")
		must(t, err)
		return m.GetCounter().GetValue()
	}
	if got := retries(); got != 2 {
		t.Fatalf("alarmrx_store_retries_total{db=\"store\"} = %v, want 2", got)
	}
	runs, err = failing(10)
	if err == nil || !strings.Contains(err.Error(), "could not serialize") || runs != 4 {
		t.Fatalf("failing every time: %d runs, %v; want 4 runs and the failure", runs, err)
	}
	if got := retries(); got != 5 {
		t.Fatalf("alarmrx_store_retries_total{db=\"store\"} = %v, want 5", got)
	}
}

// TestUnknownAccountOnceAcrossNodes: each node's receiver lets an unknown
// account's frame raise the event once an hour; the database keeps the
// first, so two nodes raise one event and one incident, and the next hour
// raises again.
func TestUnknownAccountOnceAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	at := time.Now()
	commit := func(s *Store, seq string, at time.Time) {
		t.Helper()
		rec := dedupeReceipt("dc09/9999/" + seq)
		rec.ReceivedAt, rec.UnknownAccounts, rec.UnknownPriority = at, []string{"9999"}, 5
		_, err := s.Commit(ctx, testMessage("9999", seq), rec)
		must(t, err)
	}
	commit(a, "0001", at)
	commit(b, "0002", at.Add(time.Second))
	events := func() int {
		t.Helper()
		frameCount(t, a, b)
		var n int
		must(t, a.rdb.QueryRowContext(ctx, `SELECT count(*) FROM station_events WHERE kind = ? AND account = '9999'`,
			EventUnknownAccount).Scan(&n))
		return n
	}
	if n := events(); n != 1 {
		t.Fatalf("%d unknown-account events from the two nodes, want 1", n)
	}
	var incidents int
	must(t, a.rdb.QueryRowContext(ctx, `SELECT count(*) FROM incidents`).Scan(&incidents))
	if incidents != 1 {
		t.Errorf("%d incidents, want 1", incidents)
	}
	commit(b, "0003", at.Add(UnknownAccountEvery+time.Second))
	if n := events(); n != 2 {
		t.Fatalf("%d unknown-account events after an hour, want 2", n)
	}
}
