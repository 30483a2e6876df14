package dc09

import (
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// The case catalogue: every vector of protocols.md §3.5, §3.8, §3.10, §3.13
// and §3.14, and our own frames for the rest. Frames and replies we built
// ourselves were computed by an independent script (CRC-16/ARC, AES-CBC with
// a zero IV from Python's cryptography package; for the no_line rows, CRC and
// length in Python and the ciphertext from `openssl enc -aes-128-cbc -iv 0…
// -nopad`), not by this package. The
// table drives the decode, reply, parse, split and golden tests and seeds
// the fuzzers.

// crcCase is one row of the §3.5 CRC table.
type crcCase struct {
	input string
	arc   uint16 // CRC-16/ARC, the DC-09 CRC
	ccitt uint16 // CRC-16/XMODEM: must never match
}

var crcCases = []crcCase{
	{"123456789", 0xBB3D, 0x31C3},
	{`"NULL"0000L0#1234[]`, 0x1EF2, 0xECCF},
	{`"ACK"0001L0#7099[]`, 0xA62A, 0xFF3B},
	{`"SIA-DCS"0001L0#1234[#1234|NBA01]`, 0x0630, 0x85B3},
	{`"ADM-CID"0001L0#1234[#1234|1131 01 015]`, 0x2EB4, 0xD5D9},
	{`"NAK"0000R0L0A0[]_16:09:09,04-14-2015`, 0x3C83, 0xEC18},
}

// accepted is the expected reason of a frame Decode accepts.
const accepted = protocols.ReasonUnknown

// testKey gives an account a key for a case.
type testKey struct {
	account, value, format string
}

// Keys used across the table.
const (
	hexKey128   = "000102030405060708090A0B0C0D0E0F" // §3.10 worked example
	hexKey192   = "000102030405060708090A0B0C0D0E0F1011121314151617"
	hexKey256   = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
	asciiKeyHA  = "AAAAAAAAAAAAAAAA" // §3.14 C, pysiaalarm/Home Assistant convention
	asciiKey192 = "Secret-Panel-Key-24bytes"
	asciiKey256 = "0123456789abcdefghijklmnopqrstuv"
)

// wantEvent is the part of a protocols.Event the table asserts.
type wantEvent struct {
	format, account, code string
	qualifier             protocols.Qualifier
	partition, zone, user string
	text                  string
	known                 bool
}

// wantMsg is what Decode's Message (header fields always; the rest when the
// frame is accepted) and Parse's Frame must hold.
type wantMsg struct {
	kind, account, receiver, line, seq string
	hasReceiver                        bool
	noLine                             bool // the header has no L; line is then Message.Line, "0"
	encrypted                          bool
	ts                                 time.Time // zero: no timestamp
	devs                               []protocols.Reason
	data                               string
	xdata                              []XData
	events                             []wantEvent
}

// frameCase is one frame with everything expected of it.
type frameCase struct {
	name   string
	source string
	raw    string
	keys   []testKey
	now    time.Time // receiver clock; zero means defaultNow
	window *Window   // nil means DefaultWindow

	reason protocols.Reason // Decode's reason; accepted for none
	noMsg  bool             // Decode returns no Message (the header cannot be echoed)
	msg    wantMsg
	reply  string // Reply's exact bytes; "" for silence

	parseReason protocols.Reason // Parse with the account's key; accepted for none
	noSplit     bool             // Split cannot find the frame (wrong length and wrong CRC)
}

// defaultNow is the receiver clock of the cases that do not set one: one
// second after the worked examples' 12:00:00.
var defaultNow = time.Date(2024, 1, 1, 12, 0, 1, 0, time.UTC)

// testPad is Options.Pad in the table: the §3.10 worked example's pad.
func testPad(n int) []byte { return []byte("Qw3Er5Ty7UQw3Er5"[:n]) }

func at(year int, month time.Month, day, h, m, s int) time.Time {
	return time.Date(year, month, day, h, m, s, 0, time.UTC)
}

var (
	noon2024   = at(2024, 1, 1, 12, 0, 0)
	t2025      = at(2025, 3, 15, 10, 0, 0)
	now2025    = at(2025, 3, 15, 10, 0, 2)
	applyPlain = &Window{Ahead: 20 * time.Second, Behind: 40 * time.Second, ApplyToPlain: true}
	worked     = "\nA6570076\"*SIA-DCS\"0001L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC5AD3BC6C5CBFB1E17C6967FAB08CA6ACA4D09C7547DFC1D96803FB19559DB77D\r"
	workedKey  = []testKey{{"1234", hexKey128, "hex"}}
	workedMsg  = wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true, ts: noon2024,
		data: "#1234|NBA01", events: []wantEvent{siaEv("1234", "BA", "", "01", "")}}
	nak120005 = "\nEEF50025\"NAK\"0000R0L0A0[]_12:00:05,01-01-2024\r"
	nak120001 = "\n21040025\"NAK\"0000R0L0A0[]_12:00:01,01-01-2024\r"
	nak100002 = "\n79680025\"NAK\"0000R0L0A0[]_10:00:02,03-15-2025\r"
	xm        = XData{ID: 'M', Value: []byte("0026B9E4268B")}
	xlon      = XData{ID: 'X', Value: []byte("006E07.7777777")}
	xlat      = XData{ID: 'Y', Value: []byte("49N06.6666666")}
	x115      = XData{ID: 'X', Value: []byte("115000")}
)

// siaEv and cidEv build expected events: SIA codes with qualifier new unless
// they are restores, Contact ID with the qualifier digit's meaning.
func siaEv(account, code, partition, zone, user string) wantEvent {
	return wantEvent{format: protocols.FormatSIA, account: account, code: code, qualifier: protocols.QualifierNew,
		partition: partition, zone: zone, user: user, known: true}
}

func cidEv(account, code string, q protocols.Qualifier, partition, zone, user string) wantEvent {
	return wantEvent{format: protocols.FormatContactID, account: account, code: code, qualifier: q,
		partition: partition, zone: zone, user: user, known: true}
}

func (e wantEvent) withText(t string) wantEvent { e.text = t; return e }
func (e wantEvent) unknown() wantEvent          { e.known = false; return e }
func (e wantEvent) restore() wantEvent          { e.qualifier = protocols.QualifierRestore; return e }

const (
	qNew     = protocols.QualifierNew
	qRestore = protocols.QualifierRestore
)

