package xmlsignal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

var (
	encodeAt   = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	testSender = Sender{Source: "cms-a", Passkey: "k-&<test>"}
)

const (
	qNew     = protocols.QualifierNew
	qRestore = protocols.QualifierRestore
	qStatus  = protocols.QualifierStatus
)

// wantEvent is what the receiving Decode must make of an encoded signal.
type wantEvent struct {
	format, code              string
	q                         protocols.Qualifier
	area, zone, user, address string
	text                      string
	mods                      []protocols.Modifier
}

func mod(name, value string) protocols.Modifier { return protocols.Modifier{Name: name, Value: value} }

func cidEv(code string, q protocols.Qualifier, area, zone, user string) protocols.Event {
	return protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: q, Partition: area, Zone: zone, User: user, Address: zone + user}
}

func siaEv(code, area, zone string) protocols.Event {
	ev := protocols.Event{Format: protocols.FormatSIA, Code: code, Qualifier: qNew, Partition: area, Zone: zone, Address: zone}
	if area != "" {
		ev.Modifiers = []protocols.Modifier{mod("ri", area)}
	}
	return ev
}

var (
	longText = strings.Repeat("é", 1500) // 3000 bytes
	longURL  = "https://x.example/" + strings.Repeat("a", MaxURL)
	bigAttrs = func() []protocols.Modifier {
		var m []protocols.Modifier
		for i := range 40 {
			m = append(m, mod(fmt.Sprintf("attr_k%02d", i), strings.Repeat("v", 1000)))
		}
		return m
	}()
)

// encodeCase is one signal to send and what the receiving side must read.
type encodeCase struct {
	name    string
	sender  Sender
	seq     string
	account string
	ev      protocols.Event
	err     error // ErrNotEncodable when refused
	want    wantEvent
	// contains are substrings the encoded bytes must hold (layout, escaping).
	contains []string
	// lacks are substrings they must not hold.
	lacks []string
}

