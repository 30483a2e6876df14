package masxml

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

var encodeAt = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// encodeCase is one signal to send and what the receiving Decode must make
// of it. want is the event as Decode reads it back; a zero want means the
// input event itself (after alarmcode) must come back.
type encodeCase struct {
	name    string
	seq     string
	account string
	ev      protocols.Event
	opts    EncodeOptions
	err     error // ErrNotEncodable when refused
	want    *wantEvent
	// contains are substrings the encoded bytes must hold (escaping).
	contains []string
}

func cidEvent(code string, q protocols.Qualifier, area, zone, user string) protocols.Event {
	return protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: q, Partition: area, Zone: zone, User: user}
}

func (e wantEvent) ptr() *wantEvent { return &e }

var (
	longText = strings.Repeat("é", 1500) // 3000 bytes
	longURL  = "https://x.example/" + strings.Repeat("a", MaxURL)
)

// encodeCases are our own signals for the edges of the mapping; the
// signals of the decode table's accepted messages are round-tripped too
// (TestEncodeRoundTripCases).
var encodeCases = []encodeCase{
	{name: "cid_new", seq: "1", account: "1234", ev: cidEvent("130", qNew, "1", "5", ""),
		want:     cid("1234", "130", qNew, "1", "5", "").ptr(),
		contains: []string{`<MessageType>AJAX</MessageType><SourceID>alarmrx</SourceID><MessageSequenceNo>1</MessageSequenceNo>`, `<Value>E130</Value>`}},
	{name: "cid_restore", seq: "2", account: "1234", ev: cidEvent("130", qRestore, "", "5", ""),
		want: cid("1234", "130", qRestore, "", "5", "").ptr(), contains: []string{`<Value>R130</Value>`}},
	{name: "cid_status", seq: "3", account: "1234", ev: cidEvent("570", protocols.QualifierStatus, "", "12", ""),
		want: cid("1234", "570", protocols.QualifierStatus, "", "12", "").ptr(), contains: []string{`<Value>P570</Value>`}},
	{name: "cid_user", seq: "4", account: "AB-12", ev: cidEvent("401", qNew, "2", "", "007"),
		want: cid("AB-12", "401", qNew, "2", "", "007").ptr(), contains: []string{`<Key>User</Key><Value>007</Value>`}},
	{name: "sia", seq: "5", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: "BA", Qualifier: qNew, Zone: "3",
		Modifiers: []protocols.Modifier{{Name: "ri", Value: "1"}, {Name: "ti", Value: "12:00"}}},
		want:     &wantEvent{format: protocols.FormatSIA, account: "1234", code: "BA", qualifier: qNew, zone: "3", known: true},
		contains: []string{`<Value>BA</Value>`}},
	{name: "sia_restore", seq: "6", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: "BR", Qualifier: qRestore, Zone: "3"},
		want: &wantEvent{format: protocols.FormatSIA, account: "1234", code: "BR", qualifier: qRestore, zone: "3", known: true}},
	{name: "unknown_cid", seq: "7", account: "1234", ev: cidEvent("999", qNew, "", "", ""),
		want: &wantEvent{format: protocols.FormatContactID, account: "1234", code: "999", qualifier: qNew}},
	{name: "media_and_attrs", seq: "8", account: "1234", opts: EncodeOptions{SourceID: "cms-out 1", MessageType: "ALARM"},
		ev: protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: qNew, Zone: "5", Text: `Hall <PIR> & "door" 'x'`,
			Modifiers: []protocols.Modifier{
				{Name: "media_portal", Value: "https://app.example/e?id=1&z=5"},
				{Name: "media_clip", Value: "https://c.example/clip.mp4"},
				{Name: "media_live", Value: "http://c.example/live"},
				{Name: "media_snapshot", Value: "https://c.example/s.jpg"},
				{Name: "attr_device_name", Value: "Hall PIR"},
				{Name: "position", Value: "52.52,13.405"},
				{Name: "test", Value: "true"},
			}},
		want: cid("1234", "130", qNew, "", "5", "").withText(`Hall <PIR> & "door" 'x'`).with(
			mod("media_portal", "https://app.example/e?id=1&z=5"), mod("media_clip", "https://c.example/clip.mp4"),
			mod("media_live", "http://c.example/live"), mod("media_snapshot", "https://c.example/s.jpg"),
			mod("attr_device_name", "Hall PIR"), mod("position", "52.52,13.405")).ptr(),
		contains: []string{`<MessageType>ALARM</MessageType><SourceID>cms-out 1</SourceID>`, `Hall &lt;PIR&gt; &amp; &#34;door&#34; &#39;x&#39;`,
			`<Key>URL</Key><Value>https://app.example/e?id=1&amp;z=5</Value>`, `<Key>ClipURL</Key>`, `<Key>LiveURL</Key>`, `<Key>SnapshotURL</Key>`,
			`<Key>device_name</Key>`, `<Key>Position</Key><Value>52.52,13.405</Value>`}},
	{name: "links_escaped_and_dropped", seq: "9", account: "1234",
		ev: protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: qNew, Modifiers: []protocols.Modifier{
			{Name: "media_snapshot", Value: "https://c.example/Küche photo.jpg"},
			{Name: "media_portal", Value: "javascript:alert(1)"},
			{Name: "media_clip", Value: longURL},
			{Name: "media_other", Value: "https://c.example/other"},
			{Name: "attr_zone", Value: "9"}, {Name: "attr_url", Value: "https://x"}, {Name: "attr_", Value: "v"}, {Name: "attr_empty", Value: " "},
			{Name: "position", Value: "north"},
		}},
		want:     cid("1234", "130", qNew, "", "", "").with(mod("media_snapshot", "https://c.example/K%C3%BCche%20photo.jpg")).ptr(),
		contains: []string{`K%C3%BCche%20photo.jpg`}},
	{name: "fields_cut", seq: "10", account: "1234",
		ev: protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: qNew, Partition: "12345678901234567890",
			Zone: "zone 1", User: "Jürgen", Text: "  " + longText + "  ",
			Modifiers: []protocols.Modifier{{Name: "attr_note", Value: longText}}},
		want: cid("1234", "130", qNew, "1234567890123456", "zone_1", "J_rgen").withText(longText[:MaxText]).with(
			mod("attr_note", longText[:MaxText])).ptr()},
	{name: "text_controls", seq: "11", account: "1234",
		ev:       protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: qNew, Text: "line 1\r\nline\t2\x00\x1b end\xff"},
		want:     cid("1234", "130", qNew, "", "", "").withText("line 1\r\nline\t2\uFFFD\uFFFD end\uFFFD").ptr(),
		contains: []string{`line 1&#xD;&#xA;line&#x9;2`}},
	{name: "options_cleaned", seq: "12", account: "1234", opts: EncodeOptions{SourceID: strings.Repeat("s", 40) + "\n", MessageType: "heartbeat"},
		ev: cidEvent("130", qNew, "", "", ""), want: cid("1234", "130", qNew, "", "", "").ptr(),
		contains: []string{`<MessageType>AJAX</MessageType><SourceID>` + strings.Repeat("s", MaxHeader) + `</SourceID>`}},
	{name: "max_sequence", seq: "12345678901234567890", account: "1234567890123456", ev: cidEvent("602", qNew, "", "", ""),
		want: cid("1234567890123456", "602", qNew, "", "", "").ptr()},

	// Refusals: the output lists these as undeliverable.
	{name: "account_too_long", seq: "20", account: "12345678901234567", ev: cidEvent("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "account_bad_char", seq: "21", account: "12 34", ev: cidEvent("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "account_empty", seq: "22", account: "", ev: cidEvent("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "no_code", seq: "23", account: "1234", ev: protocols.Event{Format: protocols.FormatContactID}, err: ErrNotEncodable},
	{name: "code_too_long", seq: "24", account: "1234", ev: protocols.Event{Format: protocols.FormatSIA, Code: strings.Repeat("B", 17)}, err: ErrNotEncodable},
	{name: "bad_sequence", seq: "12a", account: "1234", ev: cidEvent("130", qNew, "", "", ""), err: ErrNotEncodable},
	{name: "empty_sequence", seq: "", account: "1234", ev: cidEvent("130", qNew, "", "", ""), err: ErrNotEncodable},
}

// roundTrip decodes what was encoded, checks the event against want, and
// checks that the receiver's ACK parses as OK with the same sequence.
func roundTrip(t *testing.T, enc []byte, seq string, want wantEvent) {
	t.Helper()
	c := New(Options{})
	adv, frame, err := c.Split(enc, true)
	if err != nil || adv != len(enc) || !bytes.Equal(frame, enc) {
		t.Fatalf("Split %d %q %v of %q", adv, frame, err, enc)
	}
	m, err := c.Decode(enc, encodeAt)
	if err != nil {
		t.Fatalf("Decode of %q: %v", enc, err)
	}
	if m.Kind != "signals" || m.Sequence != seq || len(m.Events) != 1 {
		t.Fatalf("Decode of %q: %+v", enc, m)
	}
	checkEvent(t, 0, m.Events[0], want)
	r, err := ParseReply(c.Reply(m, nil, encodeAt))
	if err != nil || !r.OK || r.Retry || r.Seq != seq || r.Text != "0 ok" {
		t.Fatalf("ACK parsed as %+v, %v", r, err)
	}
}

func TestEncodeSignal(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.opts.EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || enc != nil {
					t.Fatalf("got %q, %v; want %v", enc, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(enc, []byte(`<?xml version="1.0" encoding="UTF-8"?><XMLMessageClass>`)) || !bytes.HasSuffix(enc, rootEnd) {
				t.Fatalf("layout %q", enc)
			}
			for _, s := range tc.contains {
				if !bytes.Contains(enc, []byte(s)) {
					t.Errorf("%q lacks %q", enc, s)
				}
			}
			roundTrip(t, enc, tc.seq, *tc.want)
			if tc.opts == (EncodeOptions{}) {
				if d, _ := EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt); !bytes.Equal(d, enc) {
					t.Fatalf("EncodeSignal and EncodeOptions{}.EncodeSignal differ")
				}
			}
		})
	}
}

