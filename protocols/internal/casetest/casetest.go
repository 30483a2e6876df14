package casetest

import (
	"errors"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// CheckError compares err with a case's expected sentinel and reason: a nil
// want means success is expected. It also checks that a failure is a
// FrameError of the given protocol. It reports whether the call succeeded
// as expected, so that the caller goes on to check its result.
func CheckError(t *testing.T, protocol string, err, want error, reason protocols.Reason) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return true
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	if got := protocols.ReasonOf(err); got != reason {
		t.Errorf("reason %v, want %v", got, reason)
	}
	var fe *protocols.FrameError
	if !errors.As(err, &fe) || fe.Protocol != protocol {
		t.Errorf("error %v is not a %s FrameError", err, protocol)
	}
	return false
}
