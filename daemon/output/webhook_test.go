package output

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

// TestWebhookRetriesInOrder: items are POSTed in outbox order with their
// event id as idempotency key; a refused item is recorded as an attempt
// and sent again, and nothing behind it overtakes it.
func TestWebhookRetriesInOrder(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	refuse := 1 // requests to answer 503 first
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if refuse > 0 {
			refuse--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ob := newMemOutbox(cidItem(1, "4321", "130"), cidItem(2, "4321", "110"), cidItem(3, "4321", "131"))
	w := NewWebhook(WebhookOptions{Name: "psim", URL: srv.URL, Format: "json", Outbox: ob, Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	ob.await(t, "every item delivered", 10*time.Second, func() bool { return len(ob.delivered) == 3 })
	ob.mu.Lock()
	delivered, attempts := slices.Clone(ob.delivered), slices.Clone(ob.attempts[1])
	ob.mu.Unlock()
	mu.Lock()
	posted := slices.Clone(keys)
	mu.Unlock()
	if want := []string{"signal-1", "signal-1", "signal-2", "signal-3"}; !slices.Equal(posted, want) {
		t.Fatalf("posted %v, want %v", posted, want)
	}
	if !slices.Equal(delivered, []int64{1, 2, 3}) || !slices.Equal(attempts, []string{"target answered HTTP 503"}) {
		t.Fatalf("delivered %v, attempts of item 1 %q", delivered, attempts)
	}
	if d, f := testutil.ToFloat64(w.mDelivered), testutil.ToFloat64(w.mFailures); d != 3 || f != 1 {
		t.Fatalf("counted %v delivered, %v failures", d, f)
	}
}
