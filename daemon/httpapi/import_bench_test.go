package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// BenchmarkSitesImportHTTP posts 1,000 and 10,000 sites as one CSV to
// POST /api/v1/sites/import on a real listener (127.0.0.1) over a real
// SQLite file, each into an empty store, beside 1,000 sites created one
// POST /api/v1/sites at a time.
//
//	go test -run '^$' -bench SitesImportHTTP -benchtime 3x ./daemon/httpapi
func BenchmarkSitesImportHTTP(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var csv strings.Builder
		csv.WriteString("identifier,name,customer,address,time_zone\n")
		for i := range n {
			fmt.Fprintf(&csv, "+1 312 %03d %04d,Site %d,555 0100,%d Main St,America/Chicago\n", i/10000, i%10000, i, i)
		}
		body := csv.String()
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := newStationServer(b)
				s.mustCreate("/api/v1/customers", map[string]any{"name": "Chain", "identifier": "555 0100"})
				b.StartTimer()
				var rep store.ImportReport
				if code := s.call("POST", "/api/v1/sites/import", "text/csv", body, &rep); code != http.StatusOK || rep.Created != n {
					b.Fatalf("import: %d %+v", code, rep)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sites/s")
		})
	}
	// The same 1,000 sites one POST /api/v1/sites each, every one its own
	// fsync'd transaction.
	b.Run("sites=1000/one-post-each", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			s := newStationServer(b)
			cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "Chain", "identifier": "555 0100"})
			b.StartTimer()
			for i := range 1000 {
				s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": fmt.Sprintf("Site %d", i),
					"identifier": fmt.Sprintf("+1 312 000 %04d", i), "address": "Main St", "time_zone": "America/Chicago"})
			}
		}
		b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "sites/s")
	})
}
