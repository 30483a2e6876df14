package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestPasscodeCheck: the operator types what the caller said; the store
// compares it with the responding party's passcode and logs the contact
// and the result, never the code, in the action log, the audit log and
// the store's own log (at debug level). A party of another site, or one without a passcode, cannot be checked.
func TestPasscodeCheck(t *testing.T) {
	logged, logs := observer.New(zapcore.DebugLevel)
	f := newQueueFixture(t, func(o *Options) { o.Logger = zap.New(zapcore.NewTee(o.Logger.Core(), logged)) })
	ctx := context.Background()
	rules := QueueRules{ClaimTimeout: 5 * time.Minute, ResolutionCodes: []string{"false_alarm"}}
	maria := &RespondingParty{SiteID: f.site.ID, Position: 1, Name: "Maria Keyholder", Passcode: ptr("blue-heron-42")}
	must(t, f.s.RespondingParties.Create(ctx, maria))
	nopass := &RespondingParty{SiteID: f.site.ID, Position: 2, Name: "Tom Nocode"}
	must(t, f.s.RespondingParties.Create(ctx, nopass))
	other := &RespondingParty{SiteID: f.site2.ID, Position: 1, Name: "Elsewhere", Passcode: ptr("blue-heron-42")}
	must(t, f.s.RespondingParties.Create(ctx, other))
	f.signal(t, "1111", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	ids, _ := f.queue(t)
	incident := ids[0]

	cases := []struct {
		name     string
		party    int64
		passcode string
		result   string // passcode_result, or the field the error names
	}{
		{"the right passcode", maria.ID, "blue-heron-42", PasscodePassed},
		{"a wrong one", maria.ID, "blue-heron-41", PasscodeFailed},
		{"a prefix of it", maria.ID, "blue", PasscodeFailed},
		{"a longer one", maria.ID, "blue-heron-42 ", PasscodeFailed},
		{"nothing typed", maria.ID, "", "passcode"},
		{"no party", 0, "blue-heron-42", "party_id"},
		{"a party without a passcode", nopass.ID, "", "passcode"},
		{"a party without a passcode, something typed", nopass.ID, "x", "party_id"},
		{"a party of another site", other.ID, "blue-heron-42", "party_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.s.Act(ctx, incident, f.op1, Step{Action: "passcode_check", PartyID: c.party, Passcode: c.passcode}, rules)
			switch c.result {
			case PasscodePassed, PasscodeFailed:
				must(t, err)
				if out.Passcode != c.result {
					t.Fatalf("result %q, want %q", out.Passcode, c.result)
				}
			default:
				var ve *FieldError
				if !errors.As(err, &ve) || ve.Field != c.result {
					t.Fatalf("error %v, want one naming %s", err, c.result)
				}
			}
		})
	}
	list, err := f.s.IncidentActions(ctx, incident)
	must(t, err)
	var checks []string
	for _, a := range list {
		d := string(a.Detail)
		if strings.Contains(d, "blue") || strings.Contains(d, "heron") {
			t.Errorf("action %s holds the passcode: %s", a.Action, d)
		}
		if a.Action == "passcode_checked" {
			checks = append(checks, d)
		}
	}
	if len(checks) != 4 || !strings.Contains(checks[0], `"result":"passed"`) || !strings.Contains(checks[0], `"contact":"Maria Keyholder"`) ||
		!strings.Contains(checks[1], `"result":"failed"`) {
		t.Errorf("passcode checks logged %q, want 4, the first passed for Maria Keyholder, then failed", checks)
	}
	var audit int
	must(t, f.s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'incident.passcode_check'
		AND detail NOT LIKE '%heron%'`).Scan(&audit))
	if audit != 4 {
		t.Errorf("%d audit entries of passcode checks without the code, want 4", audit)
	}
	if logs.Len() == 0 {
		t.Fatal("the store logged nothing: the log is not observed")
	}
	for _, e := range logs.All() {
		if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, "heron") {
			t.Errorf("the store's log holds a passcode: %s", line)
		}
	}
}
