package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// visitFixture adds to the records fixture an installer (Secure Ltd) that
// installed the branch site, with technician tom and a manager, another
// installer with technician jim, and two systems on the site.
type visitFixture struct {
	*recordsFixture
	inst, other    *Installer
	tom, jim, boss *PortalUser
	alarm, fire    *Account
	elsewhere      *Account // a system of the other site
	station        Actor
	tomName        string // how tom authorises
}

func newVisitFixture(t *testing.T) *visitFixture {
	t.Helper()
	f := &visitFixture{recordsFixture: newRecordsFixture(t), station: Actor{Name: "admin"}}
	ctx := context.Background()
	f.inst, f.other = &Installer{Name: "Secure Ltd"}, &Installer{Name: "Rival Alarms"}
	must(t, f.s.Installers.Create(ctx, f.inst))
	must(t, f.s.Installers.Create(ctx, f.other))
	site := *f.site
	site.InstallerID = &f.inst.ID
	must(t, f.s.Sites.Update(ctx, site.ID, &site))
	site2 := *f.site2
	site2.InstallerID = &f.other.ID
	must(t, f.s.Sites.Update(ctx, site2.ID, &site2))
	f.alarm = &Account{Receiver: 1, Number: "1234", SiteID: f.site.ID}
	f.fire = &Account{Receiver: 1, Number: "1235", SiteID: f.site.ID, SystemType: "fire"}
	f.elsewhere = &Account{Receiver: 1, Number: "4321", SiteID: f.site2.ID}
	for _, a := range []*Account{f.alarm, f.fire, f.elsewhere} {
		must(t, f.s.Accounts.Create(ctx, a))
	}
	f.tom = &PortalUser{Scope: ScopeOf("installer", f.inst.ID), Kind: PortalTechnician, Username: "tom"}
	f.boss = &PortalUser{Scope: ScopeOf("installer", f.inst.ID), Kind: PortalManager, Username: "boss"}
	f.jim = &PortalUser{Scope: ScopeOf("installer", f.other.ID), Kind: PortalTechnician, Username: "jim"}
	for _, u := range []*PortalUser{f.tom, f.boss, f.jim} {
		must(t, f.s.CreatePortalUser(ctx, u, u.Username+"'s long password", f.station))
	}
	f.tomName = "portal:" + f.tom.Scope + "/tom"
	return f
}

func (f *visitFixture) visit(t *testing.T, from, until time.Duration, accounts ...int64) *Visit {
	t.Helper()
	now := f.clock.Now()
	v := &Visit{SiteID: f.site.ID, AccountIDs: accounts, TechnicianUserID: f.tom.ID, From: now.Add(from), Until: now.Add(until),
		Purpose: VisitService, Notes: "replace the keypad"}
	must(t, f.s.CreateVisit(context.Background(), v, 24*time.Hour, f.station))
	return v
}