var encodeCases = []encodeCase{
	{name: "cid_new", seq: "1", account: "1234", ev: cidEv("130", qNew, "01", "017", ""),
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "01", zone: "017", address: "017"},
		contains: []string{`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<AlarmMessage xmlns="urn:alarmrx:signal:1" version="1"><Header><MessageId>alarmrx-1</MessageId><Sequence>1</Sequence><Source>cms-a</Source><Passkey>k-&amp;&lt;test&gt;</Passkey><SentAt>2026-12-01T12:00:00Z</SentAt></Header>`,
			`<Signal><Account>1234</Account><EventTime>2026-12-01T12:00:00Z</EventTime><Code format="CID">E130</Code><Area>01</Area><Zone>017</Zone></Signal></AlarmMessage>`}},
	{name: "cid_restore_padded", seq: "2", account: "1234", ev: cidEv("130", qRestore, "1", "5", ""),
		want:     wantEvent{format: "CID", code: "130", q: qRestore, area: "01", zone: "005", address: "005"},
		contains: []string{`<Code format="CID">R130</Code><Area>1</Area><Zone>5</Zone>`}},
	{name: "cid_status", seq: "3", account: "1234", ev: cidEv("570", qStatus, "", "12", ""),
		want:     wantEvent{format: "CID", code: "570", q: qStatus, area: "00", zone: "012", address: "012"},
		contains: []string{`<Code format="CID">P570</Code><Zone>12</Zone>`}},
	{name: "cid_user", seq: "4", account: "AB-12",
		ev:       protocols.Event{Format: "CID", Code: "401", Qualifier: qNew, Partition: "02", User: "007", Address: "007", AddressKind: protocols.AddressUser},
		want:     wantEvent{format: "CID", code: "401", q: qNew, area: "02", user: "007", address: "007"},
		contains: []string{`<User>007</User>`}, lacks: []string{`<Zone>`}},
	{name: "cid_unknown", seq: "5", account: "1234", ev: cidEv("999", qNew, "", "", ""),
		want: wantEvent{format: "CID", code: "999", q: qNew, area: "00", zone: "000", address: "000"}, contains: []string{`>E999<`}},
	{name: "cid_leading_zeros", seq: "6", account: "1234", ev: cidEv("130", qNew, "0001", "00017", ""),
		want:     wantEvent{format: "CID", code: "130", q: qNew, area: "01", zone: "017", address: "017"},
		contains: []string{`<Area>01</Area><Zone>017</Zone>`}},
	{name: "cid_hex_zone", seq: "7", account: "1234", ev: cidEv("130", qNew, "", "0B1", ""),
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "00", zone: "0B1", address: "0B1"}},
	{name: "cid_address_spilled", seq: "8", account: "1234", ev: cidEv("130", qNew, "123", "1234", ""),
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "00", zone: "000", address: "000",
			mods: []protocols.Modifier{mod("attr_area", "123"), mod("attr_zone", "1234")}},
		contains: []string{`<Attr name="area">123</Attr><Attr name="zone">1234</Attr>`}, lacks: []string{`<Area>`, `<Zone>`}},
	{name: "sia_new", seq: "10", account: "1234", ev: siaEv("BA", "1", "3"),
		want:     wantEvent{format: "SIA", code: "BA", q: qNew, area: "1", zone: "3", address: "3", mods: []protocols.Modifier{mod("ri", "1")}},
		contains: []string{`<Code format="SIA">BA</Code><Area>1</Area><Zone>3</Zone>`}, lacks: []string{`"ri"`}},
	{name: "sia_restore", seq: "11", account: "1234", ev: protocols.Event{Format: "SIA", Code: "BR", Qualifier: qRestore, Zone: "3"},
		want: wantEvent{format: "SIA", code: "BR", q: qRestore, zone: "3", address: "3"}},
	{name: "sia_user", seq: "12", account: "1234", ev: protocols.Event{Format: "SIA", Code: "OP", Qualifier: qNew, User: "12", Address: "12", AddressKind: protocols.AddressUser},
		want: wantEvent{format: "SIA", code: "OP", q: qNew, user: "12", address: "12"}, contains: []string{`<User>12</User>`}},
	{name: "sia_device_address", seq: "13", account: "1234", ev: protocols.Event{Format: "SIA", Code: "ZZ", Qualifier: qNew, Address: "1234567", AddressKind: protocols.AddressDevice},
		want: wantEvent{format: "SIA", code: "ZZ", q: qNew, address: "1234567"}, contains: []string{`<Zone>1234567</Zone>`}},
	{name: "sia_unknown_lower", seq: "14", account: "1234", ev: protocols.Event{Format: "SIA", Code: "qx", Zone: "4"},
		want: wantEvent{format: "SIA", code: "QX", q: qNew, zone: "4", address: "4"}, contains: []string{`>QX<`}},
	{name: "sia_address_spilled", seq: "15", account: "1234", ev: siaEv("BA", "1/2", "z1"),
		want: wantEvent{format: "SIA", code: "BA", q: qNew,
			mods: []protocols.Modifier{mod("attr_area", "1/2"), mod("attr_zone", "z1")}}},
	{name: "media_and_attrs", seq: "20", account: "1234", sender: Sender{Source: "out <1>"},
		ev: protocols.Event{Format: "CID", Code: "130", Qualifier: qNew, Zone: "5", Text: ` Hall <PIR> & "door" 'x' `,
			Modifiers: []protocols.Modifier{
				mod("media_portal", "https://app.example/e?id=1&z=5"),
				mod("media_clip", "https://c.example/clip.mp4"),
				mod("ti", "12:00"),
				mod("media_live", "http://c.example/live"),
				mod("media_snapshot", "https://c.example/s.jpg"),
				mod("attr_device_name", "Hall \"PIR\""),
				mod("position", "52.52,13.4050"),
				mod("position", "1,1"),
				mod("test", "true"),
				mod("attr_camera", "ch2"),
			}},
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "00", zone: "005", address: "005", text: `Hall <PIR> & "door" 'x'`,
			mods: []protocols.Modifier{
				mod("media_portal", "https://app.example/e?id=1&z=5"), mod("media_clip", "https://c.example/clip.mp4"),
				mod("media_live", "http://c.example/live"), mod("media_snapshot", "https://c.example/s.jpg"),
				mod("position", "52.52,13.405"), mod("test", "true"),
				mod("attr_device_name", `Hall "PIR"`), mod("attr_camera", "ch2")}},
		contains: []string{`<Source>out &lt;1&gt;</Source><SentAt>`, `<Text>Hall &lt;PIR&gt; &amp; &#34;door&#34; &#39;x&#39;</Text>`,
			`<Media><Link kind="portal">https://app.example/e?id=1&amp;z=5</Link><Link kind="clip">`,
			`</Media><Position lat="52.52" lon="13.405"/><Test>true</Test><Attr name="device_name">Hall &#34;PIR&#34;</Attr><Attr name="camera">ch2</Attr></Signal>`},
		lacks: []string{"<Passkey>", `"ti"`}},
	{name: "links_cleaned", seq: "21", account: "1234",
		ev: protocols.Event{Format: "CID", Code: "130", Qualifier: qNew, Modifiers: []protocols.Modifier{
			mod("media_snapshot", " HTTPS://c.example/Küche photo.jpg "),
			mod("media_portal", "javascript:alert(1)"),
			mod("media_clip", longURL),
			mod("media_other", "https://c.example/other"),
			mod("media_live", "https://"),
			mod("attr_", "v"), mod("attr_"+strings.Repeat("n", MaxAttrName+1), "v"),
			mod("position", "north"), mod("position", "91,0"), mod("position", "NaN,1"),
			mod("test", "false"),
		}},
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "00", zone: "000", address: "000",
			mods: []protocols.Modifier{mod("media_snapshot", "https://c.example/K%C3%BCche%20photo.jpg")}},
		lacks: []string{"<Test>", "<Position", "javascript", "other"}},
	{name: "text_cleaned_and_cut", seq: "22", account: "1234",
		ev: protocols.Event{Format: "CID", Code: "130", Qualifier: qNew, Text: "line 1\r\nline\t2\x00\x1b end\xff " + longText,
			Modifiers: []protocols.Modifier{mod("attr_note", "  "+longText)}},
		want: wantEvent{format: "CID", code: "130", q: qNew, area: "00", zone: "000", address: "000",
			text: ("line 1\r\nline\t2\uFFFD\uFFFD end\uFFFD " + longText)[:MaxText], mods: []protocols.Modifier{mod("attr_note", longText[:MaxText])}},
		contains: []string{`line 1&#xD;&#xA;line&#x9;2`}},
	{name: "size_budget", seq: "23", account: "1234",
		ev: protocols.Event{Format: "SIA", Code: "BA", Qualifier: qNew, Modifiers: append(bigAttrs, mod("media_clip", "https://c.example/late.mp4"))},
		// The attributes past the budget are left out; the short link after
		// them still fits.
		want:  wantEvent{format: "SIA", code: "BA", q: qNew, mods: append([]protocols.Modifier{mod("media_clip", "https://c.example/late.mp4")}, bigAttrs[:15]...)},
		lacks: []string{`"k15"`}},
	{name: "default_source", seq: "24", account: "1234", sender: Sender{}, ev: cidEv("602", qNew, "", "", ""),
		want: wantEvent{format: "CID", code: "602", q: qNew, area: "00", zone: "000", address: "000"}, contains: []string{"<Source>alarmrx</Source><SentAt>"}},
	{name: "max_sequence_and_account", seq: "12345678901234567890", account: " 1234567890123456 ", ev: cidEv("602", qNew, "", "", ""),
		want: wantEvent{format: "CID", code: "602", q: qNew, area: "00", zone: "000", address: "000"}},

	// Refusals: the output lists these as undeliverable.
	{name: "account_too_long", seq: "30", account: "12345678901234567", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "account_bad_char", seq: "31", account: "12 34", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "account_empty", seq: "32", account: "", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "sequence_empty", seq: "", account: "1234", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "sequence_not_digits", seq: "12a", account: "1234", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "sequence_too_long", seq: "123456789012345678901", account: "1234", ev: cidEv("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "cid_code_short", seq: "33", account: "1234", ev: cidEv("13", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "cid_code_long", seq: "34", account: "1234", ev: cidEv("1300", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "cid_code_hex", seq: "35", account: "1234", ev: cidEv("13A", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "sia_code_long", seq: "36", account: "1234", ev: protocols.Event{Format: "SIA", Code: "VENDOR1"}, err: ErrNotEncodable},
	{name: "sia_code_digit", seq: "37", account: "1234", ev: protocols.Event{Format: "SIA", Code: "B1"}, err: ErrNotEncodable},
	{name: "no_format", seq: "38", account: "1234", ev: protocols.Event{Code: "130"}, err: ErrNotEncodable},
}

func (tc encodeCase) sender_() Sender {
	if tc.sender == (Sender{}) && tc.name != "default_source" {
		return testSender
	}
	return tc.sender
}

// receiverFor is the receiving side for a sender: the TCP listener's
// codec, which requires the sender's passkey when it has one.
func receiverFor(s Sender) *Codec {
	c := New(0)
	if s.Passkey != "" {
		src := s.Source
		if src == "" {
			src = DefaultSource
		}
		c.WithAuth(func(source, passkey string) bool { return source == src && passkey == s.Passkey })
	}
	return c
}

// roundTrip decodes what was encoded on the receiving side and checks the
// event against want, then that the receiver's ACK is framed by SplitReply
// and parses as OK with the same Seq. It returns the decoded message.
func roundTrip(t *testing.T, s Sender, enc []byte, seq string, at time.Time, want wantEvent) *protocols.Message {
	t.Helper()
	c := receiverFor(s)
	adv, frame, err := c.Split(enc, false)
	if err != nil || adv != len(enc) || !bytes.Equal(frame, bytes.TrimLeft(enc, "\r\n ")) {
		t.Fatalf("Split %d %q %v of %q", adv, frame, err, enc)
	}
	m, err := c.Decode(frame, encodeAt)
	if err != nil {
		t.Fatalf("Decode of %q: %v", enc, err)
	}
	if m.Kind != "signals" || m.Sequence != MessageIDPrefix+seq || len(m.Events) != 1 || !m.Timestamp.Equal(at) ||
		m.Detail.(*Message).Header.Sequence != seq || m.Detail.(*Message).Header.Passkey != "" {
		t.Fatalf("Decode of %q: %+v", enc, m)
	}
	ev := m.Events[0]
	got := wantEvent{format: ev.Format, code: ev.Code, q: ev.Qualifier, area: ev.Partition, zone: ev.Zone, user: ev.User,
		address: ev.Address, text: ev.Text, mods: ev.Modifiers}
	if len(got.mods) == 0 {
		got.mods = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, want)
	}
	if !ev.PanelTime.Equal(at) {
		t.Fatalf("event time %v, want %v", ev.PanelTime, at)
	}
	ack := c.Reply(m, nil, encodeAt)
	r, err := ParseReply(splitOne(t, ack))
	if err != nil || !r.OK || r.Retry || r.Seq != seq || r.Text != "0 OK" {
		t.Fatalf("ACK %q parsed as %+v, %v", ack, r, err)
	}
	return m
}

