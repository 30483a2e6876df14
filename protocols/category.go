package protocols

// Category is the class of an event used for priority and handling. The set is
// closed: it is used as a metric label and stored by name.
type Category uint8

// Categories in the order of their default priority (design.md §5).
const (
	CategoryUnknown   Category = iota // code not in any table
	CategoryFire                      // priority 1, locked
	CategoryHoldUp                    // 2: hold-up, duress, panic
	CategoryMedical                   // 3: medical, CO, gas, life safety
	CategoryBurglary                  // 4
	CategoryAlarm                     // 5: other alarms (water, freeze, untyped zones…)
	CategoryTrouble                   // 6: supervisory and trouble
	CategoryTamper                    // 7: tamper, battery, status
	CategorySchedule                  // 8: late to close, fail to open, unscheduled opening
	CategoryOpenClose                 // 9: openings and closings
	CategoryTest                      // 9: periodic and manual tests
	CategoryInfo                      // 9: everything informational
)

var categoryNames = [...]string{
	CategoryUnknown:   "unknown",
	CategoryFire:      "fire",
	CategoryHoldUp:    "holdup",
	CategoryMedical:   "medical",
	CategoryBurglary:  "burglary",
	CategoryAlarm:     "alarm",
	CategoryTrouble:   "trouble",
	CategoryTamper:    "tamper",
	CategorySchedule:  "schedule",
	CategoryOpenClose: "openclose",
	CategoryTest:      "test",
	CategoryInfo:      "info",
}

var categoryPriority = [...]int{
	CategoryUnknown:   5, // an unknown code is shown to an operator as an alarm of its own
	CategoryFire:      1,
	CategoryHoldUp:    2,
	CategoryMedical:   3,
	CategoryBurglary:  4,
	CategoryAlarm:     5,
	CategoryTrouble:   6,
	CategoryTamper:    7,
	CategorySchedule:  8,
	CategoryOpenClose: 9,
	CategoryTest:      9,
	CategoryInfo:      9,
}

var categoryLabels = [...]string{
	CategoryUnknown:   "Unknown event",
	CategoryFire:      "Fire",
	CategoryHoldUp:    "Hold-up/panic",
	CategoryMedical:   "Medical/life safety",
	CategoryBurglary:  "Burglary",
	CategoryAlarm:     "Other alarm",
	CategoryTrouble:   "Trouble",
	CategoryTamper:    "Tamper/battery",
	CategorySchedule:  "Schedule exception",
	CategoryOpenClose: "Opening/closing",
	CategoryTest:      "Test",
	CategoryInfo:      "Information",
}

// Label is c's name for people (reports, the console), in English.
func (c Category) Label() string {
	if int(c) < len(categoryLabels) {
		return categoryLabels[c]
	}
	return categoryLabels[CategoryUnknown]
}

// String returns the stable lower-case name of c.
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "unknown"
}

// DefaultPriority returns the default operator priority of c: 1 is the most
// urgent (design.md §5, automation-research.md §6.3).
func (c Category) DefaultPriority() int {
	if int(c) < len(categoryPriority) {
		return categoryPriority[c]
	}
	return categoryPriority[CategoryUnknown]
}

// CategoryNames are every category's name, in the order of Category.
func CategoryNames() []string { return append([]string(nil), categoryNames[:]...) }

// Categories returns every category, for pre-creating metric label values.
func Categories() []Category {
	out := make([]Category, len(categoryNames))
	for i := range out {
		out[i] = Category(i)
	}
	return out
}

// ParseCategory returns the category named s.
func ParseCategory(s string) (Category, bool) {
	for i, n := range categoryNames {
		if n == s {
			return Category(i), true
		}
	}
	return CategoryUnknown, false
}
