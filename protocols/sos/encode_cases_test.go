package sos

import (
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// The sending side's case catalogue: signals EncodeSignal writes (or
// refuses), what Decode reads back, and the responses ParseReply reads. It
// drives the encode, round-trip and golden tests and seeds the fuzzers.

// testTransmitter holds the source's example credentials [S7].
var testTransmitter = Transmitter{Authentication: testPassword, Receiver: testReceiver, TransmitterType: "SV300", TransmitterCode: testCode}

// testAt is the time a signal was received.
var testAt = time.Date(2026, 12, 1, 15, 4, 0, 22_000_000, time.UTC)

type encodeCase struct {
	name    string
	tx      *Transmitter // nil: testTransmitter
	seq     string
	account string // "" is testCode
	ev      protocols.Event
	err     error // ErrNotEncodable when refused
	// What Decode reads back (the round trip).
	want wantEvent
	// Substrings the encoded message holds, and must not.
	has, hasNot []string
}

func cidEv(code string, q protocols.Qualifier, area, zone, text string) protocols.Event {
	return protocols.Event{Format: protocols.FormatContactID, Account: testCode, Code: code, Qualifier: q, Partition: area, Zone: zone, Text: text}
}

func siaEv(code string, q protocols.Qualifier, zone string, mods ...protocols.Modifier) protocols.Event {
	return protocols.Event{Format: protocols.FormatSIA, Account: testCode, Code: code, Qualifier: q, Zone: zone, Modifiers: mods}
}

var encodeCases = []encodeCase{
	{name: "sia_alarm", seq: "1", ev: siaEv("BA", protocols.QualifierNew, ""),
		want: wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true},
		has:  []string{"<alarmtype>AL</alarmtype>", "<eventcode>BA</eventcode>", "<reference>1</reference>", "<transmittertime>2026-12-01 15:04:00.022</transmittertime>"}},
	{name: "sia_restore", seq: "13843", ev: siaEv("FA", protocols.QualifierRestore, "3"),
		want: wantEvent{format: "SIA", code: "FA", qualifier: protocols.QualifierRestore, zone: "3", known: true},
		has:  []string{"<alarmtype>RE</alarmtype>", "<detector>3</detector>"}},
	{name: "cid_alarm", seq: "2", ev: cidEv("130", protocols.QualifierNew, "2", "015", "Burglary"),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierNew, partition: "2", zone: "015", text: "Burglary", known: true},
		has:  []string{"<eventcode>E130</eventcode>", "<transmitterarea>2</transmitterarea>", "<detector>015</detector>", "<additionalinfo>Burglary</additionalinfo>"}},
	{name: "cid_restore", seq: "3", ev: cidEv("130", protocols.QualifierRestore, "", "015", ""),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierRestore, zone: "015", known: true},
		has:  []string{"<alarmtype>RE</alarmtype>", "<eventcode>R130</eventcode>"}},
	{name: "cid_status", seq: "4", ev: cidEv("130", protocols.QualifierStatus, "", "", ""),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierStatus, known: true},
		has:  []string{"<alarmtype>AL</alarmtype>", "<eventcode>P130</eventcode>"}},
	// Every element: the source's section and detector descriptions
	// back in their elements, a WGS84 position, media links; the user
	// and other attr_ extras have no element.
	{name: "full", seq: "5", ev: protocols.Event{Format: protocols.FormatSIA, Account: testCode, Code: "FA", Qualifier: protocols.QualifierNew,
		Partition: "2", Zone: "D14", User: "7", Text: "Larm i källaren\r\nLine two\nLine three",
		Modifiers: []protocols.Modifier{mod("attr_section", "S1"), mod("attr_sectiontext", "Plan 2"), mod("attr_detectortext", "Korridor"),
			mod("attr_floor", "2"), mod("position", "59.335833,18.071667"),
			mod("media_clip", "https://cam.example/clip?id=7&t=1"), mod("media_snapshot", "http://cam.example/snap.jpg")}},
		want: wantEvent{format: "SIA", code: "FA", qualifier: protocols.QualifierNew, partition: "2", zone: "D14",
			text: "Larm i källaren\r\nLine two\nLine three", known: true,
			mods: []protocols.Modifier{mod("media_clip", "https://cam.example/clip?id=7&t=1"), mod("media_snapshot", "http://cam.example/snap.jpg"),
				mod("position", "59.335833,18.071667"), mod("attr_section", "S1"), mod("attr_sectiontext", "Plan 2"), mod("attr_detectortext", "Korridor")}},
		has:    []string{"<section>S1</section>", "<pos>N592015E0180430</pos>", "k\xe4llaren&#13;\nLine two", "<media_clip>https://cam.example/clip?id=7&amp;t=1</media_clip>"},
		hasNot: []string{"floor", "<user"}},
	{name: "position_south_west", seq: "6", ev: siaEv("BA", protocols.QualifierNew, "", mod("position", "-33.856667,-151.215")),
		want: wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true, mods: []protocols.Modifier{mod("position", "-33.856667,-151.215000")}},
		has:  []string{"<pos>S335140W1511290</pos>"}},
	{name: "position_invalid", seq: "7", ev: siaEv("BA", protocols.QualifierNew, "", mod("position", "91,10")),
		want:   wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true},
		hasNot: []string{"<position>"}},
	{name: "position_rt90", seq: "8", ev: siaEv("BA", protocols.QualifierNew, "", mod("attr_position", "x1234567y1234567")),
		want: wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true, mods: []protocols.Modifier{mod("attr_position", "x1234567y1234567")}},
		has:  []string{"<pos>x1234567y1234567</pos>"}},
	// ISO-8859-1: characters outside it become '?', C1 controls too;
	// other control characters are dropped.
	{name: "non_latin1", seq: "9", ev: cidEv("130", protocols.QualifierNew, "", "", "Gång 100 € 日本\x01\u0085!"),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierNew, text: "Gång 100 ? ???!", known: true},
		has:  []string{"G\xe5ng 100 ? ???!</additionalinfo>"}},
	{name: "escaped", seq: "10", ev: cidEv("130", protocols.QualifierNew, "", "", `<b>"A & B"</b>`),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierNew, text: `<b>"A & B"</b>`, known: true},
		has:  []string{`&lt;b&gt;"A &amp; B"&lt;/b&gt;`}},
	{name: "text_cut", seq: "11", ev: cidEv("130", protocols.QualifierNew, "", "", strings.Repeat("x", 2500)),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierNew, text: strings.Repeat("x", 2000), known: true}},
	// A zone the detector cannot hold is its description, an area the
	// transmitterarea cannot hold is left out.
	{name: "long_zone_area", seq: "12", ev: cidEv("130", protocols.QualifierNew, "123456", "HALLWAY-EAST", ""),
		want: wantEvent{format: "CID", code: "130", qualifier: protocols.QualifierNew, known: true, mods: []protocols.Modifier{mod("attr_detectortext", "HALLWAY-EAST")}},
		has:  []string{"<detectortext>HALLWAY-EAST</detectortext>"}, hasNot: []string{"<transmitterarea>", "<detector>"}},
	{name: "unknown_code", seq: "13", ev: protocols.Event{Format: protocols.FormatSIA, Account: testCode, Code: "LARM FRÅN SEKTION 12 A", Qualifier: protocols.QualifierNone},
		want: wantEvent{format: "SIA", code: "LARM FRÅN SEKTION 12 A", known: false},
		has:  []string{"<eventcode>LARM FR\xc5N SEKTION 12 A</eventcode>"}},
	{name: "no_reference", seq: "", ev: siaEv("BA", protocols.QualifierNew, ""),
		want: wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true}, hasNot: []string{"<reference>"}},
	{name: "no_authentication", tx: &Transmitter{Receiver: "42", TransmitterType: "SV300", TransmitterCode: testCode}, seq: "14", ev: siaEv("BA", protocols.QualifierNew, ""),
		want: wantEvent{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, known: true}, hasNot: []string{"<authentication>"}},

	// Refusals: what SOS Access cannot carry.
	{name: "account_too_long", seq: "20", account: "1234567890123456", ev: siaEv("BA", protocols.QualifierNew, ""), err: ErrNotEncodable},
	{name: "account_space", seq: "21", account: "12 34", ev: siaEv("BA", protocols.QualifierNew, ""), err: ErrNotEncodable},
	{name: "account_latin1", seq: "22", account: "12å4", ev: siaEv("BA", protocols.QualifierNew, ""), err: ErrNotEncodable},
	{name: "code_empty", seq: "23", ev: siaEv(" ", protocols.QualifierNew, ""), err: ErrNotEncodable},
	{name: "code_too_long", seq: "24", ev: siaEv(strings.Repeat("C", 26), protocols.QualifierNew, ""), err: ErrNotEncodable},
	{name: "reference_too_long", seq: strings.Repeat("9", 51), ev: siaEv("BA", protocols.QualifierNew, ""), err: ErrNotEncodable},
}

