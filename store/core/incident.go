package core

import "time"

// Incident is what an operator works. The queue keeps incidents and the
// outbox carries their updates to the outputs, so both name this type.
type Incident struct {
	ID             int64      `json:"id"`
	AccountID      *int64     `json:"account_id"`
	SiteID         *int64     `json:"site_id"`
	SiteName       string     `json:"site_name"`
	Receiver       int        `json:"receiver"`
	Account        string     `json:"account"`
	Kind           string     `json:"kind"`
	Title          string     `json:"title"`
	Priority       int        `json:"priority"`
	Status         string     `json:"status"`
	OpenedAt       time.Time  `json:"opened_at"`
	LastSignalAt   time.Time  `json:"last_signal_at"`
	SignalCount    int        `json:"signal_count"`
	Restored       bool       `json:"restored"`
	ClaimedBy      *int64     `json:"claimed_by"`
	ClaimedByName  string     `json:"claimed_by_name"`
	ClaimedAt      *time.Time `json:"claimed_at"`
	FirstClaimedAt *time.Time `json:"first_claimed_at"`
	LastActivityAt *time.Time `json:"last_activity_at"`
	HeldUntil      *time.Time `json:"held_until"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	ResolvedBy     *int64     `json:"resolved_by"`
	ResolutionCode string     `json:"resolution_code"`
	// EscalatedAt is when the incident, unclaimed past its priority's
	// threshold, was escalated to the supervisors.
	EscalatedAt *time.Time `json:"escalated_at"`
}
