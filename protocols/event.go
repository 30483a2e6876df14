package protocols

import "time"

// Code formats name the code table an Event's Code belongs to.
const (
	FormatContactID = "CID" // Ademco Contact ID (SIA DC-05) three-digit event codes
	FormatSIA       = "SIA" // SIA DC-03 two-letter event codes
)

// Qualifier says whether an event is new, a restore, or a status report.
type Qualifier uint8

// Qualifiers. Contact ID uses 1, 3 and 6 on the wire; SIA codes carry the
// qualifier in the code itself (BA alarm, BH restore).
const (
	QualifierNone    Qualifier = iota // no qualifier applies (link tests)
	QualifierNew                      // new event, or an opening for open/close codes [DC-05 Q=1]
	QualifierRestore                  // restore, or a closing for open/close codes [DC-05 Q=3]
	QualifierStatus                   // previously reported condition still present [DC-05 Q=6]
)

// String returns the stable lower-case name used in JSON and the store.
func (q Qualifier) String() string {
	switch q {
	case QualifierNew:
		return "new"
	case QualifierRestore:
		return "restore"
	case QualifierStatus:
		return "status"
	}
	return ""
}

// AddressKind says what the number after an event code designates.
type AddressKind uint8

// Address kinds, after the "address" column of the SIA code table and the
// zone/user column of the Contact ID table.
const (
	AddressNone   AddressKind = iota // the code carries no address ("unused")
	AddressZone                      // zone or point
	AddressUser                      // user number
	AddressArea                      // area or partition
	AddressDoor                      // access-control door
	AddressDevice                    // expander, peripheral, line, relay, printer, receiver…
)

// String returns the stable lower-case name used in JSON and the store.
func (k AddressKind) String() string {
	switch k {
	case AddressZone:
		return "zone"
	case AddressUser:
		return "user"
	case AddressArea:
		return "area"
	case AddressDoor:
		return "door"
	case AddressDevice:
		return "device"
	}
	return "none"
}

// Event is one decoded alarm event. A DC-09 frame or a Sur-Gard record
// carries zero or more of them.
type Event struct {
	// Format is FormatContactID or FormatSIA: the table Code belongs to.
	Format string
	// Account is the account the event names: the account inside the data
	// ("#1234|…") when present, else the transmitter's header account.
	Account string
	// Code is the event code as received: "130" for Contact ID, "BA" for SIA.
	Code      string
	Qualifier Qualifier
	// Partition is the Contact ID group or the SIA "ri" area; "" when none.
	Partition string
	// Address is the number after the code as received (zero padding kept);
	// AddressKind says what it designates. Zone and User repeat it when it is
	// a zone or a user number.
	Address     string
	AddressKind AddressKind
	Zone        string
	User        string
	// Text is free text sent with the event (SIA ^text^, an A block).
	Text string
	// Known reports whether Code is in the code table. Unknown codes are
	// accepted and stored as unknown, never rejected.
	Known       bool
	Description string
	Category    Category
	// PanelTime is the time the panel gave for the event (SIA ti/da
	// modifiers); zero when none was sent.
	PanelTime time.Time
	// Modifiers keeps every SIA modifier as received, in order (ri, id, ti,
	// da, pi, …), so nothing the panel sent is lost.
	Modifiers []Modifier `json:",omitempty"`
}

// Modifier is one SIA data modifier: two lower-case letters and a value.
type Modifier struct {
	Name  string
	Value string
}
