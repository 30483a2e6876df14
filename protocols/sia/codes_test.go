package sia

import (
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

const (
	// appendixBCount is the number of rows of protocols.md Appendix B.
	appendixBCount = 307
	// vendorCount is the 18 Ajax codes and the 4 Galaxy codes of §2.4.
	vendorCount = 22
)

func TestCodeTable(t *testing.T) {
	if len(standardCodes) != appendixBCount {
		t.Fatalf("standard table has %d codes, Appendix B has %d", len(standardCodes), appendixBCount)
	}
	if len(vendorCodes) != vendorCount {
		t.Fatalf("vendor table has %d codes, §2.4 lists %d", len(vendorCodes), vendorCount)
	}
	seen := make(map[string]bool)
	previous := ""
	for i, row := range Codes() {
		if !validCode(row.Code) {
			t.Errorf("code %q is not two upper-case letters", row.Code)
			continue
		}
		if seen[row.Code] {
			t.Errorf("code %s appears twice", row.Code)
		}
		seen[row.Code] = true
		if i < len(standardCodes) && row.Code <= previous {
			t.Errorf("standard code %s out of order", row.Code)
		}
		previous = row.Code
		if row.Name == "" {
			t.Errorf("code %s has no name", row.Code)
		}
		if row.Category == protocols.CategoryUnknown || row.Category.String() == "unknown" {
			t.Errorf("code %s has no valid category", row.Code)
		}
		if row.Address.String() == "none" && row.Address != protocols.AddressNone {
			t.Errorf("code %s has an invalid address kind %d", row.Code, row.Address)
		}
		if got, ok := Lookup(row.Code); !ok || got != row {
			t.Errorf("Lookup(%s) = %+v, %v", row.Code, got, ok)
		}
		// A restore says so in its name, or ends a condition named by
		// another code.
		named := strings.Contains(row.Name, "Restor") || strings.Contains(row.Name, "Unbypass")
		pairs := map[string]bool{"JC": true, "NS": true, "VI": true, "VY": true, "YZ": true}
		if row.Restore != (named || pairs[row.Code]) {
			t.Errorf("code %s %q: Restore %v", row.Code, row.Name, row.Restore)
		}
	}
	if len(seen) != appendixBCount+vendorCount {
		t.Errorf("%d distinct codes, want %d", len(seen), appendixBCount+vendorCount)
	}
}

// TestAddressKinds checks the lists of protocols.md §2.3.
func TestAddressKinds(t *testing.T) {
	for kind, codes := range map[protocols.AddressKind]string{
		protocols.AddressUser: "BC CE CF CJ CK CL CP CQ CR DA DB EE JD JH JK JP JS JT JV JX JY JZ OC OH OJ OK OL OP OQ OR OT RX",
		protocols.AddressArea: "BV CA CD CG CI CT CW FI FK JA JR NF NL NM OA OG OI",
		protocols.AddressDoor: "DC DD DE DF DG DH DI DJ DK DL DM DN DO DP DQ DR DS DV DW DX DY DZ",
		protocols.AddressNone: "AT AR RP RR YT YR YC YK LB LX",
		protocols.AddressZone: "BA BH BR BB BU BT BJ BS BX FA FH FT FJ HA PA MA GA KA WA ZA SA UA TA TR XT XR NA",
	} {
		for _, code := range strings.Fields(codes) {
			if row, _ := Lookup(code); row.Address != kind {
				t.Errorf("code %s addresses a %v, §2.3 says %v", code, row.Address, kind)
			}
		}
	}
}

// TestCategories checks the category rules of the brief, family by family.
func TestCategories(t *testing.T) {
	for category, codes := range map[protocols.Category]string{
		protocols.CategoryFire:      "FA FH FR FG FM KA KH KR SA SH SR FL FC",
		protocols.CategoryHoldUp:    "PA PH PR HA HH HR ND",
		protocols.CategoryMedical:   "MA MH MR QA QH QR GA GH GR",
		protocols.CategoryBurglary:  "BA BH BR BG BM BV EA DF BF BL",
		protocols.CategoryAlarm:     "WA WH WR ZA ZH ZR UA UH UR UG UZ UX",
		protocols.CategoryTrouble:   "AT AR YC YK YS LT LR NT NR FT FJ FS FV BT BJ BS HT PT MT GT KT WT ZT ST UT ET ER EM YP YA YX XQ XX",
		protocols.CategoryTamper:    "TA TR TT TJ TH ES EJ JA JC YT YR YM XT XR XS RR YW",
		protocols.CategorySchedule:  "CI OI CT OT CD CJ CK OJ OK OH OL JK NA",
		protocols.CategoryOpenClose: "OP CL OA CA OG CG OQ CQ OS CS CF NL NF NM OR OC CP CR CW EE CB OB",
		protocols.CategoryTest:      "RP RX TX FX BX GX TS TE TC FI FK TP VX RY",
		protocols.CategoryInfo:      "BB BU FB FU HB HU JT JD JV JX JY LB LX RB RS DG DD DA DB CO CX MI PE ZY ZZ",
	} {
		for _, code := range strings.Fields(codes) {
			if row, ok := Lookup(code); !ok || row.Category != category {
				t.Errorf("code %s: category %v, want %v", code, row.Category, category)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		code, name string
		ok         bool
	}{
		{"BA", "Burglary Alarm", true},
		{"ZU", "Freeze Unbypass", true},
		{"PE", "Photo by Scenario Enabled", true},
		{"YL", "AC and Battery Fail", true},
		{"QQ", "", false},
		{"ba", "", false},
		{"B", "", false},
		{"BAA", "", false},
		{"", "", false},
		{"[A", "", false},
	} {
		got, ok := Lookup(tc.code)
		if ok != tc.ok || got.Name != tc.name {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.code, got.Name, ok, tc.name, tc.ok)
		}
	}
}
