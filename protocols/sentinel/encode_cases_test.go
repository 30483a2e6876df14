package sentinel

import (
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// The sending side's case table: what EncodeSignal (or EncodeHeartbeat) is
// given, the exact line expected, and what our own Decode must make of it.
// It drives the encode tests, the golden files (encode_<name>) and the
// reply fuzz seeds.
type encodeCase struct {
	name      string
	heartbeat bool
	seq       string
	account   string
	ev        protocols.Event
	// wire is the exact line expected.
	wire string
	// notEncodable: EncodeSignal refuses with ErrNotEncodable.
	notEncodable bool
	// want is the decoded event's account, code, qualifier, zone, area,
	// user, text and modifiers.
	want protocols.Event
}

var encodeAt = time.Date(2026, 11, 30, 8, 7, 48, 0, time.UTC)

// cid classifies a code as every decoder does, with extra modifiers.
func cid(f alarmcode.Fields, kv ...string) protocols.Event {
	ev, err := alarmcode.Event(f)
	if err != nil {
		panic(err)
	}
	ev.Modifiers = modList(kv...)
	return ev
}

func modList(kv ...string) []protocols.Modifier {
	var out []protocols.Modifier
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, protocols.Modifier{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

var encodeCases = []encodeCase{
	// The evidence's example with a link, sent as the emulator reads it.
	{name: "evidence_example", seq: "1", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E130", Zone: "017", Area: "1"}, "media_snapshot", "https://media.example.net/ajax/1234/017.jpg"),
		wire: "Account=1234|Seq=1|Event=E130|Zone=017|Area=1|MediaUrl=https://media.example.net/ajax/1234/017.jpg\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130", Zone: "017", Area: "1"}, "media_snapshot", "https://media.example.net/ajax/1234/017.jpg")},
	{name: "cid_restore", seq: "2", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "R130", Zone: "017"}),
		wire: "Account=1234|Seq=2|Event=R130|Zone=017\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "R130", Zone: "017"})},
	{name: "cid_status", seq: "3", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "6301"}),
		wire: "Account=1234|Seq=3|Event=P301\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "P301"})},
	{name: "sia_letters", seq: "4", account: "P2794",
		ev:   cid(alarmcode.Fields{Account: "P2794", Code: "BA", Zone: "3", Area: "2"}),
		wire: "Account=P2794|Seq=4|Event=BA|Zone=3|Area=2\r\n",
		want: cid(alarmcode.Fields{Account: "P2794", Code: "BA", Zone: "3", Area: "2"})},
	{name: "user_and_text", seq: "5", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "R401", Area: "1", User: "12", Text: "Opened by John"}),
		wire: "Account=1234|Seq=5|Event=R401|Area=1|User=12|Text=Opened by John\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "R401", Area: "1", User: "12", Text: "Opened by John"})},
	// The station prefix comes with the account; the event's own account
	// is not what is sent.
	{name: "account_parameter", seq: "6", account: "ST-1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E602"}),
		wire: "Account=ST-1234|Seq=6|Event=E602\r\n",
		want: cid(alarmcode.Fields{Account: "ST-1234", Code: "E602"})},
	{name: "no_sequence", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E130"}),
		wire: "Account=1234|Event=E130\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130"})},
	{name: "unknown_codes_as_they_are", seq: "7", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "CAMIDLE"}),
		wire: "Account=1234|Seq=7|Event=CAMIDLE\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "CAMIDLE"})},
	// Each media kind under its key; only the first usable link is sent.
	{name: "media_clip_first", seq: "8", account: "1234",
		ev: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "attr_site_id", "48213",
			"media_clip", "https://m/4.mp4?a=1&b=2", "media_snapshot", "https://m/1.jpg"),
		wire: "Account=1234|Seq=8|Event=E130|VideoUrl=https://m/4.mp4?a=1&b=2\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_clip", "https://m/4.mp4?a=1&b=2")},
	{name: "media_live", seq: "9", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_live", "https://m/live"),
		wire: "Account=1234|Seq=9|Event=E130|LiveUrl=https://m/live\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_live", "https://m/live")},
	{name: "media_portal", seq: "10", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_portal", "https://portal/x?act=1234&zone=017"),
		wire: "Account=1234|Seq=10|Event=E130|Url=https://portal/x?act=1234&zone=017\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_portal", "https://portal/x?act=1234&zone=017")},
	{name: "media_unusable_passed_over", seq: "11", account: "1234",
		ev: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_clip", "ftp://m/1.mp4",
			"media_clip", "https://m/"+strings.Repeat("a", MaxURL), "media_snapshot", "https://m/a b|c.jpg"),
		wire: "Account=1234|Seq=11|Event=E130|MediaUrl=https://m/a%20b%7Cc.jpg\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130"}, "media_snapshot", "https://m/a%20b%7Cc.jpg")},
	// Values made safe: '|' as '/', tab as space, CR LF and controls
	// dropped, blanks out of the address fields.
	{name: "values_made_safe", seq: "12", account: " 1234 ",
		ev:   protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew, Zone: "0 17", Partition: "1\r", Text: " Door|Window\topen\r\nnow\x00\u0085 "},
		wire: "Account=1234|Seq=12|Event=E130|Zone=017|Area=1|Text=Door/Window opennow\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130", Zone: "017", Area: "1", Text: "Door/Window opennow"})},
	{name: "utf8_text", seq: "13", account: "1234",
		ev:   cid(alarmcode.Fields{Account: "1234", Code: "E130", Text: "Entrée café €"}),
		wire: "Account=1234|Seq=13|Event=E130|Text=Entrée café €\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130", Text: "Entrée café €"})},
	{name: "invalid_utf8_replaced", seq: "14", account: "1234",
		ev:   protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew, Text: "Entr\xe9e"},
		wire: "Account=1234|Seq=14|Event=E130|Text=Entr\uFFFDe\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130", Text: "Entr\uFFFDe"})},
	// Fields too long are cut to Decode's caps.
	{name: "cut_to_caps", seq: "15", account: "1234",
		ev: protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew,
			Zone: "12345678901234567890", Text: strings.Repeat("é", MaxText+10)},
		wire: "Account=1234|Seq=15|Event=E130|Zone=1234567890123456|Text=" + strings.Repeat("é", MaxText) + "\r\n",
		want: cid(alarmcode.Fields{Account: "1234", Code: "E130", Zone: "1234567890123456", Text: strings.Repeat("é", MaxText)})},
	{name: "heartbeat", heartbeat: true, seq: "16", wire: "\x06\x14"},

	// Not encodable.
	{name: "account_empty", seq: "1", account: "", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "account_too_long", seq: "1", account: "12345678901234567", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "account_bad_characters", seq: "1", account: "12 34", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "account_pipe", seq: "1", account: "12|34", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "code_empty", seq: "1", account: "1234", ev: protocols.Event{Format: protocols.FormatContactID}, notEncodable: true},
	{name: "code_not_printable", seq: "1", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: "B A"}, notEncodable: true},
	{name: "code_too_long", seq: "1", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: strings.Repeat("X", 17)}, notEncodable: true},
	{name: "code_with_pipe", seq: "1", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: "B|A"}, notEncodable: true},
	{name: "sequence_with_pipe", seq: "1|2", account: "1234", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
	{name: "sequence_with_space", seq: "1 2", account: "1234", ev: cid(alarmcode.Fields{Code: "E130"}), notEncodable: true},
}