func (tc encodeCase) transmitter() Transmitter {
	if tc.tx != nil {
		return *tc.tx
	}
	return testTransmitter
}

func (tc encodeCase) acct() string {
	if tc.account == "" {
		return testCode
	}
	return tc.account
}

// heartbeatCases: the pingrequests EncodeHeartbeat writes.
var heartbeatCases = []struct {
	name string
	tx   Transmitter
	seq  string
}{
	{"heartbeat", testTransmitter, "734632"},
	{"heartbeat_no_reference", testTransmitter, ""},
	{"heartbeat_no_authentication", Transmitter{Receiver: "42", TransmitterType: "SV300", TransmitterCode: "208013"}, "1"},
}

// peerReplyCase is a response and what ParseReply makes of it.
type peerReplyCase struct {
	name      string
	raw       string
	err       error // a sentinel when refused
	seq       string
	ok, retry bool
	text      string
}

var peerReplyCases = []peerReplyCase{
	// [S7] "Example of positive response".
	{name: "s7_positive", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
    <alarmresponse>
        <reference>001</reference>
        <status>0</status>
        <info>OK</info>
        <arrivaltime>2006-12-24 15:00:00.000</arrivaltime>
    </alarmresponse>`, seq: "001", ok: true, text: "0 OK"},
	// [S7] the wrong-authentication example, status 6 where the table says 4.
	{name: "s7_not_authorized", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
    <alarmresponse>
        <reference>001</reference>
        <status>6</status>
        <info>NOT_AUTHORIZED</info>
        <arrivaltime>2006-12-24 15:00:00</arrivaltime>
    </alarmresponse>`, seq: "001", text: "6 NOT_AUTHORIZED"},
	// [S7] "New ping response with reference".
	{name: "s7_ping", raw: `<?xml version="1.0" encoding="iso-8859-1"?>
    <pingresponse>
        <reference>734632</reference>
        <status>0</status>
        <info>OK</info>
        <arrivaltime>2005-02-28 11:35:42.012</arrivaltime>
    </pingresponse>`, seq: "734632", ok: true, text: "0 OK"},
	{name: "duplicate", raw: hdr + `<alarmresponse><reference>7</reference><status>10</status><info>DUPLICATED_ALARM</info></alarmresponse>`, seq: "7", ok: true, text: "10 DUPLICATED_ALARM"},
	{name: "failover", raw: hdr + `<alarmresponse><reference>7</reference><status>5</status></alarmresponse>`, seq: "7", retry: true, text: "5 NOT_TREATED_NOT_DISTRIBUTED"},
	{name: "ping_too_often", raw: hdr + `<pingresponse><reference>8</reference><status>101</status><info>PING_TO_OFTEN</info></pingresponse>`, seq: "8", retry: true, text: "101 PING_TO_OFTEN"},
	{name: "unknown_status", raw: hdr + `<alarmresponse><reference>7</reference><status>42</status><info>NEW</info></alarmresponse>`, seq: "7", text: "42 NEW"},
	{name: "no_header_latin1", raw: "<AlarmResponse><Reference>r\xe5</Reference><Status> 0 </Status><Info>OK</Info><extra/></AlarmResponse>", seq: "rå", ok: true, text: "0 OK"},
	{name: "no_status", raw: hdr + `<alarmresponse><reference>7</reference><info>OK</info></alarmresponse>`, err: ErrMissing},
	{name: "status_not_numeric", raw: hdr + `<alarmresponse><status>OK</status></alarmresponse>`, err: ErrMissing},
	{name: "new_authentication_response", raw: hdr + `<requestnewauthenticationresponse><reference>46</reference><status>0</status><info>OK</info><authentication>8usedlb54a234md</authentication></requestnewauthenticationresponse>`, err: ErrUnknownType},
	{name: "unknown_root", raw: hdr + `<alarmrequest><status>0</status></alarmrequest>`, err: ErrUnknownType},
	{name: "dtd", raw: hdr + `<!DOCTYPE alarmresponse [<!ENTITY a "0">]><alarmresponse><status>&a;</status></alarmresponse>`, err: ErrSyntax},
	{name: "not_well_formed", raw: hdr + `<alarmresponse><status>0</alarmresponse>`, err: ErrSyntax},
	{name: "header_charset", raw: `<?xml version="1.0" encoding="EBCDIC-CP-US"?><alarmresponse><status>0</status></alarmresponse>`, err: ErrHeader},
	{name: "content_after_root", raw: hdr + `<alarmresponse><status>0</status></alarmresponse><alarmresponse/>`, err: ErrSyntax},
}
