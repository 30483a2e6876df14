package masxml

import (
	"strconv"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// The case catalogue: every MASXML example of the evidence verbatim
// (automation-research.md §2.3, and the emulator's fixtures [S6:
// tests/conftest.py, tests/integration/test_E2E_masxml.py,
// tests/protocols/masxml/test_client.py]), then our own messages for the
// rest. Replies were written by hand from the reply layout of the evidence,
// not produced by this package. The table drives the decode, reply, split
// and golden tests and seeds the fuzzers.

// accepted is the expected reason of a message Decode accepts.
const accepted = protocols.ReasonUnknown

// wantEvent is the part of a protocols.Event the table asserts.
type wantEvent struct {
	format, account, code string
	qualifier             protocols.Qualifier
	partition, zone, user string
	text                  string
	known                 bool
	mods                  []protocols.Modifier
}

// wantMsg is what Decode's Message must hold.
type wantMsg struct {
	kind, account, seq, sender string
	events                     []wantEvent
	photos                     []Photo
}

// testCase is one input with everything expected of it.
type testCase struct {
	name   string
	source string
	raw    string
	max    int // Options.MaxFrameBytes; 0 is the default

	// stream: raw is a TCP stream; each frame Split finds is decoded and
	// must meet reason, msg and reply. Otherwise raw is decoded whole.
	stream bool
	// split is the frames Split must find in raw; nil means raw itself,
	// unless noSplit.
	split   []string
	noSplit bool // Split finds no frame (or reports ErrFrameTooLong)

	reason   protocols.Reason // Decode's reason; accepted for none
	sentinel error            // Decode's sentinel when refused
	msg      wantMsg
	reply    string // Reply's exact bytes for Decode's outcome
}

func ack(seq string) string { return nak(seq, 0, "ok") }

func nak(seq string, code int, text string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>` + seq +
		`</MessageSequenceNo><ResultCode>` + strconv.Itoa(code) + `</ResultCode><ResultText>` + text + `</ResultText></AckNakClass>`
}

func poorly(seq string) string  { return nak(seq, 1, "Poorly formed XML") }
func invalid(seq string) string { return nak(seq, 9, "Invalid XML") }

func cid(account, code string, q protocols.Qualifier, area, zone, user string) wantEvent {
	return wantEvent{format: protocols.FormatContactID, account: account, code: code, qualifier: q,
		partition: area, zone: zone, user: user, known: true}
}

func (e wantEvent) with(mods ...protocols.Modifier) wantEvent { e.mods = mods; return e }
func (e wantEvent) withText(t string) wantEvent               { e.text = t; return e }

func mod(name, value string) protocols.Modifier { return protocols.Modifier{Name: name, Value: value} }

const (
	qNew     = protocols.QualifierNew
	qRestore = protocols.QualifierRestore
)

// msg builds an XMLMessageClass with a declaration, header and pairs.
func msg(typ, seq string, pairs ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><XMLMessageClass><MessageType>` + typ +
		`</MessageType><SourceID>7</SourceID><MessageSequenceNo>` + seq + `</MessageSequenceNo>`)
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(kv(pairs[i], pairs[i+1]))
	}
	b.WriteString(`</XMLMessageClass>`)
	return b.String()
}

func kv(k, v string) string {
	return `<KeyValuePair><Key>` + k + `</Key><Value>` + v + `</Value></KeyValuePair>`
}

