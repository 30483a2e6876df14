package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// sitesCSV is an import of n sites of one customer, each with an
// identifier, name, address and time zone.
func sitesCSV(n int) string {
	var b strings.Builder
	b.WriteString("identifier,name,customer,address,time_zone,notes\n")
	for i := range n {
		fmt.Fprintf(&b, "+1 312 %03d %04d,Site %d,555 0100,%d Main St,America/Chicago,keyholder has the code\n", i/10000, i%10000, i, i)
	}
	return b.String()
}

// BenchmarkImportSites measures an import of 1,000 and 10,000 sites into
// an empty store (one transaction, fsync'd: synchronous=full), and the
// same file imported again (every row unchanged).
//
//	go test -run '^$' -bench ImportSites -benchtime 3x ./store
func BenchmarkImportSites(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		csv := sitesCSV(n)
		open := func(b *testing.B) *Store {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), Options{Logger: zap.NewNop(),
				Registerer: prometheus.NewRegistry(), IntegrityCheck: IntegrityCheckOff})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Customers.Create(context.Background(), &Customer{Name: "Chain", Identifier: "555 0100"}); err != nil {
				b.Fatal(err)
			}
			return s
		}
		run := func(b *testing.B, s *Store, want func(*ImportReport) bool) {
			rep, err := s.ImportSites(context.Background(), strings.NewReader(csv), false)
			if err != nil || !want(rep) {
				b.Fatalf("import: %v %+v", err, rep)
			}
		}
		b.Run(fmt.Sprintf("sites=%d/new", n), func(b *testing.B) {
			var took time.Duration
			for range b.N {
				b.StopTimer()
				s := open(b)
				b.StartTimer()
				start := time.Now()
				run(b, s, func(r *ImportReport) bool { return r.Applied && r.Created == n })
				took += time.Since(start)
				b.StopTimer()
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/took.Seconds(), "sites/s")
		})
		b.Run(fmt.Sprintf("sites=%d/again", n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			run(b, s, func(r *ImportReport) bool { return r.Created == n })
			b.ResetTimer()
			for range b.N {
				run(b, s, func(r *ImportReport) bool { return r.Unchanged == n })
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sites/s")
		})
	}
}