func (tc encodeCase) encode() ([]byte, error) {
	if tc.heartbeat {
		return EncodeHeartbeat(tc.seq, encodeAt), nil
	}
	return EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
}

func encodeCaseByName(name string) (encodeCase, bool) {
	for _, tc := range encodeCases {
		if tc.name == name {
			return tc, true
		}
	}
	return encodeCase{}, false
}

// replyCase is one outcome our Reply answers and what ParseReply makes of
// the answer.
type replyCase struct {
	name    string
	outcome error
	ok      bool
	retry   bool
}

var replyCases = []replyCase{
	{name: "stored", outcome: nil, ok: true},
	{name: "unknown_account", outcome: protocols.Reject(Name, protocols.ReasonUnknownAccount, ErrWrongContent), ok: true},
	{name: "malformed", outcome: protocols.Reject(Name, protocols.ReasonSyntax, ErrSyntax), retry: true},
	{name: "missing", outcome: protocols.Reject(Name, protocols.ReasonSyntax, ErrMissing), retry: true},
	{name: "too_long", outcome: protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), retry: true},
	{name: "store_failed", outcome: protocols.Reject(Name, protocols.ReasonStore, ErrWrongContent), retry: true},
	{name: "shutdown", outcome: protocols.Reject(Name, protocols.ReasonShutdown, ErrWrongContent), retry: true},
}
