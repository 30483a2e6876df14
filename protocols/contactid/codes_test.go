package contactid

import (
	"strconv"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

const (
	// appendixACount is the number of rows of protocols.md Appendix A.
	appendixACount = 225
	// standardCount adds the DC-05 codes Appendix A lacks: 358, 359, 360
	// and 900.
	standardCount = appendixACount + 4
	// vendorCount is the three ELDES and the two CHeKT codes.
	vendorCount = 5
)

func TestCodeTable(t *testing.T) {
	if len(codeTable) != standardCount {
		t.Fatalf("table has %d codes, want Appendix A's %d and 4 more", len(codeTable), appendixACount)
	}
	if len(vendorCodes) != vendorCount {
		t.Fatalf("vendor table has %d codes, want %d", len(vendorCodes), vendorCount)
	}
	previous := 0
	for i, row := range Codes() {
		if i == len(codeTable) {
			previous = 0 // the vendor codes are in order among themselves
		}
		n, err := strconv.Atoi(row.Code)
		if err != nil || len(row.Code) != 3 {
			t.Errorf("code %q is not three decimal digits", row.Code)
			continue
		}
		if n <= previous {
			t.Errorf("code %s out of order or repeated", row.Code)
		}
		previous = n
		if row.Name == "" {
			t.Errorf("code %s has no name", row.Code)
		}
		if row.Category == protocols.CategoryUnknown || row.Category.String() == "unknown" {
			t.Errorf("code %s has no valid category", row.Code)
		}
		if row.Address != protocols.AddressZone && row.Address != protocols.AddressUser {
			t.Errorf("code %s: CCC is %v, want zone or user", row.Code, row.Address)
		}
		if got, ok := Lookup(row.Code); !ok || got != row {
			t.Errorf("Lookup(%s) = %+v, %v", row.Code, got, ok)
		}
		for _, s := range []string{row.SIANew, row.SIARestore} {
			if _, ok := sia.Lookup(s); s != "" && !ok {
				t.Errorf("code %s maps to SIA %q, which the SIA table does not know", row.Code, s)
			}
		}
		if (row.SIANew == "") != (row.SIARestore == "") {
			t.Errorf("code %s maps only one qualifier to SIA", row.Code)
		}
	}
	if got := Codes(); len(got) != standardCount+vendorCount || got[0] != codeTable[0] || got[len(codeTable)] != vendorCodes[0] {
		t.Errorf("Codes() returned %d rows", len(got))
	}
	for _, v := range vendorCodes {
		for _, row := range codeTable {
			if row.Code == v.Code {
				t.Errorf("vendor code %s collides with the standard %q", v.Code, row.Name)
			}
		}
	}
}

// TestAddedCodes: each code added after Appendix A, standard or vendor,
// with its name, category, CCC kind and SIA pairing.
func TestAddedCodes(t *testing.T) {
	for _, want := range []Code{
		{"358", "Periodic Comm Test Fail /Restore", protocols.CategoryTrouble, protocols.AddressZone, "YC", "YK"},
		{"359", "Communication trouble", protocols.CategoryTrouble, protocols.AddressZone, "YC", "YK"},
		{"360", "Communication trouble", protocols.CategoryTrouble, protocols.AddressZone, "YC", "YK"},
		{"900", "Download Abort", protocols.CategoryInfo, protocols.AddressZone, "", ""},
		{"470", "Zone bypass (ELDES)", protocols.CategoryInfo, protocols.AddressZone, "BB", "BU"},
		{"471", "Fire bypass (ELDES)", protocols.CategoryInfo, protocols.AddressZone, "FB", "FU"},
		{"473", "Burglary bypass (ELDES)", protocols.CategoryInfo, protocols.AddressZone, "BB", "BU"},
		{"794", "Camera Idle", protocols.CategoryTrouble, protocols.AddressZone, "", ""},
		{"795", "Camera Dormant", protocols.CategoryTrouble, protocols.AddressZone, "", ""},
	} {
		if got, ok := Lookup(want.Code); !ok || got != want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", want.Code, got, ok, want)
		}
		for _, q := range []string{"1", "3"} {
			_, ev, err := ParsePayload([]byte("#1234|" + q + want.Code + " 01 015"))
			if err != nil {
				t.Fatalf("ParsePayload of code %s: %v", want.Code, err)
			}
			if !ev.Known || ev.Description != want.Name || ev.Category != want.Category || ev.Zone != "015" {
				t.Errorf("code %s, qualifier %s: event %+v", want.Code, q, ev)
			}
		}
	}
}

