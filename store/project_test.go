package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestEntryThatFailsIsFoundInItsGroup: the projection builds a group of
// entries with one statement per kind of row; when one entry of the
// group cannot be projected (here the database refuses its signal, or
// its signal's link to the incident, which is written at the end of the
// transaction, by a trigger), the entries are projected again one at a
// time, the others are built in full, and that entry is kept as a frame
// alone.
func TestEntryThatFailsIsFoundInItsGroup(t *testing.T) {
	for _, table := range []string{"signals", "incident_signals"} {
		t.Run(table, func(t *testing.T) { entryThatFails(t, table) })
	}
}

func entryThatFails(t *testing.T, table string) {
	core, logs := observer.New(zapcore.WarnLevel)
	// A projection an hour away: the five entries wait, and the read
	// below projects them together.
	s, err := Open(context.Background(), t.TempDir()+"/"+FileName, Options{Logger: zap.New(core),
		Registerer: prometheus.NewRegistry(), ProjectDelay: time.Hour})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	refuseZone(t, s, table, "666")
	var ids []int64
	for i := range 5 {
		seq := fmt.Sprintf("%04d", i+1)
		rec := testReceipt("frame " + seq)
		rec.DedupeKey = seq
		rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 3}}
		m := testMessage("1234", seq)
		if i == 2 {
			m.Events[0].Zone = "666"
		}
		id, err := s.Commit(ctx, m, rec)
		must(t, err)
		ids = append(ids, id)
	}
	must(t, s.Settle(ctx))
	var got []string
	for _, id := range ids {
		var frames, signals, links int
		must(t, s.rdb.QueryRowContext(ctx, `SELECT count(*), (SELECT count(*) FROM signals WHERE frame_id = ?),
			(SELECT count(*) FROM incident_signals x JOIN signals g ON g.id = x.signal_id WHERE g.frame_id = ?)
			FROM frames WHERE id = ?`, id, id, id).Scan(&frames, &signals, &links))
		got = append(got, fmt.Sprintf("%d/%d/%d", frames, signals, links))
	}
	// frames/signals/incident links of each entry
	if want := "[1/1/1 1/1/1 1/0/0 1/1/1 1/1/1]"; fmt.Sprint(got) != want {
		t.Fatalf("entries stored %v, want %s", got, want)
	}
	if n := logs.FilterMessage("projection failed on a group of journal entries; they are projected one at a time to find the one that fails").Len(); n != 1 {
		t.Errorf("%d logs of the group that failed, want 1", n)
	}
	if n := logs.FilterMessage("projection failed on one journal entry; it is stored as a frame alone").Len(); n != 1 {
		t.Errorf("%d logs of the entry that failed, want 1", n)
	}
	if n := logs.FilterMessage("journal entry stored as a frame without its signals: its projection failed").Len(); n != 1 {
		t.Errorf("%d logs of the entry stored alone, want 1", n)
	}
	var count int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT signal_count FROM incidents`).Scan(&count))
	if count != 4 {
		t.Errorf("the incident counts %d signals, want 4", count)
	}
}

// TestTextAPanelSentIsStorable: a NUL byte or invalid UTF-8 in what a
// panel sent (PostgreSQL's text holds neither) is stored as U+FFFD on
// both engines, the frame's raw bytes as received, and its signal
// reaches the queue; two keys that differ only in such bytes stay two.
func TestTextAPanelSentIsStorable(t *testing.T) {
	s, _ := openTest(t, "")
	ctx := context.Background()
	for i, text := range []string{"door\x00open", "door\xffopen"} {
		m := testMessage("1234", fmt.Sprintf("%04d", i+1))
		m.Events[0].Text, m.Events[0].Zone = text, "01\x00"
		rec := testReceipt("raw \x00\xff " + text)
		rec.DedupeKey, rec.IdempotencyKey = "key\x00"+text, "message\xff"+text
		rec.Handling = []Handling{{Mode: HandlingQueue, Priority: 3}}
		_, err := s.Commit(ctx, m, rec)
		must(t, err)
	}
	sigs, err := s.Signals(ctx, SignalFilter{Account: "1234"})
	must(t, err)
	if len(sigs) != 2 {
		t.Fatalf("%d signals stored, want 2", len(sigs))
	}
	for _, g := range sigs {
		if g.Text != "door\uFFFDopen" || g.Zone != "01\uFFFD" || !strings.HasPrefix(g.RawHex, "72617720" /* "raw " */ +"00ff20") {
			t.Errorf("signal stored as text %q zone %q raw %s", g.Text, g.Zone, g.RawHex)
		}
	}
	for i, text := range []string{"door\x00open", "door\xffopen"} {
		seen, err := s.MessageSeen(ctx, "message\xff"+text)
		must(t, err)
		if !seen {
			t.Errorf("message %d not seen by its idempotency key", i+1)
		}
	}
	var incidents int
	must(t, s.rdb.QueryRowContext(ctx, `SELECT signal_count FROM incidents`).Scan(&incidents))
	if incidents != 2 {
		t.Errorf("the incident counts %d signals, want 2", incidents)
	}
}

// refuseZone makes the database refuse a row of table (signals or
// incident_signals) for a signal of the zone, by a trigger: a fault of
// the database's own, on either engine.
func refuseZone(t *testing.T, s *Store, table, zone string) {
	t.Helper()
	when := map[string]string{
		"signals":          `NEW.zone = '` + zone + `'`,
		"incident_signals": `(SELECT zone FROM signals WHERE id = NEW.signal_id) = '` + zone + `'`,
	}[table]
	refuse := []string{`CREATE TRIGGER refuse_zone BEFORE INSERT ON ` + table + ` WHEN ` + when + `
		BEGIN SELECT RAISE(ABORT, 'zone refused'); END`}
	if s.opts.Driver == DriverPostgres {
		refuse = []string{`CREATE FUNCTION refuse_zone() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF ` + when + ` THEN RAISE EXCEPTION 'zone refused'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_zone BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION refuse_zone()`}
	}
	for _, q := range refuse {
		_, err := s.db.Setup().ExecContext(context.Background(), q)
		must(t, err)
	}
}
