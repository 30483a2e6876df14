package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// fakeStore records the filter it was asked for.
type fakeStore struct{ got store.SignalFilter }

func (f *fakeStore) Signals(_ context.Context, sf store.SignalFilter) ([]store.Signal, error) {
	f.got = sf
	return []store.Signal{{ID: 7, Account: sf.Account}}, nil
}

func (f *fakeStore) Frames(context.Context, store.FrameFilter) ([]store.Frame, error) {
	return nil, nil
}

func (f *fakeStore) PollEvidence(context.Context, store.PollFilter) ([]store.PollEvidence, error) {
	return nil, nil
}

var now = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

func newHandler(t *testing.T, token string, ready func(context.Context) error) (http.Handler, *fakeStore) {
	t.Helper()
	fs := &fakeStore{}
	h, err := New(Options{Logger: zap.NewNop(), Gatherer: prometheus.NewRegistry(), Store: fs,
		AdminToken: token, Ready: ready, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return h, fs
}

func do(h http.Handler, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAuth(t *testing.T) {
	h, _ := newHandler(t, "s3cret", nil)
	if rec := do(h, "/api/v1/signals", ""); rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", rec.Code)
	}
	if rec := do(h, "/api/v1/signals", "s3cre"); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", rec.Code)
	}
	rec := do(h, "/api/v1/signals", "s3cret")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"id": 7`) {
		t.Errorf("right token: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "s3cret") {
		t.Error("response echoes the token")
	}
	disabled, _ := newHandler(t, "", nil)
	if rec := do(disabled, "/api/v1/signals", "anything"); rec.Code != http.StatusForbidden {
		t.Errorf("API without a configured token: %d, want 403", rec.Code)
	}
}

func TestSignalFilters(t *testing.T) {
	h, fs := newHandler(t, "tok", nil)
	rec := do(h, "/api/v1/signals?account=abc1234&receiver=2&since=15m&limit=5&after_id=9", "tok")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	want := store.SignalFilter{Account: "ABC1234", Receiver: 2, Since: now.Add(-15 * time.Minute), AfterID: 9, Limit: 5}
	if !reflect.DeepEqual(fs.got, want) {
		t.Errorf("filter = %+v, want %+v", fs.got, want)
	}
	do(h, "/api/v1/signals?since=2024-01-01T10:00:00Z", "tok")
	if !fs.got.Since.Equal(time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339 since = %v", fs.got.Since)
	}
	for query, field := range map[string]string{
		"receiver=100": "receiver", "since=yesterday": "since", "limit=0": "limit",
		"limit=10001": "limit", "after_id=-1": "after_id",
	} {
		rec := do(h, "/api/v1/signals?"+query, "tok")
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field": "`+field+`"`) {
			t.Errorf("%s: %d %s", query, rec.Code, rec.Body)
		}
	}
	if rec := do(h, "/api/v1/frames?status=maybe", "tok"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad status: %d", rec.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	ready := errors.New("store: unavailable: database or disk is full")
	var state error
	h, _ := newHandler(t, "tok", func(context.Context) error { return state })
	if rec := do(h, "/-/healthy", ""); rec.Code != http.StatusOK {
		t.Errorf("healthy: %d", rec.Code)
	}
	if rec := do(h, "/-/ready", ""); rec.Code != http.StatusOK {
		t.Errorf("ready: %d", rec.Code)
	}
	state = ready
	rec := do(h, "/-/ready", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "disk is full") {
		t.Errorf("not ready: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "/metrics", ""); rec.Code != http.StatusOK {
		t.Errorf("metrics: %d", rec.Code)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("security header missing: %q", got)
	}
}
