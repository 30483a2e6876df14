package report

import (
	"context"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// Store is what the reporter needs of the store: the customers' sites and
// recipients, the night's activity, and the reports with their deliveries.
// *store.Store satisfies it.
type Store interface {
	ReportRecipients(ctx context.Context, customerID int64) ([]store.ReportRecipient, error)
	ScopeSites(ctx context.Context, customerID int64) ([]store.Site, error)
	FirstAccountAt(ctx context.Context, siteID int64) (at time.Time, ok bool, err error)
	SiteActivity(ctx context.Context, siteID int64, from, to time.Time) ([]store.Signal, error)
	SiteIncidents(ctx context.Context, siteID int64, from, to time.Time) ([]store.Incident, error)
	IncidentActions(ctx context.Context, id int64) ([]store.IncidentAction, error)
	IncidentSignalIDs(ctx context.Context, id int64) (ids []int64, roles map[int64]string, err error)
	ShareToken(ctx context.Context, incidentID int64, expires time.Time) (string, error)

	ReportFor(ctx context.Context, customerID int64, night string) (*store.Report, error)
	SaveReport(ctx context.Context, r *store.Report, to []store.ReportRecipient) (stored *store.Report, created bool, err error)
	PendingDeliveries(ctx context.Context, rep *store.Report) ([]store.ReportDelivery, error)
	ClaimDelivery(ctx context.Context, id int64) (claim int64, err error)
	ReleaseDelivery(ctx context.Context, id, claim int64) error
	MarkDelivery(ctx context.Context, id int64, sendErr error) error
	MarkReport(ctx context.Context, id int64, sendErr error) error
	UnsubscribeToken(ctx context.Context, customerID int64, r store.ReportRecipient) (string, error)

	ClaimRun(ctx context.Context, schedule, period string) (claim int64, err error)
	FinishRun(ctx context.Context, schedule, period string, claim int64, sendErr error) error
}

// Customers lists the customers a pass goes through (store.Store's
// Customers records).
type Customers interface {
	List(ctx context.Context, o store.ListOptions) ([]store.Customer, error)
}