// Verbatim evidence.
const (
	// conftest.py example_masxml_ajax; automation-research.md §2.3 shows the
	// same message indented by four.
	emulatorAjax = "<?xml version='1.0' encoding='UTF-8'?>\n    <XMLMessageClass>\n        <MessageType>AJAX</MessageType>\n        <SourceID>5</SourceID>\n        <MessageSequenceNo>101</MessageSequenceNo>\n        <KeyValuePair><Key>Account</Key><Value>ABCDEF1234</Value></KeyValuePair>\n        <KeyValuePair><Key>EventCode</Key><Value>E120</Value></KeyValuePair>\n        <KeyValuePair><Key>Area</Key><Value>1</Value></KeyValuePair>\n        <KeyValuePair><Key>User</Key><Value>0</Value></KeyValuePair>\n    </XMLMessageClass>"
	researchAjax = "<?xml version='1.0' encoding='UTF-8'?>\n<XMLMessageClass>\n    <MessageType>AJAX</MessageType>\n    <SourceID>5</SourceID>\n    <MessageSequenceNo>101</MessageSequenceNo>\n    <KeyValuePair><Key>Account</Key><Value>ABCDEF1234</Value></KeyValuePair>\n    <KeyValuePair><Key>EventCode</Key><Value>E120</Value></KeyValuePair>\n    <KeyValuePair><Key>Area</Key><Value>1</Value></KeyValuePair>\n    <KeyValuePair><Key>User</Key><Value>0</Value></KeyValuePair>\n</XMLMessageClass>"
	// conftest.py example_masxml_heartbeat.
	emulatorHeartbeat = "<?xml version='1.0' encoding='UTF-8'?>\n    <XMLMessageClass>\n        <MessageType>HEARTBEAT</MessageType>\n        <SourceID>5</SourceID>\n        <MessageSequenceNo>100</MessageSequenceNo>\n    </XMLMessageClass>"
	// test_E2E_masxml.py: the emulator's own end-to-end client sends this
	// other root (which the emulator, reading the sequence with a regular
	// expression, answers).
	emulatorE2E = "<AjaxMessage>\n<MessageType>Event</MessageType>\n<SourceID>999</SourceID>\n<MessageSequenceNo>123456</MessageSequenceNo>\n<KeyValuePair>\n    <Key>EventType</Key>\n    <Value>Alarm</Value>\n</KeyValuePair>\n</AjaxMessage>"
	// test_client.py.
	emulatorClient = `<?xml version="1.0" encoding="UTF-8"?><Message><MessageType>AJAX</MessageType><SourceID>Test</SourceID><MessageSequenceNo>1</MessageSequenceNo><KeyValuePair><Key>Type</Key><Value>HEARTBEAT</Value></KeyValuePair></Message>`
)

var ajaxMsg = wantMsg{kind: "signals", account: "ABCDEF1234", seq: "101", sender: "5",
	events: []wantEvent{cid("ABCDEF1234", "120", qNew, "1", "", "0")}}

var (
	photoB64   = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/"
	payloadMsg = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<XMLMessageClass>\n<MessageType>AJAX</MessageType>\n<SourceID>5</SourceID>\n<MessageSequenceNo>1082</MessageSequenceNo>\n" +
		kv("Account", "ABCDEF1234") + kv("EventCode", "E130") + kv("Zone", "12") +
		"\n<Payload><PayloadID>77</PayloadID><PacketNumber>1</PacketNumber><FileName>photo_1.jpg</FileName><LastFile>false</LastFile><PacketData>\n" +
		photoB64[:60] + "\n" + photoB64[60:] + "\n</PacketData></Payload>\n</XMLMessageClass>"
	bigMsg = msg("AJAX", "500", "Account", "1234", "EventCode", "E130", "Text", strings.Repeat("x", 300))
)

