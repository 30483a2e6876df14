package sia

import (
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// payloadCase is one input of the case catalogue with its exact result or
// the error expected. The table drives the parse and round-trip tests, the
// golden files and the fuzz seeds.
type payloadCase struct {
	name        string
	source      string // where the input comes from
	input       string
	wantAccount string
	want        []protocols.Event
	wantErr     error // sentinel; nil for valid input
	wantReason  protocols.Reason
}

const (
	qNew     = protocols.QualifierNew
	qRestore = protocols.QualifierRestore
)

func mods(nameValue ...string) []protocols.Modifier {
	out := make([]protocols.Modifier, 0, len(nameValue)/2)
	for i := 0; i+1 < len(nameValue); i += 2 {
		out = append(out, protocols.Modifier{Name: nameValue[i], Value: nameValue[i+1]})
	}
	return out
}

var (
	ri1 = mods("ri", "1")
	ri2 = mods("ri", "2")
	// The Sur-Gard manual's example record (protocols.md §4.4).
	surGardMods = mods("da", "04-22-94", "ti", "16:02:15", "id", "22")
	surGardTime = time.Date(1994, time.April, 22, 16, 2, 15, 0, time.UTC)
	// Cooper/Eaton SIA level 3 (protocols.md §2.2).
	level3Mods = mods("ti", "10:23", "id", "005", "ri", "01")
)

var payloadCases = []payloadCase{
	// DC-09 SIA-DCS data blocks (protocols.md §3.5, §3.6, §3.8, §3.14).
	{
		name: "canonical", source: "§3.6 SIA-DCS example",
		input: "#1234|Nri1/BA012", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "012",
			AddressKind: protocols.AddressZone, Zone: "012", Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary, Modifiers: ri1,
		}},
	},
	{
		name: "no_modifiers", source: "§3.5 CRC vector, §3.8 worked frame",
		input: "#1234|NBA01", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Address: "01",
			AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary,
		}},
	},
	{
		name: "holdup_bypass", source: "§3.14 A8, A9, A11",
		input: "#080027E62A64|NHB0003", wantAccount: "080027E62A64",
		want: []protocols.Event{{
			Format: "SIA", Account: "080027E62A64", Code: "HB", Qualifier: qNew, Address: "0003",
			AddressKind: protocols.AddressZone, Zone: "0003", Known: true, Description: "Holdup Bypass",
			Category: protocols.CategoryInfo,
		}},
	},
	{
		name: "jablotron_text", source: "§3.14 A10: text after a modifier and after an address",
		input: "#7878|Nri01^TOTAL^/LX901^centrale d'alarme JA-106K(R)^", wantAccount: "7878",
		want: []protocols.Event{{
			Format: "SIA", Account: "7878", Code: "LX", Qualifier: qNew, Partition: "01", Address: "901",
			AddressKind: protocols.AddressNone, Text: "TOTAL centrale d'alarme JA-106K(R)", Known: true,
			Description: "Local Programming Ended", Category: protocols.CategoryInfo, Modifiers: mods("ri", "01"),
		}},
	},
	{
		name: "no_account", source: "§3.14 C2 and D (Ajax, no #acct|)",
		input: "Nri1/WA000",
		want: []protocols.Event{{
			Format: "SIA", Code: "WA", Qualifier: qNew, Partition: "1", Address: "000",
			AddressKind: protocols.AddressZone, Zone: "000", Known: true, Description: "Water Alarm",
			Category: protocols.CategoryAlarm, Modifiers: ri1,
		}},
	},
	{
		name: "bare_bar_area_restore", source: "§3.14 D: [|Nri2/JC12]",
		input: "|Nri2/JC12",
		want: []protocols.Event{{
			Format: "SIA", Code: "JC", Qualifier: qRestore, Partition: "2", Address: "12",
			AddressKind: protocols.AddressArea, Known: true, Description: "User code tamper canceled",
			Category: protocols.CategoryTamper, Modifiers: ri2,
		}},
	},
	{
		name: "bare_bar_closing", source: "§3.14 D, §3.6 Ajax",
		input: "|Nri1/CL501",
		want: []protocols.Event{{
			Format: "SIA", Code: "CL", Qualifier: qNew, Partition: "1", Address: "501",
			AddressKind: protocols.AddressUser, User: "501", Known: true, Description: "Closing Report",
			Category: protocols.CategoryOpenClose, Modifiers: ri1,
		}},
	},
	{
		name: "panic", source: "§3.14 D",
		input: "#1111|Nri1/PA501", wantAccount: "1111",
		want: []protocols.Event{{
			Format: "SIA", Account: "1111", Code: "PA", Qualifier: qNew, Partition: "1", Address: "501",
			AddressKind: protocols.AddressZone, Zone: "501", Known: true, Description: "Panic Alarm",
			Category: protocols.CategoryHoldUp, Modifiers: ri1,
		}},
	},
	{
		name: "caret_text_no_slash", source: "§3.14 D, §2.2 (Ajax/Jablotron)",
		input: "#123456|Nri1CL0^VX FRONTE ^", wantAccount: "123456",
		want: []protocols.Event{{
			Format: "SIA", Account: "123456", Code: "CL", Qualifier: qNew, Partition: "1", Address: "0",
			AddressKind: protocols.AddressUser, User: "0", Text: "VX FRONTE ", Known: true,
			Description: "Closing Report", Category: protocols.CategoryOpenClose, Modifiers: ri1,
		}},
	},
	{
		name: "nm_trailer", source: "§3.14 D: Osborne-Hoffman style",
		input: "#006969|Nri04/OP001NM", wantAccount: "006969",
		want: []protocols.Event{{
			Format: "SIA", Account: "006969", Code: "OP", Qualifier: qNew, Partition: "04", Address: "001",
			AddressKind: protocols.AddressUser, User: "001", Known: true, Description: "Opening Report",
			Category: protocols.CategoryOpenClose, Modifiers: mods("ri", "04"),
		}},
	},
	{
		name: "text_block", source: "§3.14 F: fioletoven/dc09 [#1234|NRR|Atest]",
		input: "#1234|NRR|Atest", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "RR", Qualifier: qNew, AddressKind: protocols.AddressNone,
			Text: "test", Known: true, Description: "Power Up", Category: protocols.CategoryTamper,
		}},
	},
	{name: "empty", source: "§3.14 F: [] in a SIA-DCS frame", input: ""},
	{name: "account_only", input: "#1234", wantAccount: "1234"},
	{name: "empty_blocks", input: "#1234||", wantAccount: "1234"},

	// Sur-Gard automation records (protocols.md §4.4).
	{
		name: "surgard_time_user_two_events", source: "§4.4 SG manual example",
		input: "#1234|Nda04-22-94ti16:02:15/id22/CL/PA31", wantAccount: "1234",
		want: []protocols.Event{
			{
				Format: "SIA", Account: "1234", Code: "CL", Qualifier: qNew, AddressKind: protocols.AddressUser,
				User: "22", Known: true, Description: "Closing Report", Category: protocols.CategoryOpenClose,
				PanelTime: surGardTime, Modifiers: surGardMods,
			},
			{
				Format: "SIA", Account: "1234", Code: "PA", Qualifier: qNew, Address: "31",
				AddressKind: protocols.AddressZone, Zone: "31", User: "22", Known: true, Description: "Panic Alarm",
				Category: protocols.CategoryHoldUp, PanelTime: surGardTime, Modifiers: surGardMods,
			},
		},
	},
	{
		name: "surgard_internal_network", source: "§4.4 System 5 internal event",
		input: "#0000|NNT*IP.IP.IP.IP*", wantAccount: "0000",
		want: []protocols.Event{{
			Format: "SIA", Account: "0000", Code: "NT", Qualifier: qNew, AddressKind: protocols.AddressDevice,
			Text: "IP.IP.IP.IP", Known: true, Description: "Network Failure", Category: protocols.CategoryTrouble,
		}},
	},
	{
		name: "surgard_invalid_report", source: "§4.4 DRL5-IP",
		input: "#AAAAAA|NYN*192.158.8.34*", wantAccount: "AAAAAA",
		want: []protocols.Event{{
			Format: "SIA", Account: "AAAAAA", Code: "YN", Qualifier: qNew, AddressKind: protocols.AddressNone,
			Text: "192.158.8.34", Known: true, Description: "Invalid Report", Category: protocols.CategoryTrouble,
		}},
	},

	// Pitfalls of protocols.md §2.2.
	{
		name: "no_slash_after_modifier", source: "§2.2: Nri1BA012 = Nri1/BA012",
		input: "#1234|Nri1BA012", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "012",
			AddressKind: protocols.AddressZone, Zone: "012", Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary, Modifiers: ri1,
		}},
	},
	{
		name: "code_starting_with_N", source: "§2.2: NNL2 is NL area 2",
		input: "NNL2",
		want: []protocols.Event{{
			Format: "SIA", Code: "NL", Qualifier: qNew, Partition: "2", Address: "2",
			AddressKind: protocols.AddressArea, Known: true, Description: "Perimeter Armed",
			Category: protocols.CategoryOpenClose,
		}},
	},
	{
		name: "missing_N", source: "§2.2: NL2 without its N",
		input: "#1234|NL2", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "NL", Qualifier: qNew, Partition: "2", Address: "2",
			AddressKind: protocols.AddressArea, Known: true, Description: "Perimeter Armed",
			Category: protocols.CategoryOpenClose,
		}},
	},
	{
		name: "missing_N_zone_padding", source: "§2.2: RP0000 kept as sent",
		input: "#1234|RP0000", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "RP", Qualifier: qNew, Address: "0000",
			AddressKind: protocols.AddressNone, Known: true, Description: "Automatic Test",
			Category: protocols.CategoryTest,
		}},
	},
	{
		name: "comma_for_slash", source: "§2.2: Sur-Gard System III option",
		input: "#1234|Nri1,BA012,BA013", wantAccount: "1234",
		want: []protocols.Event{
			{
				Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "012",
				AddressKind: protocols.AddressZone, Zone: "012", Known: true, Description: "Burglary Alarm",
				Category: protocols.CategoryBurglary, Modifiers: ri1,
			},
			{
				Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "013",
				AddressKind: protocols.AddressZone, Zone: "013", Known: true, Description: "Burglary Alarm",
				Category: protocols.CategoryBurglary, Modifiers: ri1,
			},
		},
	},
	{
		name: "two_blocks", source: "§2.2: | separates blocks; modifiers end with their block",
		input: "#1234|Nri1/BA01|NBA02", wantAccount: "1234",
		want: []protocols.Event{
			{
				Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "01",
				AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm",
				Category: protocols.CategoryBurglary, Modifiers: ri1,
			},
			{
				Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Address: "02",
				AddressKind: protocols.AddressZone, Zone: "02", Known: true, Description: "Burglary Alarm",
				Category: protocols.CategoryBurglary,
			},
		},
	},
	{
		name: "modifier_replaced", source: "a later ri applies to the events after it",
		input: "#1234|Nri1/BA01/ri2/BH01", wantAccount: "1234",
		want: []protocols.Event{
			{
				Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "01",
				AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm",
				Category: protocols.CategoryBurglary, Modifiers: ri1,
			},
			{
				Format: "SIA", Account: "1234", Code: "BH", Qualifier: qRestore, Partition: "2", Address: "01",
				AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm Restore",
				Category: protocols.CategoryBurglary, Modifiers: ri2,
			},
		},
	},
	{
		name: "old_event", source: "§2.1 function O: kept New/Restore from the code",
		input: "#1234|Ori1/FH003", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "FH", Qualifier: qRestore, Partition: "1", Address: "003",
			AddressKind: protocols.AddressZone, Zone: "003", Known: true, Description: "Fire Alarm Restore",
			Category: protocols.CategoryFire, Modifiers: ri1,
		}},
	},
	{
		name: "listen_in_block", source: "§2.2 Sur-Gard doc [#1234|Lri1BA01]",
		input: "#1234|Lri1BA01", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "01",
			AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary, Modifiers: ri1,
		}},
	},
	{
		name: "listen_in_time", source: "§2.2 Sur-Gard doc [#1234|Nri1BA01/L90]",
		input: "#1234|Nri1BA01/L90", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BA", Qualifier: qNew, Partition: "1", Address: "01",
			AddressKind: protocols.AddressZone, Zone: "01", Known: true, Description: "Burglary Alarm",
			Category: protocols.CategoryBurglary, Modifiers: ri1,
		}},
	},
	{
		name: "xsia_text", source: "§2.2, §3.13: Osborne-Hoffman *'text'NM",
		input: "#001991|Nri04/UR069*'HA Overloop'NM", wantAccount: "001991",
		want: []protocols.Event{{
			Format: "SIA", Account: "001991", Code: "UR", Qualifier: qRestore, Partition: "04", Address: "069",
			AddressKind: protocols.AddressZone, Zone: "069", Text: "HA Overloop", Known: true,
			Description: "Untyped Zone Restoral", Category: protocols.CategoryAlarm, Modifiers: mods("ri", "04"),
		}},
	},

	// SIA levels of Cooper/Eaton panels (protocols.md §2.2).
	{
		name: "sia_level2", source: "§2.2 SIA2 #AAAAAA|Nidnnn/rinn/CCcc",
		input: "#001234|Nid005/ri01/CL005", wantAccount: "001234",
		want: []protocols.Event{{
			Format: "SIA", Account: "001234", Code: "CL", Qualifier: qNew, Partition: "01", Address: "005",
			AddressKind: protocols.AddressUser, User: "005", Known: true, Description: "Closing Report",
			Category: protocols.CategoryOpenClose, Modifiers: mods("id", "005", "ri", "01"),
		}},
	},
	{
		name: "sia_level3_extended", source: "§2.2 extended SIA3: /AText in the block",
		input: "#001234|Nti10:23/id005/ri01/BA012/AFront door", wantAccount: "001234",
		want: []protocols.Event{{
			Format: "SIA", Account: "001234", Code: "BA", Qualifier: qNew, Partition: "01", Address: "012",
			AddressKind: protocols.AddressZone, Zone: "012", User: "005", Text: "Front door", Known: true,
			Description: "Burglary Alarm", Category: protocols.CategoryBurglary, Modifiers: level3Mods,
		}},
	},
	{
		name: "sia_level3_v2", source: "§2.2 extended SIA3 V2: |AText",
		input: "#001234|Nti10:23/id005/ri01/BA012|AFront door", wantAccount: "001234",
		want: []protocols.Event{{
			Format: "SIA", Account: "001234", Code: "BA", Qualifier: qNew, Partition: "01", Address: "012",
			AddressKind: protocols.AddressZone, Zone: "012", User: "005", Text: "Front door", Known: true,
			Description: "Burglary Alarm", Category: protocols.CategoryBurglary, Modifiers: level3Mods,
		}},
	},
	{
		name: "text_only", source: "§2.2 #000010|AFire Zone 2 sent on its own: no event",
		input: "#000010|AFire Zone 2", wantAccount: "000010",
	},
	{
		name: "first_block_A_is_event", source: "an AR block without its N",
		input: "#1234|AR", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "AR", Qualifier: qRestore, AddressKind: protocols.AddressNone,
			Known: true, Description: "AC Restoral", Category: protocols.CategoryTrouble,
		}},
	},
	{
		name: "date_and_time", source: "ti before da, hh:mm, da MM-DD-YY",
		input: "#1234|Nti07:05/da02-29-24/FA001", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "FA", Qualifier: qNew, Address: "001",
			AddressKind: protocols.AddressZone, Zone: "001", Known: true, Description: "Fire Alarm",
			Category:  protocols.CategoryFire,
			PanelTime: time.Date(2024, time.February, 29, 7, 5, 0, 0, time.UTC),
			Modifiers: mods("ti", "07:05", "da", "02-29-24"),
		}},
	},
	{
		name: "invalid_date", source: "an impossible date is no error: zero PanelTime",
		input: "#1234|Nda02-30-23ti07:05/FA001", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "FA", Qualifier: qNew, Address: "001",
			AddressKind: protocols.AddressZone, Zone: "001", Known: true, Description: "Fire Alarm",
			Category: protocols.CategoryFire, Modifiers: mods("da", "02-30-23", "ti", "07:05"),
		}},
	},
	{
		name: "other_modifiers", source: "§2.2: pi ai ph va and an unknown xy kept in order",
		input: "#1234|Npi010/ai3/ph5551234/va1440/xy7/YX", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "YX", Qualifier: qNew, AddressKind: protocols.AddressNone,
			Known: true, Description: "Service Required", Category: protocols.CategoryTrouble,
			Modifiers: mods("pi", "010", "ai", "3", "ph", "5551234", "va", "1440", "xy", "7"),
		}},
	},

	// Unknown and vendor codes (protocols.md §2.4, §3.8).
	{
		name: "unknown_code", source: "§3.8: an unknown code is accepted",
		input: "#1234|Nri1/QQ12", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "QQ", Qualifier: qNew, Partition: "1", Address: "12",
			AddressKind: protocols.AddressZone, Zone: "12", Modifiers: ri1,
		}},
	},
	{
		name: "ajax_PE", source: "§3.8: home-assistant/core #88474, Ajax code PE",
		input: "#1234|Nri1/PE", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "PE", Qualifier: qNew, Partition: "1",
			AddressKind: protocols.AddressNone, Known: true, Description: "Photo by Scenario Enabled",
			Category: protocols.CategoryInfo, Modifiers: ri1,
		}},
	},
	{
		name: "galaxy_intruder_high", source: "§2.4 Galaxy BF",
		input: "#1234|Nri1/BF1001", wantAccount: "1234",
		want: []protocols.Event{{
			Format: "SIA", Account: "1234", Code: "BF", Qualifier: qNew, Partition: "1", Address: "1001",
			AddressKind: protocols.AddressZone, Zone: "1001", Known: true, Description: "Intruder High",
			Category: protocols.CategoryBurglary, Modifiers: ri1,
		}},
	},

	// Malformed data.
	{name: "bad_byte", input: "#1234|N%", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "account_not_hex", input: "#12G4|NBA1", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "account_17_chars", input: "#12345678901234567|NBA1", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "garbage_after_address", input: "#1234|Nri1/BA01x", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "one_letter_modifier", input: "#1234|Nr1/BA01", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "one_letter_code", input: "#1234|Nri1/B", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "unterminated_caret", input: "#1234|NBA01^open", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "unterminated_quote", input: "#1234|NBA01*'open", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "bosch_xsia_digits", source: "§2.2 D6600 [#1234|6011100*'THISISATEST'12]: not DC-03 event data", input: "#1234|6011100*'THISISATEST'12", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "contact_id_data", source: "ADM-CID data sent as SIA-DCS", input: "#1234|1131 01 015", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "listen_in_garbage", input: "#1234|NBA01/L90x", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
	{name: "too_many_modifiers", input: "#1234|Naa1bb1cc1dd1ee1ff1gg1hh1ii1jj1kk1ll1mm1nn1oo1pp1qq1/BA1", wantErr: ErrSyntax, wantReason: protocols.ReasonSyntax},
}

// blockCases are the DC-03 blocks of protocols.md §2.1.
var blockCases = []struct {
	name  string
	block Block
	bytes []byte
}{
	{"receiver_ack", Block{Function: FunctionAcknowledge, AckRequest: true}, []byte{0x40, 0x38, 0x87}},
	{"receiver_reject", Block{Function: FunctionReject, AckRequest: true}, []byte{0x40, 0x39, 0x86}},
	{"account", Block{Function: FunctionAccount, Data: []byte("1234"), AckRequest: true}, []byte{0x44, 0x23, 0x31, 0x32, 0x33, 0x34, 0x9C}},
	{"new_event", Block{Function: FunctionNewEvent, Data: []byte("ri1/BA01"), AckRequest: true}, []byte{0x48, 0x4E, 0x72, 0x69, 0x31, 0x2F, 0x42, 0x41, 0x30, 0x31, 0xFE}},
	{"end_of_data", Block{Function: FunctionEndOfData, AckRequest: true}, []byte{0x40, 0x30, 0x8F}},
}
