package httpapi

import (
	"context"
	"io"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// The interfaces below are what the API needs of the store, one per part of
// it, so that a handler can be served by any engine (and a test by a fake)
// and the API's reach into the store stays visible here. *store.Store
// satisfies all of them.

// Store is what the API reads of received traffic.
type Store interface {
	Signals(ctx context.Context, f store.SignalFilter) ([]store.Signal, error)
	Frames(ctx context.Context, f store.FrameFilter) ([]store.Frame, error)
	PollEvidence(ctx context.Context, f store.PollFilter) ([]store.PollEvidence, error)
}

// Table is the create/read/update/delete surface of one record kind.
type Table[T any] interface {
	// Filters are the columns List accepts in ListOptions.Where.
	Filters() []string
	List(ctx context.Context, o store.ListOptions) ([]T, error)
	Get(ctx context.Context, id int64) (*T, error)
	Create(ctx context.Context, rec *T) error
	Update(ctx context.Context, id int64, rec *T) error
	Delete(ctx context.Context, id int64) error
}

// Tables are the station's record kinds the management API serves.
type Tables struct {
	Customers         Table[store.Customer]
	Installers        Table[store.Installer]
	Technicians       Table[store.Technician]
	Sites             Table[store.Site]
	Accounts          Table[store.Account]
	Zones             Table[store.Zone]
	RespondingParties Table[store.RespondingParty]
	Authorities       Table[store.Authority]
	CustomerContacts  Table[store.CustomerContact]
}

// missing names the first table not set, or returns "".
func (t Tables) missing() string {
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"Customers", t.Customers != nil}, {"Installers", t.Installers != nil},
		{"Technicians", t.Technicians != nil}, {"Sites", t.Sites != nil},
		{"Accounts", t.Accounts != nil}, {"Zones", t.Zones != nil},
		{"RespondingParties", t.RespondingParties != nil}, {"Authorities", t.Authorities != nil},
		{"CustomerContacts", t.CustomerContacts != nil},
	} {
		if !c.set {
			return c.name
		}
	}
	return ""
}

// Resolution is what the API needs of receivers, account resolution,
// imports and site identifiers.
type Resolution interface {
	Receivers(ctx context.Context) ([]store.Receiver, error)
	FindAccount(ctx context.Context, receiver int, number string) (*store.Account, error)
	ClaimSignals(ctx context.Context, accountID int64, since time.Time, by store.Actor) (store.Claim, error)
	SiteSystems(ctx context.Context, siteID int64) ([]store.System, error)
	UnprogrammedZones(ctx context.Context, accountID int64) ([]store.UnprogrammedZone, error)
	ImportAccounts(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)
	ImportSites(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)
	ImportCustomers(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)
	ImportContacts(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)
	ClientIdentifier(ctx context.Context, kind string, id int64) (*store.Client, error)
	LookupIdentifier(ctx context.Context, identifier string) (*store.Client, error)
	SetIdentifier(ctx context.Context, kind string, id int64, identifier string, by store.Actor) (*store.Client, error)
	RegenerateIdentifier(ctx context.Context, kind string, id int64, by store.Actor) (*store.Client, error)
}

// Queue is what the console needs of the operator queue and incidents.
type Queue interface {
	Queue(ctx context.Context, now time.Time) (queue, held []store.Incident, err error)
	Incident(ctx context.Context, id int64) (*store.Incident, error)
	Incidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error)
	IncidentActions(ctx context.Context, id int64) ([]store.IncidentAction, error)
	IncidentSignalIDs(ctx context.Context, id int64) (ids []int64, roles map[int64]string, err error)
	Act(ctx context.Context, id int64, actor store.Actor, step store.Step, rules store.QueueRules) (*store.StepOutcome, error)
	AddSignalNote(ctx context.Context, signalID int64, actor store.Actor, note string) (*store.SignalNote, error)
	SubscribeQueue() (<-chan store.QueueEvent, func())
	SubscribeSites() (<-chan store.SiteEvent, func())
}

