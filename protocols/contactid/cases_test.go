package contactid

import "github.com/alarmrx/alarmrx/protocols"

// parseCase is one input of the case catalogue: a 16-digit message for
// Parse or an ADM-CID data block for ParsePayload, with the exact result or
// the error expected. The table drives the parse tests, the golden files and
// the fuzz seeds.
type parseCase struct {
	name    string
	source  string // where the input comes from
	input   string
	payload bool // an ADM-CID data block (ParsePayload), else a message (Parse)

	wantMessage Message         // Parse only
	wantAccount string          // ParsePayload only
	want        protocols.Event // the decoded event
	wantErr     error           // sentinel; nil for valid input
	wantReason  protocols.Reason
}

// cidEvent is the expected event of a known code; every field is spelled
// out by the caller so a change in the table shows up as a failure.
func cidEvent(account string, q protocols.Qualifier, code, group, address string, kind protocols.AddressKind, description string, category protocols.Category) protocols.Event {
	ev := protocols.Event{
		Format:      protocols.FormatContactID,
		Account:     account,
		Code:        code,
		Qualifier:   q,
		Partition:   group,
		Address:     address,
		AddressKind: kind,
		Known:       description != "",
		Description: description,
		Category:    category,
	}
	if kind == protocols.AddressUser {
		ev.User = address
	} else {
		ev.Zone = address
	}
	return ev
}

const (
	qNew     = protocols.QualifierNew
	qRestore = protocols.QualifierRestore
	qStatus  = protocols.QualifierStatus
	byZone   = protocols.AddressZone
	byUser   = protocols.AddressUser
)

