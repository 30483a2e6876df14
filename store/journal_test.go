package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/engine"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// journalCases are entries every field of which the codec must carry.
func journalCases() []struct {
	name string
	m    *protocols.Message
	rec  Receipt
} {
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	full := testMessage("1234", "0007")
	full.Receiver, full.Encrypted = "R1", true
	full.Deviations = []protocols.Reason{protocols.ReasonUnknown, protocols.Reason(3)}
	full.Events = append(full.Events, protocols.Event{Format: protocols.FormatContactID, Account: "9999", Code: "130",
		Qualifier: protocols.QualifierRestore, Partition: "02", Address: "015", AddressKind: protocols.AddressZone,
		Zone: "015", User: "", Text: "ünïcode ^text^", Known: false, Category: protocols.CategoryBurglary, PanelTime: at})
	rec := testReceipt("\n\x00binary\xffraw\r")
	rec.ReceivedAt = at
	rec.Reason, rec.DedupeKey, rec.Detail = protocols.Reason(2), "k1", `{"x":1}`
	rec.Resolutions = []Resolution{{AccountID: 7, SiteID: 3, OnTestID: 11, Zone: "015", SystemType: "fire"}, {}}
	rec.UnknownAccounts, rec.UnknownPriority = []string{"9999"}, 5
	rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 2, Runaway: true, RunawayDetail: "11 signals in 2m0s"}, {Mode: HandlingLog}}
	rec.IdempotencyKey = "msg-1"
	rec.Trouble = &Trouble{Kind: "unencrypted", Account: "1234", Title: "plain frame"}
	empty := Receipt{Raw: []byte{}}
	return []struct {
		name string
		m    *protocols.Message
		rec  Receipt
	}{
		{"every field", full, rec},
		{"a poll-like frame", &protocols.Message{Protocol: "dc09", Kind: "NULL"}, testReceipt("x")},
		{"nothing", &protocols.Message{}, empty},
	}
}

func TestJournalEntryRoundTrip(t *testing.T) {
	for _, tc := range journalCases() {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeEntry(nil, tc.m, &tc.rec)
			m, rec, err := decodeEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			want := *tc.m
			want.Detail = nil // the receipt carries it as JSON
			want.Timestamp = want.Timestamp.UTC()
			if !reflect.DeepEqual(m, &want) {
				t.Errorf("message\n got %+v\nwant %+v", m, &want)
			}
			wantRec := tc.rec
			wantRec.ReceivedAt = wantRec.ReceivedAt.UTC()
			if !reflect.DeepEqual(rec, &wantRec) {
				t.Errorf("receipt\n got %+v\nwant %+v", rec, &wantRec)
			}
			// Every cut of a good entry is refused, never misread.
			for n := range len(b) {
				if _, _, err := decodeEntry(b[:n]); err == nil {
					t.Fatalf("the first %d of %d bytes decoded", n, len(b))
				}
			}
		})
	}
}

func FuzzDecodeEntry(f *testing.F) {
	for _, tc := range journalCases() {
		f.Add(encodeEntry(nil, tc.m, &tc.rec))
	}
	f.Add([]byte{journalVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, rec, err := decodeEntry(b)
		if err != nil {
			return
		}
		// What decodes encodes to the same bytes.
		if again := encodeEntry(nil, m, rec); string(again) != string(b) {
			t.Fatalf("re-encoded %q, want %q", again, b)
		}
	})
}

