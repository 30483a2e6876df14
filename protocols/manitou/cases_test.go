package manitou

import (
	"crypto/subtle"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// The case catalogue: every example of automation-research.md §2.4 (the
// emulator's forms [S6]) and our own frames for the rest. It drives the
// decode, reply and golden tests and seeds the fuzzers. An ACK's RawNo was
// checked by an independent script (Python hashlib: SHA-256 of the XML
// between STX and ETX, first 16 bytes as a big-endian integer modulo
// 62^12, base-62), not only by this package.

// accepted is the expected reason of a frame Decode accepts.
const accepted = protocols.ReasonUnknown

// testPasskey is the passkey testAuth accepts, for any sender.
const testPasskey = "s3cret-Key"

func testAuth(sender, passkey string) bool {
	return subtle.ConstantTimeCompare([]byte(passkey), []byte(testPasskey)) == 1
}

// wantEvent is the part of a protocols.Event the table asserts.
type wantEvent struct {
	format, account, code string
	qualifier             protocols.Qualifier
	partition, zone, text string
	known                 bool
	mods                  []protocols.Modifier
}

type frameCase struct {
	name   string
	raw    string
	auth   bool // decode with testAuth
	max    int  // Options.MaxFrameBytes
	err    error
	reason protocols.Reason
	// Message fields; seq "" means the frame's RawNo.
	kind, account, line, seq, sender string
	place                            string // Signals[0].AccountPlace
	events                           []wantEvent
	reply                            string
	sameSeqAs                        string // a retransmission: the Sequence of that case
}

func frame(xml string) string { return "\x02" + xml + "\x03" }

func ack(rawNo string) string {
	return "\x02<?xml version=\"1.0\"?><Ack><RawNo>" + rawNo + "</RawNo></Ack>\x03"
}

func nak(index, code string) string {
	return "\x02<?xml version=\"1.0\"?><Nak Index=\"" + index + "\" Code=\"" + code + "\"/>\x03"
}

var (
	sigAttr = frame(`<?xml version="1.0"?><Signal Event="BA" EvType="Alarm" Account="1234"><Area>1</Area><AreaInfo>Ground floor</AreaInfo><Zone>5</Zone><PointID>12</PointID><URL>https://portal.example.com/v/1?a=1&amp;z=5</URL></Signal>`)
	many    = frame(`<Signals>` + strings.Repeat(`<Signal Event="BA" Account="1"><Zone>1</Zone></Signal>`, MaxSignals+1) + `</Signals>`)
	laughs  = frame(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Signal Event="BA" Account="1"><AreaInfo>&lol2;</AreaInfo></Signal>`)
	xxe     = frame(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Signal Event="BA" Account="1"><AreaInfo>&x;</AreaInfo></Signal>`)
)

var frameCases = []frameCase{
	// §2.4's Signal, verbatim ("…" as in the note): it names no account,
	// so it is refused for its first Signal.
	{name: "evidence_signal_verbatim", raw: frame(`<Signal Event="BA" EvType="…"> <Area>…</Area> <AreaInfo>…</AreaInfo> <Zone>…</Zone>
  <PointID>…</PointID> <URL>…</URL> </Signal>`),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("1", "21")},
	{name: "no_account_kept", raw: frame(`<Signal Event="BA"><Zone>5</Zone></Signal>`), kind: "signals", account: "", place: "none",
		events: []wantEvent{{format: "SIA", code: "BA", qualifier: protocols.QualifierNew, zone: "5", known: true}}, reply: ack("rubIQObHQgtS")},
	{name: "signal_attribute_account", raw: sigAttr, kind: "signals", account: "1234", place: "signal_attribute:Account",
		events: []wantEvent{{format: "SIA", account: "1234", code: "BA", qualifier: protocols.QualifierNew, partition: "1", zone: "5", text: "Ground floor", known: true,
			mods: []protocols.Modifier{{Name: "media_portal", Value: "https://portal.example.com/v/1?a=1&z=5"}, {Name: "attr_evtype", Value: "Alarm"}, {Name: "attr_pointid", Value: "12"}}}},
		reply: ack("dvBNwz56IzVF")},
	{name: "retransmission", raw: sigAttr, kind: "signals", account: "1234", place: "signal_attribute:Account", sameSeqAs: "signal_attribute_account",
		events: []wantEvent{{format: "SIA", account: "1234", code: "BA", qualifier: protocols.QualifierNew, partition: "1", zone: "5", text: "Ground floor", known: true,
			mods: []protocols.Modifier{{Name: "media_portal", Value: "https://portal.example.com/v/1?a=1&z=5"}, {Name: "attr_evtype", Value: "Alarm"}, {Name: "attr_pointid", Value: "12"}}}},
		reply: ack("dvBNwz56IzVF")},
	{name: "child_account_fire", raw: frame(`<Signal Event="FA"><Account>5678</Account><Zone>3</Zone></Signal>`), kind: "signals", account: "5678", place: "child:Account",
		events: []wantEvent{{format: "SIA", account: "5678", code: "FA", qualifier: protocols.QualifierNew, zone: "3", known: true}}, reply: ack("rvKLgnb0bntj")},
	{name: "enclosing_attribute_two_signals", raw: frame(`<Signals Account="C0FFEE" Seq="42"><Signal Event="BA"><Zone>1</Zone></Signal>` + "\r\n" + `<Signal Event="BR"><Zone>1</Zone></Signal></Signals>`),
		kind: "signals", account: "C0FFEE", seq: "42", place: "enclosing:Signals@Account",
		events: []wantEvent{{format: "SIA", account: "C0FFEE", code: "BA", qualifier: protocols.QualifierNew, zone: "1", known: true},
			{format: "SIA", account: "C0FFEE", code: "BR", qualifier: protocols.QualifierRestore, zone: "1", known: true}}, reply: ack("8gY4G3mjV1d6")},
	{name: "enclosing_child_cid_rlp", raw: frame(`<?xml version="1.0" encoding="UTF-8"?><Message><Account>9001</Account><RLP>R1</RLP><Signal Event="E130"><Area>01</Area><Zone>017</Zone></Signal></Message>`),
		kind: "signals", account: "9001", line: "R1", place: "enclosing:Message/Account",
		events: []wantEvent{{format: "CID", account: "9001", code: "130", qualifier: protocols.QualifierNew, partition: "01", zone: "017", known: true}}, reply: ack("TnIai9Jv5033")},
	{name: "transmitter_id_restore", raw: frame(`<Transmitter ID="TX-77"><Signal Event="R130" RLP="2"><PointID>9</PointID></Signal></Transmitter>`),
		kind: "signals", account: "TX-77", line: "2", place: "enclosing:Transmitter@ID",
		events: []wantEvent{{format: "CID", account: "TX-77", code: "130", qualifier: protocols.QualifierRestore, zone: "9", known: true}}, reply: ack("RYts5gN3fj5M")},
	{name: "lower_case_names", raw: frame(`<signal event="ba" acct="42" evtype="burg" msgid="m-1"><zone>2</zone><url type="clip">http://v.example.com/c.mp4</url></signal>`),
		kind: "signals", account: "42", seq: "m-1", place: "signal_attribute:acct",
		events: []wantEvent{{format: "SIA", account: "42", code: "BA", qualifier: protocols.QualifierNew, zone: "2", known: true,
			mods: []protocols.Modifier{{Name: "media_clip", Value: "http://v.example.com/c.mp4"}, {Name: "attr_evtype", Value: "burg"}}}}, reply: ack("rhIBQaszioW0")},
	{name: "unknown_code_kept", raw: frame(`<Signal Event="*LT" TxID="77" Time="12:00"><Camera>ch2</Camera></Signal>`), kind: "signals", account: "77", place: "signal_attribute:TxID",
		events: []wantEvent{{format: "SIA", account: "77", code: "*LT", known: false,
			mods: []protocols.Modifier{{Name: "attr_time", Value: "12:00"}, {Name: "attr_camera", Value: "ch2"}}}}, reply: ack("SMsPc9rDTLoL")},
	{name: "latin1", raw: frame("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Signal Event=\"BA\" Account=\"1\"><AreaInfo>Caf\xe9 Stra\xdfe</AreaInfo></Signal>"),
		kind: "signals", account: "1", place: "signal_attribute:Account",
		events: []wantEvent{{format: "SIA", account: "1", code: "BA", qualifier: protocols.QualifierNew, text: "Café Straße", known: true}}, reply: ack("LG82yG6zCAzn")},
	{name: "windows1252", raw: frame("<?xml version='1.0' encoding='windows-1252'?><Signal Event=\"BA\" Account=\"1\"><AreaInfo>\x80 5 \x93safe\x94</AreaInfo></Signal>"),
		kind: "signals", account: "1", place: "signal_attribute:Account",
		events: []wantEvent{{format: "SIA", account: "1", code: "BA", qualifier: protocols.QualifierNew, text: "€ 5 “safe”", known: true}}, reply: ack("HuKiXb5lHcRI")},
	{name: "heartbeat", raw: frame(`<Heartbeat/>`), kind: "heartbeat", reply: ack("47WYEuJq7QjO")},
	{name: "ping", raw: frame(`<?xml version="1.0"?><Ping/>`), kind: "heartbeat", reply: ack("djSMFrLYtcFo")},
	{name: "messagetype_heartbeat", raw: frame(`<Message><MessageType>HEARTBEAT</MessageType></Message>`), kind: "heartbeat", reply: ack("vn0jcNg4epE5")},
	{name: "heartbeat_passkey_no_auth", raw: frame(`<Heartbeat Passkey="` + testPasskey + `" Source="ajax" Account="SYS-REC1"/>`), kind: "heartbeat", account: "SYS-REC1", sender: "ajax", reply: ack("jBZK8A5O5nXZ")},
	{name: "heartbeat_id_not_account", raw: frame(`<Heartbeat ID="3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b" Source="ajax"/>`), kind: "heartbeat", sender: "ajax", reply: ack("7YBwj5YAKytP")},
	{name: "heartbeat_auth_ok", raw: frame(`<Heartbeat Passkey="` + testPasskey + `" Source="ajax"/>`), auth: true, kind: "heartbeat", sender: "ajax", reply: ack("fYTcDC8gLtOQ")},
	{name: "heartbeat_auth_passkey_element", raw: frame(`<Heartbeat ReceiverID="cs-1"><Passkey>` + testPasskey + `</Passkey></Heartbeat>`), auth: true, kind: "heartbeat", sender: "cs-1", reply: ack("rQZvtrfApfL7")},
	{name: "heartbeat_auth_wrong", raw: frame(`<Heartbeat Passkey="guess" Source="ajax"/>`), auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", sender: "ajax", reply: nak("0", "40")},
	{name: "heartbeat_auth_missing", raw: frame(`<Ping/>`), auth: true, err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", reply: nak("0", "40")},
	{name: "signal_auth_wrong_passkey", raw: frame(`<Signals Passkey="guess"><Signal Event="BA" Account="1"/></Signals>`), auth: true,
		err: ErrNotAuthorized, reason: protocols.ReasonToken, kind: "rejected", reply: nak("0", "40")},
	{name: "signal_auth_no_passkey", raw: frame(`<Signal Event="BA" Account="1"/>`), auth: true, kind: "signals", account: "1", place: "signal_attribute:Account",
		events: []wantEvent{{format: "SIA", account: "1", code: "BA", qualifier: protocols.QualifierNew, known: true}}, reply: ack("l2PnKGN7BQKG")},
	// §2.4's Binary with the RawNo of §2.4's ACK: a photo of the signal
	// acknowledged with it.
	{name: "photo", raw: frame(`<Binary Ext="jpg" RawNo="ER9ReRiXVWRl" FrameNo="1" Length="4"><Data Length="8">/9j/4A==</Data></Binary>`), kind: "photo", reply: ack("KCcm5VAz3Ypq")},
	{name: "signal_and_photo", raw: frame(`<Message Account="55"><Signal Event="BA"><Zone>4</Zone></Signal><Binary Ext="jpg" FrameNo="1"><Data>
/9j/
4A==
</Data></Binary></Message>`), kind: "signals", account: "55", place: "enclosing:Message@Account",
		events: []wantEvent{{format: "SIA", account: "55", code: "BA", qualifier: protocols.QualifierNew, zone: "4", known: true}}, reply: ack("BDamMW4QflLJ")},
	{name: "photo_bad_base64", raw: frame(`<Binary Ext="jpg" RawNo="x"><Data>not base64!</Data></Binary>`),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("1", "21")},
	{name: "missing_event", raw: frame(`<Signal Account="1"><Zone>1</Zone></Signal>`), err: ErrMissing, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("1", "20")},
	{name: "second_signal_bad_url", raw: frame(`<Signals Account="1"><Signal Event="BA"/><Signal Event="BA"><URL>ftp://x.example.com/a</URL></Signal></Signals>`),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("2", "21")},
	{name: "account_too_long", raw: frame(`<Signal Event="BA" Account="12345678901234567"/>`), err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("1", "21")},
	{name: "text_too_long", raw: frame(`<Signal Event="BA" Account="1"><AreaInfo>` + strings.Repeat("x", MaxText+1) + `</AreaInfo></Signal>`),
		err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("1", "21")},
	{name: "too_many_signals", raw: many, err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "21")},
	{name: "malformed_xml", raw: frame(`<Signal Event="BA" Account="1"><Zone>1</Signal>`), err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "dtd_billion_laughs", raw: laughs, err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "dtd_external_entity", raw: xxe, err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "undefined_entity", raw: frame(`<Signal Event="BA" Account="1"><AreaInfo>&x;</AreaInfo></Signal>`), err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "unsupported_charset", raw: frame(`<?xml version="1.0" encoding="EBCDIC-US"?><Ping/>`), err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "second_root", raw: frame(`<Ping/><Ping/>`), err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "text_after_root", raw: frame(`<Ping/>trailing`), err: ErrSyntax, reason: protocols.ReasonSyntax, kind: "rejected", reply: nak("0", "10")},
	{name: "unknown_type", raw: frame(`<Status Account="1"/>`), err: ErrUnknownType, reason: protocols.ReasonToken, kind: "rejected", reply: nak("0", "50")},
	{name: "over_cap", raw: frame(`<Signal Event="BA" Account="1"><AreaInfo>` + strings.Repeat("y", 100) + `</AreaInfo></Signal>`), max: 64,
		err: protocols.ErrFrameTooLong, reason: protocols.ReasonTooLong, kind: "rejected", reply: nak("0", "10")},
	{name: "bare_xml_no_framing", raw: `<Signal Event="BA" Account="1"/>`, kind: "signals", account: "1", place: "signal_attribute:Account",
		events: []wantEvent{{format: "SIA", account: "1", code: "BA", qualifier: protocols.QualifierNew, known: true}}, reply: ack("l2PnKGN7BQKG")},
}

func caseByName(name string) (frameCase, bool) {
	for _, tc := range frameCases {
		if tc.name == name {
			return tc, true
		}
	}
	return frameCase{}, false
}

func codecFor(tc frameCase) *Codec {
	o := Options{MaxFrameBytes: tc.max}
	if tc.auth {
		o.Auth = testAuth
	}
	return New(o)
}

// splitCase is a TCP stream and the frames Split must find in it.
type splitCase struct {
	name    string
	stream  string
	max     int
	frames  []string
	tooLong bool
}

var splitCases = []splitCase{
	{name: "two_frames_crlf", stream: frame(`<Ping/>`) + "\r\n" + frame(`<Heartbeat/>`) + "\r\n", frames: []string{frame(`<Ping/>`), frame(`<Heartbeat/>`)}},
	{name: "garbage_before", stream: "junk\x03\x00\r\n" + sigAttr, frames: []string{sigAttr}},
	{name: "restart_on_stx", stream: "\x02<Signal Event=\"BA\"" + frame(`<Ping/>`), frames: []string{frame(`<Ping/>`)}},
	{name: "incomplete_at_eof", stream: frame(`<Ping/>`) + "\x02<Sig", frames: []string{frame(`<Ping/>`)}},
	{name: "over_cap_then_resync", stream: "\x02" + strings.Repeat("z", 10) + frame(`<Ping/>`), max: 32, frames: []string{frame(`<Ping/>`)}},
	{name: "over_cap", stream: "\x02" + strings.Repeat("z", 40) + "\x03", max: 32, tooLong: true},
}
