package microkey

import (
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// The case catalogue: the vendor sample [S5] and the emulator's replies
// [S6] verbatim, and our own packages for the rest. One table drives the
// decode, reply, split and golden tests and seeds the fuzzers.

// accepted is the expected reason of a package Decode accepts.
const accepted = protocols.ReasonUnknown

// vendorSample is the Alarm.com package of the Micro Key KB log [S5],
// byte for byte, with its LF and CR.
const vendorSample = "\n" + `<?xml version="1.0"?><Signals Ver="1.0.0"><SignalCount>1</SignalCount><Sequence>10000</Sequence><Signal><LN>01</LN><ACC>8888</ACC><SI>BD</SI><PZ>102</PZ><A>1</A><VF>\\172.26.1.26\servidor\dvr_674\2025-05-29\prevideo_20250529-170724-506_canal_2.avi</VF><DT>2025-05-29</DT><TM>17:07:48</TM></Signal></Signals><Checksum>3F7D</Checksum>` + "\r"

// The emulator's two replies for Sequence 10000 [S6], with our checksum.
const (
	emulatorACK = "\r<Response><Sequence>10000</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n"
	emulatorNAK = "\r<Response><Sequence>10000</Sequence><Status>NAK</Status><Error>Checksum error</Error></Response><Checksum>0000</Checksum>\n"
)

func ack(seq string) string {
	return "\r<Response><Sequence>" + seq + "</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n"
}

func nak(seq, text string) string {
	return "\r<Response><Sequence>" + seq + "</Sequence><Status>NAK</Status><Error>" + text + "</Error></Response><Checksum>0000</Checksum>\n"
}

// pkg builds a package framed LF … CR with checksum 1A2B.
func pkg(seq, count string, signals ...string) string {
	return "\n" + body(seq, count, signals...) + "<Checksum>1A2B</Checksum>\r"
}

// body is the <?xml …?><Signals>…</Signals> part of a package.
func body(seq, count string, signals ...string) string {
	return `<?xml version="1.0"?><Signals Ver="1.0.0"><SignalCount>` + count + `</SignalCount><Sequence>` + seq +
		`</Sequence>` + strings.Join(signals, "") + `</Signals>`
}

func sig(inner string) string { return "<Signal>" + inner + "</Signal>" }

// wantEvent is the part of a protocols.Event the table asserts.
type wantEvent struct {
	account, format, code string
	qualifier             protocols.Qualifier
	partition, zone, text string
	known                 bool
	mods                  []protocols.Modifier
}

func mods(kv ...string) []protocols.Modifier {
	var out []protocols.Modifier
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, protocols.Modifier{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// frameCase is one input with everything expected of it.
type frameCase struct {
	name string
	raw  string
	opts Options
	// reason and sentinel of the refusal; accepted when Decode accepts.
	reason   protocols.Reason
	sentinel error
	// Message fields (also for a refusal: kind "rejected" and the sequence
	// read, if any).
	kind, account, seq, line string
	devs                     []protocols.Reason
	charset                  string
	events                   []wantEvent
	reply                    string
	// frames Split finds in raw; nil means raw without its LF/CR padding,
	// noSplit none.
	frames  []string
	noSplit bool
}

const qNew, qRestore = protocols.QualifierNew, protocols.QualifierRestore

var sampleEvent = wantEvent{account: "8888", format: "SIA", code: "BD", qualifier: qNew, partition: "1", zone: "102", known: true,
	mods: mods("attr_line", "01", "attr_date", "2025-05-29", "attr_time", "17:07:48",
		"attr_video_file", `\\172.26.1.26\servidor\dvr_674\2025-05-29\prevideo_20250529-170724-506_canal_2.avi`)}

// hundredAndOne is a package with one Signal over MaxSignals.
var hundredAndOne = pkg("77", "101", strings.Repeat(sig("<ACC>1234</ACC><SI>E130</SI>"), MaxSignals+1))

var frameCases = []frameCase{
	// The evidence, verbatim.
	{name: "v1_vendor_sample", raw: vendorSample, kind: "signals", account: "8888", seq: "10000", line: "01",
		events: []wantEvent{sampleEvent}, reply: emulatorACK},
	{name: "v2_vendor_sample_retransmitted", raw: vendorSample, kind: "signals", account: "8888", seq: "10000", line: "01",
		events: []wantEvent{sampleEvent}, reply: emulatorACK},
	{name: "v3_emulator_nak_checksum", raw: "\n" + body("10000", "1", sig("<ACC>8888</ACC><SI>BD</SI>")) + "<Checksum>3F7G</Checksum>\r",
		reason: protocols.ReasonChecksum, sentinel: ErrChecksum, kind: "rejected", seq: "10000", reply: emulatorNAK},

	// Tolerated forms.
	{name: "t1_no_declaration_no_lf_cr",
		raw:  strings.TrimPrefix(body("5", "1", sig("<ACC>1234</ACC><SI>E130</SI><PZ>015</PZ><A>01</A>")), `<?xml version="1.0"?>`) + "<Checksum>00FF</Checksum>",
		kind: "signals", account: "1234", seq: "5",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, partition: "01", zone: "015", known: true}},
		reply:  ack("5")},
	{name: "t2_cr_lf_swapped", raw: "\r" + body("6", "1", sig("<ACC>1234</ACC><SI>R130</SI><PZ>015</PZ>")) + "<Checksum>00FF</Checksum>\n",
		kind: "signals", account: "1234", seq: "6",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qRestore, zone: "015", known: true}},
		reply:  ack("6")},
	{name: "t3_white_space_between_elements",
		raw: "\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Signals Ver=\"1.0.0\">\r\n  <SignalCount> 1 </SignalCount>\r\n  <Sequence>7</Sequence>\r\n" +
			"  <Signal>\r\n    <ACC> 1234 </ACC>\r\n    <SI>E130</SI>\r\n  </Signal>\r\n</Signals> <Checksum>ABCD</Checksum>\r",
		kind: "signals", account: "1234", seq: "7",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true}},
		reply:  ack("7")},
	{name: "t4_no_checksum", raw: "\n" + body("8", "1", sig("<ACC>1234</ACC><SI>E130</SI>")) + "\r",
		kind: "signals", account: "1234", seq: "8", devs: []protocols.Reason{protocols.ReasonChecksum},
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true}},
		reply:  ack("8")},
	{name: "t5_lower_case_checksum", raw: "\n" + body("9", "1", sig("<ACC>1234</ACC><SI>E130</SI>")) + "<Checksum>4fe9</Checksum>\r",
		kind: "signals", account: "1234", seq: "9", devs: []protocols.Reason{protocols.ReasonLowerHex},
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true}},
		reply:  ack("9")},
	{name: "t6_long_names_and_media", raw: pkg("11", "1", sig(
		"<Account>P2794</Account><Date>2025-06-01</Date><Time>08:15:00</Time><SignalIdentifier>E130</SignalIdentifier>"+
			"<PhysicalZone>017</PhysicalZone><Area>2</Area><Data>Motion, hall camera</Data>"+
			"<VideoFile>https://video.example.com/clip/1.mp4</VideoFile><Image>https://img.example.com/s/1.jpg</Image>"+
			"<Url>https://portal.example.com/event?id=1&amp;zone=017</Url><Link>ajax-pro-desktop://event/1</Link>"+
			"<Hyperlink>http://portal.example.com/h</Hyperlink><User>5</User>")),
		kind: "signals", account: "P2794", seq: "11",
		events: []wantEvent{{account: "P2794", format: "CID", code: "130", qualifier: qNew, partition: "2", zone: "017",
			text: "Motion, hall camera", known: true,
			mods: mods("attr_date", "2025-06-01", "attr_time", "08:15:00",
				"media_clip", "https://video.example.com/clip/1.mp4", "media_snapshot", "https://img.example.com/s/1.jpg",
				"media_portal", "https://portal.example.com/event?id=1&zone=017", "attr_link", "ajax-pro-desktop://event/1",
				"media_portal", "http://portal.example.com/h", "attr_user", "5")}},
		reply: ack("11")},
	{name: "t7_multi_signal", raw: pkg("12", "3",
		sig("<Account>1234</Account><SignalIdentifier>E130</SignalIdentifier><PhysicalZone>3</PhysicalZone><Image>https://img.example.com/a.jpg</Image>"),
		sig("<Account>1234</Account><SignalIdentifier>E761</SignalIdentifier><Url>https://app.example.com/x</Url>"),
		sig("<Account>1234</Account><SignalIdentifier>R145</SignalIdentifier><PhysicalZone>9</PhysicalZone>")),
		kind: "signals", account: "1234", seq: "12",
		events: []wantEvent{
			{account: "1234", format: "CID", code: "130", qualifier: qNew, zone: "3", known: true, mods: mods("media_snapshot", "https://img.example.com/a.jpg")},
			{account: "1234", format: "CID", code: "761", qualifier: qNew, known: false, mods: mods("media_portal", "https://app.example.com/x")},
			{account: "1234", format: "CID", code: "145", qualifier: qRestore, zone: "9", known: true},
		},
		reply: ack("12")},
	{name: "t8_http_video_file", raw: pkg("13", "1", sig(`<ACC>8888</ACC><SI>BD</SI><VF>http://dvr.example.com/674/clip.avi</VF>`)),
		kind: "signals", account: "8888", seq: "13",
		events: []wantEvent{{account: "8888", format: "SIA", code: "BD", qualifier: qNew, known: true,
			mods: mods("media_clip", "http://dvr.example.com/674/clip.avi")}},
		reply: ack("13")},
	{name: "t9_unknown_code_kept", raw: pkg("14", "1", sig("<ACC>1234</ACC><SI>ZZ9</SI><PZ>4</PZ>")),
		kind: "signals", account: "1234", seq: "14",
		events: []wantEvent{{account: "1234", format: "SIA", code: "ZZ9", zone: "4"}},
		reply:  ack("14")},
	{name: "t10_unknown_element_of_signals_skipped", raw: pkg("15", "1", "<Receiver><Id>2</Id></Receiver>", sig("<ACC>1234</ACC><SI>E130</SI>")),
		kind: "signals", account: "1234", seq: "15",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true}},
		reply:  ack("15")},

	// Heartbeats [S27].
	{name: "h1_heartbeat", raw: pkg("16", "0"), kind: "heartbeat", seq: "16", reply: ack("16")},
	{name: "h2_heartbeat_no_checksum_no_declaration", raw: "\n<Signals Ver=\"1.0.0\"><SignalCount>0</SignalCount><Sequence>17</Sequence></Signals>\r",
		kind: "heartbeat", seq: "17", devs: []protocols.Reason{protocols.ReasonChecksum}, reply: ack("17")},

	// Charsets.
	{name: "c1_latin1", raw: "\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>18</Sequence>" +
		"<Signal><ACC>1234</ACC><SI>E130</SI><Data>Entr\xe9e, c\xf4t\xe9 jardin</Data></Signal></Signals><Checksum>1A2B</Checksum>\r",
		kind: "signals", account: "1234", seq: "18", charset: "iso-8859-1",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true, text: "Entrée, côté jardin"}},
		reply:  ack("18")},
	{name: "c2_windows1252", raw: "\n<?xml version=\"1.0\" encoding=\"windows-1252\"?><Signals><SignalCount>1</SignalCount><Sequence>19</Sequence>" +
		"<Signal><ACC>1234</ACC><SI>E130</SI><Data>\x93Caf\xe9\x94 \x80</Data></Signal></Signals><Checksum>1A2B</Checksum>\r",
		kind: "signals", account: "1234", seq: "19", charset: "windows-1252",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true, text: "“Café” €"}},
		reply:  ack("19")},
	{name: "c3_undeclared_windows1252", raw: pkg("20", "1", sig("<ACC>1234</ACC><SI>E130</SI><Data>Caf\xe9</Data>")),
		kind: "signals", account: "1234", seq: "20", charset: "windows-1252",
		events: []wantEvent{{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true, text: "Café"}},
		reply:  ack("20")},
	{name: "c4_other_charset_refused", raw: "\n<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><Signals><SignalCount>0</SignalCount><Sequence>21</Sequence></Signals><Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", reply: nak("", "Invalid XML")},

	// Refusals.
	{name: "r1_count_mismatch", raw: pkg("22", "2", sig("<ACC>1234</ACC><SI>E130</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrCount, kind: "rejected", seq: "22", reply: nak("22", "Signal count mismatch")},
	{name: "r2_count_but_no_signal", raw: pkg("23", "1"),
		reason: protocols.ReasonSyntax, sentinel: ErrCount, kind: "rejected", seq: "23", reply: nak("23", "Signal count mismatch")},
	{name: "r3_missing_account", raw: pkg("24", "1", sig("<SI>E130</SI><PZ>1</PZ>")),
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, kind: "rejected", seq: "24", reply: nak("24", "Missing account")},
	{name: "r4_missing_code", raw: pkg("25", "1", sig("<ACC>1234</ACC><PZ>1</PZ>")),
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, kind: "rejected", seq: "25", reply: nak("25", "Missing event code")},
	{name: "r5_missing_sequence", raw: "\n<Signals><SignalCount>0</SignalCount></Signals><Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, kind: "rejected", reply: nak("", "Missing sequence")},
	{name: "r6_missing_signal_count", raw: "\n<Signals><Sequence>26</Sequence></Signals><Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrMissing, kind: "rejected", seq: "26", reply: nak("26", "Missing signal count")},
	{name: "r7_bad_account", raw: pkg("27", "1", sig("<ACC>12 34</ACC><SI>E130</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "27", reply: nak("27", "Invalid account")},
	{name: "r8_account_too_long", raw: pkg("28", "1", sig("<ACC>12345678901234567</ACC><SI>E130</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "28", reply: nak("28", "Invalid account")},
	{name: "r9_bad_code", raw: pkg("29", "1", sig("<ACC>1234</ACC><SI>E130 E131</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "29", reply: nak("29", "Invalid event code")},
	{name: "r10_bad_signal_count", raw: pkg("30", "one"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "30", reply: nak("30", "Invalid signal count")},
	{name: "r11_bad_sequence", raw: pkg("3 1", "0"),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", reply: nak("", "Invalid sequence")},
	{name: "r12_too_many_signals", raw: hundredAndOne,
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "77", reply: nak("77", "Too many signals")},
	{name: "r13_text_too_long", raw: pkg("32", "1", sig("<ACC>1234</ACC><SI>E130</SI><Data>"+strings.Repeat("x", MaxText+1)+"</Data>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "32", reply: nak("32", "Invalid field")},
	{name: "r14_url_too_long", raw: pkg("33", "1", sig("<ACC>1234</ACC><SI>E130</SI><Image>https://img.example.com/"+strings.Repeat("a", MaxURL)+"</Image>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "33", reply: nak("33", "Invalid URL")},
	{name: "r15_conflicting_account", raw: pkg("34", "1", sig("<ACC>1234</ACC><Account>5678</Account><SI>E130</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrWrongContent, kind: "rejected", seq: "34", reply: nak("34", "Invalid field")},
	{name: "r16_malformed_xml", raw: pkg("35", "1", "<Signal><ACC>1234</SI></Signal>"),
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "35", reply: nak("35", "Invalid XML")},
	{name: "r17_element_inside_field", raw: pkg("36", "1", sig("<ACC><b>1234</b></ACC><SI>E130</SI>")),
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "36", reply: nak("36", "Invalid XML")},
	{name: "r18_content_after_signals", raw: "\n" + body("37", "0") + "junk<Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "37", reply: nak("37", "Invalid XML"),
		frames: []string{body("37", "0")}},
	{name: "r19_unclosed_checksum", raw: "\n" + body("38", "0") + "<Checksum>1A2B\r",
		reason: protocols.ReasonChecksum, sentinel: ErrChecksum, kind: "rejected", seq: "38", reply: nak("38", "Checksum error")},
	{name: "r20_checksum_too_short", raw: "\n" + body("39", "0") + "<Checksum>1A2</Checksum>\r",
		reason: protocols.ReasonChecksum, sentinel: ErrChecksum, kind: "rejected", seq: "39", reply: nak("39", "Checksum error")},
	{name: "r21_wrong_root", raw: "\n<Response><Sequence>40</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", reply: nak("", "Invalid XML"), noSplit: true},
	{name: "r22_undefined_entity", raw: pkg("41", "1", sig("<ACC>1234</ACC><SI>E130</SI><Data>&xxe;</Data>")),
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "41", reply: nak("41", "Invalid XML")},

	// Attacks: a DTD is refused before anything in it is read.
	{name: "x1_billion_laughs", raw: "\n<?xml version=\"1.0\"?><!DOCTYPE Signals [<!ENTITY a \"lol\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">" +
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><Signals><SignalCount>1</SignalCount><Sequence>42</Sequence>" +
		"<Signal><ACC>1234</ACC><SI>E130</SI><Data>&c;</Data></Signal></Signals><Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", reply: nak("", "Invalid XML")},
	{name: "x2_external_entity", raw: "\n<?xml version=\"1.0\"?><!DOCTYPE Signals [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
		"<Signals><SignalCount>1</SignalCount><Sequence>43</Sequence><Signal><ACC>1234</ACC><SI>E130</SI><Data>&xxe;</Data></Signal></Signals><Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", reply: nak("", "Invalid XML")},
	{name: "x3_directive_inside_signals", raw: pkg("44", "0", "<!DOCTYPE x>"),
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "44", reply: nak("44", "Invalid XML")},

	// Streams: Split resynchronises.
	{name: "s1_garbage_before_package", raw: "\x00\xffGARBAGE<Sig>\n" + body("45", "0") + "<Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", charset: "windows-1252", reply: nak("", "Invalid XML"),
		frames: []string{body("45", "0") + "<Checksum>1A2B</Checksum>"}},
	{name: "s2_truncated_then_package", raw: "\n<?xml version=\"1.0\"?><Signals><SignalCount>1</SignalCount><Sequence>46</Sequence><Signal><ACC>12" +
		"\n" + body("47", "0") + "<Checksum>1A2B</Checksum>\r",
		reason: protocols.ReasonSyntax, sentinel: ErrSyntax, kind: "rejected", seq: "46", reply: nak("46", "Invalid XML"),
		frames: []string{body("47", "0") + "<Checksum>1A2B</Checksum>"}},
	{name: "s3_size_cap", raw: vendorSample, opts: Options{MaxFrameBytes: 256},
		reason: protocols.ReasonTooLong, sentinel: protocols.ErrFrameTooLong, kind: "rejected", reply: nak("", "Message too long"), noSplit: true},
}

func caseByName(name string) (frameCase, bool) {
	for _, tc := range frameCases {
		if tc.name == name {
			return tc, true
		}
	}
	return frameCase{}, false
}

// wantFrames is what Split must find in tc.raw.
func (tc frameCase) wantFrames() []string {
	switch {
	case tc.noSplit:
		return nil
	case tc.frames != nil:
		return tc.frames
	}
	return []string{strings.Trim(tc.raw, "\r\n")}
}
