package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
)

// TestSystemTypesAreAcceptedAndResolved: every system type is accepted,
// an unknown one is refused naming the field, and resolution carries the
// account's type, so that an on-test scope by category covers a generic
// alarm in the system's category (a PERS on test for medical covers its
// BA), before and after the account changes type and across a reopen.
func TestSystemTypesAreAcceptedAndResolved(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	for i, sys := range SystemTypes {
		a := &Account{Receiver: 2, Number: "7" + string(rune('A'+i)) + "00", SiteID: f.site.ID, SystemType: sys}
		must(t, f.s.Accounts.Create(ctx, a))
		if r := f.s.Resolve(2, a.Number, burglary("1"), f.clock.Now()); r.SystemType != sys {
			t.Errorf("%s resolved as %q", sys, r.SystemType)
		}
	}
	if err := f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "999", SiteID: f.site.ID, SystemType: "toaster"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown system type: %v", err)
	}
	pers := &Account{Receiver: 1, Number: "4444", SiteID: f.site.ID, SystemType: "pers"}
	must(t, f.s.Accounts.Create(ctx, pers))
	now := f.clock.Now()
	must(t, f.s.StartTest(ctx, &OnTest{AccountID: pers.ID, Scope: ScopeCategories, Categories: Strings{"medical"},
		EndsAt: now.Add(time.Hour), Reason: "pendant check", AuthorisedBy: "tech"}, 0))
	if r := f.s.Resolve(1, "4444", burglary("1"), now); r.OnTestID == 0 || r.SystemType != "pers" {
		t.Fatalf("a PERS's BA while medical is on test: %+v", r)
	}
	if r := f.s.Resolve(1, "4444", &protocols.Event{Code: "YT", Category: protocols.CategoryTamper}, now); r.OnTestID != 0 {
		t.Fatalf("tamper is not medical: %+v", r)
	}
	pers.SystemType = "intrusion"
	must(t, f.s.Accounts.Update(ctx, pers.ID, pers))
	if r := f.s.Resolve(1, "4444", burglary("1"), now); r.OnTestID != 0 || r.SystemType != "intrusion" {
		t.Fatalf("an intruder panel's BA is a burglary, not medical: %+v", r)
	}
	pers.SystemType = "pers"
	must(t, f.s.Accounts.Update(ctx, pers.ID, pers))
	path := f.s.Path()
	must(t, f.s.Close())
	s, err := Open(ctx, path, Options{Logger: f.s.log, Registerer: prometheus.NewRegistry(), Now: f.clock.Now})
	must(t, err)
	defer s.Close()
	if r := s.Resolve(1, "4444", burglary("1"), now); r.SystemType != "pers" || r.OnTestID == 0 {
		t.Fatalf("after reopening: %+v", r)
	}
}

// TestImportTakesEverySystemType: the CSV import accepts the new types,
// changes the index with them, and names a bad one by line and field.
func TestImportTakesEverySystemType(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	csv := fmt.Sprintf("receiver,number,site_id,system_type\n1,5001,%[1]d,pers\n1,5002,%[1]d,atm_skimming\n1,5003,%[1]d,guard_tour\n", f.site.ID)
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if !rep.Applied || rep.Created != 3 {
		t.Fatalf("import: %+v", rep)
	}
	for number, sys := range map[string]string{"5001": "pers", "5002": "atm_skimming", "5003": "guard_tour"} {
		if r := f.s.Resolve(1, number, nil, f.clock.Now()); r.SystemType != sys {
			t.Errorf("%s resolves as %q, want %s", number, r.SystemType, sys)
		}
	}
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader(fmt.Sprintf("receiver,number,site_id,system_type\n1,5004,%d,jukebox\n", f.site.ID)), false)
	must(t, err)
	if rep.Applied || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 || rep.Errors[0].Field != "system_type" ||
		!strings.Contains(rep.Errors[0].Error, "atm_skimming") {
		t.Fatalf("bad type: %+v", rep)
	}
}