var frameCases = []frameCase{
	// §3.8 worked examples.
	{
		name: "worked_event", source: "§3.8 worked example: event",
		raw: "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", ts: noon2024, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n1BC10012\"ACK\"0001L0#1234[]\r",
	},
	{
		name: "worked_ack_at_receiver", source: "§3.8 worked example: the ACK, sent to a receiver",
		raw:    "\n1BC10012\"ACK\"0001L0#1234[]\r",
		reason: protocols.ReasonToken,
		msg:    wantMsg{kind: "ACK", account: "1234", line: "0", seq: "0001"},
		reply:  "\n251F0012\"DUH\"0001L0#1234[]\r", // the worked DUH
	},
	{
		name: "worked_duh_at_receiver", source: "§3.8 worked example: DUH, sent to a receiver (never answered: no DUH loop)",
		raw:    "\n251F0012\"DUH\"0001L0#1234[]\r",
		reason: protocols.ReasonToken,
		msg:    wantMsg{kind: "DUH", account: "1234", line: "0", seq: "0001"},
	},
	{
		name: "worked_nak_at_receiver", source: "§3.8 worked example: NAK with receiver time (A0 cannot be echoed)",
		raw:    nak120005,
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "NAK", account: "0", receiver: "0", hasReceiver: true, line: "0", seq: "0000",
			ts: at(2024, 1, 1, 12, 0, 5)},
	},
	{
		name: "worked_adm_cid", source: "§3.8 worked example: ADM-CID",
		raw: "\n38AF003D\"ADM-CID\"0002R1L1#1234[#1234|1131 01 015]_12:00:00,01-01-2024\r",
		msg: wantMsg{kind: "ADM-CID", account: "1234", receiver: "1", hasReceiver: true, line: "1", seq: "0002", ts: noon2024,
			data: "#1234|1131 01 015", events: []wantEvent{cidEv("1234", "131", qNew, "01", "015", "")}},
		reply: "\nD6730014\"ACK\"0002R1L1#1234[]\r",
	},
	{
		name: "worked_null", source: "§3.8 worked example: NULL",
		raw:   "\n4C650027\"NULL\"0003L0#1234[]_12:00:00,01-01-2024\r",
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0003", ts: noon2024},
		reply: "\nD1600012\"ACK\"0003L0#1234[]\r",
	},

	{
		name: "nak_hash_account_at_receiver", source: "our frame: a NAK with a #acct, sent to a receiver (never answered)",
		raw:    "\n3CC90028\"NAK\"0000R0L0#1234[]_12:00:00,01-01-2024\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "NAK", account: "1234", receiver: "0", hasReceiver: true, line: "0", seq: "0000",
			ts: noon2024},
	},

	// §3.14 A: swissdotnet ParsingStandardTest.
	{
		name: "a1_ack", source: "§3.14 A1 (lower-case e in the length)",
		raw:    "\n2729002e\"ACK\"0001L0#080027E62A64[]_16:07:07,04-14-2015\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "ACK", account: "080027E62A64", line: "0", seq: "0001", ts: at(2015, 4, 14, 16, 7, 7),
			devs: []protocols.Reason{protocols.ReasonLowerHex}},
		reply: "\nDC27001A\"DUH\"0001L0#080027E62A64[]\r",
	},
	{
		name: "a2_ack_receiver", source: "§3.14 A2",
		raw:    "\n416A0036\"ACK\"0001R5678L1234#080027E62A64[]_16:07:53,04-14-2015\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "ACK", account: "080027E62A64", receiver: "5678", hasReceiver: true, line: "1234", seq: "0001",
			ts: at(2015, 4, 14, 16, 7, 53)},
		reply: "\nA0C70022\"DUH\"0001R5678L1234#080027E62A64[]\r",
	},
	{
		name: "a3_nak", source: "§3.14 A3",
		raw:    "\n3C830025\"NAK\"0000R0L0A0[]_16:09:09,04-14-2015\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "NAK", account: "0", receiver: "0", hasReceiver: true, line: "0", seq: "0000",
			ts: at(2015, 4, 14, 16, 9, 9)},
	},
	{
		name: "a4_null_receiver", source: "§3.14 A4",
		raw: "\nC26E0038\"NULL\"0000RC0FFDL1234#080027E62A64[]_13:40:27,06-22-2015\r",
		now: at(2015, 6, 22, 13, 40, 28),
		msg: wantMsg{kind: "NULL", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0000",
			ts: at(2015, 6, 22, 13, 40, 27)},
		reply: "\n77B70023\"ACK\"0000RC0FFDL1234#080027E62A64[]\r",
	},
	{
		name: "a5_null_no_timestamp", source: "§3.14 A5",
		raw:   "\n596E0024\"NULL\"0000RC0FFDL1234#080027E62A64[]\r",
		msg:   wantMsg{kind: "NULL", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0000"},
		reply: "\n77B70023\"ACK\"0000RC0FFDL1234#080027E62A64[]\r",
	},
	{
		name: "a6_null", source: "§3.14 A6",
		raw:   "\n1D85002B\"NULL\"0001L0#00653210[]_09:17:32,05-18-2016\r",
		msg:   wantMsg{kind: "NULL", account: "00653210", line: "0", seq: "0001", ts: at(2016, 5, 18, 9, 17, 32)},
		reply: "\n7AFD0016\"ACK\"0001L0#00653210[]\r",
	},
	{
		name: "a7_adm_cid", source: "§3.14 A7: CID 628 program mode exit",
		raw: "\nB0AC0027\"ADM-CID\"0001L0#7099[#7099|1628 01 000]\r",
		msg: wantMsg{kind: "ADM-CID", account: "7099", line: "0", seq: "0001", data: "#7099|1628 01 000",
			events: []wantEvent{cidEv("7099", "628", qNew, "01", "000", "")}},
		reply: "\nA62A0012\"ACK\"0001L0#7099[]\r",
	},
	{
		name: "a8_xdata", source: "§3.14 A8: three X blocks, lower-case b in the length",
		raw: "\n7C37006b\"SIA-DCS\"0000RC0FFDL1234#080027E62A64[#080027E62A64|NHB0003][X115000][X115000][X115000]_13:53:11,06-22-2015\r",
		msg: wantMsg{kind: "SIA-DCS", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0000",
			ts: at(2015, 6, 22, 13, 53, 11), devs: []protocols.Reason{protocols.ReasonLowerHex},
			data: "#080027E62A64|NHB0003", xdata: []XData{x115, x115, x115},
			events: []wantEvent{siaEv("080027E62A64", "HB", "", "0003", "")}},
		reply: "\n77B70023\"ACK\"0000RC0FFDL1234#080027E62A64[]\r",
	},
	{
		name: "a9_unknown_xdata", source: "§3.14 A9: unknown extended data E kept",
		raw: "\n9B6D0059\"SIA-DCS\"0000RC0FFDL1234#080027E62A64[#080027E62A64|NHB0003][E115000]_14:25:17,06-22-2015\r",
		msg: wantMsg{kind: "SIA-DCS", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0000",
			ts: at(2015, 6, 22, 14, 25, 17), data: "#080027E62A64|NHB0003", xdata: []XData{{ID: 'E', Value: []byte("115000")}},
			events: []wantEvent{siaEv("080027E62A64", "HB", "", "0003", "")}},
		reply: "\n77B70023\"ACK\"0000RC0FFDL1234#080027E62A64[]\r",
	},
	{
		name: "key_change_plain", source: "our frame: a key-change block [K…] in clear, then a text block",
		raw: "\nD8620065\"SIA-DCS\"0042L0#1234[#1234|NBA01][K00112233445566778899AABBCCDDEEFF][Ikey change]_12:00:00,01-01-2024\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0042", ts: noon2024, data: "#1234|NBA01",
			xdata:  []XData{{ID: 'K', Value: []byte("00112233445566778899AABBCCDDEEFF")}, {ID: 'I', Value: []byte("key change")}},
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n24240012\"ACK\"0042L0#1234[]\r",
	},
	{
		name: "a10_text", source: "§3.14 A10: ^text^, lower-case a in the CRC",
		raw: "\n953a004c\"SIA-DCS\"0001L0#7878[#7878|Nri01^TOTAL^/LX901^centrale d'alarme JA-106K(R)^]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "7878", line: "0", seq: "0001", devs: []protocols.Reason{protocols.ReasonLowerHex},
			data:   "#7878|Nri01^TOTAL^/LX901^centrale d'alarme JA-106K(R)^",
			events: []wantEvent{siaEv("7878", "LX", "01", "", "").withText("TOTAL centrale d'alarme JA-106K(R)")}},
		reply: "\n4F980012\"ACK\"0001L0#7878[]\r",
	},
	{
		name: "a11_rsp", source: "§3.14 A11: RSP sent to a receiver",
		raw:    "\nFE8F0055\"RSP\"0045RC0FFDL1234#080027E62A64[#080027E62A64|NHB0003][X115000]_15:15:25,06-22-2015\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "RSP", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0045",
			ts: at(2015, 6, 22, 15, 15, 25), data: "#080027E62A64|NHB0003", xdata: []XData{x115}},
		reply: "\n14140023\"DUH\"0045RC0FFDL1234#080027E62A64[]\r",
	},
	{
		name: "a12_duh", source: "§3.14 A12: DUH sent to a receiver",
		raw:    "\n682E0037\"DUH\"0045RC0FFDL1234#080027E62A64[]_15:56:54,06-22-2015\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "DUH", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0045",
			ts: at(2015, 6, 22, 15, 56, 54)},
	},

	// §3.14 C: the ASCII key convention.
	{
		name: "c1_encrypted_null_ppp_pad", source: "§3.14 C1: pad without '|'",
		raw:  "\n76D80055\"*NULL\"0000R0L0#AAAB[B4BC8B40D0E6D959D6BEA78E88CC0B2155741A3C44FBB96D476A3E557CAD64D9\r",
		keys: []testKey{{"AAAB", asciiKeyHA, "ascii"}},
		now:  at(2020, 7, 5, 18, 24, 55),
		msg: wantMsg{kind: "NULL", account: "AAAB", receiver: "0", hasReceiver: true, line: "0", seq: "0000", encrypted: true,
			ts: at(2020, 7, 5, 18, 24, 52)},
		reply: "\n03320054\"*ACK\"0000R0L0#AAAB[44D988BA015F5AA19E1987D3293BEE161C87547DE3B56F32609128F9476F800C\r",
	},
	{
		name: "c2_encrypted_sia_zero_pad", source: "§3.14 C2: zero pad, data without #acct|, −8 s",
		raw:  "\n05BB0076\"*SIA-DCS\"7654L0#1111[C07DA1EB73C617857476EE5D79436CEE5E0084485E79EC56B0D5D1F3F6E648B278050BBCCBC8FE5DCA7E3C80DBDD4945\r",
		keys: []testKey{{"1111", asciiKeyHA, "ascii"}},
		now:  at(2020, 7, 9, 16, 4, 10),
		msg: wantMsg{kind: "SIA-DCS", account: "1111", line: "0", seq: "7654", encrypted: true, ts: at(2020, 7, 9, 16, 4, 2),
			data: "Nri1/WA000", events: []wantEvent{siaEv("1111", "WA", "1", "000", "")}},
		reply: "\nCC6A0052\"*ACK\"7654L0#1111[DE2D65F58D803B0360F8240FCDB9D65088D48E8F00F2F210BDD6E6C7C3312B42\r",
	},

	// §3.14 D: pysiaalarm plain vectors. Wrong length, right CRC: accepted.
	{
		name: "d1_wrong_length", source: "§3.14 D: length 0078 for 0033",
		raw: "\n97F90078\"SIA-DCS\"6002L0#AAA[|Nri2/JC12]_12:58:23,09-15-2021\r",
		now: at(2021, 9, 15, 12, 58, 24),
		msg: wantMsg{kind: "SIA-DCS", account: "AAA", line: "0", seq: "6002", ts: at(2021, 9, 15, 12, 58, 23),
			devs: []protocols.Reason{protocols.ReasonLength}, data: "|Nri2/JC12",
			events: []wantEvent{siaEv("AAA", "JC", "2", "", "").restore()}},
		reply: "\n9F330011\"ACK\"6002L0#AAA[]\r",
	},
	{
		name: "d2_wrong_length_xdata", source: "§3.14 D: length 0078 for 0043",
		raw: "\n87570078\"SIA-DCS\"6002L0#AAA[|Nri1/CL501][M0026B9E4268B]_14:12:04,09-25-2019\r",
		msg: wantMsg{kind: "SIA-DCS", account: "AAA", line: "0", seq: "6002", ts: at(2019, 9, 25, 14, 12, 4),
			devs: []protocols.Reason{protocols.ReasonLength}, data: "|Nri1/CL501", xdata: []XData{xm},
			events: []wantEvent{siaEv("AAA", "CL", "1", "", "501")}},
		reply: "\n9F330011\"ACK\"6002L0#AAA[]\r",
	},
	{
		name: "d3_wrong_length_xy", source: "§3.14 D: length 0059 for 005B",
		raw: "\n5B090059\"SIA-DCS\"0004L0#1111[#1111|Nri1/PA501][X006E07.7777777][Y49N06.6666666]_20:45:46,04-22-2021\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1111", line: "0", seq: "0004", ts: at(2021, 4, 22, 20, 45, 46),
			devs: []protocols.Reason{protocols.ReasonLength}, data: "#1111|Nri1/PA501", xdata: []XData{xlon, xlat},
			events: []wantEvent{siaEv("1111", "PA", "1", "501", "")}},
		reply: "\nB2840012\"ACK\"0004L0#1111[]\r",
	},
	{
		name: "d4_wrong_length", source: "§3.14 D: length 0078 for 0034",
		raw: "\nE5D50078\"SIA-DCS\"6002L0#AAA[|Nri1/CL501]_14:12:04,09-25-2019\r",
		msg: wantMsg{kind: "SIA-DCS", account: "AAA", line: "0", seq: "6002", ts: at(2019, 9, 25, 14, 12, 4),
			devs: []protocols.Reason{protocols.ReasonLength}, data: "|Nri1/CL501",
			events: []wantEvent{siaEv("AAA", "CL", "1", "", "501")}},
		reply: "\n9F330011\"ACK\"6002L0#AAA[]\r",
	},
	{
		name: "d5_wrong_length_adm_cid", source: "§3.14 D: length 0047 for 002F",
		raw: "\n57150047\"ADM-CID\"0247R4F39L4F39#4F39[#4F39|3401 01 057]\r",
		msg: wantMsg{kind: "ADM-CID", account: "4F39", receiver: "4F39", hasReceiver: true, line: "4F39", seq: "0247",
			devs: []protocols.Reason{protocols.ReasonLength}, data: "#4F39|3401 01 057",
			events: []wantEvent{cidEv("4F39", "401", qRestore, "01", "", "057")}},
		reply: "\n2081001A\"ACK\"0247R4F39L4F39#4F39[]\r",
	},
	// Bad CRC (and wrong length): rejected, never answered, not framed.
	{
		name: "d6_bad_crc", source: "§3.14 D: CRC 9618, real B7C9",
		raw:    "\n9618004D\"SIA-DCS\"7960L0#123456[#123456|Nri1CL0^VX FRONTE ^]_22:40:48,04-11-2021\r",
		reason: protocols.ReasonCRC, noMsg: true, parseReason: protocols.ReasonCRC, noSplit: true,
	},
	{
		name: "d7_bad_crc", source: "§3.14 D: CRC C416, real E9A4",
		raw:    "\nC4160279\"SIA-DCS\"5268L0#AAA[Nri1/WA000]_08:40:47,07-08-2020\r",
		reason: protocols.ReasonCRC, noMsg: true, parseReason: protocols.ReasonCRC, noSplit: true,
	},
	{
		name: "d8_bad_crc", source: "§3.14 D: CRC 9082, real 39D5, no #acct in the header",
		raw:    "\n90820051\"SIA-DCS\"4738R0001L0001[#006969|Nri04/OP001NM]\r",
		reason: protocols.ReasonCRC, noMsg: true, parseReason: protocols.ReasonCRC, noSplit: true,
	},

	// §3.14 F: fioletoven/dc09.
	{
		name: "f1_text_block", source: "§3.14 F: |A text block",
		raw: "\nF4D20029\"SIA-DCS\"0001RF3L77#1234[#1234|NRR|Atest]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", receiver: "F3", hasReceiver: true, line: "77", seq: "0001",
			data: "#1234|NRR|Atest", events: []wantEvent{siaEv("1234", "RR", "", "", "").withText("test")}},
		reply: "\n61DB0016\"ACK\"0001RF3L77#1234[]\r",
	},
	{
		name: "f2_empty_sia_dcs", source: "§3.14 F: SIA-DCS with [] (no events)",
		raw:   "\n96ED0016\"SIA-DCS\"0001L0#1234[]\r",
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001"},
		reply: "\n1BC10012\"ACK\"0001L0#1234[]\r",
	},
	{
		name: "f3_nak", source: "§3.14 F: NAK sent to a receiver",
		raw:    "\nE4410025\"NAK\"0000R0L0A0[]_16:20:01,09-24-2025\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "NAK", account: "0", receiver: "0", hasReceiver: true, line: "0", seq: "0000",
			ts: at(2025, 9, 24, 16, 20, 1)},
	},

	// §3.10 AES worked example and its variations.
	{
		name: "aes_worked", source: "§3.10 worked example: AES-128, ACK with pad Qw3Er5Ty7U",
		raw: worked, keys: workedKey, msg: workedMsg,
		reply: "\n5F600052\"*ACK\"0001L0#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "aes_no_key", source: "§3.10 worked frame, no key for the account",
		raw: worked, now: at(2024, 1, 1, 12, 0, 5),
		reason: protocols.ReasonNoKey, parseReason: protocols.ReasonNoKey,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true},
		reply: nak120005,
	},
	{
		name: "aes_other_account_key", source: "§3.10 worked frame, a key for another account only",
		raw: worked, keys: []testKey{{"4321", hexKey128, "hex"}},
		reason: protocols.ReasonNoKey, parseReason: protocols.ReasonNoKey,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true},
		reply: nak120001,
	},
	{
		name: "aes_wrong_key", source: "§3.10 worked frame, AES-128 key of other bytes",
		raw: worked, keys: []testKey{{"1234", "0F0E0D0C0B0A09080706050403020100", "hex"}},
		reason: protocols.ReasonDecrypt, parseReason: protocols.ReasonDecrypt,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true},
		reply: nak120001,
	},
	{
		name: "aes_wrong_key_size", source: "§3.10 worked frame, an AES-256 key",
		raw: worked, keys: []testKey{{"1234", hexKey256, "hex"}},
		reason: protocols.ReasonDecrypt, parseReason: protocols.ReasonDecrypt,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true},
		reply: nak120001,
	},
	{
		name: "aes_lower_case_ciphertext", source: "§3.10 worked plaintext, ciphertext in lower case",
		raw:  "\nEE910076\"*SIA-DCS\"0001L0#1234[fd5cac75cbf7bd3e2c2ea18adf35e5fc5ad3bc6c5cbfb1e17c6967fab08ca6aca4d09c7547dfc1d96803fb19559db77d\r",
		keys: workedKey,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true, ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonLowerHex}, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n5F600052\"*ACK\"0001L0#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "aes_no_timestamp", source: "§3.9: encrypted frame without timestamp",
		raw:    "\n2EAD0036\"*SIA-DCS\"0020L0#1234[1F1080062691F415B64CEA94E081B320\r",
		keys:   workedKey,
		reason: protocols.ReasonTimestamp,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0020", encrypted: true,
			data: "#1234|NBA01"},
		reply: nak120001,
	},
	{
		name: "aes_odd_hex", source: "§3.10: ciphertext of 3 hex digits",
		raw: "\nD99D0019\"*SIA-DCS\"0021L0#1234[ABC\r", keys: workedKey,
		reason: protocols.ReasonDecrypt, parseReason: protocols.ReasonDecrypt,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0021", encrypted: true},
		reply: nak120001,
	},
	{
		name: "aes_not_hex", source: "§3.10: ciphertext that is not hex",
		raw: "\nA2560036\"*SIA-DCS\"0022L0#1234[ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\r", keys: workedKey,
		reason: protocols.ReasonDecrypt, parseReason: protocols.ReasonDecrypt,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0022", encrypted: true},
		reply: nak120001,
	},

	// §3.9 window, on the worked frame stamped 12:00:00: −40 s and +20 s
	// are inside, −41 s and +21 s outside.
	{
		name: "window_behind_40s", source: "§3.9: timestamp 40 s behind the receiver",
		raw: worked, keys: workedKey, now: at(2024, 1, 1, 12, 0, 40), msg: workedMsg,
		reply: "\n5BC10052\"*ACK\"0001L0#1234[64E412150CCD67CF7D20585D8ABAE343D54EA15F3019A779CCA203DB54C0ECB3\r",
	},
	{
		name: "window_behind_41s", source: "§3.9: timestamp 41 s behind the receiver",
		raw: worked, keys: workedKey, now: at(2024, 1, 1, 12, 0, 41),
		reason: protocols.ReasonTimestamp, msg: workedMsg,
		reply: "\nA50A0025\"NAK\"0000R0L0A0[]_12:00:41,01-01-2024\r",
	},
	{
		name: "window_ahead_20s", source: "§3.9: timestamp 20 s ahead of the receiver",
		raw: worked, keys: workedKey, now: at(2024, 1, 1, 11, 59, 40), msg: workedMsg,
		reply: "\n93460052\"*ACK\"0001L0#1234[1AD808397A1CE60B39CC088DEE9D652B0F8C4F740AB14526F0A4878522EAE64A\r",
	},
	{
		name: "window_ahead_21s", source: "§3.9: timestamp 21 s ahead of the receiver",
		raw: worked, keys: workedKey, now: at(2024, 1, 1, 11, 59, 39),
		reason: protocols.ReasonTimestamp, msg: workedMsg,
		reply: "\n2C1A0025\"NAK\"0000R0L0A0[]_11:59:39,01-01-2024\r",
	},
	{
		name: "window_plain_exempt", source: "§3.9: plain frame an hour old, default window",
		raw: "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r",
		now: at(2024, 1, 1, 13, 0, 0),
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", ts: noon2024, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n1BC10012\"ACK\"0001L0#1234[]\r",
	},
	{
		name: "window_plain_applied", source: "§3.9: plain frame an hour old, ApplyToPlain",
		raw: "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r",
		now: at(2024, 1, 1, 13, 0, 0), window: applyPlain,
		reason: protocols.ReasonTimestamp,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", ts: noon2024, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n1EA80025\"NAK\"0000R0L0A0[]_13:00:00,01-01-2024\r",
	},
	{
		name: "window_plain_applied_no_timestamp", source: "§3.9: ApplyToPlain, plain frame without timestamp",
		raw: "\n596E0024\"NULL\"0000RC0FFDL1234#080027E62A64[]\r", window: applyPlain,
		msg:   wantMsg{kind: "NULL", account: "080027E62A64", receiver: "C0FFD", hasReceiver: true, line: "1234", seq: "0000"},
		reply: "\n77B70023\"ACK\"0000RC0FFDL1234#080027E62A64[]\r",
	},

	// Encryption authenticates [DC-09 §3.10]: an account with a key must
	// encrypt, and its key speaks for it alone.
	{
		name: "plain_for_keyed_account", source: "§3.10: the worked event in clear for account 1234, which has a key",
		raw: "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r", keys: workedKey,
		reason: protocols.ReasonUnencrypted,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", ts: noon2024, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n251F0012\"DUH\"0001L0#1234[]\r", // the worked DUH
	},
	{
		name: "plain_poll_for_keyed_account", source: "§3.12: a plain NULL poll for account 1234, which has a key",
		raw: "\n1EF20013\"NULL\"0000L0#1234[]\r", keys: workedKey,
		reason: protocols.ReasonUnencrypted,
		msg:    wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0000"},
		reply:  "\nE04E0012\"DUH\"0000L0#1234[]\r",
	},
	{
		name: "encrypted_for_another_account", source: "§3.10: the worked frame's key and pad, the data naming account 2001 under header 1234",
		raw:  "\n55930076\"*SIA-DCS\"0002L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC2B0BA1863EDCC4F768E8F097CADF2D7F7A81FC35E983B79E5828226EBC72CC5F\r",
		keys: workedKey, reason: protocols.ReasonAccountMismatch,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0002", encrypted: true, ts: noon2024,
			data: "#2001|NBA01"},
		reply: nak120001,
	},

	// AES-192 and AES-256, hex and ASCII keys.
	{
		name: "aes192_hex_adm_cid", source: "our frame: AES-192 hex key, R and L",
		raw:  "\n7A4B0079\"*ADM-CID\"0042R12L3#5678[721730A30B4A2DCDB1658DBE9EF19B7F06685C8C50620AE89829670C8BCAD48E9F3D77BFE829B53F94BF497C806911E9\r",
		keys: []testKey{{"5678", hexKey192, "hex"}}, now: now2025,
		msg: wantMsg{kind: "ADM-CID", account: "5678", receiver: "12", hasReceiver: true, line: "3", seq: "0042", encrypted: true,
			ts: t2025, data: "#5678|1110 02 129", events: []wantEvent{cidEv("5678", "110", qNew, "02", "129", "")}},
		reply: "\n519B0055\"*ACK\"0042R12L3#5678[528F60D28DD9F23DF4947C07387EA427395D8EAE3184C1B3BFAD0D218D6F8025\r",
	},
	{
		name: "aes192_wrong_key", source: "our AES-192 frame, the key's bytes reversed",
		raw:  "\n7A4B0079\"*ADM-CID\"0042R12L3#5678[721730A30B4A2DCDB1658DBE9EF19B7F06685C8C50620AE89829670C8BCAD48E9F3D77BFE829B53F94BF497C806911E9\r",
		keys: []testKey{{"5678", "17161514131211100F0E0D0C0B0A09080706050403020100", "hex"}}, now: now2025,
		reason: protocols.ReasonDecrypt, parseReason: protocols.ReasonDecrypt,
		msg:   wantMsg{kind: "ADM-CID", account: "5678", receiver: "12", hasReceiver: true, line: "3", seq: "0042", encrypted: true},
		reply: nak100002,
	},
	{
		name: "aes192_ascii_null_xdata", source: "our frame: AES-192 ASCII key, encrypted NULL with extended data",
		raw:  "\n60930073\"*NULL\"0000L0#ABCD[C37A5EDD8E9E5E75CA16921034F8F22B189355B7DA4ED83EDCE58BA4951473F33D8B7C9B97014B2AF06451D7BFCC3875\r",
		keys: []testKey{{"ABCD", asciiKey192, "ascii"}}, now: now2025,
		msg: wantMsg{kind: "NULL", account: "ABCD", line: "0", seq: "0000", encrypted: true, ts: t2025,
			xdata: []XData{{ID: 'I', Value: []byte("Hello")}, xm}},
		reply: "\nEB220052\"*ACK\"0000L0#ABCD[456909000219B9303D632C23357F61761CAFE1777DD68584E5D9E90AA75E61AD\r",
	},
	{
		name: "aes256_hex_sia_xdata", source: "our frame: AES-256 hex key, extended data, 6-digit R and L",
		raw:  "\n0C9F00C4\"*SIA-DCS\"0101R579BDFL789ABC#12345A[1916B8A84F0160D7962026C286AA981CFFF7F609150F1FDB61763918026738CBB68417B68038914C2F3D0E00D2F3DF29E0155E8C6EAC7D6CD3B6F4CFDA41DEBA9CC2A193DCD8DC344EA02F2E20E577CC\r",
		keys: []testKey{{"12345A", hexKey256, "hex"}}, now: now2025,
		msg: wantMsg{kind: "SIA-DCS", account: "12345A", receiver: "579BDF", hasReceiver: true, line: "789ABC", seq: "0101",
			encrypted: true, ts: t2025, data: "#12345A|Nri3/PA001", xdata: []XData{xlon, xlat},
			events: []wantEvent{siaEv("12345A", "PA", "3", "001", "")}},
		reply: "\nCA160060\"*ACK\"0101R579BDFL789ABC#12345A[91CBF5387231B7134070285B31AD10D8098DA895195BA74EA2659C9E785EE8DF\r",
	},
	{
		name: "aes256_ascii_null_ppp_pad", source: "our frame: AES-256 ASCII key, ppp…] pad",
		raw:  "\nB6290075\"*NULL\"0000L0#ABCDEF[831B8018FD54308B7326B1FFA51C077B15B1AE139E72889EB6472BC995C2CC99869DDFDA5FF3893E4A45A6EAE2C91502\r",
		keys: []testKey{{"ABCDEF", asciiKey256, "ascii"}}, now: now2025,
		msg:   wantMsg{kind: "NULL", account: "ABCDEF", line: "0", seq: "0000", encrypted: true, ts: t2025},
		reply: "\n63500054\"*ACK\"0000L0#ABCDEF[A732010FEE9876FCB1BAF432B15E2EDC88C62F6C920B86FB01AC00E6254D9B52\r",
	},
	{
		name: "aes_key_change_null", source: "our frame: AES-128, a NULL with a key-change block [K…] inside the ciphertext",
		raw:  "\nEE2C0093\"*NULL\"0043L0#1234[0D7DC74F9F2DF705228EE11916E66B5B2EEB9EDF39DA599D74714BAF38D133D00D0AB719CD35313BC68209F3F20F42DB68AB740BA2E5418FBF27CDE7248C6E23\r",
		keys: workedKey,
		msg: wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0043", encrypted: true, ts: noon2024,
			xdata: []XData{{ID: 'K', Value: []byte("FFEEDDCCBBAA99887766554433221100")}}},
		reply: "\n88820052\"*ACK\"0043L0#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},

	// §3.13 deviations.
	{
		name: "binary_crc_null", source: "§3.13: binary CRC (pysiaalarm #52 K0029\"NULL\"… layout)",
		raw: "\n\xb7\x870029\"NULL\"0000R1L1#9413[]_18:45:07,01-30-2021\r",
		now: at(2021, 1, 30, 18, 45, 8),
		msg: wantMsg{kind: "NULL", account: "9413", receiver: "1", hasReceiver: true, line: "1", seq: "0000",
			ts: at(2021, 1, 30, 18, 45, 7), devs: []protocols.Reason{protocols.ReasonBinaryCRC}},
		reply: "\n \xb30014\"ACK\"0000R1L1#9413[]\r",
	},
	{
		name: "binary_crc_adm_cid", source: "§3.13: binary CRC (pysiaalarm #52 0n003D\"ADM-CID\"… layout)",
		raw: "\n8\xaf003D\"ADM-CID\"0002R1L1#1234[#1234|1131 01 015]_12:00:00,01-01-2024\r",
		msg: wantMsg{kind: "ADM-CID", account: "1234", receiver: "1", hasReceiver: true, line: "1", seq: "0002", ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonBinaryCRC}, data: "#1234|1131 01 015",
			events: []wantEvent{cidEv("1234", "131", qNew, "01", "015", "")}},
		reply: "\n\xd6s0014\"ACK\"0002R1L1#1234[]\r",
	},
	{
		name: "binary_crc_holds_lf", source: "§3.13: binary CRC whose second byte is LF",
		raw:   "\n\xfd\n0013\"NULL\"0145L0#1234[]\r",
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0145", devs: []protocols.Reason{protocols.ReasonBinaryCRC}},
		reply: "\n=h0012\"ACK\"0145L0#1234[]\r",
	},
	{
		name: "binary_crc_holds_cr", source: "§3.13: binary CRC whose second byte is CR",
		raw:   "\nU\r0013\"NULL\"0033L0#1234[]\r",
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0033", devs: []protocols.Reason{protocols.ReasonBinaryCRC}},
		reply: "\n\x95o0012\"ACK\"0033L0#1234[]\r",
	},
	{
		name: "binary_crc_encrypted", source: "§3.13 + §3.10: the worked AES frame with a binary CRC",
		raw:  "\n\xa6W0076\"*SIA-DCS\"0001L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC5AD3BC6C5CBFB1E17C6967FAB08CA6ACA4D09C7547DFC1D96803FB19559DB77D\r",
		keys: workedKey,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true, ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonBinaryCRC}, data: "#1234|NBA01",
			events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n_`0052\"*ACK\"0001L0#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "binary_crc_no_key", source: "§3.13: binary CRC, encrypted, no key: binary NAK",
		raw:    "\n\xa6W0076\"*SIA-DCS\"0001L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC5AD3BC6C5CBFB1E17C6967FAB08CA6ACA4D09C7547DFC1D96803FB19559DB77D\r",
		reason: protocols.ReasonNoKey, parseReason: protocols.ReasonNoKey,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0001", encrypted: true,
			devs: []protocols.Reason{protocols.ReasonBinaryCRC}},
		reply: "\n!\x040025\"NAK\"0000R0L0A0[]_12:00:01,01-01-2024\r",
	},
	{
		name: "empty_line_sia", source: "§3.13: bare L (ioBroker.sia #19, G90B-PLUS)",
		raw: "\n78FC003B\"SIA-DCS\"0001L#22334455[#22334455|NCQ1]_14:33:53,02-09-2020\r",
		msg: wantMsg{kind: "SIA-DCS", account: "22334455", seq: "0001", ts: at(2020, 2, 9, 14, 33, 53),
			devs: []protocols.Reason{protocols.ReasonEmptyLine}, data: "#22334455|NCQ1",
			events: []wantEvent{siaEv("22334455", "CQ", "", "", "1")}},
		reply: "\n4AA70015\"ACK\"0001L#22334455[]\r",
	},
	{
		name: "empty_line_null", source: "§3.13: bare L (ioBroker.sia #11), 10-digit account",
		raw: "\nBB86002C\"NULL\"0001L#7303658550[]_15:39:38,06-07-2019\r",
		msg: wantMsg{kind: "NULL", account: "7303658550", seq: "0001", ts: at(2019, 6, 7, 15, 39, 38),
			devs: []protocols.Reason{protocols.ReasonEmptyLine}},
		reply: "\nC0E40017\"ACK\"0001L#7303658550[]\r",
	},
	// Hex sequence numbers: dc09_spt writes the sequence with '{0:04X}'
	// (its 10th message is 000A). Accepted and echoed as sent.
	{
		name: "hex_sequence_no_line", source: "§3.13: dc09_spt's 10th SIA-DCS event, sequence 000A, no R, no L",
		raw: "\n98E3001F\"SIA-DCS\"000A#4321[#4321|NBA01]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "4321", line: "0", noLine: true, seq: "000A",
			devs: []protocols.Reason{protocols.ReasonHexSequence, protocols.ReasonNoLine, protocols.ReasonNoReceiver}, data: "#4321|NBA01",
			events: []wantEvent{siaEv("4321", "BA", "", "01", "")}},
		reply: "\n371E0010\"ACK\"000A#4321[]\r",
	},
	{
		name: "hex_sequence_poll", source: "§3.13: a poll with sequence 00FF",
		raw: "\n0B880013\"NULL\"00FFL0#4321[]\r",
		msg: wantMsg{kind: "NULL", account: "4321", line: "0", seq: "00FF",
			devs: []protocols.Reason{protocols.ReasonHexSequence}},
		reply: "\nCBEA0012\"ACK\"00FFL0#4321[]\r",
	},
	// No L, and no R: jvanovost/dc09_spt writes R and L only when set; its
	// README example sets neither (dc09_spt("0123"), send_msg of SIA-DCS
	// and ADM-CID). Read as line 0, answered with the header as sent.
	{
		name: "no_line_no_receiver_null", source: "§3.13: dc09_spt plain poll, no R, no L, no timestamp",
		raw: "\n9B840011\"NULL\"0000#0123[]\r",
		msg: wantMsg{kind: "NULL", account: "0123", line: "0", noLine: true, seq: "0000",
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: "\n5B010010\"ACK\"0000#0123[]\r",
	},
	{
		name: "no_line_no_receiver_sia", source: "§3.13: dc09_spt SIA-DCS event, no R, no L",
		raw: "\n821E001F\"SIA-DCS\"0001#0123[#0123|NBA14]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "0123", line: "0", noLine: true, seq: "0001",
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}, data: "#0123|NBA14",
			events: []wantEvent{siaEv("0123", "BA", "", "14", "")}},
		reply: "\n97C00010\"ACK\"0001#0123[]\r",
	},
	{
		name: "no_line_no_receiver_adm_cid", source: "§3.13: the dc09_spt README's ADM-CID event (account 124 in the data), no R, no L",
		raw: "\n1CC60024\"ADM-CID\"0002#0123[#124|1400 00 014]\r",
		msg: wantMsg{kind: "ADM-CID", account: "0123", line: "0", noLine: true, seq: "0002",
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}, data: "#124|1400 00 014",
			events: []wantEvent{cidEv("124", "400", qNew, "00", "", "014")}},
		reply: "\n82800010\"ACK\"0002#0123[]\r",
	},
	{
		name: "no_line_with_receiver", source: "our frame: R but no L; only the L is missing",
		raw: "\nFAAD0016\"SIA-DCS\"0001R1#1234[]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", receiver: "1", hasReceiver: true, line: "0", noLine: true, seq: "0001",
			devs: []protocols.Reason{protocols.ReasonNoLine}},
		reply: "\n77810012\"ACK\"0001R1#1234[]\r",
	},
	{
		name: "no_line_unknown_token", source: "§3.8: unknown ID token without R and L gets a DUH without them",
		raw:    "\nD6CB0014\"FOO-BAR\"0010#1111[]\r",
		reason: protocols.ReasonToken,
		msg: wantMsg{kind: "FOO-BAR", account: "1111", line: "0", noLine: true, seq: "0010",
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: "\n887B0010\"DUH\"0010#1111[]\r",
	},
	{
		name: "no_line_plain_for_keyed_account", source: "§3.12: a plain poll without R and L for account 1234, which has a key",
		raw: "\n77710011\"NULL\"0000#1234[]\r", keys: workedKey,
		reason: protocols.ReasonUnencrypted,
		msg: wantMsg{kind: "NULL", account: "1234", line: "0", noLine: true, seq: "0000",
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: "\nA1230010\"DUH\"0000#1234[]\r",
	},
	{
		name: "no_line_five_deviations", source: "§3.13: binary CRC, wrong lower-case length, no R, no L",
		raw: "\nFH001a\"NULL\"0000#9413[]\r",
		msg: wantMsg{kind: "NULL", account: "9413", line: "0", noLine: true, seq: "0000",
			devs: []protocols.Reason{protocols.ReasonLength, protocols.ReasonLowerHex, protocols.ReasonBinaryCRC,
				protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: "\n\x86\xcd0010\"ACK\"0000#9413[]\r",
	},
	{
		name: "no_line_encrypted_sia", source: "§3.10: AES-128, no R, no L; the *ACK without them",
		raw:  "\n57610074\"*SIA-DCS\"0002#1234[124405335E4D5764C4B5A29D5AC945EC11EF06EA8F71D757E2C3C6EEC827FFF491CBBD67F7A534EA1D0DA509BB11B112\r",
		keys: workedKey,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", noLine: true, seq: "0002", encrypted: true, ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}, data: "#1234|Nri1/BA012",
			events: []wantEvent{siaEv("1234", "BA", "1", "012", "")}},
		reply: "\nC5D90050\"*ACK\"0002#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "no_line_encrypted_null", source: "§3.12: dc09_spt-style encrypted poll (pad|]_ts), no R, no L",
		raw:  "\n6C180051\"*NULL\"0000#1234[17CF263D7E0E16A8C4FB1FA32B066E82948A4AFAFD0A2F305EFE36EB5A4EB621\r",
		keys: workedKey,
		msg: wantMsg{kind: "NULL", account: "1234", line: "0", noLine: true, seq: "0000", encrypted: true, ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: "\nBC510050\"*ACK\"0000#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "no_line_encrypted_adm_cid_receiver", source: "§3.10: AES-128, R but no L",
		raw:  "\nF7930076\"*ADM-CID\"0003R2#1234[7C9365311E47D0FAECE8794EFD91290550A386F2637EE09E5DC7CF92B6D29DBACED35056656817BA28420202C4353BAC\r",
		keys: workedKey,
		msg: wantMsg{kind: "ADM-CID", account: "1234", receiver: "2", hasReceiver: true, line: "0", noLine: true, seq: "0003",
			encrypted: true, ts: noon2024, devs: []protocols.Reason{protocols.ReasonNoLine}, data: "#1234|1131 01 015",
			events: []wantEvent{cidEv("1234", "131", qNew, "01", "015", "")}},
		reply: "\n44EE0052\"*ACK\"0003R2#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r",
	},
	{
		name: "no_line_encrypted_late", source: "§3.9: the no-L AES frame 41 s late: the NAK keeps its fixed R0L0A0 form",
		raw:  "\n57610074\"*SIA-DCS\"0002#1234[124405335E4D5764C4B5A29D5AC945EC11EF06EA8F71D757E2C3C6EEC827FFF491CBBD67F7A534EA1D0DA509BB11B112\r",
		keys: workedKey, now: at(2024, 1, 1, 12, 0, 41),
		reason: protocols.ReasonTimestamp,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", noLine: true, seq: "0002", encrypted: true, ts: noon2024,
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}, data: "#1234|Nri1/BA012"},
		reply: "\nA50A0025\"NAK\"0000R0L0A0[]_12:00:41,01-01-2024\r",
	},
	{
		name: "no_line_encrypted_no_key", source: "§3.10: the no-L AES frame, no key for the account: the fixed NAK",
		raw:    "\n57610074\"*SIA-DCS\"0002#1234[124405335E4D5764C4B5A29D5AC945EC11EF06EA8F71D757E2C3C6EEC827FFF491CBBD67F7A534EA1D0DA509BB11B112\r",
		reason: protocols.ReasonNoKey, parseReason: protocols.ReasonNoKey,
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", noLine: true, seq: "0002", encrypted: true,
			devs: []protocols.Reason{protocols.ReasonNoLine, protocols.ReasonNoReceiver}},
		reply: nak120001,
	},
	{
		name: "lower_case_crc_and_receiver", source: "§3.13: lower-case hex in CRC and receiver, echoed as received",
		raw: "\n525a0024\"NULL\"0000Rc0ffdL1234#080027E62A64[]\r",
		msg: wantMsg{kind: "NULL", account: "080027E62A64", receiver: "c0ffd", hasReceiver: true, line: "1234", seq: "0000",
			devs: []protocols.Reason{protocols.ReasonLowerHex}},
		reply: "\n7C830023\"ACK\"0000Rc0ffdL1234#080027E62A64[]\r",
	},

	// Tokens, codes, sequence numbers, payloads.
	{
		name: "unknown_token", source: "§3.8: unknown ID token gets DUH",
		raw:    "\n9DEB0016\"FOO-BAR\"0010L0#1111[]\r",
		reason: protocols.ReasonToken,
		msg:    wantMsg{kind: "FOO-BAR", account: "1111", line: "0", seq: "0010"},
		reply:  "\nA51F0012\"DUH\"0010L0#1111[]\r",
	},
	{
		name: "sia_code_pe_acked", source: "§3.8 policy: Ajax code PE (home-assistant/core #88474) is ACKed, never DUH",
		raw: "\n6BBF0035\"SIA-DCS\"0005L0#1234[#1234|NPE01]_12:00:00,01-01-2024\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0005", ts: noon2024, data: "#1234|NPE01",
			// PE is an Ajax vendor code in package sia's table; either way it is ACKed.
			events: []wantEvent{siaEv("1234", "PE", "", "", "")}},
		reply: "\nCE800012\"ACK\"0005L0#1234[]\r",
	},
	{
		name: "sia_code_unknown_acked", source: "§3.8 policy: unknown SIA code stored as unknown and ACKed",
		raw: "\nFC040026\"SIA-DCS\"0006L0#3333[#3333|Nri1/QQ001]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "3333", line: "0", seq: "0006", data: "#3333|Nri1/QQ001",
			events: []wantEvent{siaEv("3333", "QQ", "1", "001", "").unknown()}},
		reply: "\n22FD0012\"ACK\"0006L0#3333[]\r",
	},
	{
		name: "sequence_9999", source: "§3.11: highest sequence number",
		raw:   "\n780D0013\"NULL\"9999L0#1234[]\r",
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "9999"},
		reply: "\nB86F0012\"ACK\"9999L0#1234[]\r",
	},
	{
		name: "sequence_0000", source: "§3.11: sequence 0000 on an event",
		raw: "\n40E30023\"SIA-DCS\"0000R1L1#1234[#1234|NBA01]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", receiver: "1", hasReceiver: true, line: "1", seq: "0000",
			data: "#1234|NBA01", events: []wantEvent{siaEv("1234", "BA", "", "01", "")}},
		reply: "\n118A0014\"ACK\"0000R1L1#1234[]\r",
	},
	{
		name: "cid_unreadable_payload", source: "§3.8 policy: ADM-CID data contactid cannot read, kept raw and ACKed",
		raw: "\nDF31001F\"ADM-CID\"0007L0#1234[#1234|XYZ]\r",
		msg: wantMsg{kind: "ADM-CID", account: "1234", line: "0", seq: "0007", data: "#1234|XYZ",
			events: []wantEvent{{format: protocols.FormatContactID, account: "1234", text: "#1234|XYZ"}}},
		reply: "\n04210012\"ACK\"0007L0#1234[]\r",
	},
	{
		name: "sia_unreadable_payload", source: "§3.8 policy: SIA-DCS data sia cannot read, kept raw and ACKed",
		raw: "\n7ED80020\"SIA-DCS\"0008L0#1234[#1234|N%%%]\r",
		msg: wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0008", data: "#1234|N%%%",
			events: []wantEvent{{format: protocols.FormatSIA, account: "1234", text: "#1234|N%%%"}}},
		reply: "\n34110012\"ACK\"0008L0#1234[]\r",
	},

	// Grammar errors: silence when the header cannot be echoed, DUH when it
	// can; a timestamp of the right shape with impossible values is a
	// timestamp error (NAK with the receiver's time).
	{
		name: "syntax_short_sequence", source: "our frame: two-digit sequence",
		raw:    "\nAF0D0014\"SIA-DCS\"12L0#1234[]\r",
		reason: protocols.ReasonSyntax, noMsg: true, parseReason: protocols.ReasonSyntax,
	},
	{
		name: "syntax_short_account", source: "our frame: two-digit account",
		raw:    "\nFADA0014\"SIA-DCS\"0001L0#12[]\r",
		reason: protocols.ReasonSyntax, noMsg: true, parseReason: protocols.ReasonSyntax,
	},
	{
		name: "syntax_data_not_closed", source: "our frame: data block without ']'",
		raw:    "\n21440020\"SIA-DCS\"0011L0#1234[#1234|NBA01\r",
		reason: protocols.ReasonSyntax, parseReason: protocols.ReasonSyntax,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", line: "0", seq: "0011"},
		reply: "\nD91B0012\"DUH\"0011L0#1234[]\r",
	},
	{
		name: "syntax_trailing_bytes", source: "our frame: bytes after the data block",
		raw:    "\n52DB0026\"SIA-DCS\"0012R2L0#1234[#1234|NBA01]xyz\r",
		reason: protocols.ReasonSyntax, parseReason: protocols.ReasonSyntax,
		msg:   wantMsg{kind: "SIA-DCS", account: "1234", receiver: "2", hasReceiver: true, line: "0", seq: "0012"},
		reply: "\nE4980014\"DUH\"0012R2L0#1234[]\r",
	},
	{
		name: "syntax_timestamp_shape", source: "our frame: timestamp not _HH:MM:SS,MM-DD-YYYY",
		raw:    "\nFD45001C\"NULL\"0013L0#1234[]_12-00-00\r",
		reason: protocols.ReasonSyntax, parseReason: protocols.ReasonSyntax,
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0013"},
		reply: "\n13BA0012\"DUH\"0013L0#1234[]\r",
	},
	{
		name: "timestamp_hour_25", source: "our frame: hour 25",
		raw:    "\n4D050027\"NULL\"0014L0#1234[]_25:00:00,01-01-2024\r",
		reason: protocols.ReasonTimestamp, parseReason: protocols.ReasonTimestamp,
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0014"},
		reply: nak120001,
	},
	{
		name: "timestamp_february_30", source: "our frame: 30 February",
		raw:    "\n0DD70027\"NULL\"0015L0#1234[]_12:00:00,02-30-2024\r",
		reason: protocols.ReasonTimestamp, parseReason: protocols.ReasonTimestamp,
		msg:   wantMsg{kind: "NULL", account: "1234", line: "0", seq: "0015"},
		reply: nak120001,
	},
}

// caseByName returns the case called name.
func caseByName(name string) (frameCase, bool) {
	for _, tc := range frameCases {
		if tc.name == name {
			return tc, true
		}
	}
	return frameCase{}, false
}

// codecFor builds the Codec a case runs against: its keys, its window and
// the worked example's pad.
func codecFor(tc frameCase) (*Codec, error) {
	keys := make(map[string]Key, len(tc.keys))
	for _, k := range tc.keys {
		key, err := ParseKey(k.value, k.format)
		if err != nil {
			return nil, err
		}
		keys[k.account] = key
	}
	o := Options{Pad: testPad}
	if len(keys) > 0 {
		o.Keys = func(account string) (Key, bool) {
			k, ok := keys[account]
			return k, ok
		}
	}
	if tc.window != nil {
		o.Window = *tc.window
	}
	return New(o), nil
}

// keyFor returns the case's key for its frame's account, for Parse.
func keyFor(tc frameCase) Key {
	for _, k := range tc.keys {
		if k.account == tc.msg.account {
			key, err := ParseKey(k.value, k.format)
			if err != nil {
				panic(err)
			}
			return key
		}
	}
	return Key{}
}

func (tc frameCase) clock() time.Time {
	if tc.now.IsZero() {
		return defaultNow
	}
	return tc.now
}
