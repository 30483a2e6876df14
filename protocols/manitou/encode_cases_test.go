package manitou

import (
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// The sending side's case catalogue: what EncodeSignal and the heartbeat
// encoders write for each example, the exact bytes, and the replies
// ParseReply reads. It drives the encode tests and golden files
// (testdata/golden/manitou/encode_*.txt) and seeds FuzzParseReply and
// FuzzSplitReply.

type encodeCase struct {
	name    string
	seq     string
	account string
	ev      protocols.Event
	// heartbeat: encode a heartbeat (EncodeHeartbeatAuth when sender or
	// passkey is set) instead of ev.
	heartbeat       bool
	sender, passkey string
	err             error // ErrNotEncodable, or nil
	want            string
}

// mustEvent builds an event as a decoder would (alarmcode), with mods.
func mustEvent(f alarmcode.Fields, mods ...protocols.Modifier) protocols.Event {
	ev, err := alarmcode.Event(f)
	if err != nil {
		panic(err)
	}
	ev.Modifiers = mods
	return ev
}

func mod(name, value string) protocols.Modifier { return protocols.Modifier{Name: name, Value: value} }

func signal(attrs, body string) string {
	return frame(xmlDecl + `<Signal ` + attrs + `>` + body + `</Signal>`)
}

var encodeCases = []encodeCase{
	{name: "encode_sia_full", seq: "17", account: "1234",
		ev: mustEvent(alarmcode.Fields{Account: "1234", Code: "BA", Area: "1", Zone: "5", Text: "Ground floor"},
			mod("media_portal", "https://portal.example.com/v/1?a=1&z=5"), mod("attr_evtype", "Alarm"), mod("attr_pointid", "12")),
		want: signal(`Event="BA" EvType="Alarm" Account="1234" Seq="17"`,
			`<Area>1</Area><AreaInfo>Ground floor</AreaInfo><Zone>5</Zone><PointID>12</PointID><URL>https://portal.example.com/v/1?a=1&amp;z=5</URL>`)},
	{name: "encode_cid_new", seq: "1", account: "9001", ev: mustEvent(alarmcode.Fields{Code: "1130", Area: "01", Zone: "017"}),
		want: signal(`Event="E130" Account="9001" Seq="1"`, `<Area>01</Area><Zone>017</Zone>`)},
	{name: "encode_cid_restore", seq: "2", account: "9001", ev: mustEvent(alarmcode.Fields{Code: "3130", Area: "01", Zone: "017"}),
		want: signal(`Event="R130" Account="9001" Seq="2"`, `<Area>01</Area><Zone>017</Zone>`)},
	{name: "encode_cid_status", seq: "3", account: "9001", ev: mustEvent(alarmcode.Fields{Code: "6301", Area: "00", Zone: "000"}),
		want: signal(`Event="P301" Account="9001" Seq="3"`, `<Area>00</Area><Zone>000</Zone>`)},
	{name: "encode_cid_no_qualifier", seq: "4", account: "9001",
		ev:   protocols.Event{Format: protocols.FormatContactID, Code: "602", Zone: "000"},
		want: signal(`Event="E602" Account="9001" Seq="4"`, `<Zone>000</Zone>`)},
	{name: "encode_cid_user", seq: "5", account: "C0FFEE", ev: mustEvent(alarmcode.Fields{Code: "R401", Area: "2", User: "003"}),
		want: signal(`Event="R401" Account="C0FFEE" Seq="5"`, `<Area>2</Area><User>003</User>`)},
	{name: "encode_sia_user_and_zone", seq: "6", account: "42", ev: mustEvent(alarmcode.Fields{Code: "OP", Zone: "7", User: "12"}),
		want: signal(`Event="OP" Account="42" Seq="6"`, `<Zone>7</Zone><User>12</User>`)},
	{name: "encode_device_address", seq: "7", account: "42",
		ev:   protocols.Event{Format: protocols.FormatSIA, Code: "XT", Address: "3", AddressKind: protocols.AddressDevice},
		want: signal(`Event="XT" Account="42" Seq="7"`, `<Zone>3</Zone>`)},
	{name: "encode_media_all", seq: "8", account: "77",
		ev: mustEvent(alarmcode.Fields{Code: "BA", Zone: "2"}, mod("media_clip", "http://v.example.com/c.mp4"), mod("media_live", "https://v.example.com/live"),
			mod("media_snapshot", "https://v.example.com/s.jpg"), mod("media_portal", "https://portal.example.com/e/9")),
		want: signal(`Event="BA" Account="77" Seq="8"`, `<Zone>2</Zone><URL Type="clip">http://v.example.com/c.mp4</URL><URL Type="live">https://v.example.com/live</URL>`+
			`<URL Type="snapshot">https://v.example.com/s.jpg</URL><URL>https://portal.example.com/e/9</URL>`)},
	{name: "encode_url_cleanup", seq: "9", account: "77",
		ev: mustEvent(alarmcode.Fields{Code: "BA"}, mod("media_clip", " https://v.example.com/a b/é\x01 "), mod("media_portal", "ftp://x.example.com/a"),
			mod("media_live", "https://v.example.com/"+strings.Repeat("l", MaxURL)), mod("media_snapshot", "javascript:alert(1)")),
		want: signal(`Event="BA" Account="77" Seq="9"`, `<URL Type="clip">https://v.example.com/a%20b/%C3%A9%01</URL>`)},
	{name: "encode_escaping", seq: "10", account: "A&B<1>",
		ev:   mustEvent(alarmcode.Fields{Code: "FA", Zone: "5\x01", Area: "\"1\"", Text: "Door <A> & \"B\" 'C'\r\nline 2\t\x00end"}),
		want: signal(`Event="FA" Account="A&amp;B&lt;1&gt;" Seq="10"`, `<Area>&#34;1&#34;</Area><AreaInfo>Door &lt;A&gt; &amp; &#34;B&#34; &#39;C&#39;&#xD;&#xA;line 2&#x9;`+"\uFFFD"+`end</AreaInfo><Zone>5</Zone>`)},
	{name: "encode_utf8_text", seq: "11", account: "1", ev: mustEvent(alarmcode.Fields{Code: "BA", Text: "Café Straße € 5 \xff"}),
		want: signal(`Event="BA" Account="1" Seq="11"`, "<AreaInfo>Café Straße € 5 \uFFFD</AreaInfo>")},
	{name: "encode_cut", seq: "12", account: "1", ev: mustEvent(alarmcode.Fields{Code: "BA", Zone: strings.Repeat("9", 100), Text: strings.Repeat("x", MaxText-1) + "éé"}),
		want: signal(`Event="BA" Account="1" Seq="12"`, `<AreaInfo>`+strings.Repeat("x", MaxText-1)+`</AreaInfo><Zone>`+strings.Repeat("9", MaxField)+`</Zone>`)},
	{name: "encode_extras", seq: "13", account: "77",
		ev: mustEvent(alarmcode.Fields{Code: "*LT"}, mod("attr_time", "12:00"), mod("attr_camera", "ch2"), mod("attr_account", "999"), mod("attr_zone", "9"),
			mod("attr_1bad", "x"), mod("attr_xmlns", "x"), mod("ri", "01"), mod("position", "50.08,14.42"), mod("attr_passkey", "no")),
		want: signal(`Event="*LT" Account="77" Seq="13"`, `<time>12:00</time><camera>ch2</camera><position>50.08,14.42</position>`)},
	{name: "encode_no_account", seq: "14", account: "", ev: mustEvent(alarmcode.Fields{Code: "BA", Zone: "5"}),
		want: signal(`Event="BA" Seq="14"`, `<Zone>5</Zone>`)},
	{name: "encode_no_seq", seq: "", account: "1234", ev: mustEvent(alarmcode.Fields{Code: "BA"}),
		want: signal(`Event="BA" Account="1234"`, ``)},
	{name: "encode_account_too_long", seq: "15", account: "12345678901234567", ev: mustEvent(alarmcode.Fields{Code: "BA"}), err: ErrNotEncodable},
	{name: "encode_account_space", seq: "15", account: "12 34", ev: mustEvent(alarmcode.Fields{Code: "BA"}), err: ErrNotEncodable},
	{name: "encode_account_non_ascii", seq: "15", account: "Zürich", ev: mustEvent(alarmcode.Fields{Code: "BA"}), err: ErrNotEncodable},
	{name: "encode_no_code", seq: "15", account: "1", ev: protocols.Event{Format: protocols.FormatSIA}, err: ErrNotEncodable},
	{name: "encode_code_too_long", seq: "15", account: "1", ev: protocols.Event{Format: protocols.FormatSIA, Code: strings.Repeat("A", alarmcode.MaxCode+1)}, err: ErrNotEncodable},
	{name: "encode_heartbeat", heartbeat: true, want: frame(xmlDecl + `<Heartbeat/>`)},
	{name: "encode_heartbeat_seq", heartbeat: true, seq: "99", want: frame(xmlDecl + `<Heartbeat Seq="99"/>`)},
	{name: "encode_heartbeat_auth", heartbeat: true, seq: "100", sender: "alarmrx-1", passkey: testPasskey,
		want: frame(xmlDecl + `<Heartbeat Seq="100" Source="alarmrx-1" Passkey="` + testPasskey + `"/>`)},
}

// replyCase is a reply frame and what ParseReply makes of it; err is the
// sentinel and reason of a refusal.
type replyCase struct {
	name   string
	raw    string
	want   protocols.PeerReply
	err    error
	reason protocols.Reason
}

var replyCases = []replyCase{
	{name: "ack_evidence", raw: ack("ER9ReRiXVWRl"), want: protocols.PeerReply{OK: true, Text: "ER9ReRiXVWRl"}},
	{name: "ack_empty", raw: frame(xmlDecl + `<Ack/>`), want: protocols.PeerReply{OK: true}},
	{name: "ack_lower_case_no_decl", raw: frame(`<ack><rawno> 42 </rawno></ack>`), want: protocols.PeerReply{OK: true, Text: "42"}},
	{name: "ack_rawno_attribute", raw: frame(`<Ack RawNo="7"/>`), want: protocols.PeerReply{OK: true, Text: "7"}},
	{name: "ack_latin1", raw: frame("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Ack><RawNo>\xe9</RawNo></Ack>"), want: protocols.PeerReply{OK: true, Text: "é"}},
	{name: "ack_unframed", raw: xmlDecl + `<Ack><RawNo>abc</RawNo></Ack>`, want: protocols.PeerReply{OK: true, Text: "abc"}},
	{name: "nak_10_malformed", raw: nak("0", "10"), want: protocols.PeerReply{Text: "Nak Code=10 Index=0: malformed"}},
	{name: "nak_20_missing", raw: nak("1", "20"), want: protocols.PeerReply{Text: "Nak Code=20 Index=1: mandatory data missing"}},
	{name: "nak_21_wrong_content", raw: nak("1", "21"), want: protocols.PeerReply{Text: "Nak Code=21 Index=1: wrong content"}},
	{name: "nak_30_not_stored", raw: nak("0", "30"), want: protocols.PeerReply{Retry: true, Text: "Nak Code=30 Index=0: not stored"}},
	{name: "nak_40_not_authorised", raw: nak("0", "40"), want: protocols.PeerReply{Text: "Nak Code=40 Index=0: not authorised"}},
	{name: "nak_50_unknown_type", raw: nak("0", "50"), want: protocols.PeerReply{Text: "Nak Code=50 Index=0: unknown message type"}},
	{name: "nak_unknown_code", raw: nak("1", "99"), want: protocols.PeerReply{Retry: true, Text: "Nak Code=99 Index=1: unknown code"}},
	{name: "nak_no_code", raw: frame(`<Nak/>`), want: protocols.PeerReply{Retry: true, Text: "Nak Code= Index=: unknown code"}},
	{name: "nak_code_text", raw: frame(`<NAK index="1" code="busy&#10;"/>`), want: protocols.PeerReply{Retry: true, Text: "Nak Code=busy Index=1: unknown code"}},
	{name: "not_xml", raw: frame(`ACK`), err: ErrSyntax, reason: protocols.ReasonSyntax},
	{name: "dtd", raw: frame(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><Ack><RawNo>&x;</RawNo></Ack>`), err: ErrSyntax, reason: protocols.ReasonSyntax},
	{name: "other_root", raw: frame(`<Signal Event="BA"/>`), err: ErrUnknownType, reason: protocols.ReasonToken},
	{name: "too_long", raw: frame(`<Ack><RawNo>` + strings.Repeat("1", MaxReplyBytes) + `</RawNo></Ack>`), err: protocols.ErrFrameTooLong, reason: protocols.ReasonTooLong},
}
