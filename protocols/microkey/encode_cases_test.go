package microkey

import (
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// The sending side's case catalogue: what EncodeSignal and EncodeHeartbeat
// are given, the exact package expected where it matters, and what our own
// Decode must make of it. One table drives the encode tests, the golden
// files (encode_<name>) and the reply fuzz seeds.

// encodeCase is one call of EncodeSignal (or EncodeHeartbeat).
type encodeCase struct {
	name      string
	heartbeat bool
	seq       string
	account   string
	ev        protocols.Event
	at        time.Time
	// wire is the exact package expected; "" when only the decoded view is
	// asserted.
	wire string
	// notEncodable: EncodeSignal refuses with ErrNotEncodable.
	notEncodable bool
	// want is what Decode must make of the package's one event (format,
	// code, qualifier, zone, user, area, text, modifiers).
	want wantEvent
	user string
}

// cidEvent classifies a code the way every dialect's decoder does.
func cidEvent(f alarmcode.Fields, extra ...protocols.Modifier) protocols.Event {
	ev, err := alarmcode.Event(f)
	if err != nil {
		panic(err)
	}
	ev.Modifiers = append(ev.Modifiers, extra...)
	return ev
}

var (
	sampleAt = time.Date(2025, 5, 29, 17, 7, 48, 0, time.UTC)
	// localAt is 19:07:48 in UTC+2: DT/TM carry it in UTC.
	localAt = time.Date(2025, 5, 29, 19, 7, 48, 0, time.FixedZone("CEST", 2*3600))
	longURL = "https://video.example.com/" + strings.Repeat("a", MaxURL)
)

func withMods(base []protocols.Modifier, kv ...string) []protocols.Modifier {
	return append(append([]protocols.Modifier{}, base...), mods(kv...)...)
}

var encodeCases = []encodeCase{
	// The vendor sample's event, decoded, sent again: the same package but
	// for our checksum [S5].
	{name: "e1_vendor_sample_event", seq: "10000", account: "8888", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "8888", Code: "BD", Zone: "102", Area: "1"},
			mods("attr_line", "01", "attr_date", "2025-05-29", "attr_time", "17:07:48",
				"attr_video_file", `\\172.26.1.26\servidor\dvr_674\2025-05-29\prevideo_20250529-170724-506_canal_2.avi`)...),
		wire: strings.Replace(vendorSample, "3F7D", SendChecksum, 1),
		want: sampleEvent},
	{name: "e2_cid_new_with_clip", seq: "1", account: "1234", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "1234", Code: "130", Zone: "015", Area: "01"},
			mods("media_clip", "https://video.example.com/clip/1.mp4?a=1&b=2")...),
		wire: "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>1</Sequence><Signal>" +
			"<LN>01</LN><ACC>1234</ACC><SI>E130</SI><PZ>015</PZ><A>01</A><VF>https://video.example.com/clip/1.mp4?a=1&amp;b=2</VF>" +
			"<DT>2025-05-29</DT><TM>17:07:48</TM></Signal></Signals><Checksum>0000</Checksum>\r",
		want: wantEvent{account: "1234", format: "CID", code: "130", qualifier: qNew, partition: "01", zone: "015", known: true,
			mods: withMods(mods("attr_line", "01"), "attr_date", "2025-05-29", "attr_time", "17:07:48",
				"media_clip", "https://video.example.com/clip/1.mp4?a=1&b=2")}},
	{name: "e3_cid_restore", seq: "2", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "R145", Zone: "9"}),
		want: wantEvent{account: "1234", format: "CID", code: "145", qualifier: qRestore, zone: "9", known: true, mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	{name: "e4_cid_status", seq: "3", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "6301"}),
		want: wantEvent{account: "1234", format: "CID", code: "301", qualifier: protocols.QualifierStatus, known: true, mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	// A user-addressed code: PZ carries the user, Decode reads it back as one.
	{name: "e5_user_code", seq: "4", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "E401", User: "005", Area: "2"}),
		user: "005",
		want: wantEvent{account: "1234", format: "CID", code: "401", qualifier: qNew, partition: "2", known: true, mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	// VF: the first usable link in the order clip, snapshot, live, portal; a
	// clip over MaxURL is passed over; the rest are not sent.
	{name: "e6_media_priority", seq: "5", account: "P2794", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "P2794", Code: "E130", Zone: "017"},
			mods("media_portal", "https://portal.example.com/e/1", "media_live", "https://live.example.com/cam/1",
				"media_clip", longURL, "media_snapshot", "https://img.example.com/s/1.jpg", "position", "48.85,2.35")...),
		want: wantEvent{account: "P2794", format: "CID", code: "130", qualifier: qNew, zone: "017", known: true,
			mods: withMods(mods("attr_line", "01"), "attr_date", "2025-05-29", "attr_time", "17:07:48", "media_clip", "https://img.example.com/s/1.jpg")}},
	{name: "e7_portal_only", seq: "6", account: "1234", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "1234", Code: "E130"},
			mods("media_portal", "ajax://not-web", "media_portal", "http://portal.example.com/h")...),
		want: wantEvent{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true,
			mods: withMods(mods("attr_line", "01"), "attr_date", "2025-05-29", "attr_time", "17:07:48", "media_clip", "http://portal.example.com/h")}},
	// Text goes as Data [S6], escaped; the time in UTC.
	{name: "e8_text_escaped_utc", seq: "7", account: "1234", at: localAt,
		ev: cidEvent(alarmcode.Fields{Account: "1234", Code: "E130", Zone: "3", Text: `Entrée <hall> & "garage" ✓`}),
		wire: "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>7</Sequence><Signal>" +
			"<LN>01</LN><ACC>1234</ACC><SI>E130</SI><PZ>3</PZ><A></A><DT>2025-05-29</DT><TM>17:07:48</TM>" +
			"<Data>Entrée &lt;hall&gt; &amp; &#34;garage&#34; ✓</Data></Signal></Signals><Checksum>0000</Checksum>\r",
		want: wantEvent{account: "1234", format: "CID", code: "130", qualifier: qNew, zone: "3", known: true,
			text: `Entrée <hall> & "garage" ✓`, mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	{name: "e9_text_controls_and_newlines", seq: "8", account: "1234", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "1234", Code: "E130", Text: "line 1\r\nline\t2 \x07bell\xff"}),
		want: wantEvent{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true,
			text: "line 1\r\nline\t2 \uFFFDbell\uFFFD", mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	// Fields over the dialect's caps are cut, never refused.
	{name: "e10_long_fields_cut", seq: "9", account: "1234", at: sampleAt,
		ev: cidEvent(alarmcode.Fields{Account: "1234", Code: "E130", Zone: strings.Repeat("9", 40), Area: "A\x01rea " + strings.Repeat("é", 20),
			Text: strings.Repeat("x", MaxText-1) + "éé"}, mods("attr_line", strings.Repeat("7", 40))...),
		want: wantEvent{account: "1234", format: "CID", code: "130", qualifier: qNew, known: true,
			zone: strings.Repeat("9", MaxShort), partition: "Area " + strings.Repeat("é", 13),
			text: strings.Repeat("x", MaxText-1), mods: withMods(mods("attr_line", strings.Repeat("7", MaxShort)), dateTimeKV...)}},
	{name: "e11_line_from_modifier", seq: "10", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "BA", Zone: "4"}, mods("attr_line", "02")...),
		want: wantEvent{account: "1234", format: "SIA", code: "BA", qualifier: qNew, zone: "4", known: true, mods: withMods(mods("attr_line", "02"), dateTimeKV...)}},
	{name: "e12_unknown_codes_kept", seq: "11", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "12345", Zone: "1"}),
		want: wantEvent{account: "1234", format: "CID", code: "12345", zone: "1", mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},
	{name: "e13_unknown_cid_three_digits", seq: "12", account: "1234", at: sampleAt,
		ev:   cidEvent(alarmcode.Fields{Account: "1234", Code: "R999"}),
		want: wantEvent{account: "1234", format: "CID", code: "999", qualifier: qRestore, mods: withMods(mods("attr_line", "01"), dateTimeKV...)}},

	// What the dialect cannot carry.
	{name: "n1_no_account", seq: "20", account: " ", at: sampleAt, ev: cidEvent(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "n2_account_too_long", seq: "21", account: "12345678901234567", at: sampleAt, ev: cidEvent(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "n3_account_with_space", seq: "22", account: "12 34", at: sampleAt, ev: cidEvent(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "n4_no_code", seq: "23", account: "1234", at: sampleAt, ev: protocols.Event{Format: "CID"}, notEncodable: true},
	{name: "n5_code_too_long", seq: "24", account: "1234", at: sampleAt, ev: protocols.Event{Format: "SIA", Code: strings.Repeat("B", 17)}, notEncodable: true},
	{name: "n6_code_not_printable", seq: "25", account: "1234", at: sampleAt, ev: protocols.Event{Format: "SIA", Code: "B A"}, notEncodable: true},
	{name: "n7_bad_sequence", seq: "", account: "1234", at: sampleAt, ev: cidEvent(alarmcode.Fields{Code: "E130"}), notEncodable: true},

	// The keep-alive [S27].
	{name: "k1_heartbeat", heartbeat: true, seq: "10001", at: sampleAt,
		wire: "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>0</SignalCount><Sequence>10001</Sequence></Signals><Checksum>0000</Checksum>\r"},
}

// dateTimeKV is what Decode keeps of DT/TM for sampleAt.
var dateTimeKV = []string{"attr_date", "2025-05-29", "attr_time", "17:07:48"}

func encodeCaseByName(name string) (encodeCase, bool) {
	for _, tc := range encodeCases {
		if tc.name == name {
			return tc, true
		}
	}
	return encodeCase{}, false
}

// encode runs the case's call.
func (tc encodeCase) encode() ([]byte, error) {
	if tc.heartbeat {
		return EncodeHeartbeat(tc.seq, tc.at), nil
	}
	return EncodeSignal(tc.seq, tc.account, tc.ev, tc.at)
}
