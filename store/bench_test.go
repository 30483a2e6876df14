package store

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// BenchmarkCommit measures durable commits per second with many concurrent
// committers sharing group-commit transactions (synchronous=FULL).
func BenchmarkCommit(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, par := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("synchronous=%s/committers=%d", sync, par), func(b *testing.B) {
				s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName), Options{
					Logger: zap.NewNop(), Registerer: prometheus.NewRegistry(), Synchronous: sync,
				})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var n atomic.Int64
				msg := testMessage("1234", "0001")
				// RunParallel starts parallelism×GOMAXPROCS goroutines.
				b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						rec := testReceipt("\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r")
						rec.DedupeKey = fmt.Sprint(n.Add(1))
						if _, err := s.Commit(context.Background(), msg, rec); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			})
		}
	}
}
