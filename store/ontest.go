package store

import (
	"github.com/alarmrx/alarmrx/store/ontest"
)

// On-test periods live in store/ontest; these are their names here.
type (
	// OnTest is a period during which signals in its scope are stored and
	// listed as test results but never passed to operators.
	OnTest = ontest.OnTest
	// StationEvent is one event the station raised itself.
	StationEvent = ontest.StationEvent
	// StationEventFilter selects station events; zero fields do not filter.
	StationEventFilter = ontest.StationEventFilter
)

// On-test scopes [automation-research.md §4.3]: the whole account, listed
// zones, or event categories.
const (
	ScopeAccount    = ontest.ScopeAccount
	ScopeZones      = ontest.ScopeZones
	ScopeCategories = ontest.ScopeCategories
)

// How an on-test period ended.
const (
	EndExpired = ontest.EndExpired
	EndEnded   = ontest.EndEnded
)

// Station event kinds: what the station itself records besides signals.
const (
	EventUnknownAccount = ontest.EventUnknownAccount
	EventUnencrypted    = ontest.EventUnencrypted
	EventTestOn         = ontest.EventTestOn
	EventTestOff        = ontest.EventTestOff
	EventTestExpiring   = ontest.EventTestExpiring
)

// newTests wires on-test to the rest of the store: the account index and
// the sites' live views follow the periods, and visits end with their
// window.
func (s *Store) newTests() *ontest.Tests {
	return ontest.New(s.db, ontest.Options{
		Now:          s.opts.Now,
		Started:      s.testStarted,
		Ended:        s.testEnded,
		ExpireVisits: expireVisits,
		VisitsEnded: func(sites []int64) {
			for _, site := range sites {
				s.sites.publish(SiteEvent{SiteID: site, Kind: "visit"})
			}
		},
	})
}

// testStarted and testEnded follow a committed on-test change, on the
// writer: the account index takes the period, and the live views of its
// site (read in the change's transaction) hear of it.
func (s *Store) testStarted(t OnTest) {
	indexTest(s.idx, t)
	if s.peers != nil {
		s.peers.tellTest(t, "started")
	}
	s.publishTestChange(t)
}

func (s *Store) testEnded(t OnTest) {
	s.idx.TestEnded(t.AccountID, t.ID)
	if s.peers != nil {
		s.peers.tellTest(t, "ended")
	}
	s.publishTestChange(t)
}

func (s *Store) publishTestChange(t OnTest) {
	if t.SiteID != 0 {
		s.sites.publish(SiteEvent{SiteID: t.SiteID, Kind: "test"})
	}
}