// TestUserCodes checks the zone/user column against the list of protocols.md
// §1.5 (dc09_spt dc05_is_user).
func TestUserCodes(t *testing.T) {
	users := map[string]bool{"121": true, "313": true, "574": true, "604": true, "607": true, "625": true, "642": true, "652": true, "653": true}
	for _, r := range [][2]int{{400, 409}, {411, 415}, {421, 422}, {424, 425}, {429, 431}, {441, 442}, {450, 459}, {462, 464}, {466, 466}} {
		for n := r[0]; n <= r[1]; n++ {
			users[strconv.Itoa(n)] = true
		}
	}
	for _, row := range codeTable {
		if got, want := row.Address == protocols.AddressUser, users[row.Code]; got != want {
			t.Errorf("code %s: CCC user %v, §1.5 says %v", row.Code, got, want)
		}
	}
}

// TestCategoryRules checks each row against the class-range rules of the
// brief (design.md §5) and lists, on purpose, every row that departs from
// them. A change of category must update this list and the table comment.
func TestCategoryRules(t *testing.T) {
	departures := map[string]protocols.Category{
		"146": protocols.CategoryBurglary, // silent burglary
		"156": protocols.CategoryTrouble,  // day trouble
		"374": protocols.CategoryBurglary, // exit error alarm
		"404": protocols.CategorySchedule, // late to open/close
		"423": protocols.CategoryBurglary, // forced access
		"427": protocols.CategoryTrouble,  // door status monitor trouble
		"428": protocols.CategoryTrouble,  // request-to-exit trouble
		"432": protocols.CategoryTrouble,  // relay/trigger fail
		"461": protocols.CategoryTamper,   // wrong code entry
		"605": protocols.CategoryInfo,     // status report to follow
		"606": protocols.CategoryInfo,     // listen-in to follow
		"609": protocols.CategoryInfo,     // video transmitter active
		"616": protocols.CategoryTrouble,  // service request
		"641": protocols.CategoryMedical,  // senior watch trouble
		"642": protocols.CategorySchedule, // latch-key supervision
		"654": protocols.CategorySchedule, // system inactivity
	}
	// Rows the rules name as exceptions inside a range.
	lifeSafety := map[string]bool{"151": true, "162": true}
	tamperLike := map[string]bool{"137": true, "144": true, "145": true, "302": true, "305": true, "306": true, "309": true,
		"311": true, "313": true, "338": true, "339": true, "341": true, "383": true, "384": true}
	scheduleExceptions := map[string]bool{"450": true, "451": true, "452": true, "453": true, "454": true, "455": true}

	for _, row := range codeTable {
		n, _ := strconv.Atoi(row.Code)
		var want protocols.Category
		switch {
		case tamperLike[row.Code]:
			want = protocols.CategoryTamper
		case lifeSafety[row.Code], n <= 102:
			want = protocols.CategoryMedical
		case n <= 118:
			want = protocols.CategoryFire
		case n <= 129:
			want = protocols.CategoryHoldUp
		case n <= 139:
			want = protocols.CategoryBurglary
		case n <= 169:
			want = protocols.CategoryAlarm
		case n <= 399:
			want = protocols.CategoryTrouble
		case scheduleExceptions[row.Code]:
			want = protocols.CategorySchedule
		case n <= 409, n >= 441 && n <= 466:
			want = protocols.CategoryOpenClose
		case n <= 599:
			want = protocols.CategoryInfo
		case n <= 619:
			want = protocols.CategoryTest
		default:
			want = protocols.CategoryInfo
		}
		if d, ok := departures[row.Code]; ok {
			if d == want {
				t.Errorf("code %s is listed as a departure but follows the rules", row.Code)
			}
			want = d
		}
		if row.Category != want {
			t.Errorf("code %s %q: category %v, want %v", row.Code, row.Name, row.Category, want)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		code string
		name string
		ok   bool
	}{
		{"130", "Burglary", true},
		{"1A0", "Medical", true}, // A reads as 0
		{"602", "Periodic test report", true},
		{"700", "", false},
		{"13", "", false},
		{"1300", "", false},
		{"1X0", "", false},
		{"", "", false},
	} {
		got, ok := Lookup(tc.code)
		if ok != tc.ok || got.Name != tc.name {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.code, got.Name, ok, tc.name, tc.ok)
		}
	}
}