var cases = []testCase{
	// Evidence, verbatim.
	{name: "emulator_ajax", source: "S6 conftest.py example_masxml_ajax", raw: emulatorAjax,
		msg: ajaxMsg, reply: ack("101")},
	{name: "research_example", source: "automation-research.md §2.3", raw: researchAjax,
		msg: ajaxMsg, reply: ack("101")},
	{name: "emulator_heartbeat", source: "S6 conftest.py example_masxml_heartbeat", raw: emulatorHeartbeat,
		msg: wantMsg{kind: "heartbeat", seq: "100", sender: "5"}, reply: ack("100")},
	{name: "emulator_e2e_other_root", source: "S6 test_E2E_masxml.py: root AjaxMessage", raw: emulatorE2E, noSplit: true,
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},
	{name: "emulator_client_other_root", source: "S6 test_client.py: root Message", raw: emulatorClient, noSplit: true,
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},

	// Heartbeats.
	{name: "heartbeat_compact", source: "§2.3 heartbeat, without declaration, lower case type (I)",
		raw:   `<XMLMessageClass><MessageType>heartbeat</MessageType><SourceID>ajax cloud-1</SourceID><MessageSequenceNo>7</MessageSequenceNo></XMLMessageClass>`,
		msg:   wantMsg{kind: "heartbeat", seq: "7", sender: "ajax cloud-1"},
		reply: ack("7")},

	// Signals, media, photos.
	{name: "url_portal", source: "§2.3 links: KV URL",
		raw: msg("AJAX", "102", "Account", "ABCDEF1234", "EventCode", "E130", "Area", "2", "Zone", "5", "URL", "https://app.ajax.systems/event?id=1&amp;z=5"),
		msg: wantMsg{kind: "signals", account: "ABCDEF1234", seq: "102", sender: "7", events: []wantEvent{
			cid("ABCDEF1234", "130", qNew, "2", "5", "").with(mod("media_portal", "https://app.ajax.systems/event?id=1&z=5"))}},
		reply: ack("102")},
	{name: "media_kinds_and_attrs", source: "ours: clip/live/snapshot keys, unknown keys, key case (I)",
		raw: msg("AJAX", "103", "ACCOUNT", "1234", "eventcode", "R130", "zone", "007", "ClipURL", "https://c.example/clip.mp4",
			"LiveURL", "http://c.example/live", "SnapshotURL", "https://c.example/s.jpg", "EventType", "Alarm", "Device Name", "Hall PIR", "Text", "Hall motion"),
		msg: wantMsg{kind: "signals", account: "1234", seq: "103", sender: "7", events: []wantEvent{
			cid("1234", "130", qRestore, "", "007", "").withText("Hall motion").with(
				mod("media_clip", "https://c.example/clip.mp4"), mod("media_live", "http://c.example/live"),
				mod("media_snapshot", "https://c.example/s.jpg"), mod("attr_eventtype", "Alarm"), mod("attr_device_name", "Hall PIR"))}},
		reply: ack("103")},
	{name: "sia_code", source: "ours: a SIA code in EventCode",
		raw: msg("AJAX", "104", "Account", "1234", "EventCode", "BA", "Zone", "3"),
		msg: wantMsg{kind: "signals", account: "1234", seq: "104", sender: "7", events: []wantEvent{
			{format: protocols.FormatSIA, account: "1234", code: "BA", qualifier: qNew, zone: "3", known: true}}},
		reply: ack("104")},
	{name: "unknown_code", source: "ours: an unknown code is kept, never refused",
		raw: msg("AJAX", "105", "Account", "1234", "EventCode", "E999"),
		msg: wantMsg{kind: "signals", account: "1234", seq: "105", sender: "7", events: []wantEvent{
			{format: protocols.FormatContactID, account: "1234", code: "999", qualifier: qNew}}},
		reply: ack("105")},
	{name: "photo_packetdata", source: "§2.3 photos: base64 in PacketData",
		raw: msg("AJAX", "106", "Account", "1234", "EventCode", "E130")[:len(msg("AJAX", "106", "Account", "1234", "EventCode", "E130"))-len("</XMLMessageClass>")] +
			"<PacketData>" + photoB64 + "</PacketData></XMLMessageClass>",
		msg: wantMsg{kind: "signals", account: "1234", seq: "106", sender: "7", events: []wantEvent{cid("1234", "130", qNew, "", "", "")},
			photos: []Photo{{Length: len(photoB64)}}},
		reply: ack("106")},
	{name: "photo_payload_chunk", source: "§2.3 photos: chunked in Payload with PayloadID, PacketNumber, FileName, LastFile",
		raw: payloadMsg,
		msg: wantMsg{kind: "signals", account: "ABCDEF1234", seq: "1082", sender: "5", events: []wantEvent{cid("ABCDEF1234", "130", qNew, "", "12", "")},
			photos: []Photo{{PayloadID: "77", PacketNumber: "1", FileName: "photo_1.jpg", LastFile: "false", Length: len(photoB64)}}},
		reply: ack("1082")},
	{name: "multi_signal_shared_account", source: "ours: a repeated field starts a signal, the Account carries over (I)",
		raw: msg("AJAX", "107", "Account", "1234", "EventCode", "E130", "Zone", "3", "EventCode", "R130", "Zone", "3"),
		msg: wantMsg{kind: "signals", account: "1234", seq: "107", sender: "7", events: []wantEvent{
			cid("1234", "130", qNew, "", "3", ""), cid("1234", "130", qRestore, "", "3", "")}},
		reply: ack("107")},
	{name: "multi_signal_two_accounts", source: "ours: two accounts in one message (I)",
		raw: msg("AJAX", "108", "Account", "1234", "EventCode", "E301", "Account", "5678", "EventCode", "E602"),
		msg: wantMsg{kind: "signals", account: "1234", seq: "108", sender: "7", events: []wantEvent{
			cid("1234", "301", qNew, "", "", ""), cid("5678", "602", qNew, "", "", "")}},
		reply: ack("108")},
	{name: "latin1", source: "ours: ISO-8859-1 declaration and bytes",
		raw: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><XMLMessageClass><MessageType>AJAX</MessageType><SourceID>5</SourceID><MessageSequenceNo>109</MessageSequenceNo>" +
			kv("Account", "1234") + kv("EventCode", "E130") + kv("Text", "Entr\xe9e, c\xf4t\xe9 jardin") + "</XMLMessageClass>",
		msg: wantMsg{kind: "signals", account: "1234", seq: "109", sender: "5", events: []wantEvent{
			cid("1234", "130", qNew, "", "", "").withText("Entrée, côté jardin")}},
		reply: ack("109")},
	{name: "windows1252", source: "ours: Windows-1252 declaration, bytes 0x80-0x9F",
		raw: "<?xml version=\"1.0\" encoding=\"windows-1252\"?><XMLMessageClass><MessageType>AJAX</MessageType><SourceID>5</SourceID><MessageSequenceNo>110</MessageSequenceNo>" +
			kv("Account", "1234") + kv("EventCode", "E130") + kv("Text", "\x93Tresor\x94 \x80") + "</XMLMessageClass>",
		msg: wantMsg{kind: "signals", account: "1234", seq: "110", sender: "5", events: []wantEvent{
			cid("1234", "130", qNew, "", "", "").withText("“Tresor” €")}},
		reply: ack("110")},

	// Streams.
	{name: "garbage_before", source: "ours: line noise and STX/ETX before a message", stream: true,
		raw:   "\x00noise</XMLMessageClass>\r\n\x02" + emulatorAjax + "\x03\r\n",
		split: []string{emulatorAjax},
		msg:   ajaxMsg, reply: ack("101")},
	{name: "retransmission", source: "ours: the same message twice (no ACK came back): the same Sequence", stream: true,
		raw:   emulatorAjax + "\r\n" + emulatorAjax,
		split: []string{emulatorAjax, emulatorAjax},
		msg:   ajaxMsg, reply: ack("101")},
	{name: "cut_short", source: "ours: a message cut short by the next one is skipped", stream: true,
		raw:   `<?xml version="1.0"?><XMLMessageClass><MessageType>AJAX</MessageType><MessageSeq` + emulatorHeartbeat,
		split: []string{emulatorHeartbeat},
		msg:   wantMsg{kind: "heartbeat", seq: "100", sender: "5"}, reply: ack("100")},

	// Refusals.
	{name: "missing_account", source: "ours: mandatory data missing",
		raw:    msg("AJAX", "201", "EventCode", "E130"),
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, msg: wantMsg{kind: "rejected", seq: "201", sender: "7"}, reply: invalid("201")},
	{name: "missing_event_code", source: "ours: mandatory data missing",
		raw:    msg("AJAX", "202", "Account", "1234", "Zone", "1"),
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, msg: wantMsg{kind: "rejected", seq: "202", sender: "7"}, reply: invalid("202")},
	{name: "no_pairs", source: "ours: a signal message without pairs",
		raw:    msg("AJAX", "203"),
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, msg: wantMsg{kind: "rejected", seq: "203", sender: "7"}, reply: invalid("203")},
	{name: "missing_sequence", source: "ours: no MessageSequenceNo to echo",
		raw:    `<XMLMessageClass><MessageType>AJAX</MessageType><SourceID>7</SourceID>` + kv("Account", "1234") + kv("EventCode", "E130") + `</XMLMessageClass>`,
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, msg: wantMsg{kind: "rejected", sender: "7"}, reply: invalid("0000")},
	{name: "bad_sequence", source: "ours: a sequence that is not digits",
		raw:    msg("AJAX", "12a", "Account", "1234", "EventCode", "E130"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, msg: wantMsg{kind: "rejected", sender: "7"}, reply: invalid("0000")},
	{name: "missing_type", source: "ours: no MessageType",
		raw:    `<XMLMessageClass><SourceID>7</SourceID><MessageSequenceNo>204</MessageSequenceNo></XMLMessageClass>`,
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, msg: wantMsg{kind: "rejected", seq: "204", sender: "7"}, reply: invalid("204")},
	{name: "bad_account", source: "ours: account over 16 characters",
		raw:    msg("AJAX", "205", "Account", "12345678901234567", "EventCode", "E130"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, msg: wantMsg{kind: "rejected", seq: "205", sender: "7"}, reply: invalid("205")},
	{name: "bad_url", source: "ours: a link that is not http(s)",
		raw:    msg("AJAX", "206", "Account", "1234", "EventCode", "E130", "URL", "javascript:alert(1)"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, msg: wantMsg{kind: "rejected", seq: "206", sender: "7"}, reply: invalid("206")},
	{name: "bad_code", source: "ours: an event code alarmcode refuses",
		raw:    msg("AJAX", "207", "Account", "1234", "EventCode", "E130 E130"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, msg: wantMsg{kind: "rejected", seq: "207", sender: "7"}, reply: invalid("207")},
	{name: "not_well_formed", source: "ours: mismatched end tag after the sequence",
		raw:    `<XMLMessageClass><MessageType>AJAX</MessageType><MessageSequenceNo>208</MessageSequenceNo><KeyValuePair><Key>Account</Value></KeyValuePair></XMLMessageClass>`,
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected", seq: "208"}, reply: poorly("208")},
	{name: "trailing_content", source: "ours: content after the root element",
		raw:    emulatorHeartbeat + "<x/>",
		split:  []string{emulatorHeartbeat},
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected", seq: "100", sender: "5"}, reply: poorly("100")},
	{name: "doctype_xxe", source: "ours: external entity (XXE) in a DTD",
		raw:    "<?xml version=\"1.0\"?>\n<!DOCTYPE XMLMessageClass [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" + msg("AJAX", "209", "Account", "1234", "EventCode", "E130", "Text", "&xxe;")[len(`<?xml version="1.0" encoding="UTF-8"?>`):],
		split:  []string{msg("AJAX", "209", "Account", "1234", "EventCode", "E130", "Text", "&xxe;")[len(`<?xml version="1.0" encoding="UTF-8"?>`):]},
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},
	{name: "billion_laughs", source: "ours: entity expansion",
		raw:    `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><XMLMessageClass><MessageType>AJAX</MessageType><MessageSequenceNo>210</MessageSequenceNo>` + kv("Text", "&c;") + `</XMLMessageClass>`,
		split:  []string{`<XMLMessageClass><MessageType>AJAX</MessageType><MessageSequenceNo>210</MessageSequenceNo>` + kv("Text", "&c;") + `</XMLMessageClass>`},
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},
	{name: "undefined_entity", source: "ours: an entity no one defined (the frame Split finds in billion_laughs)",
		raw:    `<XMLMessageClass><MessageType>AJAX</MessageType><MessageSequenceNo>210</MessageSequenceNo>` + kv("Account", "1234") + kv("EventCode", "E130") + kv("Text", "&c;") + `</XMLMessageClass>`,
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected", seq: "210"}, reply: poorly("210")},
	{name: "unsupported_charset", source: "ours: a charset other than UTF-8, Latin-1, Windows-1252",
		raw:    `<?xml version="1.0" encoding="Shift_JIS"?>` + msg("AJAX", "211", "Account", "1234", "EventCode", "E130")[len(`<?xml version="1.0" encoding="UTF-8"?>`):],
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},
	{name: "too_long", source: "ours: a message over a 300-byte cap", max: 300,
		raw: bigMsg, noSplit: true,
		reason: protocols.ReasonTooLong, sentinel: protocols.ErrFrameTooLong, msg: wantMsg{kind: "rejected"}, reply: poorly("0000")},
}

func caseByName(name string) (testCase, bool) {
	for _, tc := range cases {
		if tc.name == name {
			return tc, true
		}
	}
	return testCase{}, false
}

func (tc testCase) codec() *Codec { return New(Options{MaxFrameBytes: tc.max}) }

// frames is what Split must find in tc.raw.
func (tc testCase) frames() []string {
	switch {
	case tc.noSplit:
		return nil
	case tc.split != nil:
		return tc.split
	}
	return []string{tc.raw}
}

// inputs is what Decode is given: the frames of a stream, else raw.
func (tc testCase) inputs() []string {
	if tc.stream {
		return tc.frames()
	}
	return []string{tc.raw}
}
