package alarmcode

import (
	"errors"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

var cases = []struct {
	name string
	in   Fields
	want protocols.Event
	err  error
}{
	{name: "cid_letter_new", in: Fields{Account: "8888", Code: "E130", Area: "1", Zone: "102"},
		want: protocols.Event{Format: "CID", Account: "8888", Code: "130", Qualifier: protocols.QualifierNew, Partition: "1",
			Address: "102", AddressKind: protocols.AddressZone, Zone: "102", Known: true, Description: "Burglary", Category: protocols.CategoryBurglary}},
	{name: "cid_letter_restore_lower", in: Fields{Code: " r130 ", Zone: "5"},
		want: protocols.Event{Format: "CID", Code: "130", Qualifier: protocols.QualifierRestore,
			Address: "5", AddressKind: protocols.AddressZone, Zone: "5", Known: true, Description: "Burglary", Category: protocols.CategoryBurglary}},
	{name: "cid_digit_qualifier_user", in: Fields{Code: "3401", Area: "2", User: "7"},
		want: protocols.Event{Format: "CID", Code: "401", Qualifier: protocols.QualifierRestore, Partition: "2",
			Address: "7", AddressKind: protocols.AddressUser, User: "7", Known: true, Description: "O/C by user", Category: protocols.CategoryOpenClose}},
	{name: "cid_bare_status", in: Fields{Code: "P145"},
		want: protocols.Event{Format: "CID", Code: "145", Qualifier: protocols.QualifierStatus,
			AddressKind: protocols.AddressZone, Known: true, Description: "Expansion module tamper", Category: protocols.CategoryTamper}},
	{name: "cid_vendor_chekt_idle", in: Fields{Code: "E794", Zone: "017"},
		want: protocols.Event{Format: "CID", Code: "794", Qualifier: protocols.QualifierNew, Address: "017",
			AddressKind: protocols.AddressZone, Zone: "017", Known: true, Description: "Camera Idle", Category: protocols.CategoryTrouble}},
	{name: "sia_alarm", in: Fields{Code: "BA", Zone: "12", Text: " door "},
		want: protocols.Event{Format: "SIA", Code: "BA", Qualifier: protocols.QualifierNew, Address: "12", Text: "door",
			AddressKind: protocols.AddressZone, Zone: "12", Known: true, Description: "Burglary Alarm", Category: protocols.CategoryBurglary}},
	{name: "sia_restore", in: Fields{Code: "BR", Zone: "12"},
		want: protocols.Event{Format: "SIA", Code: "BR", Qualifier: protocols.QualifierRestore, Address: "12",
			AddressKind: protocols.AddressZone, Zone: "12", Known: true, Description: "Burglary Restoral", Category: protocols.CategoryBurglary}},
	{name: "unknown_letters", in: Fields{Code: "QQ", Zone: "102"},
		want: protocols.Event{Format: "SIA", Code: "QQ", Address: "102", AddressKind: protocols.AddressZone, Zone: "102",
			Description: "Invalid alarm QQ"}},
	{name: "unknown_number", in: Fields{Code: "E999"},
		want: protocols.Event{Format: "CID", Code: "999", Qualifier: protocols.QualifierNew, AddressKind: protocols.AddressZone,
			Description: "Invalid alarm 999"}},
	{name: "unknown_vendor_word", in: Fields{Code: "MotionDetected"},
		want: protocols.Event{Format: "SIA", Code: "MOTIONDETECTED", AddressKind: protocols.AddressZone,
			Description: "Invalid alarm MOTIONDETECTED"}},
	{name: "empty", in: Fields{Code: "  "}, err: ErrNoCode},
	{name: "too_long", in: Fields{Code: "ABCDEFGHIJKLMNOPQ"}, err: ErrBadCode},
	{name: "control_byte", in: Fields{Code: "B\x00A"}, err: ErrBadCode},
}

func TestEvent(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Event(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got.Format != tc.want.Format || got.Account != tc.want.Account || got.Code != tc.want.Code ||
				got.Qualifier != tc.want.Qualifier || got.Partition != tc.want.Partition || got.Address != tc.want.Address ||
				got.AddressKind != tc.want.AddressKind || got.Zone != tc.want.Zone || got.User != tc.want.User ||
				got.Text != tc.want.Text || got.Known != tc.want.Known || got.Description != tc.want.Description ||
				got.Category != tc.want.Category {
				t.Fatalf("Event(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzEvent: any code is either refused with a sentinel or classified,
// with a format from the closed set and a code no longer than MaxCode;
// an unknown code is always described.
func FuzzEvent(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in.Code, tc.in.Area, tc.in.Zone, tc.in.User)
	}
	f.Fuzz(func(t *testing.T, code, area, zone, user string) {
		ev, err := Event(Fields{Code: code, Area: area, Zone: zone, User: user})
		if err != nil {
			if !errors.Is(err, ErrNoCode) && !errors.Is(err, ErrBadCode) {
				t.Fatalf("error %v is not a sentinel", err)
			}
			return
		}
		if ev.Format != protocols.FormatContactID && ev.Format != protocols.FormatSIA {
			t.Fatalf("format %q", ev.Format)
		}
		if ev.Code == "" || len(ev.Code) > MaxCode {
			t.Fatalf("code %q", ev.Code)
		}
		if !ev.Known && ev.Description != "Invalid alarm "+ev.Code {
			t.Fatalf("unknown code %q described %q", ev.Code, ev.Description)
		}
	})
}

func TestTransition(t *testing.T) {
	cases := []struct {
		code    string // as a dialect writes it: E401 new, R401 restore, BA
		opening bool
		ok      bool
	}{
		{"E401", true, true}, {"R401", false, true}, // O/C by user
		{"E402", true, true}, {"R402", false, true}, // group
		{"E403", true, true}, {"R403", false, true}, // automatic
		{"E441", false, true}, {"R441", false, true}, // armed STAY is a closing both ways
		{"E406", false, false}, // cancel
		{"P401", false, false}, // a status report is no change
		{"E130", false, false}, // burglary
		{"OP", true, true}, {"CL", false, true}, {"OA", true, true}, {"CA", false, true},
		{"OQ", true, true}, {"CQ", false, true}, {"OR", true, true}, {"CW", false, true},
		{"NL", false, true}, {"OC", false, false}, {"CE", false, false}, {"CR", false, false},
		{"OZ", false, false}, {"CZ", false, false}, {"BC", false, false},
		{"CI", false, false}, // fail to close is a schedule event, not a closing
		{"BA", false, false},
	}
	for _, c := range cases {
		ev, err := Event(Fields{Account: "1234", Code: c.code})
		if err != nil {
			t.Fatalf("%s: %v", c.code, err)
		}
		opening, ok := Transition(ev)
		if opening != c.opening || ok != c.ok {
			t.Errorf("Transition(%s) = %v, %v; want %v, %v", c.code, opening, ok, c.opening, c.ok)
		}
	}
}