// TestEncodeRoundTripCases: every signal of the decode table's accepted
// messages, sent again, decodes to the same account, code, qualifier,
// area, zone, user, text and links, and its ACK parses as OK.
func TestEncodeRoundTripCases(t *testing.T) {
	n := 0
	for _, tc := range cases {
		if tc.reason != accepted || tc.msg.kind != "signals" {
			continue
		}
		c := tc.codec()
		for _, in := range tc.inputs() {
			m, err := c.Decode([]byte(in), encodeAt)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for i, ev := range m.Events {
				seq := m.Sequence + string(rune('0'+i%10))
				enc, err := EncodeSignal(seq, ev.Account, ev, encodeAt)
				if err != nil {
					t.Fatalf("%s signal %d: %v", tc.name, i, err)
				}
				want := tc.msg.events[i]
				t.Run(tc.name, func(t *testing.T) { roundTrip(t, enc, seq, want) })
				n++
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d signals round-tripped", n)
	}
}

func TestEncodeHeartbeat(t *testing.T) {
	c := New(Options{})
	for _, tt := range []struct {
		seq, sent string
		opts      EncodeOptions
	}{{"1", "1", EncodeOptions{}}, {"98765", "98765", EncodeOptions{SourceID: "out-2"}}, {"", "0000", EncodeOptions{}}, {"x", "0000", EncodeOptions{}}} {
		hb := tt.opts.EncodeHeartbeat(tt.seq, encodeAt)
		if tt.opts == (EncodeOptions{}) && !bytes.Equal(hb, EncodeHeartbeat(tt.seq, encodeAt)) {
			t.Fatal("EncodeHeartbeat and EncodeOptions{}.EncodeHeartbeat differ")
		}
		m, err := c.Decode(hb, encodeAt)
		if err != nil || m.Kind != "heartbeat" || m.Sequence != tt.sent || len(m.Events) != 0 {
			t.Fatalf("%q: %+v %v", hb, m, err)
		}
		want := header(tt.opts.SourceID, DefaultSourceID)
		if Sender(m) != want {
			t.Fatalf("sender %q, want %q", Sender(m), want)
		}
		r, err := ParseReply(c.Reply(m, nil, encodeAt))
		if err != nil || !r.OK || r.Seq != tt.sent {
			t.Fatalf("heartbeat ACK %+v %v", r, err)
		}
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><XMLMessageClass><MessageType>HEARTBEAT</MessageType><SourceID>alarmrx</SourceID><MessageSequenceNo>7</MessageSequenceNo></XMLMessageClass>`
	if got := string(EncodeHeartbeat("7", encodeAt)); got != want {
		t.Fatalf("heartbeat %s", got)
	}
}

// TestEncodeFrameCap: many long extras stop at the frame cap, and the
// message still decodes.
func TestEncodeFrameCap(t *testing.T) {
	ev := cidEvent("130", qNew, "", "", "")
	for i := 0; i < 200; i++ {
		ev.Modifiers = append(ev.Modifiers, protocols.Modifier{Name: "attr_k" + strings.Repeat("x", i%50), Value: strings.Repeat("v", MaxText)})
	}
	enc, err := EncodeSignal("1", "1234", ev, encodeAt)
	if err != nil || len(enc) > DefaultMaxFrameBytes {
		t.Fatalf("%d bytes, %v", len(enc), err)
	}
	m, err := New(Options{}).Decode(enc, encodeAt)
	if err != nil || len(m.Events) != 1 || len(m.Events[0].Modifiers) == 0 || len(m.Events[0].Modifiers) >= 200 {
		t.Fatalf("%v %+v", err, m)
	}
}

// replyCase is one reply a receiver may send and how the sender reads it.
type replyCase struct {
	name, raw string
	err       bool
	want      protocols.PeerReply
}

// replyCases: the evidence's reply verbatim, each code, and replies that
// are no AckNakClass.
var replyCases = []replyCase{
	{name: "research_ack", raw: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<AckNakClass>\n    <MessageSequenceNo>101</MessageSequenceNo>\n    <ResultCode>0</ResultCode>\n    <ResultText>ok</ResultText>\n</AckNakClass>",
		want: protocols.PeerReply{Seq: "101", OK: true, Text: "0 ok"}},
	{name: "ack_no_decl", raw: `<AckNakClass><MessageSequenceNo>5</MessageSequenceNo><ResultCode> 0 </ResultCode></AckNakClass>`,
		want: protocols.PeerReply{Seq: "5", OK: true, Text: "0"}},
	{name: "code_1", raw: nak("6", 1, "Poorly formed XML"), want: protocols.PeerReply{Seq: "6", Text: "1 Poorly formed XML"}},
	{name: "code_9", raw: nak("7", 9, "Invalid XML"), want: protocols.PeerReply{Seq: "7", Text: "9 Invalid XML"}},
	{name: "code_10", raw: nak("8", 10, "Poorly formed XML"), want: protocols.PeerReply{Seq: "8", Retry: true, Text: "10 Poorly formed XML"}},
	{name: "code_unknown", raw: nak("9", 42, "busy"), want: protocols.PeerReply{Seq: "9", Retry: true, Text: "42 busy"}},
	{name: "code_negative", raw: nak("9", 0, "x")[:0] + strings.Replace(nak("9", 0, "err"), "<ResultCode>0<", "<ResultCode>-1<", 1),
		want: protocols.PeerReply{Seq: "9", Retry: true, Text: "-1 err"}},
	{name: "no_sequence", raw: `<AckNakClass><ResultCode>1</ResultCode><ResultText>bad&#xA;line</ResultText></AckNakClass>`,
		want: protocols.PeerReply{Text: "1 bad line"}},
	{name: "lower_case_elements", raw: `<?xml version="1.0" encoding="ISO-8859-1"?><AckNakClass><messagesequenceno>3</messagesequenceno><resultcode>0</resultcode><resulttext>` + "d\xe9j\xe0 vu" + `</resulttext><Extra><x/></Extra></AckNakClass>`,
		want: protocols.PeerReply{Seq: "3", OK: true, Text: "0 déjà vu"}},
	{name: "no_code", raw: `<AckNakClass><MessageSequenceNo>3</MessageSequenceNo></AckNakClass>`, err: true},
	{name: "code_not_integer", raw: `<AckNakClass><ResultCode>OK</ResultCode></AckNakClass>`, err: true},
	{name: "code_twice", raw: `<AckNakClass><ResultCode>0</ResultCode><ResultCode>1</ResultCode></AckNakClass>`, err: true},
	{name: "other_root", raw: `<Ack><ResultCode>0</ResultCode></Ack>`, err: true},
	{name: "doctype", raw: `<!DOCTYPE a [<!ENTITY x "0">]><AckNakClass><ResultCode>&x;</ResultCode></AckNakClass>`, err: true},
	{name: "not_well_formed", raw: `<AckNakClass><ResultCode>0</ResultText></AckNakClass>`, err: true},
	{name: "trailing", raw: nak("1", 0, "ok") + "<x/>", err: true},
}

func TestParseReply(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReply([]byte(tc.raw))
			if tc.err {
				var fe *protocols.FrameError
				if err == nil || !errors.As(err, &fe) || fe.Protocol != Name {
					t.Fatalf("got %+v, %v; want a masxml FrameError", r, err)
				}
				return
			}
			if err != nil || r != tc.want {
				t.Fatalf("got %+v, %v; want %+v", r, err, tc.want)
			}
		})
	}
	if _, err := ParseReply(bytes.Repeat([]byte(" "), MaxReplyBytes+1)); !tooLong(err) {
		t.Fatalf("over the cap: %v", err)
	}
}

