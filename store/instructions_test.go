package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestInstructionsExpire: a site's and an account's temporary
// instructions are listed while in force and not once their time is up;
// the account's list holds its site's too, another site's none; each
// addition is audited with who added it.
func TestInstructionsExpire(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	sue := Actor{Name: "sue", Role: RoleSupervisor}
	dog := &Instruction{SiteID: f.site.ID, Text: "Dog on premises", Until: start.Add(2 * time.Hour)}
	must(t, f.s.CreateInstruction(ctx, dog, sue))
	battery := &Instruction{AccountID: &f.a.ID, Text: "Battery low: no dispatch on AC loss", Until: start.Add(time.Hour)}
	must(t, f.s.CreateInstruction(ctx, battery, sue))
	if battery.SiteID != f.site.ID {
		t.Fatalf("the account's instruction is of site %d, want %d", battery.SiteID, f.site.ID)
	}

	texts := func(siteID, accountID int64) []string {
		t.Helper()
		list, err := f.s.Instructions(ctx, siteID, accountID)
		must(t, err)
		var out []string
		for _, in := range list {
			out = append(out, in.Text)
		}
		return out
	}
	for _, c := range []struct {
		after         time.Duration
		site, account []string
	}{
		{0, []string{battery.Text, dog.Text}, []string{battery.Text, dog.Text}},
		{time.Hour - time.Second, []string{battery.Text, dog.Text}, []string{battery.Text, dog.Text}},
		{time.Hour, []string{dog.Text}, []string{dog.Text}},
		{2 * time.Hour, nil, nil},
	} {
		f.clock.Add(start.Add(c.after).Sub(f.clock.Now()))
		if got := texts(f.site.ID, 0); !slices.Equal(got, c.site) {
			t.Errorf("after %v the site's: %q, want %q", c.after, got, c.site)
		}
		if got := texts(0, f.a.ID); !slices.Equal(got, c.account) {
			t.Errorf("after %v the account's: %q, want %q", c.after, got, c.account)
		}
		if got := texts(f.site2.ID, 0); got != nil {
			t.Errorf("after %v another site's: %q", c.after, got)
		}
	}

	entries, err := f.s.Audit(ctx, 0, 10)
	must(t, err)
	var created int
	for _, e := range entries {
		if e.Action == "instruction.create" && e.UserName == "sue" {
			created++
		}
	}
	if created != 2 {
		t.Fatalf("%d instruction.create entries by sue, want 2: %+v", created, entries)
	}
}
