package sos

import (
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// The case catalogue: every example of the source [S7] verbatim (rows
// named s7_*), and our own messages for the rest. It drives the decode,
// reply and golden tests and seeds the fuzzers.

// accepted is the expected reason of a message Decode accepts.
const accepted = protocols.ReasonUnknown

// Credentials the authenticating codec knows: the source's example.
const (
	testReceiver = "42"
	testCode     = "1234567"
	testPassword = "hxp4x9nnwxjatv8"
)

// testNow is the receiver's clock in every case.
var testNow = time.Date(2026, 12, 1, 15, 4, 5, 6_000_000, time.UTC)

// wantEvent is the part of a protocols.Event the table asserts.
type wantEvent struct {
	format, account, code string
	qualifier             protocols.Qualifier
	partition, zone       string
	text                  string
	known                 bool
	mods                  []protocols.Modifier
}

type decodeCase struct {
	name   string
	raw    string
	auth   bool // the codec authenticates with the test credentials
	max    int  // Options.MaxFrameBytes; 0 the default
	err    error
	reason protocols.Reason
	// The Message, for every case.
	kind, account, receiver, seq string
	ts                           time.Time
	events                       []wantEvent
	reply                        string
}

const hdr = `<?xml version="1.0" encoding="ISO-8859-1"?>`

func reply(root, ref string, status int) string {
	s := hdr + "<" + root + ">"
	if ref != "" {
		s += "<reference>" + ref + "</reference>"
	}
	return s + "<status>" + itoa(status) + "</status><info>" + StatusInfo(status) +
		"</info><arrivaltime>2026-12-01 15:04:05.006</arrivaltime></" + root + ">"
}

func itoa(n int) string { return strconv.Itoa(n) }

func ack(ref string) string { return reply("alarmresponse", ref, StatusOK) }

func mod(name, value string) protocols.Modifier { return protocols.Modifier{Name: name, Value: value} }

func sia(code string, q protocols.Qualifier, zone string, mods ...protocols.Modifier) wantEvent {
	return wantEvent{format: "SIA", account: testCode, code: code, qualifier: q, zone: zone, known: true,
		mods: append([]protocols.Modifier{mod("attr_transmittertype", "SV300")}, mods...)}
}

// alarm builds an alarmrequest from the source's minimum example with
// extra elements before </alarmrequest>.
func alarm(extra string) string {
	return hdr + "\n<alarmrequest>\n  <authentication>" + testPassword + "</authentication>\n  <receiver>42</receiver>\n" +
		"  <transmittertype>SV300</transmittertype>\n  <transmittercode>1234567</transmittercode>\n" + extra + "</alarmrequest>"
}

var decodeCases = []decodeCase{
	// [S7] "Example of minimum data to send alarm."
	{name: "s7_minimum", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
<alarmrequest>
  <authentication>hxp4x9nnwxjatv8</authentication>
  <receiver>42</receiver>
  <alarmtype>AL</alarmtype>
  <transmittertype>SV300</transmittertype>
  <transmittercode>1234567</transmittercode>
  <eventcode>BA</eventcode>
</alarmrequest>`, auth: true,
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "")}, reply: ack("")},
	// [S7] "Example sending alarm using reference."; automation-research.md §2.8.
	{name: "s7_reference", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
<alarmrequest>
  <authentication>hxp4x9nnwxjatv8</authentication>
  <reference>1</reference>
  <receiver>42</receiver>
  <alarmtype>AL</alarmtype>
  <transmittertype>SV300</transmittertype>
  <transmittercode>1234567</transmittercode>
  <eventcode>BA</eventcode>
</alarmrequest>`, auth: true,
		kind: "signals", account: testCode, receiver: "42", seq: "1",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "")}, reply: ack("1")},
	// The same alarm again, the response having been lost: the same
	// reference, so the receiver finds the duplicate (and answers it
	// with Answer(m, StatusDuplicatedAlarm, now)).
	{name: "retransmission", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
<alarmrequest>
  <authentication>hxp4x9nnwxjatv8</authentication>
  <reference>1</reference>
  <receiver>42</receiver>
  <alarmtype>AL</alarmtype>
  <transmittertype>SV300</transmittertype>
  <transmittercode>1234567</transmittercode>
  <eventcode>BA</eventcode>
</alarmrequest>`, auth: true,
		kind: "signals", account: testCode, receiver: "42", seq: "1",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "")}, reply: ack("1")},
	// [S7] "Example of restoring previous sent fire alarm." (its stray
	// indentation and the "^" after it are the framer's business).
	{name: "s7_restore", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
   <alarmrequest>
      <authentication>hxp4x9nnwxjatv8</authentication>
      <reference>13843</reference>
      <receiver>42</receiver>
      <transmittertype>SV300</transmittertype>
      <transmittercode>1234567</transmittercode>
      <alarmtype>RE</alarmtype>
      <eventcode>FA</eventcode>
   </alarmrequest>`, auth: true,
		kind: "signals", account: testCode, receiver: "42", seq: "13843",
		events: []wantEvent{sia("FA", protocols.QualifierRestore, "")}, reply: ack("13843")},
	// [S7] "ping request with reference": no receiver element.
	{name: "s7_ping", raw: `<?xml version="1.0" encoding="iso-8859-1"?>
<pingrequest>
    <authentication>hxp4x9nnwxjatv8</authentication>
    <reference>734632</reference>
    <transmittercode>208013</transmittercode>
    <transmittertype>SV300</transmittertype>
</pingrequest>`,
		kind: "heartbeat", account: "208013", seq: "734632", reply: reply("pingresponse", "734632", StatusOK)},
	{name: "ping_authenticated", raw: hdr + `<pingrequest><authentication>hxp4x9nnwxjatv8</authentication><receiver>42</receiver><transmittercode>1234567</transmittercode><transmittertype>SV300</transmittertype></pingrequest>`,
		auth: true, kind: "heartbeat", account: testCode, receiver: "42", reply: reply("pingresponse", "", StatusOK)},
	// [S7] "New auth request with reference": not offered.
	{name: "s7_requestnewauthentication", raw: `<?xml version="1.0" encoding="ISO-8859-1"?>
<requestnewauthentication>
    <authentication>l4x85dshyrbla27</authentication>
    <reference>46</reference>
    <transmittercode>1234567</transmittercode>
    <transmittertype>ET800</transmittertype>
</requestnewauthentication>`,
		err: ErrNotOffered, reason: protocols.ReasonToken, kind: "rejected", account: testCode, seq: "46",
		reply: reply("requestnewauthenticationresponse", "46", StatusServiceUnavailable)},
	// Every element the source defines, WGS84 position [S7 position].
	{name: "full_alarm", raw: alarm("  <reference>A-77</reference>\n  <transmittertime>2002-05-28 11:35:20.022</transmittertime>\n" +
		"  <alarmtype>AL</alarmtype>\n  <transmitterarea>2</transmitterarea>\n  <eventcode>FA</eventcode>\n" +
		"  <section>S1</section>\n  <sectiontext>Plan 2</sectiontext>\n  <detector>D14</detector>\n" +
		"  <detectortext>Korridor</detectortext>\n  <additionalinfo>Line one\r\nLine two\nLine three</additionalinfo>\n" +
		"  <position>\n    <pos>N592015E0180430</pos>\n  </position>\n"),
		kind: "signals", account: testCode, receiver: "42", seq: "A-77",
		// The text's CR LF is LF: XML reads line ends so [XML 1.0 §2.11].
		events: []wantEvent{{format: "SIA", account: testCode, code: "FA", qualifier: protocols.QualifierNew, partition: "2", zone: "D14",
			text: "Line one\nLine two\nLine three", known: true, mods: []protocols.Modifier{
				mod("attr_transmittertype", "SV300"), mod("attr_section", "S1"), mod("attr_sectiontext", "Plan 2"),
				mod("attr_detector", "D14"), mod("attr_detectortext", "Korridor"),
				mod("attr_transmittertime", "2002-05-28 11:35:20.022"), mod("position", "59.335833,18.071667")}}},
		reply: ack("A-77")},
	// A section without detector is the zone.
	{name: "section_as_zone", raw: alarm("<eventcode>BA</eventcode><section>3</section>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "3", mod("attr_section", "3"))}, reply: ack("")},
	// [S7] RT90 position, kept as text.
	{name: "s7_position_rt90", raw: alarm("<eventcode>BA</eventcode><position><pos>x1234567y1234567</pos></position>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "", mod("attr_position", "x1234567y1234567"))}, reply: ack("")},
	// [S7] the WGS84 example, which is not in its own stated form.
	{name: "s7_position_wgs84_example", raw: alarm("<eventcode>BA</eventcode><position>\n<pos>E597295E0176288</pos>\n</position>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BA", protocols.QualifierNew, "", mod("attr_position", "E597295E0176288"))}, reply: ack("")},
	// ISO-8859-1 text: "Larm i källaren", "Källare".
	{name: "latin1", raw: alarm("<reference>r\xe5</reference><eventcode>BA</eventcode><sectiontext>K\xe4llare</sectiontext><additionalinfo>Larm i k\xe4llaren</additionalinfo>"),
		kind: "signals", account: testCode, receiver: "42", seq: "rå",
		events: []wantEvent{{format: "SIA", account: testCode, code: "BA", qualifier: protocols.QualifierNew, text: "Larm i källaren", known: true,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300"), mod("attr_sectiontext", "Källare")}}},
		reply: ack("r\xe5")},
	// Windows-1252's euro sign under an ISO-8859-1 header (WHATWG).
	{name: "windows1252", raw: strings.Replace(alarm("<eventcode>BA</eventcode><additionalinfo>Skada 100 \x80</additionalinfo>"), "ISO-8859-1", "windows-1252", 1),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{{format: "SIA", account: testCode, code: "BA", qualifier: protocols.QualifierNew, text: "Skada 100 €", known: true,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300")}}}, reply: ack("")},
	{name: "utf8", raw: `<?xml version="1.0" encoding="UTF-8"?><alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode><reference>ö€</reference><additionalinfo>Gång</additionalinfo></alarmrequest>`,
		kind: "signals", account: testCode, receiver: "42", seq: "ö€",
		events: []wantEvent{{format: "SIA", account: testCode, code: "BA", qualifier: protocols.QualifierNew, text: "Gång", known: true,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300")}}},
		reply: ack("\xf6&#8364;")},
	// No encoding declared and not UTF-8: read as the protocol's ISO-8859-1.
	{name: "undeclared_latin1", raw: `<?xml version="1.0"?><alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode><additionalinfo>G` + "\xe5" + `ng</additionalinfo></alarmrequest>`,
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{{format: "SIA", account: testCode, code: "BA", qualifier: protocols.QualifierNew, text: "Gång", known: true,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300")}}}, reply: ack("")},
	// A transmittertime with a zone is the message's time.
	{name: "zoned_transmittertime", raw: alarm("<eventcode>BA</eventcode><transmittertime>2026-12-01T16:04:00+01:00</transmittertime>"),
		kind: "signals", account: testCode, receiver: "42", ts: time.Date(2026, 12, 1, 15, 4, 0, 0, time.UTC),
		events: []wantEvent{sia("BA", protocols.QualifierNew, "", mod("attr_transmittertime", "2026-12-01T16:04:00+01:00"))}, reply: ack("")},
	// Contact ID codes through alarmcode: RE makes E130 a restore.
	{name: "cid_restore", raw: alarm("<alarmtype>RE</alarmtype><eventcode>E130</eventcode><detector>5</detector>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{{format: "CID", account: testCode, code: "130", qualifier: protocols.QualifierRestore, zone: "5", known: true,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300"), mod("attr_detector", "5")}}}, reply: ack("")},
	// A code that is a restore by its own table stays one under AL.
	{name: "restore_code_alarm_type", raw: alarm("<alarmtype>AL</alarmtype><eventcode>BR</eventcode>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BR", protocols.QualifierRestore, "")}, reply: ack("")},
	// An operator-defined code is kept, unknown.
	{name: "unknown_code", raw: alarm("<eventcode>LARM7</eventcode>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{{format: "SIA", account: testCode, code: "LARM7", known: false,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300")}}}, reply: ack("")},
	// 25 characters with spaces: within SOS Access's limit, beyond
	// alarmcode's; kept unknown.
	{name: "long_code", raw: alarm("<eventcode>Larm fr\xe5n sektion 12 A</eventcode>"),
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{{format: "SIA", account: testCode, code: "LARM FRÅN SEKTION 12 A", known: false,
			mods: []protocols.Modifier{mod("attr_transmittertype", "SV300")}}}, reply: ack("")},
	// Letter case, namespaces, undefined elements, comments.
	{name: "tolerated_variants", raw: hdr + `<!-- test --><AlarmRequest xmlns="urn:x"><Receiver> 42 </Receiver><TransmitterType>SV300</TransmitterType><x:TransmitterCode xmlns:x="urn:y">1234567</x:TransmitterCode><EventCode>ba</EventCode><AlarmType>re</AlarmType><Zone>7</Zone></AlarmRequest>` + "\r\n",
		kind: "signals", account: testCode, receiver: "42",
		events: []wantEvent{sia("BA", protocols.QualifierRestore, "", mod("attr_zone", "7"))}, reply: ack("")},

	// A UTF-8 byte order mark before the header.
	{name: "utf8_bom", raw: "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8"?><pingrequest><transmittercode>1234567</transmittercode><transmittertype>SV300</transmittertype></pingrequest>`,
		kind: "heartbeat", account: testCode, reply: reply("pingresponse", "", StatusOK)},

	// Refusals.
	{name: "header_missing", raw: `<alarmrequest><reference>9</reference><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode></alarmrequest>`,
		err: ErrHeader, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42", seq: "9",
		reply: reply("alarmresponse", "9", StatusXMLHeader)},
	{name: "header_missing_ping", raw: `<pingrequest><transmittercode>1234567</transmittercode><transmittertype>SV300</transmittertype></pingrequest>`,
		err: ErrHeader, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode,
		reply: reply("pingresponse", "", StatusXMLHeader)},
	{name: "header_version", raw: strings.Replace(alarm("<eventcode>BA</eventcode>"), `"1.0"`, `"1.1"`, 1),
		err: ErrHeader, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusXMLHeader)},
	// A header value that is no name may be the message's text run into
	// it, the password among it: not quoted.
	{name: "header_version_not_a_name", raw: hdr[:len(`<?xml version="1`)] + `<authentication>` + testPassword + `</authentication>` + hdr[len(`<?xml version="1`):] + `<alarmrequest/>`,
		err: ErrHeader, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusXMLHeader)},
	{name: "header_charset", raw: strings.Replace(alarm("<eventcode>BA</eventcode>"), "ISO-8859-1", "EBCDIC-CP-US", 1),
		err: ErrHeader, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusXMLHeader)},
	{name: "invalid_xml", raw: hdr + `<alarmrequest><reference>5</reference><receiver>42</receiver><eventcode>BA</alarmrequest>`,
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", receiver: "42", seq: "5",
		reply: reply("alarmresponse", "5", StatusInvalidXML)},
	{name: "billion_laughs", raw: hdr + `<!DOCTYPE alarmrequest [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><alarmrequest><reference>&b;</reference></alarmrequest>`,
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "xxe", raw: hdr + `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>&x;</eventcode></alarmrequest>`,
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "undefined_entity", raw: alarm("<eventcode>&x;</eventcode>"),
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "content_after_root", raw: alarm("<eventcode>BA</eventcode>") + "<alarmrequest/>",
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "unknown_root", raw: hdr + `<alarmmessage><reference>1</reference></alarmmessage>`,
		err: ErrUnknownType, reason: protocols.ReasonToken, kind: "rejected", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "missing_eventcode", raw: alarm("<reference>3</reference>"),
		err: ErrMissing, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42", seq: "3",
		reply: reply("alarmresponse", "3", StatusMandatoryDataMissing)},
	{name: "missing_receiver", raw: hdr + `<alarmrequest><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode></alarmrequest>`,
		err: ErrMissing, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode,
		reply: reply("alarmresponse", "", StatusMandatoryDataMissing)},
	{name: "empty_transmittercode", raw: hdr + `<alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode> </transmittercode><eventcode>BA</eventcode></alarmrequest>`,
		err: ErrMissing, reason: protocols.ReasonSyntax, kind: "rejected", receiver: "42",
		reply: reply("alarmresponse", "", StatusMandatoryDataMissing)},
	{name: "ping_missing_transmittercode", raw: hdr + `<pingrequest><reference>8</reference><transmittertype>SV300</transmittertype></pingrequest>`,
		err: ErrMissing, reason: protocols.ReasonSyntax, kind: "rejected", seq: "8",
		reply: reply("pingresponse", "8", StatusMandatoryDataMissing)},
	{name: "reference_too_long", raw: alarm("<eventcode>BA</eventcode><reference>" + strings.Repeat("r", 51) + "</reference>"),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "additionalinfo_too_long", raw: alarm("<eventcode>BA</eventcode><additionalinfo>" + strings.Repeat("x", 2001) + "</additionalinfo>"),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "transmittercode_too_long", raw: hdr + `<alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567890123456</transmittercode><eventcode>BA</eventcode></alarmrequest>`,
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: "1234567890123456", receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "transmittercode_space", raw: hdr + `<alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>12 34</transmittercode><eventcode>BA</eventcode></alarmrequest>`,
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: "12 34", receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "alarmtype_wrong", raw: alarm("<eventcode>BA</eventcode><alarmtype>XX</alarmtype>"),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "repeated_element", raw: alarm("<eventcode>BA</eventcode><eventcode>FA</eventcode>"),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "markup_in_field", raw: alarm("<eventcode><b>BA</b></eventcode>"),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "password_too_long", raw: strings.Replace(alarm("<eventcode>BA</eventcode>"), testPassword, testPassword+"X", 1),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusWrongContent)},
	{name: "wrong_password", raw: strings.Replace(alarm("<reference>11</reference><eventcode>BA</eventcode>"), testPassword, "wrongpassword00", 1), auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", account: testCode, receiver: "42", seq: "11",
		reply: reply("alarmresponse", "11", StatusNotAuthorized)},
	{name: "missing_password", raw: hdr + `<alarmrequest><receiver>42</receiver><transmittertype>SV300</transmittertype><transmittercode>1234567</transmittercode><eventcode>BA</eventcode></alarmrequest>`, auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", account: testCode, receiver: "42",
		reply: reply("alarmresponse", "", StatusNotAuthorized)},
	{name: "wrong_receiver", raw: strings.Replace(alarm("<eventcode>BA</eventcode>"), "<receiver>42<", "<receiver>43<", 1), auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", account: testCode, receiver: "43",
		reply: reply("alarmresponse", "", StatusNotAuthorized)},
	{name: "ping_wrong_password", raw: hdr + `<pingrequest><authentication>wrongpassword00</authentication><reference>2</reference><transmittercode>1234567</transmittercode><transmittertype>SV300</transmittertype></pingrequest>`, auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", account: testCode, seq: "2",
		reply: reply("pingresponse", "2", StatusNotAuthorized)},
	// The decoder's own message would quote the entity, a part of the
	// password.
	{name: "password_not_well_formed", raw: strings.Replace(alarm("<eventcode>BA</eventcode>"), testPassword, "hxp4x9&nnwxjatv8;", 1),
		err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: reply("alarmresponse", "", StatusInvalidXML)},
	{name: "too_long", raw: alarm("<eventcode>BA</eventcode><additionalinfo>" + strings.Repeat("x", 300) + "</additionalinfo>"), max: 400,
		err: ErrTooLong, reason: protocols.ReasonTooLong, kind: "rejected", reply: reply("alarmresponse", "", StatusInvalidLength)},
}

// testAuth accepts the source's example credentials.
func testAuth(receiver, code, password string) bool {
	return (receiver == testReceiver || receiver == "") && code == testCode && password == testPassword
}

func codecFor(tc decodeCase) *Codec {
	o := Options{MaxFrameBytes: tc.max}
	if tc.auth {
		o.Auth = testAuth
	}
	return New(o)
}

func caseByName(name string) (decodeCase, bool) {
	for _, tc := range decodeCases {
		if tc.name == name {
			return tc, true
		}
	}
	return decodeCase{}, false
}

// replyCases: the answer to each outcome of the receiver's pipeline.
var replyCases = []struct {
	name    string
	outcome error
	status  int
}{
	{"stored", nil, StatusOK},
	{"store_failed", protocols.Reject("receiver", protocols.ReasonStore, nil), StatusNotTreated},
	{"shutdown", protocols.Reject("receiver", protocols.ReasonShutdown, nil), StatusNotTreated},
	{"unknown_account", protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), StatusOK},
	{"frame_too_long", protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), StatusInvalidLength},
	{"other", protocols.Reject("receiver", protocols.ReasonUnknown, nil), StatusServerError},
}

// splitCase is a stream and the frames Split must cut from it.
type splitCase struct {
	name    string
	stream  string
	frames  []string
	max     int
	tooLong bool
}

var splitCases = []splitCase{
	{name: "one", stream: ack0(), frames: []string{ack0()}},
	{name: "garbage_before_and_after", stream: "\x00\x16junk>" + ack0() + "^\r\n", frames: []string{ack0()}},
	{name: "two_with_crlf", stream: ack0() + "\r\n" + ping0() + "\n", frames: []string{ack0(), ping0()}},
	{name: "abandoned_restart", stream: hdr + "<alarmrequest><reference>1</ref" + ack0(), frames: []string{ack0()}},
	{name: "header_missing", stream: "<alarmrequest><eventcode>BA</eventcode></alarmrequest>", frames: []string{"<alarmrequest><eventcode>BA</eventcode></alarmrequest>"}},
	{name: "end_tag_with_space", stream: hdr + "<pingrequest></pingrequest >x", frames: []string{hdr + "<pingrequest></pingrequest >"}},
	{name: "too_long", stream: hdr + "<alarmrequest>" + strings.Repeat("x", 200), max: 100, tooLong: true},
	{name: "fits_cap", stream: hdr + "<pingrequest></pingrequest>", max: len(hdr + "<pingrequest></pingrequest>"), frames: []string{hdr + "<pingrequest></pingrequest>"}},
}

func ack0() string {
	tc, _ := caseByName("s7_reference")
	return tc.raw
}

func ping0() string {
	tc, _ := caseByName("s7_ping")
	return tc.raw
}