// TestVisitPutsItsSystemsOnTestForItsWindow: a scheduled visit starts
// within its window only; starting puts each of its systems on test (the
// whole account, reason the purpose, authorised by the technician) until
// the window ends; ending takes them off; each step is a station event and
// an audit entry.
func TestVisitPutsItsSystemsOnTestForItsWindow(t *testing.T) {
	f := newVisitFixture(t)
	ctx := context.Background()
	v := f.visit(t, 10*time.Minute, 2*time.Hour, f.alarm.ID, f.fire.ID, f.alarm.ID)
	if v.Status != VisitScheduled || !slices.Equal(v.AccountIDs, []int64{f.alarm.ID, f.fire.ID}) || len(v.Systems) != 2 ||
		v.Systems[1].Number != "1235" || v.Systems[1].SystemType != "fire" || v.Systems[0].OnTestID != nil ||
		v.SiteName != "Branch 7 Main St" || v.Technician != "tom" || v.CreatedBy != "admin" {
		t.Fatalf("created %+v", v)
	}
	var ce *ConflictError
	if _, err := f.s.StartVisit(ctx, v.ID, f.station); !errors.As(err, &ce) || ce.Field != "from" {
		t.Fatalf("start before the window: %v", err)
	}
	if r := f.s.Resolve(1, "1234", burglary("3"), f.clock.Now()); r.OnTestID != 0 {
		t.Fatal("on test before the start")
	}

	f.clock.Add(15 * time.Minute)
	started, err := f.s.StartVisit(ctx, v.ID, Actor{Name: f.tomName})
	must(t, err)
	if started.Status != VisitOpen || started.StartedBy != f.tomName || started.StartedAt == nil || started.Systems[0].OnTestID == nil {
		t.Fatalf("started %+v", started)
	}
	for _, acct := range []*Account{f.alarm, f.fire} {
		open, err := f.s.OpenTests(ctx, acct.ID)
		must(t, err)
		if len(open) != 1 || open[0].Scope != ScopeAccount || open[0].Reason != VisitService || open[0].AuthorisedBy != f.tomName ||
			!open[0].EndsAt.Equal(v.Until) || !open[0].StartsAt.Equal(f.clock.Now()) {
			t.Fatalf("account %s on test: %+v", acct.Number, open)
		}
	}
	if r := f.s.Resolve(1, "1234", burglary("3"), f.clock.Now()); r.OnTestID != *started.Systems[0].OnTestID {
		t.Fatalf("a signal of the visited system is not a test result: %+v", r)
	}
	if r := f.s.Resolve(1, "4321", burglary("3"), f.clock.Now()); r.OnTestID != 0 {
		t.Fatal("a system not visited is on test")
	}
	if _, err := f.s.StartVisit(ctx, v.ID, Actor{Name: f.tomName}); !errors.As(err, &ce) || ce.Field != "status" {
		t.Fatalf("started twice: %v", err)
	}
	if _, err := f.s.CancelVisit(ctx, v.ID, f.station); !errors.As(err, &ce) {
		t.Fatalf("an open visit cancelled: %v", err)
	}

	f.clock.Add(30 * time.Minute)
	ended, err := f.s.EndVisit(ctx, v.ID, Actor{Name: f.tomName})
	must(t, err)
	if ended.Status != VisitEnded || ended.EndReason != EndEnded || ended.EndedBy != f.tomName || ended.EndedAt == nil {
		t.Fatalf("ended %+v", ended)
	}
	if r := f.s.Resolve(1, "1235", burglary("3"), f.clock.Now()); r.OnTestID != 0 {
		t.Fatal("still on test after the visit ended")
	}
	for _, acct := range []*Account{f.alarm, f.fire} {
		if open, _ := f.s.OpenTests(ctx, acct.ID); len(open) != 0 {
			t.Fatalf("account %s still on test: %+v", acct.Number, open)
		}
	}
	if _, err := f.s.EndVisit(ctx, v.ID, Actor{Name: f.tomName}); !errors.As(err, &ce) {
		t.Fatalf("ended twice: %v", err)
	}
	evs, err := f.s.StationEvents(ctx, StationEventFilter{AccountID: f.fire.ID})
	must(t, err)
	if len(evs) != 2 || evs[0].Kind != EventTestOn || evs[1].Kind != EventTestOff {
		t.Fatalf("station events %+v", evs)
	}
	if got := auditOf(t, f.s, v.ID); got != "visit.create:admin visit.start:"+f.tomName+" visit.end:"+f.tomName {
		t.Fatalf("audit %q", got)
	}
}

// auditOf lists a visit's audit entries, oldest first, as action:who.
func auditOf(t *testing.T, s *Store, id int64) string {
	t.Helper()
	entries, err := s.Audit(context.Background(), 0, 1000)
	must(t, err)
	var out []string
	for _, e := range slices.Backward(entries) {
		if e.Target == visitTarget(id) {
			out = append(out, e.Action+":"+e.UserName)
		}
	}
	return strings.Join(out, " ")
}

