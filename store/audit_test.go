package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestImportIsAuditedRowByRow: an import writes each row's change with its
// before and after in the import's transaction, as the importer; a dry run
// or a refused import leaves no entry.
func TestImportIsAuditedRowByRow(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := WithActor(WithActorName(context.Background(), "station:ada"), Actor{ID: 7, Name: "ada", RemoteAddr: "192.0.2.1"})
	count := func() int {
		list, err := f.s.Audit(context.Background(), 0, 1000)
		must(t, err)
		n := 0
		for _, e := range list {
			if strings.HasPrefix(e.Action, "account.") {
				n++
			}
		}
		return n
	}
	csv := fmt.Sprintf("receiver,number,site_id,dc09_key\n1,6001,%[1]d,000102030405060708090A0B0C0D0E0F\n1,6002,%[1]d,\n", f.site.ID)
	if _, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), true); err != nil || count() != 0 {
		t.Fatalf("a dry run is audited: %v %d", err, count())
	}
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if !rep.Applied || count() != 2 {
		t.Fatalf("import: %+v, %d entries", rep, count())
	}
	list, err := f.s.Audit(context.Background(), 0, 1)
	must(t, err)
	e := list[0]
	if e.Action != "account.create" || e.UserName != "ada" || e.UserID == nil || *e.UserID != 7 || e.RemoteAddr != "192.0.2.1" ||
		e.Before != nil || !strings.Contains(string(e.After), `"number":"6002"`) || strings.Contains(string(e.After), "dc09_key\"") {
		t.Fatalf("entry %+v after %s", e, e.After)
	}
	list, _ = f.s.Audit(context.Background(), 0, 2)
	if a := string(list[1].After); !strings.Contains(a, `"dc09_key":"changed"`) || strings.Contains(a, "0102030405") {
		t.Fatalf("the key of the first row: %s", a)
	}
	// Changed by a second import: only what changed.
	again := fmt.Sprintf("receiver,number,site_id,notes\n1,6002,%d,by the till\n", f.site.ID)
	if _, err := f.s.ImportAccounts(context.Background(), strings.NewReader(again), false); err != nil {
		t.Fatal(err)
	}
	list, _ = f.s.Audit(context.Background(), 0, 1)
	if e := list[0]; e.Action != "account.update" || e.UserName != "station" || string(e.Before) != `{"notes":""}` || string(e.After) != `{"notes":"by the till"}` {
		t.Fatalf("update entry %+v: %s → %s", e, e.Before, e.After)
	}
	// A refused import writes nothing.
	bad := fmt.Sprintf("receiver,number,site_id,system_type\n1,6003,%d,pers\n1,6004,%d,jukebox\n", f.site.ID, f.site.ID)
	n := count()
	if rep, _ := f.s.ImportAccounts(ctx, strings.NewReader(bad), false); rep.Applied || count() != n {
		t.Fatalf("a refused import is audited: %+v", rep)
	}
}
