package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/core"
)

// SystemType is one kind of system an account may be (design.md §4): the
// systems a station receives alarms from, after seed 000's list.
type SystemType struct {
	// Name is stable: stored with the account, given to the API and the
	// CSV import.
	Name string `json:"name"`
	// Label is what the console shows.
	Label string `json:"label"`
	// Alarm is the category a generic alarm of the system takes: an event
	// whose code says no more than "alarm" (a burglary code such as SIA BA
	// or Contact ID 130, an other-alarm code such as Contact ID 140
	// "General Alarm" or SIA UA, a code in no table). CategoryUnknown keeps
	// the code table's category. An event of any other category keeps its
	// own whatever the system: a fire code is fire, a trouble code trouble,
	// a test a test. The priority follows the category (design.md §5).
	Alarm protocols.Category `json:"-"`
}

// systemTypes are the system types, with what a generic alarm of each is.
// The priorities are those of automation-research.md §6.3 (1 fire ·
// 2 hold-up · 3 medical/life safety · 4 burglary · 5 other alarm ·
// 6 trouble · 7 tamper · 8 schedule exceptions). The first seven names
// are those accounts had before the rest came.
var systemTypes = []SystemType{
	// An intruder panel's codes say what happened: BA is a burglary,
	// WA a water alarm.
	{Name: "intrusion", Label: "Intruder alarm"},
	// Any alarm of a fire detection system is a fire: fire takes
	// precedence over every other signal (NFPA 72, §5.8) and stays
	// priority 1.
	{Name: "fire", Label: "Fire detection", Alarm: protocols.CategoryFire},
	// A video analytics alarm is someone in the picture.
	{Name: "cctv", Label: "CCTV", Alarm: protocols.CategoryBurglary},
	// A door forced or held open.
	{Name: "access_control", Label: "Access control", Alarm: protocols.CategoryBurglary},
	// An alarm from a lift or escalator is a passenger trapped (the alarm
	// button in the car): life safety. Its faults come as trouble codes.
	{Name: "elevator", Label: "Elevator/escalator", Alarm: protocols.CategoryMedical},
	// Sensors of every kind: an alarm of its own (water, temperature…).
	{Name: "iot", Label: "IoT", Alarm: protocols.CategoryAlarm},
	{Name: "other", Label: "Other"},
	// Plant alarms (HVAC, leaks, temperatures): other alarms, not
	// burglaries.
	{Name: "building_management", Label: "Building management", Alarm: protocols.CategoryAlarm},
	// Telemetry and SCADA report a process out of bounds or a failed
	// plant: supervisory/trouble.
	{Name: "telemetry", Label: "Telemetry", Alarm: protocols.CategoryTrouble},
	{Name: "scada", Label: "SCADA", Alarm: protocols.CategoryTrouble},
	// A guard missed a checkpoint or a check-in: a schedule exception, as
	// DICE files welfare check-ins among its schedules (§5.7). A guard's
	// panic or man-down button sends its own hold-up or medical code.
	{Name: "guard_tour", Label: "Guard tour", Alarm: protocols.CategorySchedule},
	// Fence and beam detectors: an intrusion at the perimeter.
	{Name: "perimeter_protection", Label: "Perimeter protection", Alarm: protocols.CategoryBurglary},
	// A tracked vehicle moved, left its zone or was started without
	// leave: a theft in progress, as a burglary. The driver's panic
	// button sends a hold-up code.
	{Name: "vehicle_tracking", Label: "Vehicle tracking", Alarm: protocols.CategoryBurglary},
	// Home automation hubs send intrusion, water and smoke with their own
	// codes, as an intruder panel does.
	{Name: "home_automation", Label: "Home automation"},
	// A personal emergency transmitter is pressed by a person who needs
	// help: medical, whatever code the transmitter uses.
	{Name: "pers", Label: "Personal emergency (PERS)", Alarm: protocols.CategoryMedical},
	// A missed health or elderly check-in: a person who may need help.
	{Name: "health_check", Label: "Health/elderly check", Alarm: protocols.CategoryMedical},
	// A skimming or shimming device on an ATM is a crime in progress at
	// the machine: sent to the police at once, as a hold-up is. Tamper
	// codes from the ATM stay tamper.
	{Name: "atm_skimming", Label: "ATM skimming/shimming", Alarm: protocols.CategoryHoldUp},
}

// SystemTypes are the names of the system types (SystemTypeList).
var SystemTypes = systemTypeNames()

func systemTypeNames() []string {
	out := make([]string, len(systemTypes))
	for i, t := range systemTypes {
		out[i] = t.Name
	}
	return out
}

// SystemLabel is what the pages show for the system type named: its label,
// or the name itself when no type has it.
func SystemLabel(name string) string {
	for i := range systemTypes {
		if systemTypes[i].Name == name {
			return systemTypes[i].Label
		}
	}
	return name
}

// genericAlarm reports whether a category says no more than "alarm".
func genericAlarm(c protocols.Category) bool {
	return c == protocols.CategoryBurglary || c == protocols.CategoryAlarm || c == protocols.CategoryUnknown
}

// SystemCategory is the category of an event of category c from a system
// of the type named: a generic alarm takes the system's (SystemType.Alarm),
// everything else keeps c. An unknown or empty type keeps c.
func SystemCategory(systemType string, c protocols.Category) protocols.Category {
	if !genericAlarm(c) {
		return c
	}
	for i := range systemTypes {
		if systemTypes[i].Name == systemType {
			return systemCategory(uint8(i), c)
		}
	}
	return c
}

// systemCategory is SystemCategory for the type at index i of systemTypes.
func systemCategory(i uint8, c protocols.Category) protocols.Category {
	if !genericAlarm(c) {
		return c
	}
	if a := systemTypes[i].Alarm; a != protocols.CategoryUnknown {
		return a
	}
	return c
}

// systemIndex is a type's position in systemTypes, for the account
// index's small entries; 0 (intrusion) for an unknown name.
func systemIndex(name string) uint8 {
	for i := range systemTypes {
		if systemTypes[i].Name == name {
			return uint8(i)
		}
	}
	return 0
}

// checkInstaller checks an account's installer and technician: both
// exist, and the technician works for the installer. A technician given
// alone names its installer.
func checkInstaller(ctx context.Context, tx *sql.Tx, a *Account) error {
	if a.TechnicianID != nil {
		var inst int64
		err := tx.QueryRowContext(ctx, `SELECT installer_id FROM technicians WHERE id = ?`, *a.TechnicianID).Scan(&inst)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Invalid("technician_id", "technician %d does not exist", *a.TechnicianID)
		}
		if err != nil {
			return err
		}
		switch {
		case a.InstallerID == nil:
			a.InstallerID = &inst
		case *a.InstallerID != inst:
			return core.Invalid("technician_id", "technician %d works for installer %d, not for installer %d (installer_id)",
				*a.TechnicianID, inst, *a.InstallerID)
		}
	}
	if a.InstallerID != nil {
		return core.Exists(ctx, tx, "installers", *a.InstallerID, "installer_id", "installer")
	}
	return nil
}

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
func (k *Kinds) SiteSystems(ctx context.Context, siteID int64) ([]System, error) {
	rows, err := k.rdb.QueryContext(ctx, `SELECT a.id, a.receiver, a.number, a.system_type,
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
	out, err := core.AppendRows([]System{}, rows, scanSystem)
	if err != nil {
		return nil, fmt.Errorf("store: site systems: %w", err)
	}
	return out, nil
}

// scanSystem reads a row of SiteSystems' query.
func scanSystem(sc core.RowScanner) (System, error) {
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
