package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestEachSystemNamesItsInstaller: an account names its installer and
// technician (the technician must work for the installer; alone it names
// it), the site's systems show each one's installer (its own, else the
// site's), and an installer's technicians see every site where it
// installed a system.
func TestEachSystemNamesItsInstaller(t *testing.T) {
	f := newRecordsFixture(t)
	ctx := context.Background()
	alarms := &Installer{Name: "Alarm Co", Phone: "+49 30 111"}
	video := &Installer{Name: "Video Co", Phone: "+49 30 222"}
	idle := &Installer{Name: "Idle Co"}
	for _, i := range []*Installer{alarms, video, idle} {
		must(t, f.s.Installers.Create(ctx, i))
	}
	ann := &Technician{InstallerID: alarms.ID, Name: "Ann"}
	vic := &Technician{InstallerID: video.ID, Name: "Vic", Phone: "+49 170 333"}
	must(t, f.s.Technicians.Create(ctx, ann))
	must(t, f.s.Technicians.Create(ctx, vic))
	f.site.InstallerID = &alarms.ID
	must(t, f.s.Sites.Update(ctx, f.site.ID, f.site))

	panel := &Account{Receiver: 1, Number: "1001", SiteID: f.site.ID, SystemType: "intrusion"}
	must(t, f.s.Accounts.Create(ctx, panel))
	cctv := &Account{Receiver: 1, Number: "1002", SiteID: f.site.ID, SystemType: "cctv", TechnicianID: &vic.ID}
	must(t, f.s.Accounts.Create(ctx, cctv))
	if cctv.InstallerID == nil || *cctv.InstallerID != video.ID {
		t.Fatalf("a technician alone names its installer: %+v", cctv.InstallerID)
	}
	for _, bad := range []struct {
		a     Account
		field string
	}{
		{Account{Receiver: 1, Number: "1003", SiteID: f.site.ID, InstallerID: &alarms.ID, TechnicianID: &vic.ID}, "technician_id"},
		{Account{Receiver: 1, Number: "1003", SiteID: f.site.ID, TechnicianID: ptr[int64](999)}, "technician_id"},
		{Account{Receiver: 1, Number: "1003", SiteID: f.site.ID, InstallerID: ptr[int64](999)}, "installer_id"},
	} {
		var fe *FieldError
		if err := f.s.Accounts.Create(ctx, &bad.a); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("%+v: %v, want a %s error", bad.a, err, bad.field)
		}
	}

	sys, err := f.s.SiteSystems(ctx, f.site.ID)
	must(t, err)
	if len(sys) != 2 {
		t.Fatalf("systems: %+v", sys)
	}
	if s := sys[0]; s.AccountID != panel.ID || s.Installer == nil || s.Installer.Name != "Alarm Co" || s.InstallerFrom != "site" || s.Technician != nil {
		t.Errorf("the panel: %+v", s)
	}
	if s := sys[1]; s.AccountID != cctv.ID || s.SystemLabel != "CCTV" || s.Installer == nil || s.Installer.Name != "Video Co" ||
		s.InstallerFrom != "account" || s.Technician == nil || s.Technician.Name != "Vic" || s.Technician.Phone != "+49 170 333" {
		t.Errorf("the CCTV: %+v %+v", s.Installer, s.Technician)
	}

	// Both installers' technicians see the site; an installer with no
	// system there does not; the site's installer keeps its other site.
	f.site2.InstallerID = &alarms.ID
	must(t, f.s.Sites.Update(ctx, f.site2.ID, f.site2))
	for scope, want := range map[string]string{
		ScopeOf("installer", alarms.ID): fmt.Sprint(f.site.ID, f.site2.ID),
		ScopeOf("installer", video.ID):  fmt.Sprint(f.site.ID),
		ScopeOf("installer", idle.ID):   "",
	} {
		sites, err := f.s.PortalSites(ctx, scope)
		must(t, err)
		var got []any
		for _, s := range sites {
			got = append(got, s.ID)
		}
		if fmt.Sprint(got...) != want {
			t.Errorf("%s sees sites %v, want %s", scope, got, want)
		}
	}

	// The import carries them: installer by identifier, technician by id.
	csv := fmt.Sprintf("receiver,number,site_id,installer,technician_id\n1,1001,%[1]d,%[2]s,%[3]d\n1,1004,%[1]d,,\n",
		f.site.ID, video.Identifier, vic.ID)
	rep, err := f.s.ImportAccounts(ctx, strings.NewReader(csv), false)
	must(t, err)
	if !rep.Applied || rep.Updated != 1 || rep.Created != 1 {
		t.Fatalf("import: %+v", rep)
	}
	got, _ := f.s.Accounts.Get(ctx, panel.ID)
	if got.InstallerID == nil || *got.InstallerID != video.ID || got.TechnicianID == nil || *got.TechnicianID != vic.ID {
		t.Fatalf("imported panel: %+v %+v", got.InstallerID, got.TechnicianID)
	}
	if rep, _ := f.s.ImportAccounts(ctx, strings.NewReader(csv), false); rep.Unchanged != 2 {
		t.Fatalf("the same file again: %+v", rep)
	}
	bad := fmt.Sprintf("receiver,number,site_id,installer_id,technician_id\n1,1001,%d,%d,%d\n", f.site.ID, alarms.ID, vic.ID)
	if rep, _ := f.s.ImportAccounts(ctx, strings.NewReader(bad), false); rep.Applied || len(rep.Errors) != 1 || rep.Errors[0].Field != "technician_id" {
		t.Fatalf("a technician of another installer: %+v", rep)
	}

	// A technician who leaves is taken off the system; the installer stays.
	must(t, f.s.Technicians.Delete(ctx, vic.ID))
	got, _ = f.s.Accounts.Get(ctx, cctv.ID)
	if got.TechnicianID != nil || got.InstallerID == nil || *got.InstallerID != video.ID {
		t.Fatalf("after the technician left: %+v %+v", got.InstallerID, got.TechnicianID)
	}
}