// TestReplyParsesBack: every reply Reply writes for the decode table, and
// for the receiver's own outcomes, parses with the meaning the sender must
// take from it: ACK OK; a refusal (1, 9) not to be sent again; "not
// stored" (store failure, shutdown) to be sent again; the sequence echoed.
func TestReplyParsesBack(t *testing.T) {
	for _, tc := range cases {
		c := tc.codec()
		for _, in := range tc.inputs() {
			m, err := c.Decode([]byte(in), encodeAt)
			r, perr := ParseReply(c.Reply(m, err, encodeAt))
			want := m.Sequence
			if want == "" {
				want = noSequence
			}
			if perr != nil || r.OK != (err == nil) || r.Retry || r.Seq != want {
				t.Errorf("%s: %+v %v for %v", tc.name, r, perr, err)
			}
		}
	}
	m := &protocols.Message{Sequence: "77"}
	for _, tt := range []struct {
		outcome   error
		ok, retry bool
	}{
		{nil, true, false},
		{protocols.Reject("receiver", protocols.ReasonStore, nil), false, true},
		{protocols.Reject("receiver", protocols.ReasonShutdown, nil), false, true},
		{protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil), true, false},
		{protocols.Reject(Name, protocols.ReasonSyntax, ErrSyntax), false, false},
		{protocols.Reject(Name, protocols.ReasonSyntax, ErrMissing), false, false},
		{protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong), false, false},
		{protocols.Reject(Name, protocols.ReasonToken, ErrWrongContent), false, false},
		{errors.New("anything else"), false, true},
	} {
		r, err := ParseReply(New(Options{}).Reply(m, tt.outcome, encodeAt))
		if err != nil || r.OK != tt.ok || r.Retry != tt.retry || r.Seq != "77" {
			t.Errorf("%v: %+v %v", tt.outcome, r, err)
		}
	}
	for code := range codeText {
		r, err := ParseReply(Answer("5", code))
		if err != nil || r.OK != (code == CodeOK) || r.Retry != (code == CodeNotStored) {
			t.Errorf("code %d: %+v %v", code, r, err)
		}
	}
}