// copyFile copies a database file as a crash would leave it.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestJournalLeftByACrashIsProjectedOnce: frames acknowledged and not yet
// projected when the process died are projected at the next open, each
// once, and a damaged entry is kept as a frame alone without holding back
// the ones after it.
func TestJournalLeftByACrashIsProjectedOnce(t *testing.T) {
	onSQLiteOnly(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "live", FileName)
	reg := prometheus.NewRegistry()
	// A projection an hour away: the entries stay in the journal.
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: reg, ProjectDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []int64
	for i, seq := range []string{"0001", "0002", "0003"} {
		rec := testReceipt("frame " + seq)
		rec.DedupeKey = seq
		if i == 2 {
			rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 3}}
		}
		id, err := s.Commit(ctx, testMessage("1234", seq), rec)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// What alarmrx_store_projection_backlog shows (a scrape would hurry
	// the projection: its queue gauges wait for it).
	if v := s.jr.backlog.Load(); v != 3 {
		t.Fatalf("backlog = %v, want 3", v)
	}
	// The image a kill -9 leaves: the database and its WAL as committed.
	crashed := filepath.Join(dir, "crashed", FileName)
	if err := os.MkdirAll(filepath.Dir(crashed), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileName, JournalFileName} {
		from, to := filepath.Join(filepath.Dir(path), name), filepath.Join(filepath.Dir(crashed), name)
		copyFile(t, from, to)
		copyFile(t, from+"-wal", to+"-wal")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A damaged entry among them, as a bug or a bad disk would leave it.
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(filepath.Dir(crashed), JournalFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO journal (id, entry) VALUES (?, ?)`, ids[2]+1, []byte("not an entry")); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO journal (id, entry) VALUES (?, ?)`, ids[2]+2,
		encodeEntry(nil, testMessage("5678", "0009"), func() *Receipt { r := testReceipt("after the bad one"); return &r }())); err != nil {
		t.Fatal(err)
	}
	_ = raw.Close()

	s2, _ := openTest(t, crashed)
	frames, signals, err := s2.Counts(ctx)
	if err != nil || frames != 5 || signals != 4 {
		t.Fatalf("after the restart: %d frames, %d signals (%v); want 5 frames, 4 signals: the damaged one alone", frames, signals, err)
	}
	got, err := s2.Signals(ctx, SignalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{ids[0], ids[1], ids[2], ids[2] + 2} {
		if got[i].FrameID != want {
			t.Fatalf("signal %d of frame %d, want frame %d", i, got[i].FrameID, want)
		}
	}
	var cursor int64
	if err := s2.rdb.QueryRowContext(ctx, `SELECT cursor FROM projection`).Scan(&cursor); err != nil || cursor != ids[2]+2 {
		t.Fatalf("projection cursor %d (%v), want %d", cursor, err, ids[2]+2)
	}
	inc, err := s2.Incidents(ctx, IncidentFilter{})
	if err != nil || len(inc) != 1 {
		t.Fatalf("incidents %+v, %v; want the queued frame's one", inc, err)
	}
	// The next frame gets the next id.
	id, err := s2.Commit(ctx, testMessage("1234", "0004"), testReceipt("frame 0004"))
	if err != nil || id != ids[2]+3 {
		t.Fatalf("next frame id %d, %v; want %d", id, err, ids[2]+3)
	}
}

// TestProjectionBacklogIsBounded: past store.projection_backlog_max the
// writer projects before it takes another frame, so that the backlog of
// frames ACKed and not yet projected never grows past it (the frames wait
// instead: backpressure).
func TestProjectionBacklogIsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Logger: zaptest.NewLogger(t),
		Registerer: reg, ProjectDelay: time.Hour, ProjectionBacklogMax: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	most := 0.0
	for i := range 12 {
		rec := testReceipt("frame")
		rec.DedupeKey = strconv.Itoa(i)
		if _, err := s.Commit(context.Background(), testMessage("1234", "0001"), rec); err != nil {
			t.Fatal(err)
		}
		most = max(most, float64(s.jr.backlog.Load())) // what alarmrx_store_projection_backlog shows
	}
	if most != 5 {
		t.Fatalf("the backlog reached %v, want 5 (the bound)", most)
	}
	if v := s.jr.backlog.Load(); v != 2 {
		t.Fatalf("backlog after 12 frames = %v, want 2 (10 projected in two rounds of 5)", v)
	}
	// A reader hurries the projection; the gauge then shows none left.
	if err := s.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := gaugeValue(t, reg, "alarmrx_store_projection_backlog"); v != 0 {
		t.Fatalf("alarmrx_store_projection_backlog after Settle = %v, want 0", v)
	}
}

// TestBacklogWaitHoldsNoTransaction: a batch that waits for room in the
// projection's backlog waits before its transaction opens. On PostgreSQL
// an open transaction left idle would hold its locks, and
// idle_in_transaction_session_timeout would end the journal's connection.
func TestBacklogWaitHoldsNoTransaction(t *testing.T) {
	if testEngine == nil {
		t.Skip("PostgreSQL's sessions: the PostgreSQL run has it")
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName), Options{Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), ProjectionBacklogMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.InjectFault(func() error { return errors.New("the projection is held") })
	commit := func(i int) error {
		rec := testReceipt("frame")
		rec.DedupeKey = strconv.Itoa(i)
		_, err := s.Commit(ctx, testMessage("1234", fmt.Sprintf("%04d", i)), rec)
		return err
	}
	for i := range 3 {
		must(t, commit(i))
	}
	done := make(chan error, 1)
	go func() { done <- commit(3) }()
	idle := func() int {
		var n int
		// Not a read of the station's data: no wait for the projection.
		// The journal's sessions (the store's own writer opens and rolls
		// back a transaction at each failing projection).
		must(t, s.rdb.QueryRowContext(engine.AsProjected(ctx), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE '%/journal'
			AND state LIKE 'idle in transaction%'`).Scan(&n))
		return n
	}
	for range 50 {
		if n := idle(); n != 0 {
			t.Fatalf("%d sessions idle in a transaction while a batch waits for the backlog", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the fourth frame was answered (%v) with the backlog full", err)
	default:
	}
	s.db.InjectFault(nil)
	if err := <-done; err != nil {
		t.Fatalf("the fourth frame once the projection is back: %v", err)
	}
}

// TestReadsSeeWhatWasAcknowledged: a read waits for the projection of the
// frames acknowledged before it, and hurries it: with a projection delay
// of an hour, the signal is there at once.
func TestReadsSeeWhatWasAcknowledged(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName), Options{Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), ProjectDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id, err := s.Commit(ctx, testMessage("1234", "0001"), testReceipt("frame"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Signals(ctx, SignalFilter{Account: "1234"})
	if err != nil || len(got) != 1 || got[0].FrameID != id {
		t.Fatalf("signals read right after the ACK: %+v, %v", got, err)
	}
}
