package sentinel

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

// lineCase is one entry of the case table shared by the tests, the fuzz
// seeds and the golden files. raw is a stream: it is framed with Split
// (fed whole, then at EOF) and every frame is decoded; the expectations
// are about the last frame, except seq, which every accepted frame must
// carry (a retransmission).
type lineCase struct {
	name string
	raw  string
	max  int // Options.MaxFrameBytes; 0 is the default

	frames   int  // frames Split yields; 0 means 1
	noFrame  bool // Split yields none (nothing to answer)
	splitErr bool // Split refuses the stream (ReasonTooLong)

	err    error // Decode's sentinel for the last frame; nil: accepted
	reason protocols.Reason

	kind, account, seq string
	code               string // the event's code ("130", "BA")
	qual               protocols.Qualifier
	zone, area, user   string
	text               string
	known              bool
	mods               []protocols.Modifier
	stamp              time.Time
	detail             string // a substring of Detail's JSON
	reply              string
}

var ack, nak = "\x06", "\x15"

var cases = []lineCase{
	// The evidence's example, verbatim [the brief; §2.5 names Event and
	// MediaUrl], and with a concrete link.
	{name: "evidence_example", raw: "Account=1234|Event=E130|Zone=017|Area=1|MediaUrl=https://…\r\n",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, zone: "017", area: "1", known: true,
		mods: []protocols.Modifier{{Name: "media_snapshot", Value: "https://…"}}, detail: `"account_key":"Account"`, reply: ack},
	{name: "evidence_example_link", raw: "Account=1234|Event=E130|Zone=017|Area=1|MediaUrl=https://media.example.net/ajax/1234/017.jpg\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, zone: "017", area: "1", known: true,
		mods: []protocols.Modifier{{Name: "media_snapshot", Value: "https://media.example.net/ajax/1234/017.jpg"}}, reply: ack},
	// The emulator reads Event and MediaUrl and needs no account [S6
	// parser]; a receiver cannot file an alarm without one.
	{name: "emulator_keys_without_account", raw: "Event=E130|MediaUrl=https://media.example.net/p.jpg\r",
		err: ErrMissing, reason: protocols.ReasonSyntax, kind: KindRejected, reply: nak},

	// Pings.
	{name: "ping_ack_dc4", raw: "\x06\x14", kind: KindHeartbeat, detail: `"ping":"ack_dc4"`, reply: ack},
	{name: "ping_ack_cr", raw: "\x06\r", kind: KindHeartbeat, detail: `"ping":"ack"`, reply: ack},
	{name: "ping_word", raw: "PING\r\n", kind: KindHeartbeat, detail: `"ping":"ping"`, reply: ack},
	{name: "ping_word_lower", raw: "ping\n", kind: KindHeartbeat, reply: ack},
	{name: "ping_blank", raw: " \t\r\n", kind: KindHeartbeat, detail: `"ping":"blank"`, reply: ack},
	{name: "empty_lines_skipped", raw: "\r\n\r\n\n", noFrame: true},
	{name: "ping_then_event", raw: "\x06\x14Account=1234|Event=E130|Zone=5\r", frames: 2,
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, zone: "5", known: true, reply: ack},

	// Account synonyms [§2.1: Device ID is Sentinel's account; act, csid,
	// txid name it in CHeKT's launch URL].
	{name: "device_id_site_reference", raw: "Device ID=ABC1234|Event=E130|Zone=017|User Reference=48213\r",
		kind: KindSignals, account: "ABC1234", code: "130", qual: protocols.QualifierNew, zone: "017", known: true,
		mods: []protocols.Modifier{{Name: "attr_site_id", Value: "48213"}}, detail: `"account_key":"Device ID"`, reply: ack},
	{name: "deviceid_siteid", raw: "DeviceID=P2794|EventCode=R130|Zone=017|SiteID=48213\r\n",
		kind: KindSignals, account: "P2794", code: "130", qual: protocols.QualifierRestore, zone: "017", known: true,
		mods: []protocols.Modifier{{Name: "attr_site_id", Value: "48213"}}, reply: ack},
	{name: "csid_seq", raw: "CSID=P2794|Code=R130|Point=017|Partition=2|Seq=0042\n",
		kind: KindSignals, account: "P2794", seq: "0042", code: "130", qual: protocols.QualifierRestore, zone: "017", area: "2", known: true,
		detail: `"sequence_key":"Seq"`, reply: ack},
	{name: "txid_sequence", raw: "TXID=P2794|Sequence=17|Event=E602\r",
		kind: KindSignals, account: "P2794", seq: "17", code: "602", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "act_sia_code", raw: "act=P2794|Alarm=BA|PZ=3\r\n",
		kind: KindSignals, account: "P2794", code: "BA", qual: protocols.QualifierNew, zone: "3", known: true, reply: ack},
	{name: "device_msgid", raw: "Device=77|MsgId=a1b2|Event=E130\r",
		kind: KindSignals, account: "77", seq: "a1b2", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "id_is_account", raw: "ID=5555|Event=E602\r",
		kind: KindSignals, account: "5555", code: "602", qual: protocols.QualifierNew, known: true, detail: `"account_key":"ID"`, reply: ack},
	{name: "id_is_sequence", raw: "Account=1234|Id=77|Event=E130\r",
		kind: KindSignals, account: "1234", seq: "77", code: "130", qual: protocols.QualifierNew, known: true, detail: `"sequence_key":"Id"`, reply: ack},
	{name: "id_is_attr", raw: "Account=1234|MsgId=9|Id=77|Event=E130\r",
		kind: KindSignals, account: "1234", seq: "9", code: "130", qual: protocols.QualifierNew, known: true,
		mods: []protocols.Modifier{{Name: "attr_id", Value: "77"}}, reply: ack},
	{name: "keys_any_case", raw: "ACCOUNT=1234|event=e130|zone=5|AREA=2|user=3\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, zone: "5", area: "2", user: "3", known: true, reply: ack},
	{name: "open_by_user", raw: "Account=1234|Event=R401|Area=1|User=12|Text=Opened by John\r",
		kind: KindSignals, account: "1234", code: "401", qual: protocols.QualifierRestore, area: "1", user: "12",
		text: "Opened by John", known: true, reply: ack},
	{name: "spaces_around", raw: " Account = 1234 | Event = E130 | Zone = 017 \r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, zone: "017", known: true, reply: ack},

	// Retransmission: the same Seq twice, for the receiver's dedupe.
	{name: "retransmission", raw: "Account=1234|Seq=0007|Event=E130|Zone=001\r\nAccount=1234|Seq=0007|Event=E130|Zone=001\r\n", frames: 2,
		kind: KindSignals, account: "1234", seq: "0007", code: "130", qual: protocols.QualifierNew, zone: "001", known: true, reply: ack},
	// One event per line: a burst is several lines.
	{name: "alarm_and_restore", raw: "Account=1234|Event=E130|Zone=1\rAccount=1234|Event=R130|Zone=1\r", frames: 2,
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierRestore, zone: "1", known: true, reply: ack},
	{name: "dc4_terminated", raw: "Account=1234|Event=E130\x14",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "unterminated_at_eof", raw: "Account=1234|Event=E130",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},

	// Extras.
	{name: "media_every_key", raw: "Account=1234|Event=E130|MediaUrl=https://m/1.jpg|Image=https://m/2.jpg|Snapshot=http://m/3.jpg|VideoUrl=https://m/4.mp4|LiveUrl=https://m/live|Url=https://portal/x?act=1234&zone=017|Link=https://portal/y\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true,
		mods: []protocols.Modifier{{Name: "media_snapshot", Value: "https://m/1.jpg"}, {Name: "media_snapshot", Value: "https://m/2.jpg"},
			{Name: "media_snapshot", Value: "http://m/3.jpg"}, {Name: "media_clip", Value: "https://m/4.mp4"}, {Name: "media_live", Value: "https://m/live"},
			{Name: "media_portal", Value: "https://portal/x?act=1234&zone=017"}, {Name: "media_portal", Value: "https://portal/y"}}, reply: ack},
	{name: "time_with_zone", raw: "Account=1234|Event=E130|Time=2026-11-30T09:07:48+01:00\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true,
		mods:  []protocols.Modifier{{Name: "attr_time", Value: "2026-11-30T09:07:48+01:00"}},
		stamp: time.Date(2026, 11, 30, 8, 7, 48, 0, time.UTC), reply: ack},
	{name: "time_without_zone", raw: "Account=1234|Event=E130|DateTime=2026-11-30 09:07:48\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true,
		mods: []protocols.Modifier{{Name: "attr_time", Value: "2026-11-30 09:07:48"}}, reply: ack},
	{name: "unknown_keys_and_equals_in_value", raw: "Account=1234|Event=E130|Camera Name=Front Door|Foo-Bar=a=b=c\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true,
		mods: []protocols.Modifier{{Name: "attr_camera_name", Value: "Front Door"}, {Name: "attr_foo_bar", Value: "a=b=c"}}, reply: ack},
	{name: "second_text_kept", raw: "Account=1234|Event=E130|Text=Person detected|Description=Camera 2\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, text: "Person detected",
		mods: []protocols.Modifier{{Name: "attr_description", Value: "Camera 2"}}, reply: ack},
	{name: "same_account_twice", raw: "Account=1234|DeviceID=1234|Event=E130\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "empty_segments", raw: "Account=1234||Event=E130|Zone=|\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "latin1_text", raw: "Account=1234|Event=E130|Text=Entr\xe9e caf\xe9 \x80\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, text: "Entrée café €",
		detail: `"charset":"windows-1252"`, reply: ack},
	{name: "utf8_text", raw: "Account=1234|Event=E130|Text=Entrée café\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, text: "Entrée café", reply: ack},
	{name: "unknown_code_kept", raw: "Account=1234|Event=E989|Zone=2\r",
		kind: KindSignals, account: "1234", code: "989", qual: protocols.QualifierNew, zone: "2", known: false, reply: ack},
	{name: "vendor_code_kept", raw: "Account=1234|Event=CAMIDLE\r",
		kind: KindSignals, account: "1234", code: "CAMIDLE", known: false, reply: ack},
	{name: "secret_not_kept", raw: "Account=1234|Event=E130|Passkey=hunter2\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, detail: `"value":"[redacted]"`, reply: ack},

	// Garbage and resynchronisation.
	{name: "garbage_before_frame", raw: "\x00\x00\x02\x03Account=1234|Event=E130\r",
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "noise_line_before_frame", raw: "~~noise~~\r\nAccount=1234|Event=E130\r", frames: 2,
		kind: KindSignals, account: "1234", code: "130", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "over_cap_line_skipped", max: 64, raw: "Account=1234|Event=E130|Text=" + strings.Repeat("x", 64) + "\rAccount=1234|Event=E131\r",
		kind: KindSignals, account: "1234", code: "131", qual: protocols.QualifierNew, known: true, reply: ack},
	{name: "over_cap_unterminated", max: 64, raw: "Account=1234|Event=E130|Text=" + strings.Repeat("x", 64), splitErr: true, reply: nak},

	// Refusals.
	{name: "pair_without_equals", raw: "Account=1234|Event=E130|oops\r", err: ErrSyntax, reason: protocols.ReasonSyntax,
		kind: KindRejected, account: "1234", reply: nak},
	{name: "bare_word", raw: "HELLO\r", err: ErrSyntax, reason: protocols.ReasonSyntax, kind: KindRejected, reply: nak},
	{name: "bad_key", raw: "Account=1234|Ev<ent=E130\r", err: ErrSyntax, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "empty_key", raw: "Account=1234|=E130\r", err: ErrSyntax, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "control_character", raw: "Account=1234|Event=E130\x07|Zone=1\r", err: ErrSyntax, reason: protocols.ReasonSyntax, kind: KindRejected, reply: nak},
	{name: "missing_event", raw: "Account=1234|Zone=1\r", err: ErrMissing, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "account_bad_characters", raw: "Account=12 34|Event=E130\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "12 34", reply: nak},
	{name: "account_too_long", raw: "Account=12345678901234567|Event=E130\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "12345678901234567", reply: nak},
	{name: "conflicting_accounts", raw: "Account=1234|DeviceID=5678|Event=E130\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "conflicting_events", raw: "Account=1234|Event=E130|Code=E131\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "sequence_with_space", raw: "Account=1234|Seq=1 2|Event=E130\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", seq: "1 2", reply: nak},
	{name: "media_not_http", raw: "Account=1234|Event=E130|MediaUrl=ftp://m/1.jpg\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "media_too_long", raw: "Account=1234|Event=E130|MediaUrl=https://m/" + strings.Repeat("a", MaxURL) + "\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "text_too_long", raw: "Account=1234|Event=E130|Text=" + strings.Repeat("é", MaxText+1) + "\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "zone_too_long", raw: "Account=1234|Event=E130|Zone=12345678901234567\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "code_not_printable", raw: "Account=1234|Event=E1 30\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "too_many_pairs", raw: "Account=1234|Event=E130" + strings.Repeat("|k=v", MaxPairs-1) + "\r", err: ErrWrongContent, reason: protocols.ReasonSyntax, kind: KindRejected, account: "1234", reply: nak},
	{name: "xml_refused", raw: "<Signal><Account>1234</Account><Event>E130</Event></Signal>\r", err: ErrXML, reason: protocols.ReasonSyntax, kind: KindRejected, reply: nak},
	{name: "dtd_entity_attack_refused", raw: `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><s>&b;</s>` + "\r",
		err: ErrXML, reason: protocols.ReasonSyntax, kind: KindRejected, reply: nak},
}

func caseByName(name string) (lineCase, bool) {
	for _, tc := range cases {
		if tc.name == name {
			return tc, true
		}
	}
	return lineCase{}, false
}

// splitStream frames chunks the way the receiver's framer does: bytes
// kept between reads, Split called until it wants more, atEOF after the
// last chunk.
func splitStream(c *Codec, chunks ...[]byte) (frames []string, err error) {
	var buf []byte
	for i, chunk := range chunks {
		buf = append(buf, chunk...)
		atEOF := i == len(chunks)-1
		for len(buf) > 0 {
			adv, frame, err := c.Split(buf, atEOF)
			if err != nil {
				return frames, err
			}
			if adv < 0 || adv > len(buf) {
				return frames, errBadAdvance
			}
			if frame != nil {
				frames = append(frames, string(frame))
			}
			if adv == 0 {
				if atEOF && frame == nil {
					return frames, errBadAdvance
				}
				break
			}
			buf = buf[adv:]
		}
	}
	return frames, nil
}

type splitErr string

func (e splitErr) Error() string { return string(e) }

const errBadAdvance = splitErr("split: bad advance")

func TestCases(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("case %s twice", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{MaxFrameBytes: tc.max})
			frames, err := splitStream(c, []byte(tc.raw))
			if tc.splitErr {
				if err == nil || protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Fatalf("split error %v, want too_long", err)
				}
				if got := string(c.Reply(nil, err, time.Time{})); got != tc.reply {
					t.Errorf("reply %q, want %q", got, tc.reply)
				}
				return
			}
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			// Cut anywhere, the stream frames the same.
			for at := 0; at <= len(tc.raw); at++ {
				parts, err := splitStream(c, []byte(tc.raw[:at]), []byte(tc.raw[at:]))
				if protocols.ReasonOf(err) == protocols.ReasonTooLong && len(parts) <= len(frames) && slices.Equal(parts, frames[:len(parts)]) {
					// Cut, an over-long line's end may not be in the
					// buffer yet: refusing it then is the contract.
					continue
				}
				if err != nil || !slices.Equal(parts, frames) {
					t.Fatalf("cut at %d: %q %v, whole %q", at, parts, err, frames)
				}
			}
			want := tc.frames
			if want == 0 {
				want = 1
			}
			if tc.noFrame {
				want = 0
			}
			if len(frames) != want {
				t.Fatalf("%d frames %q, want %d", len(frames), frames, want)
			}
			if tc.noFrame {
				return
			}
			for _, f := range frames[:len(frames)-1] {
				if m, err := c.Decode([]byte(f), time.Time{}); err == nil && tc.seq != "" && m.Sequence != tc.seq {
					t.Errorf("frame %q: sequence %q, want %q", f, m.Sequence, tc.seq)
				}
			}
			m, err := c.Decode([]byte(frames[len(frames)-1]), time.Time{})
			if got := string(c.Reply(m, err, time.Time{})); got != tc.reply {
				t.Errorf("reply %q, want %q", got, tc.reply)
			}
			ok := casetest.CheckError(t, Name, err, tc.err, tc.reason)
			if m == nil {
				t.Fatal("no message")
			}
			checkMessage(t, tc, m, ok)
		})
	}
}

func checkMessage(t *testing.T, tc lineCase, m *protocols.Message, accepted bool) {
	t.Helper()
	if m.Protocol != Name || m.Kind != tc.kind || m.Account != tc.account || m.Sequence != tc.seq {
		t.Errorf("message %s/%s account %q seq %q, want %s/%s %q %q", m.Protocol, m.Kind, m.Account, m.Sequence, Name, tc.kind, tc.account, tc.seq)
	}
	if !m.Timestamp.Equal(tc.stamp) {
		t.Errorf("timestamp %v, want %v", m.Timestamp, tc.stamp)
	}
	if _, ok := m.Detail.(json.Marshaler); !ok {
		t.Fatalf("detail %T is not a json.Marshaler", m.Detail)
	}
	j, err := json.Marshal(m.Detail)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), tc.detail) {
		t.Errorf("detail %s lacks %s", j, tc.detail)
	}
	if strings.Contains(string(j), "hunter2") {
		t.Errorf("detail %s holds the passkey", j)
	}
	if !accepted || m.Kind == KindHeartbeat {
		if len(m.Events) != 0 {
			t.Errorf("%d events, want none", len(m.Events))
		}
		return
	}
	if len(m.Events) != 1 {
		t.Fatalf("%d events, want 1", len(m.Events))
	}
	ev := m.Events[0]
	if ev.Account != tc.account || ev.Code != tc.code || ev.Qualifier != tc.qual || ev.Zone != tc.zone ||
		ev.Partition != tc.area || ev.User != tc.user || ev.Text != tc.text || ev.Known != tc.known {
		t.Errorf("event %+v, want account %q code %q qualifier %v zone %q area %q user %q text %q known %v",
			ev, tc.account, tc.code, tc.qual, tc.zone, tc.area, tc.user, tc.text, tc.known)
	}
	if !ev.PanelTime.Equal(tc.stamp) {
		t.Errorf("panel time %v, want %v", ev.PanelTime, tc.stamp)
	}
	if !slices.Equal(ev.Modifiers, tc.mods) {
		t.Errorf("modifiers %v, want %v", ev.Modifiers, tc.mods)
	}
}