// splitOne frames the single reply in b with SplitReply.
func splitOne(t *testing.T, b []byte) []byte {
	t.Helper()
	frames, err := scanAll(b, len(b))
	if err != nil || len(frames) != 1 {
		t.Fatalf("SplitReply of %q: %q, %v", b, frames, err)
	}
	return frames[0]
}

func TestEncodeSignal(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sender_()
			enc, err := s.EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || enc != nil {
					t.Fatalf("got %q, %v; want %v", enc, err, tc.err)
				}
				if strings.Contains(err.Error(), s.Passkey) {
					t.Fatalf("error %q holds the passkey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(enc, []byte(xmlHeaderRoot)) || !bytes.HasSuffix(enc, []byte(signalTail)) || len(enc) > MaxSignalBytes {
				t.Fatalf("layout (%d bytes) %q", len(enc), enc)
			}
			for _, sub := range tc.contains {
				if !bytes.Contains(enc, []byte(sub)) {
					t.Errorf("%q lacks %q", enc, sub)
				}
			}
			for _, sub := range tc.lacks {
				if bytes.Contains(enc, []byte(sub)) {
					t.Errorf("%q holds %q", enc, sub)
				}
			}
			roundTrip(t, s, enc, tc.seq, encodeAt, tc.want)
			again, _ := s.EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
			if !bytes.Equal(again, enc) {
				t.Fatal("a retransmission must be the same bytes")
			}
		})
	}
}

