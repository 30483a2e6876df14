package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// commitBurst commits one frame per item from 16 goroutines (the group
// commit takes them together, as a storm's panels would be): each has its
// own account number and dedupe key.
func (f *queueFixture) commitBurst(t *testing.T, items []burstItem) {
	t.Helper()
	var wg sync.WaitGroup
	work := make(chan burstItem)
	errs := make(chan error, 1)
	for range 16 {
		wg.Go(func() {
			for it := range work {
				if err := f.commitOne(it); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

type burstItem struct {
	number, code string
	cat          protocols.Category
	key          string
}

func (f *queueFixture) commitOne(it burstItem) error {
	ev := protocols.Event{Format: protocols.FormatSIA, Account: it.number, Code: it.code, Zone: "1", Qualifier: protocols.QualifierNew,
		Category: it.cat, Known: true, Description: it.code}
	msg := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: it.number, Sequence: "0001", Events: []protocols.Event{ev}}
	now := f.clock.Now()
	res := f.s.Resolve(1, it.number, &ev, now)
	rec := Receipt{ReceivedAt: now, Receiver: 1, Line: 1, Listener: "t", Transport: "tcp", Protocol: "dc09",
		Status: StatusAccepted, Raw: []byte(it.key), DedupeKey: it.key, Resolutions: []Resolution{res}}
	h := Handling{Mode: HandlingQueue, Priority: it.cat.DefaultPriority()}
	if !res.Known() {
		h.Mode = HandlingAttach
		rec.UnknownAccounts = []string{it.number}
	}
	rec.Handling = []Handling{h}
	_, err := f.s.Commit(context.Background(), msg, rec)
	return err
}

// TestDisasterModeUnderABurst: 2,000 unknown accounts' alarms and 1,000
// troubles of 100 accounts arrive within a second, with one fire among
// them. Past queue.disaster.auto_incidents_per_minute new incidents the
// station's disaster mode switches itself on (audited, a station event),
// and the rest of the storm joins its one incident; the fire still opens
// its own incident at priority 1. The mode ends after its quiet time; a
// supervisor's mode groups a receiver's troubles until it is switched off.
func TestDisasterModeUnderABurst(t *testing.T) {
	f := newQueueFixture(t, func(o *Options) {
		o.Disaster = DisasterRules{AutoIncidents: 50, Categories: []string{"trouble", "tamper"}, UnknownAccounts: true, Quiet: 10 * time.Minute}
	})
	ctx := context.Background()
	for i := range 100 {
		must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: fmt.Sprintf("T%03d", i), SiteID: f.site.ID}))
	}
	var items []burstItem
	for i := range 3000 {
		switch {
		case i == 2500:
			items = append(items, burstItem{"2222", "FA", protocols.CategoryFire, "fire"})
		case i%3 == 2:
			items = append(items, burstItem{fmt.Sprintf("T%03d", i%100), "YP", protocols.CategoryTrouble, fmt.Sprintf("t%d", i)})
		default:
			items = append(items, burstItem{fmt.Sprintf("U%05d", i), "BA", protocols.CategoryBurglary, fmt.Sprintf("u%d", i)})
		}
	}
	f.commitBurst(t, items)

	list, err := f.s.Incidents(ctx, IncidentFilter{Status: IncidentOpen, Limit: 10000})
	must(t, err)
	kinds := map[string]int{}
	var fire, storm *Incident
	for i := range list {
		in := &list[i]
		kinds[in.Kind]++
		switch {
		case in.Account == "2222":
			fire = in
		case in.Kind == IncidentDisaster:
			storm = in
		}
	}
	// Up to the threshold opened one by one, then one incident for the
	// rest. The mode groups from the projection's next group on, so the
	// rest of the group it came on in (up to journalChunk-1 entries) still
	// opens incidents; the mode's own incident and the fire's are in the
	// list too: at most 50 + 63 + 2.
	if len(list) > 50+journalChunk+1 || storm == nil || kinds[IncidentDisaster] != 1 {
		t.Fatalf("%d open incidents %v, want about 50 and one disaster incident", len(list), kinds)
	}
	if fire == nil || fire.Priority != 1 || fire.Kind != IncidentAlarm || fire.SignalCount != 1 {
		t.Fatalf("the fire's incident: %+v", fire)
	}
	if storm.SignalCount < 2500 || storm.Priority != 4 {
		t.Errorf("the storm's incident: %d signals, priority %d; want most of the 3,000 at the burglaries' 4", storm.SignalCount, storm.Priority)
	}
	modes, err := f.s.Disasters(ctx)
	must(t, err)
	if len(modes) != 1 || !modes[0].Auto || modes[0].Scope != DisasterStation || modes[0].StartedBy != "system" {
		t.Fatalf("modes %+v", modes)
	}
	var events, grouped int
	must(t, f.s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM station_events WHERE kind = 'disaster_on'`).Scan(&events))
	must(t, f.s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signals WHERE handling = 'grouped'`).Scan(&grouped))
	if events != 1 || grouped != storm.SignalCount {
		t.Errorf("%d disaster_on events, %d grouped signals (the storm's incident has %d)", events, grouped, storm.SignalCount)
	}

	// Quiet for 10 minutes: the automatic mode ends; a trouble opens its
	// own incident again.
	f.clock.Add(11 * time.Minute)
	if n, err := f.s.EndQuietDisasters(ctx); err != nil || n != 1 {
		t.Fatalf("ending quiet modes: %d, %v", n, err)
	}
	before := len(list)
	must(t, f.commitOne(burstItem{"1111", "YP", protocols.CategoryTrouble, "after"}))
	list, err = f.s.Incidents(ctx, IncidentFilter{Status: IncidentOpen, Limit: 10000})
	must(t, err)
	if len(list) != before+1 {
		t.Fatalf("after the mode: %d open incidents, want %d", len(list), before+1)
	}

	// A supervisor's mode for receiver 1: troubles grouped, fire never.
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "B001", SiteID: f.site.ID}))
	by := Actor{Name: "sue", Role: RoleSupervisor}
	var fe *FieldError
	if err := f.s.StartDisaster(ctx, &Disaster{Scope: DisasterReceiver, Receiver: 1, Categories: []string{"fire"}, Reason: "storm"}, by); !errors.As(err, &fe) || fe.Field != "categories[0]" {
		t.Fatalf("a mode grouping fire: %v", err)
	}
	d := &Disaster{Scope: DisasterReceiver, Receiver: 1, Categories: []string{"trouble"}, Reason: "ice storm, AC loss everywhere"}
	must(t, f.s.StartDisaster(ctx, d, by))
	must(t, f.commitOne(burstItem{"T001", "YP", protocols.CategoryTrouble, "manual-1"}))
	must(t, f.commitOne(burstItem{"T002", "YP", protocols.CategoryTrouble, "manual-2"}))
	must(t, f.commitOne(burstItem{"B001", "BA", protocols.CategoryBurglary, "manual-3"}))
	list, err = f.s.Incidents(ctx, IncidentFilter{Status: IncidentOpen, Limit: 10000})
	must(t, err)
	if len(list) != before+3 { // the trouble after, the receiver's storm incident, the burglary
		t.Fatalf("under the supervisor's mode: %d open incidents, want %d", len(list), before+3)
	}
	must(t, f.s.EndDisaster(ctx, d.ID, by))
	entries, err := f.s.Audit(ctx, 0, 10)
	must(t, err)
	if entries[0].Action != "disaster.end" || entries[0].UserName != "sue" || entries[1].Action != "disaster.start" {
		t.Fatalf("audit %s by %s, %s", entries[0].Action, entries[0].UserName, entries[1].Action)
	}
}

