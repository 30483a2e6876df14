package daemon

import (
	"slices"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/httpapi"
)

// TestScheduledReportNamesAreTheAPIs: report.scheduled accepts exactly
// the reports the API serves (configs cannot import the API to ask).
func TestScheduledReportNamesAreTheAPIs(t *testing.T) {
	if got, want := configs.StationReports, httpapi.ReportNames(); !slices.Equal(got, want) {
		t.Fatalf("configs.StationReports %v, the API's reports %v", got, want)
	}
}