// TestVisitEndsWithItsWindow: the on-test expiry ends an open visit whose
// window ran out, with its systems' periods, and a scheduled one never
// started; a cancelled visit cannot start.
func TestVisitEndsWithItsWindow(t *testing.T) {
	f := newVisitFixture(t)
	ctx := context.Background()
	open := f.visit(t, 0, time.Hour, f.alarm.ID)
	_, err := f.s.StartVisit(ctx, open.ID, Actor{Name: f.tomName})
	must(t, err)
	never := f.visit(t, 0, time.Hour, f.fire.ID)
	later := f.visit(t, 0, 3*time.Hour, f.fire.ID)
	cancelled, err := f.s.CancelVisit(ctx, later.ID, Actor{Name: "portal:" + f.boss.Scope + "/boss"})
	must(t, err)
	if cancelled.Status != VisitCancelled || cancelled.EndedAt == nil {
		t.Fatalf("cancelled %+v", cancelled)
	}
	var ce *ConflictError
	if _, err := f.s.StartVisit(ctx, later.ID, Actor{Name: f.tomName}); !errors.As(err, &ce) {
		t.Fatalf("a cancelled visit started: %v", err)
	}

	f.clock.Add(50 * time.Minute) // the warning, nothing ends
	_, expired, err := f.s.ExpireTests(ctx, f.clock.Now(), 15*time.Minute)
	must(t, err)
	if v, _ := f.s.Visit(ctx, open.ID); expired != 0 || v.Status != VisitOpen {
		t.Fatalf("at +50m: %d expired, visit %s", expired, v.Status)
	}
	f.clock.Add(10 * time.Minute)
	_, expired, err = f.s.ExpireTests(ctx, f.clock.Now(), 15*time.Minute)
	must(t, err)
	if expired != 1 {
		t.Fatalf("%d periods expired, want 1", expired)
	}
	for _, id := range []int64{open.ID, never.ID} {
		v, err := f.s.Visit(ctx, id)
		must(t, err)
		if v.Status != VisitEnded || v.EndReason != EndExpired || v.EndedBy != "expiry" {
			t.Fatalf("visit %d after its window: %+v", id, v)
		}
	}
	if r := f.s.Resolve(1, "1234", burglary("3"), f.clock.Now()); r.OnTestID != 0 {
		t.Fatal("on test after the visit's window")
	}
	if v, _ := f.s.Visit(ctx, later.ID); v.Status != VisitCancelled {
		t.Fatalf("the cancelled visit became %s", v.Status)
	}
	if got := auditOf(t, f.s, open.ID); got != "visit.create:admin visit.start:"+f.tomName+" visit.expire:expiry" {
		t.Fatalf("audit %q", got)
	}
	if got := auditOf(t, f.s, later.ID); got != "visit.create:admin visit.cancel:portal:"+f.boss.Scope+"/boss" {
		t.Fatalf("audit %q", got)
	}
}