var parseCases = []parseCase{
	// protocols.md §1.3, the worked checksum examples as whole messages.
	{
		name: "perimeter_zone15", source: "§1.3 row 1 (Protege example)",
		input:       "1234181131010158",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: '8'},
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "tamper_alarm", source: "§1.3 row 2 (Cooper example 1)",
		input:       "1234181137010152",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "137", Group: "01", Address: "015", Checksum: '2'},
		want:        cidEvent("1234", qNew, "137", "01", "015", byZone, "Tamper", protocols.CategoryTamper),
	},
	{
		name: "tamper_restore_check_F", source: "§1.3 row 3 (Cooper example 2): sum ≡ 0 sends F",
		input:       "123418313701015F",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qRestore, Code: "137", Group: "01", Address: "015", Checksum: 'F'},
		want:        cidEvent("1234", qRestore, "137", "01", "015", byZone, "Tamper", protocols.CategoryTamper),
	},
	{
		name: "disarm_user1_partition3", source: "§1.3 row 4",
		input:       "9876181401030011",
		wantMessage: Message{Account: "9876", Type: "18", Qualifier: qNew, Code: "401", Group: "03", Address: "001", Checksum: '1'},
		want:        cidEvent("9876", qNew, "401", "03", "001", byUser, "O/C by user", protocols.CategoryOpenClose),
	},
	{
		name: "periodic_test", source: "§1.3 row 5",
		input:       "1234181602000002",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "602", Group: "00", Address: "000", Checksum: '2'},
		want:        cidEvent("1234", qNew, "602", "00", "000", byZone, "Periodic test report", protocols.CategoryTest),
	},
	{
		name: "arm_user1", source: "§1.3 row 6",
		input:       "1234183401010016",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qRestore, Code: "401", Group: "01", Address: "001", Checksum: '6'},
		want:        cidEvent("1234", qRestore, "401", "01", "001", byUser, "O/C by user", protocols.CategoryOpenClose),
	},

	// Accepted variations.
	{
		name: "printed_with_spaces", source: "§1.1 print form",
		input:       "1234 18 1131 01 015 8",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: '8'},
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "trailing_crlf", source: "a captured line",
		input:       "1234181131010158\r\n",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: '8'},
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "message_type_98", source: "§1.1: receivers accept 18 and 98",
		input:       "123498113101015F",
		wantMessage: Message{Account: "1234", Type: "98", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: 'F'},
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "digit_A_in_group", source: "§1.2: A is read as 0",
		input:       "1234181131A10158",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: '8'},
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "digit_A_in_account", source: "§1.2: DSC programs A for 0",
		input:       "A23418113101015E",
		wantMessage: Message{Account: "0234", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: 'E'},
		want:        cidEvent("0234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "lower_case_hex_account", source: "software senders",
		input:       "12bc181131010157",
		wantMessage: Message{Account: "12BC", Type: "18", Qualifier: qNew, Code: "131", Group: "01", Address: "015", Checksum: '7'},
		want:        cidEvent("12BC", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "duress_user3", source: "§1.5: 121 carries a user",
		input:       "1234181121010032",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "121", Group: "01", Address: "003", Checksum: '2'},
		want:        cidEvent("1234", qNew, "121", "01", "003", byUser, "Duress", protocols.CategoryHoldUp),
	},
	{
		name: "fire_zone129", source: "§1.7 third sample as a message",
		input:       "123418111000129B",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "110", Group: "00", Address: "129", Checksum: 'B'},
		want:        cidEvent("1234", qNew, "110", "00", "129", byZone, "Fire", protocols.CategoryFire),
	},
	{
		name: "status_low_battery", source: "§1.1: qualifier 6",
		input:       "123418630200000F",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qStatus, Code: "302", Group: "00", Address: "000", Checksum: 'F'},
		want:        cidEvent("1234", qStatus, "302", "00", "000", byZone, "Low system battery", protocols.CategoryTamper),
	},
	{
		name: "unknown_code_700", source: "§1.7: Trikdis start-up 1700 99 999",
		input:       "123418170099999D",
		wantMessage: Message{Account: "1234", Type: "18", Qualifier: qNew, Code: "700", Group: "99", Address: "999", Checksum: 'D'},
		want:        cidEvent("1234", qNew, "700", "99", "999", byZone, "", protocols.CategoryUnknown),
	},

	// Rejected messages.
	{name: "bad_checksum", source: "§1.3 row 1, last digit changed", input: "1234181131010159", wantErr: ErrChecksum, wantReason: protocols.ReasonChecksum},
	{name: "bad_checksum_digit_A_account", source: "A234… counts A as 10, not as 1", input: "A234181131010158", wantErr: ErrChecksum, wantReason: protocols.ReasonChecksum},
	{name: "empty", input: "", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "fifteen_digits", input: "123418113101015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "seventeen_digits", input: "12341811310101580", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "not_a_digit", input: "12341811X1010158", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "message_type_17", source: "checksum right, type wrong", input: "1234171131010159", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "qualifier_2", source: "checksum right, qualifier wrong", input: "1234182131010157", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},

	// ADM-CID data blocks (DC-09), protocols.md §1.7 and §3.14.
	{
		name: "adm_cid_program_mode_exit", source: "§1.7 sample 1, §3.14 A7", payload: true,
		input:       "#7099|1628 01 000",
		wantAccount: "7099",
		want:        cidEvent("7099", qNew, "628", "01", "000", byZone, "Program mode exit", protocols.CategoryInfo),
	},
	{
		name: "adm_cid_closing_user57", source: "§1.7 sample 2, §3.14 D", payload: true,
		input:       "#4F39|3401 01 057",
		wantAccount: "4F39",
		want:        cidEvent("4F39", qRestore, "401", "01", "057", byUser, "O/C by user", protocols.CategoryOpenClose),
	},
	{
		name: "adm_cid_fire_zone129", source: "§1.7 sample 3", payload: true,
		input:       "#12345A|1110 00 129",
		wantAccount: "12345A",
		want:        cidEvent("12345A", qNew, "110", "00", "129", byZone, "Fire", protocols.CategoryFire),
	},
	{
		name: "adm_cid_perimeter", source: "§3.5 CRC vector, §3.6", payload: true,
		input:       "#1234|1131 01 015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_unknown_code", source: "§1.7: Trikdis E16", payload: true,
		input: "1700 99 999",
		want:  cidEvent("", qNew, "700", "99", "999", byZone, "", protocols.CategoryUnknown),
	},
	{
		name: "adm_cid_empty_account", source: "§1.7: '#acct|' optional (Ajax)", payload: true,
		input: "|1130 01 015",
		want:  cidEvent("", qNew, "130", "01", "015", byZone, "Burglary", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_account_without_hash", source: "§1.7 lenient pattern", payload: true,
		input:       "1234|1130 01 015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "130", "01", "015", byZone, "Burglary", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_space_after_qualifier", source: "§1.7: '1 130 01 015' tolerated", payload: true,
		input:       "#1234|1 130 01 015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "130", "01", "015", byZone, "Burglary", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_no_spaces", source: "lenient spacing", payload: true,
		input:       "#1234|113001015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "130", "01", "015", byZone, "Burglary", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_with_message_type", source: "§1.7: Bosch D6600 '#aaaa|18QXYZGGCCC'", payload: true,
		input:       "#1234|18113101015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{
		name: "adm_cid_status", source: "qualifier 6", payload: true,
		input:       "#1234|6302 00 000",
		wantAccount: "1234",
		want:        cidEvent("1234", qStatus, "302", "00", "000", byZone, "Low system battery", protocols.CategoryTamper),
	},
	{
		name: "adm_cid_digit_A", source: "§1.2", payload: true,
		input:       "#1234|1131 0A 015",
		wantAccount: "1234",
		want:        cidEvent("1234", qNew, "131", "00", "015", byZone, "Perimeter", protocols.CategoryBurglary),
	},
	{name: "adm_cid_empty", payload: true, input: "", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_account_only", payload: true, input: "#1234", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_qualifier_7", payload: true, input: "#1234|7130 01 015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_eight_digits", payload: true, input: "#1234|1130 01 01", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_ten_digits", payload: true, input: "#1234|1130 01 0155", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_twelve_digits", payload: true, input: "#1234|1811300101558", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_message_type_17", payload: true, input: "#1234|17113001015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_account_not_hex", payload: true, input: "#12G4|1130 01 015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_account_17_chars", payload: true, input: "#12345678901234567|1130 01 015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_bad_digit", payload: true, input: "#1234|1130 01 01X", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "adm_cid_sia_data", source: "SIA data sent as ADM-CID", payload: true, input: "#1234|Nri1/BA012", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
}

// checksumCases are the worked examples of protocols.md §1.3.
var checksumCases = []struct {
	first15 string
	want    byte
}{
	{"1234 18 1131 01 015", '8'},
	{"1234 18 1137 01 015", '2'},
	{"1234 18 3137 01 015", 'F'},
	{"9876 18 1401 03 001", '1'},
	{"1234 18 1602 00 000", '2'},
	{"1234 18 3401 01 001", '6'},
	{"123418113101015", '8'},     // wire form
	{"1234181131A1015", '8'},     // A counts as 0
	{"123418170099999", 'D'},     // remainder 2
	{"123418113101013", '0'},     // weight 10 is sent as 0
	{"1234 98 1131 01 015", 'F'}, // remainder 0
}

// encodeCases turn events into 16-digit messages and ADM-CID blocks.
var encodeCases = []struct {
	name        string
	account     string
	event       protocols.Event
	wantMessage string // Encode; "" when it must fail
	wantPayload string // FormatPayload
}{
	{
		name: "perimeter", account: "1234",
		event:       cidEvent("1234", qNew, "131", "01", "015", byZone, "Perimeter", protocols.CategoryBurglary),
		wantMessage: "1234181131010158", wantPayload: "#1234|1131 01 015",
	},
	{
		name: "arm_user1", account: "1234",
		event:       cidEvent("1234", qRestore, "401", "01", "001", byUser, "O/C by user", protocols.CategoryOpenClose),
		wantMessage: "1234183401010016", wantPayload: "#1234|3401 01 001",
	},
	{
		name: "padded_fields", account: "99",
		event:       protocols.Event{Code: "602", Qualifier: qNew},
		wantMessage: "0099181602000004", wantPayload: "#99|1602 00 000",
	},
	{
		name: "user_without_address", account: "9876",
		event:       protocols.Event{Code: "401", Qualifier: qNew, Partition: "3", AddressKind: byUser, User: "1"},
		wantMessage: "9876181401030011", wantPayload: "#9876|1401 03 001",
	},
	{
		name: "sia_zone_with_extra_zeros", account: "1234",
		event:       protocols.Event{Code: "130", Qualifier: qNew, Partition: "01", Zone: "0015"},
		wantMessage: "123418113001015E", wantPayload: "#1234|1130 01 015",
	},
	{
		name: "status", account: "1234",
		event:       protocols.Event{Code: "302", Qualifier: qStatus},
		wantMessage: "123418630200000F", wantPayload: "#1234|6302 00 000",
	},
	{
		name: "no_account", account: "",
		event:       protocols.Event{Code: "130", Qualifier: qNew, Partition: "01", Zone: "15"},
		wantMessage: "000018113001015E", wantPayload: "1130 01 015",
	},
	{name: "long_account", account: "12345", event: protocols.Event{Code: "130"}, wantPayload: "#12345|1130 00 000"},
	{name: "account_not_hex", account: "12G4", event: protocols.Event{Code: "130"}},
	{name: "sia_code", account: "1234", event: protocols.Event{Code: "BA"}},
	{name: "group_too_long", account: "1234", event: protocols.Event{Code: "130", Partition: "123"}},
	{name: "address_too_long", account: "1234", event: protocols.Event{Code: "130", Zone: "1234"}},
	{name: "address_not_digits", account: "1234", event: protocols.Event{Code: "130", Zone: "1x"}},
	{name: "bad_qualifier", account: "1234", event: protocols.Event{Code: "130", Qualifier: protocols.Qualifier(9)}},
}
