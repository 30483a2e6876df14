package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// prefixReceivers adds receiver 3 (prefix 9, add) and 4 (prefix 9,
// expect) to a station server.
func prefixReceivers(t *testing.T, s *stationServer) {
	t.Helper()
	if err := s.st.SyncReceivers(context.Background(), []store.Receiver{
		{Number: 3, Name: "Panels", AccountPrefix: "9", AccountPrefixMode: store.PrefixAdd},
		{Number: 4, Name: "Cloud", AccountPrefix: "9", AccountPrefixMode: store.PrefixExpect},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAccountNumbersFollowTheReceiversRule: with prefix 9, panels 123 and
// 9123 are two accounts, never one. With add the prefix is always put in
// front (9123 and 99123); with expect numbers are taken as sent, and one
// without the prefix is refused. Lookups by number follow the same rule,
// and a record read with GET can be written back unchanged.
func TestAccountNumbersFollowTheReceiversRule(t *testing.T) {
	s := newStationServer(t)
	prefixReceivers(t, s)
	cust := s.mustCreate("/api/v1/customers", map[string]any{"name": "C"})
	site := s.mustCreate("/api/v1/sites", map[string]any{"customer_id": cust, "name": "S"})

	var a, b store.Account
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 3, "number": "123", "site_id": site}, &a); code != http.StatusCreated ||
		a.Number != "9123" || a.SentNumber == nil || *a.SentNumber != "123" {
		t.Fatalf("123 on add: %d %+v", code, a)
	}
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 3, "number": "9123", "site_id": site}, &b); code != http.StatusCreated ||
		b.Number != "99123" || *b.SentNumber != "9123" {
		t.Fatalf("9123 on add: %d %+v", code, b)
	}
	for sent, want := range map[string]int64{"123": a.ID, "9123": b.ID} {
		var found store.Account
		if code := s.call("GET", "/api/v1/receivers/3/accounts/"+sent, "", "", &found); code != http.StatusOK || found.ID != want {
			t.Errorf("find %s on add: %d %+v", sent, code, found)
		}
	}

	var c store.Account
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 4, "number": "9123", "site_id": site}, &c); code != http.StatusCreated ||
		c.Number != "9123" || *c.SentNumber != "9123" {
		t.Fatalf("9123 on expect: %d %+v", code, c)
	}
	var e apiError
	if code := s.post("/api/v1/accounts", map[string]any{"receiver": 4, "number": "123", "site_id": site}, &e); code != http.StatusBadRequest || e.Field != "number" {
		t.Fatalf("123 on expect: %d %+v", code, e)
	}
	if code := s.call("GET", "/api/v1/receivers/4/accounts/123", "", "", &e); code != http.StatusNotFound {
		t.Fatalf("find 123 on expect: %d", code)
	}

	// GET, change the notes, PUT the whole record back: the number stays.
	var got map[string]any
	s.call("GET", "/api/v1/accounts/"+itoa(a.ID), "", "", &got)
	got["notes"] = "rear panel"
	for _, k := range []string{"id", "has_dc09_key", "created_at", "updated_at"} {
		delete(got, k)
	}
	var put store.Account
	if code := s.call("PUT", "/api/v1/accounts/"+itoa(a.ID), "application/json", mustJSON(t, got), &put); code != http.StatusOK ||
		put.Number != "9123" || put.Notes != "rear panel" {
		t.Fatalf("round trip: %d %+v", code, put)
	}
	// The stored number sent back alone would be read as sent (99123):
	// refused, not applied.
	delete(got, "sent_number")
	if code := s.call("PUT", "/api/v1/accounts/"+itoa(a.ID), "application/json", mustJSON(t, got), &e); code != http.StatusBadRequest || e.Field != "number" {
		t.Fatalf("stored number alone: %d %+v", code, e)
	}
	// Left out, the number stays.
	delete(got, "number")
	if code := s.call("PUT", "/api/v1/accounts/"+itoa(a.ID), "application/json", mustJSON(t, got), &put); code != http.StatusOK || put.Number != "9123" {
		t.Fatalf("number left out: %d %+v", code, put)
	}
	// Renumbered by what the panel sends.
	got["sent_number"] = "124"
	if code := s.call("PUT", "/api/v1/accounts/"+itoa(a.ID), "application/json", mustJSON(t, got), &put); code != http.StatusOK || put.Number != "9124" {
		t.Fatalf("renumber: %d %+v", code, put)
	}
	var receivers struct {
		Items []store.Receiver `json:"items"`
	}
	s.call("GET", "/api/v1/receivers", "", "", &receivers)
	if len(receivers.Items) != 4 || receivers.Items[2].AccountPrefixMode != store.PrefixAdd || receivers.Items[3].AccountPrefixMode != store.PrefixExpect {
		t.Fatalf("receivers %+v", receivers.Items)
	}
}