// Identity is what the API needs of station users, portal users, their
// sessions and the audit log.
type Identity interface {
	Login(ctx context.Context, username, password, remoteAddr string, ttl time.Duration) (string, *store.Session, error)
	Logout(ctx context.Context, token string, actor store.Actor) error
	SessionFor(ctx context.Context, token string) (*store.Session, error)
	Users(ctx context.Context) ([]store.User, error)
	CreateUser(ctx context.Context, u *store.User, password string, by store.Actor) error
	UpdateUser(ctx context.Context, id int64, c store.UserChange, by store.Actor) (*store.User, error)
	Audit(ctx context.Context, afterID int64, limit int) ([]store.AuditEntry, error)
	RecordAudit(ctx context.Context, actor store.Actor, action, target string, detail any) error

	PortalLogin(ctx context.Context, identifier, username, password, remoteAddr string, ttl time.Duration) (string, *store.PortalSession, error)
	PortalLogout(ctx context.Context, token string) error
	PortalSessionFor(ctx context.Context, token string) (*store.PortalSession, error)
	PortalUser(ctx context.Context, id int64) (*store.PortalUser, error)
	PortalUsers(ctx context.Context, scope string) ([]store.PortalUser, error)
	CreatePortalUser(ctx context.Context, u *store.PortalUser, password string, by store.Actor) error
	UpdatePortalUser(ctx context.Context, id int64, ch store.PortalUserChange, keep string, by store.Actor) (*store.PortalUser, error)
	CheckPortalPassword(ctx context.Context, id int64, password string) (bool, error)
	PortalSites(ctx context.Context, scope string) ([]store.Site, error)
	PortalScopes(ctx context.Context, u *store.PortalUser) ([]store.Client, error)
	EmulatePortalUserAt(ctx context.Context, id int64, identifier string, by store.Actor, ttl time.Duration) (string, *store.PortalSession, error)
}

// OnTest is what the API needs of on-test periods and the station events
// they log.
type OnTest interface {
	StartTest(ctx context.Context, t *store.OnTest, maxDuration time.Duration) error
	EndTests(ctx context.Context, accountID, testID int64, by string) ([]store.OnTest, error)
	OpenTests(ctx context.Context, accountID int64) ([]store.OnTest, error)
	TestHistory(ctx context.Context, accountID int64, from, to time.Time) ([]store.OnTest, error)
	StationEvents(ctx context.Context, f store.StationEventFilter) ([]store.StationEvent, error)
}

// Reports is what the API needs of the morning reports, their recipients
// and the activity they are built from.
type Reports interface {
	Report(ctx context.Context, id int64) (*store.Report, error)
	Reports(ctx context.Context, customerID int64, limit int) ([]store.Report, error)
	KeptReports(ctx context.Context, customerID int64, limit int) ([]store.Report, error)
	AnnotateReport(ctx context.Context, id int64, annotation string, by store.Actor) (*store.Report, error)
	DeleteReport(ctx context.Context, id int64, by store.Actor) error
	ReportDeliveries(ctx context.Context, reportID int64) ([]store.ReportDelivery, error)
	ReportRecipients(ctx context.Context, customerID int64) ([]store.ReportRecipient, error)
	SetPortalReport(ctx context.Context, portalUserID int64, report bool, email string, by store.Actor) (*store.PortalReport, error)
	PortalReportOf(ctx context.Context, portalUserID int64) (*store.PortalReport, error)
	CheckUnsubscribe(ctx context.Context, token string) (*store.Unsubscription, error)
	Unsubscribe(ctx context.Context, token, remoteAddr string) (*store.Unsubscription, error)
	SiteActivity(ctx context.Context, siteID int64, from, to time.Time) ([]store.Signal, error)
	SiteIncidents(ctx context.Context, siteID int64, from, to time.Time) ([]store.Incident, error)
}

// Visits is what the API needs of technicians' site visits.
type Visits interface {
	CreateVisit(ctx context.Context, v *store.Visit, maxDuration time.Duration, by store.Actor) error
	StartVisit(ctx context.Context, id int64, by store.Actor) (*store.Visit, error)
	EndVisit(ctx context.Context, id int64, by store.Actor) (*store.Visit, error)
	CancelVisit(ctx context.Context, id int64, by store.Actor) (*store.Visit, error)
	Visit(ctx context.Context, id int64) (*store.Visit, error)
	Visits(ctx context.Context, f store.VisitFilter) ([]store.Visit, error)
}

// Outbox is what the API needs of the automation outbox.
type Outbox interface {
	UndeliverableOutbox(ctx context.Context, output string, afterID int64, limit int) ([]store.UndeliverableItem, error)
}

// Station is everything the management API, the console and the portal
// use; its record kinds come separately, in Tables.
type Station interface {
	Store
	Resolution
	Queue
	Identity
	OnTest
	Reports
	Visits
	Outbox
	Schedules
	Plans
	Instructions
	Disasters
	Directory
	FalseAlarms
	StationReports
	Share
}