const xmlHeaderRoot = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<AlarmMessage xmlns="urn:alarmrx:signal:1" version="1"><Header><MessageId>`

// TestEncodeRoundTripExamples: every signal of the accepted example
// messages (XML and JSON), sent again with the time it carries, decodes to
// the same account, code, qualifier, area, zone, user, text and modifiers,
// and its ACK parses as OK with the same Seq.
func TestEncodeRoundTripExamples(t *testing.T) {
	n := 0
	for _, file := range []string{"chekt-style.xml", "chekt-style.json", "two-signals-sia.xml"} {
		m, err := New(0).Decode(readExample(t, file), time.Time{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, ev := range m.Events {
			seq := fmt.Sprint(100 + n)
			enc, err := testSender.EncodeSignal(seq, ev.Account, ev, ev.PanelTime)
			if err != nil {
				t.Fatalf("%s signal %d: %v", file, i, err)
			}
			want := wantEvent{format: ev.Format, code: ev.Code, q: ev.Qualifier, area: ev.Partition, zone: ev.Zone, user: ev.User,
				address: ev.Address, text: ev.Text, mods: ev.Modifiers}
			if len(want.mods) == 0 {
				want.mods = nil
			}
			t.Run(fmt.Sprintf("%s/%d", file, i), func(t *testing.T) {
				back := roundTrip(t, testSender, enc, seq, ev.PanelTime.UTC(), want).Events[0]
				if back.Account != ev.Account || back.Known != ev.Known || back.Category != ev.Category || back.AddressKind != ev.AddressKind {
					t.Fatalf("back %+v, sent %+v", back, ev)
				}
			})
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d signals round-tripped, want 4", n)
	}
}

func TestEncodeHeartbeat(t *testing.T) {
	for _, seq := range []string{"7", ""} {
		hb := testSender.EncodeHeartbeat(seq, encodeAt)
		c := receiverFor(testSender)
		m, err := c.Decode(hb, encodeAt)
		if err != nil || m.Kind != "heartbeat" || len(m.Events) != 0 || !m.Timestamp.IsZero() && !m.Timestamp.Equal(encodeAt) {
			t.Fatalf("heartbeat %q: %+v, %v", hb, m, err)
		}
		wantID := "alarmrx-hb-20261201T120000Z"
		if seq != "" {
			wantID += "-" + seq
		}
		if m.Sequence != wantID || bytes.Contains(hb, []byte("<Signal")) {
			t.Fatalf("heartbeat %q: MessageId %q, want %q", hb, m.Sequence, wantID)
		}
		r, err := ParseReply(splitOne(t, c.Reply(m, nil, encodeAt)))
		if err != nil || !r.OK || r.Seq != seq {
			t.Fatalf("heartbeat ACK %+v, %v", r, err)
		}
	}
	// A heartbeat's MessageId is never a signal's: the output counts
	// heartbeats from 1 again after a restart.
	sig, _ := testSender.EncodeSignal("7", "1234", cidEv("130", qNew, "", "", ""), encodeAt)
	hb := testSender.EncodeHeartbeat("7", encodeAt)
	if bytes.Contains(hb, []byte("<MessageId>alarmrx-7<")) || !bytes.Contains(sig, []byte("<MessageId>alarmrx-7<")) {
		t.Fatalf("ids: %q / %q", hb, sig)
	}
	if got := (Sender{}).EncodeHeartbeat("x", encodeAt); bytes.Contains(got, []byte("<Sequence>")) {
		t.Fatalf("a sequence that is not digits is not sent: %q", got)
	}
}

// TestRefusalReplies: every answer Reply (and the HTTP side's Answer) can
// write parses as not OK, with Retry as the result code says.
func TestRefusalReplies(t *testing.T) {
	c := receiverFor(testSender)
	enc, _ := testSender.EncodeSignal("55", "1234", cidEv("130", qNew, "", "5", ""), encodeAt)
	m, err := c.Decode(enc, encodeAt)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		ok, retry bool
		seq, text string
	}
	rows := []struct {
		name  string
		reply []byte
		want  want
	}{
		{"ack", c.Reply(m, nil, encodeAt), want{true, false, "55", "0 OK"}},
		{"duplicate", Answer(m, CodeDuplicate, encodeAt), want{true, false, "55", "10 DUPLICATE"}},
		{"store_failure", c.Reply(m, protocols.Reject(Name, protocols.ReasonStore, errors.New("disk full")), encodeAt), want{false, true, "55", "5 NOT_TREATED"}},
		{"shutdown", c.Reply(m, protocols.Reject(Name, protocols.ReasonShutdown, nil), encodeAt), want{false, true, "55", "5 NOT_TREATED"}},
		{"server_error", c.Reply(m, errors.New("unexpected"), encodeAt), want{false, true, "55", "98 SERVER_ERROR"}},
		{"too_frequent", Answer(m, CodeTooFrequent, encodeAt), want{false, true, "55", "101 TOO_FREQUENT"}},
		{"unknown_code", Answer(m, 42, encodeAt), want{false, true, "55", "42"}},
		{"not_authorised_none", AnswerNone(CodeNotAuthorized, encodeAt, false), want{false, false, "", "4 NOT_AUTHORIZED"}},
		{"too_long_none", AnswerNone(CodeInvalidLength, encodeAt, false), want{false, false, "", "1 INVALID_LENGTH"}},
	}
	// The wrong passkey, on the TCP listener.
	wrong := New(0).WithAuth(func(string, string) bool { return false })
	wm, werr := wrong.Decode(enc, encodeAt)
	rows = append(rows, struct {
		name  string
		reply []byte
		want  want
	}{"wrong_passkey", wrong.Reply(wm, werr, encodeAt), want{false, false, "55", "4 NOT_AUTHORIZED"}})
	// Over the listener's frame limit.
	small := New(100)
	sm, serr := small.Decode(enc, encodeAt)
	rows = append(rows, struct {
		name  string
		reply []byte
		want  want
	}{"too_long", small.Reply(sm, serr, encodeAt), want{false, false, "", "1 INVALID_LENGTH"}})
	// Every malformed message of the decode table.
	for _, bc := range badCases {
		plain := New(0)
		bm, berr := plain.Decode([]byte(bc.body), encodeAt)
		if berr == nil {
			t.Fatalf("%s accepted", bc.name)
		}
		if strings.HasPrefix(bc.body, "{") {
			continue // a JSON answer: our sender writes XML
		}
		seq := ""
		if d, ok := bm.Detail.(*Message); ok {
			seq = d.Header.Sequence
		}
		rows = append(rows, struct {
			name  string
			reply []byte
			want  want
		}{"bad_" + bc.name, plain.Reply(bm, berr, encodeAt), want{false, false, seq, fmt.Sprint(bc.code, " ", codeText[bc.code])}})
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r, err := ParseReply(splitOne(t, row.reply))
			if err != nil {
				t.Fatalf("%q: %v", row.reply, err)
			}
			if got := (want{r.OK, r.Retry, r.Seq, r.Text}); got != row.want {
				t.Fatalf("%q parsed as %+v, want %+v", row.reply, got, row.want)
			}
		})
	}
}

func TestParseReplyRefuses(t *testing.T) {
	ok := `<AlarmResponse xmlns="urn:alarmrx:signal:1"><Sequence> 9 </Sequence><Status code="0">OK</Status></AlarmResponse>`
	if r, err := ParseReply([]byte(ok)); err != nil || !r.OK || r.Seq != "9" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := ParseReply([]byte(`<?xml version="1.0"?><!-- c --><AlarmResponse><Status code=" 10 ">dup` + "\t\nlicate" + `</Status></AlarmResponse>` + "\r\n")); err != nil || !r.OK || r.Text != "10 dup licate" {
		t.Fatalf("no namespace: %+v %v", r, err)
	}
	for name, in := range map[string]string{
		"no_status":       `<AlarmResponse xmlns="urn:alarmrx:signal:1"><Sequence>9</Sequence></AlarmResponse>`,
		"no_code":         `<AlarmResponse xmlns="urn:alarmrx:signal:1"><Status>OK</Status></AlarmResponse>`,
		"code_not_int":    `<AlarmResponse xmlns="urn:alarmrx:signal:1"><Status code="zero">OK</Status></AlarmResponse>`,
		"other_root":      `<AlarmMessage xmlns="urn:alarmrx:signal:1"><Status code="0">OK</Status></AlarmMessage>`,
		"other_namespace": `<AlarmResponse xmlns="urn:other"><Status code="0">OK</Status></AlarmResponse>`,
		"doctype":         `<!DOCTYPE r [<!ENTITY x "0">]><AlarmResponse><Status code="&x;">OK</Status></AlarmResponse>`,
		"after_root":      ok + `<x/>`,
		"text_before":     `junk` + ok,
		"cut":             ok[:40],
		"json":            `{"status":{"code":0}}`,
		"latin1":          `<?xml version="1.0" encoding="ISO-8859-1"?>` + ok,
		"too_long":        ok + strings.Repeat(" ", MaxReplyBytes),
		"empty":           ``,
	} {
		r, err := ParseReply([]byte(in))
		var fe *protocols.FrameError
		if err == nil || !errors.As(err, &fe) || fe.Protocol != Name || r != (protocols.PeerReply{}) {
			t.Errorf("%s: %+v, %v", name, r, err)
		}
	}
}

// scanAll frames b with SplitReply through a bufio.Scanner fed chunk bytes
// at a time.
func scanAll(b []byte, chunk int) ([][]byte, error) {
	sc := bufio.NewScanner(&chunkReader{b: b, n: max(chunk, 1)})
	sc.Buffer(make([]byte, 0, 64), 64<<10)
	sc.Split(SplitReply)
	var frames [][]byte
	for sc.Scan() {
		frames = append(frames, bytes.Clone(sc.Bytes()))
	}
	return frames, sc.Err()
}

type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestSplitReply(t *testing.T) {
	a := string(AnswerNone(CodeOK, encodeAt, false))
	b := `<AlarmResponse xmlns="urn:alarmrx:signal:1"><Sequence>2</Sequence><Status code="5">NOT_TREATED</Status></AlarmResponse>`
	stream := "\x02garbage<Alarm<?xml version=\"1.0\"?>junk" + a + "\r\n\r\n  " + b + "<AlarmResponseX></AlarmResponse>" + "<?xml version='1.0'?>\n"
	want := []string{strings.TrimSuffix(a, "\n"), b}
	for chunk := 1; chunk <= len(stream); chunk++ {
		frames, err := scanAll([]byte(stream), chunk)
		if err != nil || len(frames) != len(want) {
			t.Fatalf("chunk %d: %q, %v", chunk, frames, err)
		}
		for i := range want {
			if string(frames[i]) != want[i] {
				t.Fatalf("chunk %d frame %d: %q, want %q", chunk, i, frames[i], want[i])
			}
		}
	}
	// Over the cap: skipped to the next start, else refused.
	long := `<AlarmResponse><Status code="0">` + strings.Repeat("x", MaxReplyBytes) + `</Status></AlarmResponse>`
	frames, err := scanAll([]byte(long+b), 512)
	if err != nil || len(frames) != 1 || string(frames[0]) != b {
		t.Fatalf("long then short: %q, %v", frames, err)
	}
	if _, err := scanAll([]byte(long[:MaxReplyBytes+10]), 512); !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
		t.Fatalf("long alone: %v", err)
	}
}

func TestSenderHidesPasskey(t *testing.T) {
	s := Sender{Source: "cms-a", Passkey: "s3cr3t"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%T %v"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, "s3cr3t") || strings.Contains(out, fmt.Sprintf("%x", "s3cr3t")) {
			t.Errorf("%s prints %q", f, out)
		}
	}
	if got := fmt.Sprint(s); got != `xmlsignal.Sender{Source: "cms-a", Passkey: set}` {
		t.Errorf("String %q", got)
	}
	if got := fmt.Sprint(Sender{}); got != `xmlsignal.Sender{Source: "", Passkey: unset}` {
		t.Errorf("String %q", got)
	}
	if got := fmt.Sprintf("%v", &s); strings.Contains(got, "s3cr3t") {
		t.Errorf("pointer prints %q", got)
	}
	j, err := s.MarshalJSON()
	if err != nil || string(j) != `{"source":"cms-a","passkey_set":true}` {
		t.Errorf("JSON %s %v", j, err)
	}
	_, err = s.EncodeSignal("1", "bad account", cidEv("130", qNew, "", "", ""), encodeAt)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v", err)
	}
}
