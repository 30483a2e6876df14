package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestCustomerSignals: a customer's signals are those of its sites and of
// every customer's under it, in the list's order, the same list whatever
// the page size, paged either way with before_id and after_id; the
// history filters narrow it, a site of the customer narrows it to the
// site, and another customer's site gives none.
func TestCustomerSignals(t *testing.T) {
	f := newQueueFixture(t) // Bank HQ → Bank North (site2, account 2222) → Branch 7 (site, account 1111)
	ctx := context.Background()
	north := f.site2.CustomerID
	region, err := f.s.Customers.Get(ctx, north)
	must(t, err)
	hq := *region.ParentID
	store4 := &Site{CustomerID: hq, Name: "HQ store"}
	must(t, f.s.Sites.Create(ctx, store4))
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "4444", SiteID: store4.ID}))
	other := &Customer{Name: "Other Ltd"}
	must(t, f.s.Customers.Create(ctx, other))
	elsewhere := &Site{CustomerID: other.ID, Name: "Elsewhere"}
	must(t, f.s.Sites.Create(ctx, elsewhere))
	must(t, f.s.Accounts.Create(ctx, &Account{Receiver: 1, Number: "3333", SiteID: elsewhere.ID}))

	// Uneven: a long run of one site, then the four interleaved.
	var order []string
	for range 23 {
		order = append(order, "1111")
	}
	for i := range 30 {
		order = append(order, []string{"2222", "3333", "4444", "1111", "3333"}[i%5])
	}
	for i, number := range order {
		code := "OP"
		if i%4 == 0 {
			code = "BA"
		}
		f.signal(t, number, code, "1", protocols.QualifierNew, protocols.CategoryOpenClose, HandlingLog, 9)
	}

	since := f.clock.Now().Add(-time.Hour)

	// want reads the sites one by one and merges them: what a customer's
	// list must be.
	want := func(sites []int64, code string, desc bool) []int64 {
		t.Helper()
		var ids []int64
		for _, site := range sites {
			list, err := f.s.Signals(ctx, SignalFilter{SiteID: site, Code: code, Limit: MaxListLimit})
			must(t, err)
			for _, sg := range list {
				ids = append(ids, sg.ID)
			}
		}
		slices.Sort(ids)
		if desc {
			slices.Reverse(ids)
		}
		return ids
	}
	list := func(f0 SignalFilter) []int64 {
		t.Helper()
		sigs, err := f.s.Signals(ctx, f0)
		must(t, err)
		ids := make([]int64, len(sigs))
		for i, sg := range sigs {
			ids[i] = sg.ID
		}
		return ids
	}
	for _, c := range []struct {
		name     string
		customer int64
		sites    []int64
		code     string
	}{
		{"HQ", hq, []int64{f.site.ID, f.site2.ID, store4.ID}, ""},
		{"North", north, []int64{f.site.ID, f.site2.ID}, ""},
		{"HQ, code BA", hq, []int64{f.site.ID, f.site2.ID, store4.ID}, "BA"},
		{"Other", other.ID, []int64{elsewhere.ID}, ""},
	} {
		for _, desc := range []bool{true, false} {
			all := want(c.sites, c.code, desc)
			if len(all) == 0 {
				t.Fatalf("%s: the fixture gave the sites no signals", c.name)
			}
			if got := list(SignalFilter{CustomerID: c.customer, Code: c.code, Since: since, Desc: desc, Limit: MaxListLimit}); !slices.Equal(got, all) {
				t.Errorf("%s desc=%v: %v, want %v", c.name, desc, got, all)
			}
			for _, size := range []int{1, 3, 7} {
				var paged []int64
				for page := 0; page < 100; page++ {
					pf := SignalFilter{CustomerID: c.customer, Code: c.code, Since: since, Desc: desc, Limit: size}
					if n := len(paged); n > 0 && desc {
						pf.BeforeID = paged[n-1]
					} else if n > 0 {
						pf.AfterID = paged[n-1]
					}
					got := list(pf)
					if len(got) == 0 {
						break
					}
					if len(got) > size {
						t.Fatalf("%s: a page of %d holds %d", c.name, size, len(got))
					}
					paged = append(paged, got...)
				}
				if !slices.Equal(paged, all) {
					t.Errorf("%s desc=%v in pages of %d: %v, want %v", c.name, desc, size, paged, all)
				}
			}
		}
	}
	if got, all := list(SignalFilter{CustomerID: hq, SiteID: store4.ID, Desc: true, Limit: 100}), want([]int64{store4.ID}, "", true); !slices.Equal(got, all) {
		t.Errorf("HQ's store: %v, want %v", got, all)
	}
	if got := list(SignalFilter{CustomerID: hq, SiteID: elsewhere.ID, Limit: 100}); len(got) != 0 {
		t.Errorf("another customer's site under HQ: %v", got)
	}
	if got := list(SignalFilter{CustomerID: hq, Since: f.clock.Now().Add(time.Minute), Limit: 100}); len(got) != 0 {
		t.Errorf("since after the last signal: %v", got)
	}
	// The history filters over a customer's tree search a week at most;
	// within one of its sites, any range.
	var fe *FieldError
	for _, bad := range []SignalFilter{
		{CustomerID: hq, Code: "BA", Limit: 100},
		{CustomerID: hq, Zone: "1", Since: f.clock.Now().Add(-MaxCustomerSearch - time.Minute), Limit: 100},
		{CustomerID: hq, Text: "door", Since: since.Add(-10 * 24 * time.Hour), Until: since.Add(-2 * 24 * time.Hour), Limit: 100},
	} {
		if _, err := f.s.Signals(ctx, bad); !errors.As(err, &fe) || fe.Field != "since" {
			t.Errorf("%+v: %v, want an error naming since", bad, err)
		}
	}
	if got := list(SignalFilter{CustomerID: hq, SiteID: store4.ID, Code: "BA", Limit: 100}); !slices.Equal(got, want([]int64{store4.ID}, "BA", false)) {
		t.Errorf("a code in HQ's store, without since: %v", got)
	}
}
