package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestImportRefusesToMoveAnAccountSilently: a number that belongs to
// another site is a conflict, on a dry run too (which used to say
// "1 updated" and the real run then moved it), unless the row says
// move=yes.
func TestImportRefusesToMoveAnAccountSilently(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	a := &Account{Receiver: 1, Number: "1234", SiteID: f.site.ID}
	must(t, f.s.Accounts.Create(ctx, a))
	csv := fmt.Sprintf("receiver,number,site_id\n1,1234,%d\n", f.site2.ID)
	for _, dry := range []bool{true, false} {
		rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), dry)
		must(t, err)
		if rep.Applied || rep.Updated != 0 || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 || rep.Errors[0].Field != "site" ||
			!strings.Contains(rep.Errors[0].Error, "belongs to site") || !strings.Contains(rep.Errors[0].Error, "move=yes") {
			t.Fatalf("dry run %v: %+v", dry, rep)
		}
	}
	if got, _ := f.s.Accounts.Get(ctx, a.ID); got.SiteID != f.site.ID {
		t.Fatal("the account moved")
	}
	moving := fmt.Sprintf("receiver,number,site_id,move\n1,1234,%d,yes\n", f.site2.ID)
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(moving), true)
	must(t, err)
	if rep.Updated != 1 || rep.Moved != 1 || rep.Applied || len(rep.Errors) != 0 {
		t.Fatalf("dry run with move=yes: %+v", rep)
	}
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader(moving), false)
	must(t, err)
	if got, _ := f.s.Accounts.Get(ctx, a.ID); !rep.Applied || rep.Moved != 1 || got.SiteID != f.site2.ID {
		t.Fatalf("move: %+v, site %d", rep, got.SiteID)
	}
	if r := f.s.Resolve(1, "1234", nil, f.clock.Now()); r.SiteID != f.site2.ID {
		t.Fatalf("the index still has the old site: %+v", r)
	}
	// move=yes on an account already at that site changes nothing.
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader(moving), false)
	must(t, err)
	if rep.Unchanged != 1 || rep.Moved != 0 {
		t.Fatalf("again: %+v", rep)
	}
	bad := strings.Replace(moving, ",yes\n", ",perhaps\n", 1)
	if rep, _ := f.s.ImportAccounts(ctx, strings.NewReader(bad), true); len(rep.Errors) != 1 || rep.Errors[0].Field != "move" {
		t.Fatalf("move=perhaps: %+v", rep)
	}
}

// TestImportRefusesBareDurations: "25" could be hours or seconds; like the
// configuration file, the import wants a unit. 25,24 used to import as
// 25 s and 24 s, and a false "fail to test" followed.
func TestImportRefusesBareDurations(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	csv := "receiver,number,site,supervision_interval,test_interval\n1,1234," + f.site.Identifier + ",25,24\n"
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if rep.Applied || len(rep.Errors) != 1 || rep.Errors[0].Field != "supervision_interval" ||
		rep.Errors[0].Error != `"25" needs a unit: 25h? 25m?` {
		t.Fatalf("bare durations: %+v", rep)
	}
	csv = "receiver,number,site,supervision_interval,test_interval\n1,1234," + f.site.Identifier + ",25h,0\n"
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	list, _ := f.s.Accounts.List(ctx, ListOptions{})
	if !rep.Applied || len(list) != 1 || time.Duration(list[0].SupervisionInterval) != 25*time.Hour || list[0].TestInterval != 0 {
		t.Fatalf("with units: %+v %+v", rep, list)
	}
	if _, err := ParseDuration("90"); err == nil {
		t.Fatal("ParseDuration took a bare number")
	}
}

// TestImportReportsEveryBadRowInOneRun: five bad rows of five kinds (a
// duplicate within the file, a bare duration, a number of another site, an
// unknown site, a malformed line) are five errors of one run; before, the
// first run stopped at the duplicate and the next found the other four.
func TestImportReportsEveryBadRowInOneRun(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "7000", SiteID: f.site.ID}))
	s1, s2 := f.site.Identifier, f.site2.Identifier
	csv := "receiver,number,site,test_interval\n" +
		"1,1001," + s1 + ",24h\n" +
		"1,1001," + s2 + ",24h\n" + // 3: the same account as line 2
		"1,1002," + s1 + ",24\n" + // 4: no unit
		"1,7000," + s2 + ",24h\n" + // 5: belongs to another site
		"1,1003,000000001,24h\n" + // 6: no such site
		"1,1004," + s1 + "\n" + // 7: a field missing
		"2,1005," + s2 + ",24h\n"
	for _, dry := range []bool{true, false} {
		rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), dry)
		must(t, err)
		var got []string
		for _, e := range rep.Errors {
			got = append(got, fmt.Sprintf("%d:%s", e.Line, e.Field))
		}
		if want := "3: 4:test_interval 5:site 6:site 7:"; strings.Join(got, " ") != want || rep.Applied {
			t.Fatalf("dry run %v: errors %v, want %s (%+v)", dry, got, want, rep.Errors)
		}
	}
	if list, _ := f.s.Accounts.List(ctx, ListOptions{}); len(list) != 1 {
		t.Fatalf("a refused import wrote %d accounts", len(list)-1)
	}
}