// replyFeeder drives SplitReply as the output does.
func splitReplies(chunks ...[]byte) (frames []string, err error) {
	var buf []byte
	for _, ch := range chunks {
		buf = append(buf, ch...)
		for len(buf) > 0 {
			adv, fr, e := SplitReply(buf, false)
			if e != nil {
				return frames, e
			}
			if adv < 0 || adv > len(buf) || len(fr) > adv || adv == 0 && fr != nil {
				return frames, errors.New("SplitReply broke the SplitFunc contract")
			}
			if fr != nil {
				frames = append(frames, string(fr))
			}
			if adv == 0 {
				break
			}
			buf = buf[adv:]
		}
	}
	return frames, nil
}

func TestSplitReply(t *testing.T) {
	a, b := replyCases[0].raw, nak("2", 10, "Not stored, retry")
	stream := "\x00garbage</AckNakClass>\r\n" + a + "\r\n" + `<?xml version="1.0"?><AckNakClass><ResultCode>` + b + "\n"
	want := []string{a, b}
	for at := 0; at <= len(stream); at++ {
		got, err := splitReplies([]byte(stream[:at]), []byte(stream[at:]))
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("cut at %d: %q %v", at, got, err)
		}
	}
	big := "<AckNakClass>" + strings.Repeat(" ", MaxReplyBytes)
	if _, err := splitReplies([]byte(big)); !tooLong(err) {
		t.Fatalf("over the cap: %v", err)
	}
	if got, err := splitReplies([]byte(big + b)); err != nil || !slices.Equal(got, []string{b}) {
		t.Fatalf("resync past an over-long reply: %q %v", got, err)
	}
	// A request is no reply.
	if got, _ := splitReplies([]byte(emulatorAjax + a)); !slices.Equal(got, []string{a}) {
		t.Fatalf("request in the reply stream: %q", got)
	}
}

func checkEvent(t *testing.T, i int, ev protocols.Event, we wantEvent) {
	t.Helper()
	got := wantEvent{format: ev.Format, account: ev.Account, code: ev.Code, qualifier: ev.Qualifier,
		partition: ev.Partition, zone: ev.Zone, user: ev.User, text: ev.Text, known: ev.Known, mods: ev.Modifiers}
	if !reflect.DeepEqual(got, we) {
		t.Errorf("event %d\n got %+v\nwant %+v", i, got, we)
	}
}