// TestVisitsBelongToTheirInstaller: a visit needs a technician of an
// installer of the site and systems of the site; lists select one
// technician's visits, or one installer's, or those of some sites.
func TestVisitsBelongToTheirInstaller(t *testing.T) {
	f := newVisitFixture(t)
	ctx := context.Background()
	now := f.clock.Now()
	good := Visit{SiteID: f.site.ID, AccountIDs: []int64{f.alarm.ID}, TechnicianUserID: f.tom.ID, Until: now.Add(time.Hour), Purpose: VisitRepair}
	manager := &PortalUser{Scope: ScopeOf("site", f.site.ID), Kind: PortalManager, Username: "clara"}
	must(t, f.s.CreatePortalUser(ctx, manager, "clara's long password", f.station))
	for field, edit := range map[string]func(*Visit){
		"technician_user_id": func(v *Visit) { v.TechnicianUserID = manager.ID },
		"site_id":            func(v *Visit) { v.TechnicianUserID = f.jim.ID }, // another installer's site
		"account_ids":        func(v *Visit) { v.AccountIDs = []int64{f.elsewhere.ID} },
		"purpose":            func(v *Visit) { v.Purpose = "coffee" },
		"until":              func(v *Visit) { v.Until = now.Add(-time.Minute) },
	} {
		v := good
		edit(&v)
		var fe *FieldError
		if err := f.s.CreateVisit(ctx, &v, 24*time.Hour, f.station); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	long := good
	long.Until = now.Add(25 * time.Hour)
	if err := f.s.CreateVisit(ctx, &long, 24*time.Hour, f.station); !errors.Is(err, ErrInvalid) {
		t.Errorf("a window longer than the longest on-test period: %v", err)
	}
	if err := f.s.CreateVisit(ctx, &Visit{SiteID: f.site.ID, TechnicianUserID: f.tom.ID, Until: now.Add(time.Hour),
		Purpose: VisitRepair}, 0, f.station); !errors.Is(err, ErrInvalid) {
		t.Errorf("a visit without systems: %v", err)
	}

	mine := good
	must(t, f.s.CreateVisit(ctx, &mine, 0, f.station))
	theirs := Visit{SiteID: f.site2.ID, AccountIDs: []int64{f.elsewhere.ID}, TechnicianUserID: f.jim.ID, Until: now.Add(time.Hour), Purpose: VisitInstall}
	must(t, f.s.CreateVisit(ctx, &theirs, 0, f.station))
	for name, c := range map[string]struct {
		f    VisitFilter
		want []int64
	}{
		"tom's":             {VisitFilter{TechnicianUserID: f.tom.ID}, []int64{mine.ID}},
		"secure's":          {VisitFilter{InstallerID: f.inst.ID}, []int64{mine.ID}},
		"rival's":           {VisitFilter{InstallerID: f.other.ID}, []int64{theirs.ID}},
		"the second site":   {VisitFilter{SiteIDs: []int64{f.site2.ID}}, []int64{theirs.ID}},
		"no site":           {VisitFilter{SiteIDs: []int64{}}, nil},
		"every":             {VisitFilter{}, []int64{mine.ID, theirs.ID}},
		"scheduled":         {VisitFilter{Status: VisitScheduled}, []int64{mine.ID, theirs.ID}},
		"open":              {VisitFilter{Status: VisitOpen}, nil},
		"ending from +2h":   {VisitFilter{Since: now.Add(2 * time.Hour)}, nil},
		"after the first":   {VisitFilter{AfterID: mine.ID}, []int64{theirs.ID}},
		"the site's, by id": {VisitFilter{SiteID: f.site.ID}, []int64{mine.ID}},
	} {
		list, err := f.s.Visits(ctx, c.f)
		must(t, err)
		var got []int64
		for _, v := range list {
			got = append(got, v.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s visits: %v, want %v", name, got, c.want)
		}
	}
	if _, err := f.s.Visit(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no such visit: %v", err)
	}
}

// TestInstallerManagers: an installer may have account managers (they
// schedule its technicians' visits), never office staff; its managers have
// no say over the clients' records.
func TestInstallerManagers(t *testing.T) {
	f := newVisitFixture(t)
	if f.boss.May(RightCallList) || f.boss.May(RightNotes) {
		t.Fatal("an installer's manager may change the clients' records")
	}
	site := &PortalUser{Scope: ScopeOf("site", f.site.ID), Kind: PortalManager}
	if !site.May(RightCallList) {
		t.Fatal("a site's manager may not change its call list")
	}
	err := f.s.CreatePortalUser(context.Background(), &PortalUser{Scope: f.tom.Scope, Kind: PortalStaff, Username: "clerk"},
		"clerk's long password", f.station)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "kind" {
		t.Fatalf("office staff of an installer: %v", err)
	}
}