// TestImportAppliesThePrefixRule: with prefix 9, rows 123 and 9123 are two
// accounts (9123 and 99123) with add, and 9123 alone with expect, where 123
// is refused. A second import changes nothing.
func TestImportAppliesThePrefixRule(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	must(t, f.s.SyncReceivers(ctx, []Receiver{{Number: 3, Name: "Panels", AccountPrefix: "9", AccountPrefixMode: PrefixAdd},
		{Number: 4, Name: "Cloud", AccountPrefix: "9", AccountPrefixMode: PrefixExpect}}))
	id := f.site.Identifier
	csv := "receiver,number,site\n3,123," + id + "\n3,9123," + id + "\n4,9123," + id + "\n"
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if !rep.Applied || rep.Created != 3 {
		t.Fatalf("import: %+v", rep)
	}
	for _, c := range []struct {
		receiver int
		number   string
	}{{3, "9123"}, {3, "99123"}, {4, "9123"}} {
		if !f.s.Resolve(c.receiver, c.number, nil, f.clock.Now()).Known() {
			t.Errorf("%d/%s not imported", c.receiver, c.number)
		}
	}
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if rep.Unchanged != 3 {
		t.Fatalf("again: %+v", rep)
	}
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader("receiver,number,site\n4,123,"+id+"\n"), false)
	must(t, err)
	if len(rep.Errors) != 1 || rep.Errors[0].Field != "number" {
		t.Fatalf("123 on expect: %+v", rep)
	}
	// sent_number says the same explicitly; with number too, number is the
	// stored form it makes.
	rep, err = f.s.ImportAccounts(ctx, strings.NewReader("receiver,number,sent_number,site\n3,9124,124,"+id+"\n3,9125,9125,"+id+"\n"), false)
	must(t, err)
	if len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field != "number" {
		t.Fatalf("number with sent_number: %+v", rep)
	}
}

// TestImportSitesAndCustomers: keyed by identifier, compared as
// identifiers are; a column the file leaves out keeps the stored field.
func TestImportSitesAndCustomers(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	rep, err := f.s.ImportCustomers(ctx, strings.NewReader("identifier,name,parent\n555 0300,Chain,\n555 0301,Chain West,5550300\n"), false)
	must(t, err)
	if !rep.Applied || rep.Created != 2 {
		t.Fatalf("customers: %+v", rep)
	}
	west, err := f.s.Customers.List(ctx, ListOptions{Where: map[string]any{"identifier": "555-0301"}})
	must(t, err)
	if len(west) != 1 || west[0].ParentID == nil {
		t.Fatalf("West: %+v", west)
	}
	sites := "identifier,name,customer,notes\n555 0310,Shop 1,5550301,back door sticks\n"
	rep, err = f.s.ImportSites(ctx, strings.NewReader(sites), false)
	must(t, err)
	if !rep.Applied || rep.Created != 1 {
		t.Fatalf("sites: %+v", rep)
	}
	// Renamed by a file without the notes column: the notes stay.
	rep, err = f.s.ImportSites(ctx, strings.NewReader("identifier,name\n5550310,Shop One\n"), false)
	must(t, err)
	got, err := f.s.Sites.List(ctx, ListOptions{Where: map[string]any{"identifier": "5550310"}})
	must(t, err)
	if rep.Updated != 1 || len(got) != 1 || got[0].Name != "Shop One" || got[0].Notes != "back door sticks" || got[0].CustomerID != west[0].ID {
		t.Fatalf("update: %+v %+v", rep, got)
	}
	// A new site needs its customer; the same identifier twice is refused.
	rep, err = f.s.ImportSites(ctx, strings.NewReader("identifier,name\n5550311,Shop 2\n555 0311,Shop 2b\n"), false)
	must(t, err)
	if len(rep.Errors) != 2 || rep.Errors[0].Field != "customer" || !strings.Contains(rep.Errors[1].Error, "line 2") {
		t.Fatalf("bad sites: %+v", rep)
	}
	// Unknown and repeated columns end the import at the header.
	rep, err = f.s.ImportSites(ctx, strings.NewReader("identifier,name,colour,name\n1,x,y,z\n"), false)
	must(t, err)
	if len(rep.Errors) != 2 || rep.Errors[0].Field != "colour" || rep.Errors[1].Field != "name" {
		t.Fatalf("bad header: %+v", rep)
	}
}