// TestAutoDisasterWhenAnotherNodeSwitchedOne: a station mode switched on
// by another node (a row this node's projection has not read yet) when
// the rate trips here: the projection takes it as on, and every frame
// keeps its signal; none fails.
func TestAutoDisasterWhenAnotherNodeSwitchedOne(t *testing.T) {
	f := newQueueFixture(t, func(o *Options) {
		o.Disaster = DisasterRules{AutoIncidents: 20, Categories: []string{"trouble"}, UnknownAccounts: true, Quiet: 10 * time.Minute}
	})
	ctx := context.Background()
	must(t, f.commitOne(burstItem{"U00000", "BA", protocols.CategoryBurglary, "first"})) // the projection reads the modes: none
	must(t, f.s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO disaster_modes (scope, receiver, line, categories, unknown_accounts, reason, auto,
			started_by, started_at, last_grouped_at) VALUES ('station', 0, 0, 'trouble', 1, 'the other node', 0, 'sue', 1, 1)`)
		return err
	}))
	var items []burstItem
	for i := 1; i <= 40; i++ {
		items = append(items, burstItem{fmt.Sprintf("U%05d", i), "BA", protocols.CategoryBurglary, fmt.Sprintf("u%d", i)})
	}
	f.commitBurst(t, items)
	var frames, signals int
	must(t, f.s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM frames`).Scan(&frames))
	must(t, f.s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signals`).Scan(&signals))
	if frames != 41 || signals != 41 {
		t.Fatalf("%d frames, %d signals: want every frame with its signal", frames, signals)
	}
	modes, err := f.s.Disasters(ctx)
	must(t, err)
	if len(modes) != 1 || modes[0].StartedBy != "sue" {
		t.Fatalf("modes %+v, want the other node's alone", modes)
	}
}

// TestUnknownAccountsFireUnderADisasterMode: a mode grouping unknown
// accounts takes their burglaries, but an unknown account's fire opens
// its incident and joins it, as fire always reaches the queue.
func TestUnknownAccountsFireUnderADisasterMode(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	must(t, f.s.StartDisaster(ctx, &Disaster{Scope: DisasterStation, Categories: []string{"trouble"}, UnknownAccounts: true,
		Reason: "flood of unknown accounts"}, Actor{Name: "sue", Role: RoleSupervisor}))
	must(t, f.commitOne(burstItem{"U00001", "BA", protocols.CategoryBurglary, "u1"}))
	must(t, f.commitOne(burstItem{"U00002", "FA", protocols.CategoryFire, "u2"}))
	list, err := f.s.Incidents(ctx, IncidentFilter{Status: IncidentOpen, Limit: 10})
	must(t, err)
	var kinds []string
	for _, in := range list {
		kinds = append(kinds, in.Kind+" "+in.Account+" "+fmt.Sprint(in.SignalCount))
	}
	got := fmt.Sprint(kinds)
	if len(list) != 2 || !strings.Contains(got, "unknown_account U00002 1") || !strings.Contains(got, "disaster * 1") {
		t.Fatalf("open incidents %s, want the fire's unknown-account incident and the mode's", got)
	}
}
