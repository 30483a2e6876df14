package store

import (
	"context"
	"fmt"

	"github.com/alarmrx/alarmrx/store/sqlite"
)

// System is one system (account) of a site with who installed it and who
// looks after it, as the operator and the site's pages show it.
type System struct {
	AccountID   int64  `json:"account_id"`
	Receiver    int    `json:"receiver"`
	Number      string `json:"number"`
	SystemType  string `json:"system_type"`
	SystemLabel string `json:"system_label"`
	// Installer is the account's installer, else the site's; nil when
	// neither names one. InstallerFrom says which: "account" or "site".
	Installer     *Contractor `json:"installer"`
	InstallerFrom string      `json:"installer_from,omitempty"`
	// Technician is the technician responsible for the system; nil for
	// none.
	Technician *Contractor `json:"technician"`
}

// Contractor is an installer or technician as a system names it.
type Contractor struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// SiteSystems lists a site's systems in account id order, each with its
// installer (its own, else the site's) and technician: a site with an
// intruder panel from one installer and CCTV from another shows both.
func (s *Store) SiteSystems(ctx context.Context, siteID int64) ([]System, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT a.id, a.receiver, a.number, a.system_type,
		CASE WHEN a.installer_id IS NOT NULL THEN 'account' WHEN x.installer_id IS NOT NULL THEN 'site' ELSE '' END,
		i.id, coalesce(i.name, ''), coalesce(i.phone, ''), coalesce(i.email, ''),
		t.id, coalesce(t.name, ''), coalesce(t.phone, ''), coalesce(t.email, '')
		FROM accounts a JOIN sites x ON x.id = a.site_id
		LEFT JOIN installers i ON i.id = coalesce(a.installer_id, x.installer_id)
		LEFT JOIN technicians t ON t.id = a.technician_id
		WHERE a.site_id = ? ORDER BY a.id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("store: site systems: %w", err)
	}
	out, err := sqlite.AppendRows([]System{}, rows, scanSystem)
	if err != nil {
		return nil, fmt.Errorf("store: site systems: %w", err)
	}
	return out, nil
}

// scanSystem reads a row of SiteSystems' query.
func scanSystem(sc sqlite.RowScanner) (System, error) {
	var sys System
	var inst, tech Contractor
	var instID, techID *int64
	if err := sc.Scan(&sys.AccountID, &sys.Receiver, &sys.Number, &sys.SystemType, &sys.InstallerFrom,
		&instID, &inst.Name, &inst.Phone, &inst.Email, &techID, &tech.Name, &tech.Phone, &tech.Email); err != nil {
		return System{}, err
	}
	sys.SystemLabel = SystemLabel(sys.SystemType)
	if instID != nil {
		inst.ID = *instID
		sys.Installer = &inst
	}
	if techID != nil {
		tech.ID = *techID
		sys.Technician = &tech
	}
	return sys, nil
}
