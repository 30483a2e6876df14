package records_test

import (
	"context"
	"errors"
	"testing"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/internal/storetest"
	"github.com/alarmrx/alarmrx/store/records"
)

// TestReceiversAccountsAndSystemsAreRead: the receivers are listed with
// their account counts, a number as sent finds its account by the
// receiver's rule, and a site's systems name the account's installer, else
// the site's, and the technician.
func TestReceiversAccountsAndSystemsAreRead(t *testing.T) {
	storetest.ForEachDialect(t, testReceiversAccountsAndSystemsAreRead)
}

func testReceiversAccountsAndSystemsAreRead(t *testing.T, d core.Dialect) {
	f := newKindsFixture(t, d)
	ctx := context.Background()
	own := &records.Installer{Name: "Own Alarms"}
	must(t, f.k.Installers.Create(ctx, own))
	siteInst := &records.Installer{Name: "Site Security"}
	must(t, f.k.Installers.Create(ctx, siteInst))
	tech := &records.Technician{InstallerID: own.ID, Name: "Tom"}
	must(t, f.k.Technicians.Create(ctx, tech))
	site := *f.site
	site.InstallerID = &siteInst.ID
	must(t, f.k.Sites.Update(ctx, site.ID, &site))
	panel := &records.Account{Receiver: 2, Number: "1234", SiteID: f.site.ID, TechnicianID: &tech.ID}
	must(t, f.k.Accounts.Create(ctx, panel))
	cctv := &records.Account{Receiver: 1, Number: "5678", SiteID: f.site.ID, SystemType: "cctv"}
	must(t, f.k.Accounts.Create(ctx, cctv))

	rs, err := f.k.Receivers(ctx)
	must(t, err)
	if len(rs) != 2 || rs[0].Accounts != 1 || rs[1].AccountPrefix != "ABC" || rs[1].Accounts != 1 {
		t.Fatalf("receivers %+v", rs)
	}
	a, err := f.k.FindAccount(ctx, 2, " 1234 ")
	must(t, err)
	if a.ID != panel.ID || a.Number != "ABC1234" || a.Key != nil {
		t.Fatalf("found %+v", a)
	}
	if _, err := f.k.FindAccount(ctx, 2, "ABC1234"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("ABC1234 as sent is ABCABC1234: %v", err)
	}
	if _, err := f.k.FindAccount(ctx, 9, "1234"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("no receiver 9: %v", err)
	}
	systems, err := f.k.SiteSystems(ctx, f.site.ID)
	must(t, err)
	if len(systems) != 2 {
		t.Fatalf("systems %+v", systems)
	}
	p, c := systems[0], systems[1]
	if p.AccountID != panel.ID || p.InstallerFrom != "account" || p.Installer == nil || p.Installer.ID != own.ID ||
		p.Technician == nil || p.Technician.Name != "Tom" || p.SystemLabel != "Intruder alarm" {
		t.Fatalf("the panel's system %+v", p)
	}
	if c.AccountID != cctv.ID || c.InstallerFrom != "site" || c.Installer == nil || c.Installer.ID != siteInst.ID ||
		c.Technician != nil || c.SystemLabel != "CCTV" {
		t.Fatalf("the CCTV's system %+v", c)
	}
}
