package protocols

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"testing"
)

func TestCategoryNamesAndPriorities(t *testing.T) {
	want := map[Category]struct {
		name     string
		priority int
	}{
		CategoryFire: {"fire", 1}, CategoryHoldUp: {"holdup", 2}, CategoryMedical: {"medical", 3},
		CategoryBurglary: {"burglary", 4}, CategoryAlarm: {"alarm", 5}, CategoryTrouble: {"trouble", 6},
		CategoryTamper: {"tamper", 7}, CategorySchedule: {"schedule", 8}, CategoryOpenClose: {"openclose", 9},
		CategoryTest: {"test", 9}, CategoryInfo: {"info", 9}, CategoryUnknown: {"unknown", 5},
	}
	if len(Categories()) != len(want) {
		t.Fatalf("Categories() has %d entries, want %d", len(Categories()), len(want))
	}
	for c, w := range want {
		if c.String() != w.name || c.DefaultPriority() != w.priority {
			t.Errorf("%d: %s/%d, want %s/%d", c, c, c.DefaultPriority(), w.name, w.priority)
		}
		if back, ok := ParseCategory(w.name); !ok || back != c {
			t.Errorf("ParseCategory(%q) = %v, %v", w.name, back, ok)
		}
	}
	if Category(200).String() != "unknown" {
		t.Error("out-of-range category must read as unknown")
	}
	seen := map[string]bool{}
	for _, c := range Categories() {
		if l := c.Label(); l == "" || l == c.String() || seen[l] {
			t.Errorf("%s: label %q is empty, the key itself or not unique", c, l)
		} else {
			seen[l] = true
		}
	}
	if CategoryOpenClose.Label() != "Opening/closing" {
		t.Errorf("openclose label %q", CategoryOpenClose.Label())
	}
}

func TestReasonLabelsAreSnakeCaseAndUnique(t *testing.T) {
	seen := map[string]bool{}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, r := range Reasons() {
		s := r.String()
		if !snake.MatchString(s) || seen[s] {
			t.Errorf("reason %d label %q is not a unique snake_case label", r, s)
		}
		seen[s] = true
	}
}

func TestFrameErrorWrapsAndCarriesReason(t *testing.T) {
	sentinel := errors.New("dc09: crc mismatch")
	err := fmt.Errorf("frame from 1234: %w", Reject("dc09", ReasonCRC, sentinel))
	if !errors.Is(err, sentinel) {
		t.Error("errors.Is does not find the sentinel through FrameError")
	}
	if ReasonOf(err) != ReasonCRC {
		t.Errorf("ReasonOf = %v", ReasonOf(err))
	}
	if ReasonOf(errors.New("plain")) != ReasonUnknown {
		t.Error("ReasonOf a plain error must be ReasonUnknown")
	}
	if got := Reject("dc09", ReasonTimestamp, nil).Error(); got != "dc09: timestamp" {
		t.Errorf("Error() = %q", got)
	}
}

func TestQualifierAndAddressKindNames(t *testing.T) {
	for q, s := range map[Qualifier]string{QualifierNone: "", QualifierNew: "new", QualifierRestore: "restore", QualifierStatus: "status"} {
		if q.String() != s {
			t.Errorf("qualifier %d = %q, want %q", q, q.String(), s)
		}
	}
	for k, s := range map[AddressKind]string{AddressNone: "none", AddressZone: "zone", AddressUser: "user",
		AddressArea: "area", AddressDoor: "door", AddressDevice: "device"} {
		if k.String() != s {
			t.Errorf("address kind %d = %q, want %q", k, k.String(), s)
		}
	}
}

func TestRejectfReadsAsDetailAndWrapsSentinel(t *testing.T) {
	sentinel := errors.New("sia: parity")
	err := Rejectf("sia", ReasonCRC, sentinel, "parity %s, want %s", "0x86", "0x87")
	if got := err.Error(); got != "sia: crc: parity 0x86, want 0x87" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, sentinel) || ReasonOf(err) != ReasonCRC {
		t.Errorf("Rejectf lost the sentinel or the reason: %v", err)
	}
}

// TestScannerSplit: a split that skips a byte at a time frames what it
// holds in one call, without waiting for more input; it still asks for
// more when the frame is not complete.
func TestScannerSplit(t *testing.T) {
	// skip drops one leading space per call; a frame ends at '\n'.
	skip := func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) > 0 && data[0] == ' ' {
			return 1, nil, nil
		}
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	split := ScannerSplit(skip)
	adv, frame, err := split([]byte("   ab\ncd"), false)
	if adv != 6 || string(frame) != "ab" || err != nil {
		t.Fatalf("split = %d %q %v, want 6 \"ab\" nil", adv, frame, err)
	}
	adv, frame, err = split([]byte("  cd"), false)
	if adv != 2 || frame != nil || err != nil {
		t.Fatalf("split of an incomplete frame = %d %q %v, want the 2 spaces skipped and a wait", adv, frame, err)
	}
}
