package sos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

// encodeGoldenDir holds one file per encoded example (encode_<case>.txt),
// apart from the decoder's files, which golden.Rewrite replaces as a set.
var encodeGoldenDir = filepath.Join(goldenDir, "encode")

// authCodec is the receiver the round trips go to: it checks the test
// credentials, as a receiver that authenticates does.
func authCodec() *Codec { return New(Options{Auth: testAuth}) }

func mediaMods(mods []protocols.Modifier) []protocols.Modifier {
	var out []protocols.Modifier
	for _, m := range mods {
		if isMediaName(m.Name) {
			out = append(out, m)
		}
	}
	return out
}

// roundTrip encodes ev, decodes it as the receiver does and checks its
// answer: OK, echoing seq.
func roundTrip(t *testing.T, tx Transmitter, seq, account string, ev protocols.Event) (*protocols.Message, []byte) {
	t.Helper()
	raw, err := tx.EncodeSignal(seq, account, ev, testAt)
	if err != nil {
		t.Fatalf("EncodeSignal: %v", err)
	}
	c := authCodec()
	if tx.Authentication == "" {
		c = New(Options{})
	}
	// Framed as the receiver frames it, from a stream.
	adv, frame, err := c.Split(raw, true)
	if err != nil || adv != len(raw)-1 || !bytes.Equal(frame, raw[:len(raw)-1]) {
		t.Fatalf("Split %d %q %v of %q", adv, frame, err, raw)
	}
	m, err := c.Decode(frame, testNow)
	if err != nil {
		t.Fatalf("Decode %q: %v", raw, err)
	}
	if m.Kind != "signals" || len(m.Events) != 1 || m.Account != account || m.Sequence != seq || m.Receiver != tx.Receiver {
		t.Fatalf("decoded %+v", m)
	}
	if !m.Timestamp.IsZero() {
		t.Errorf("timestamp %v from a zone-less transmittertime", m.Timestamp)
	}
	pr, err := ParseReply(c.Reply(m, nil, testNow))
	if err != nil || !pr.OK || pr.Retry || pr.Seq != seq || pr.Text != "0 OK" {
		t.Fatalf("ParseReply of the ACK: %+v %v", pr, err)
	}
	return m, raw
}

func checkEvent(t *testing.T, got protocols.Event, w wantEvent, account string, in []protocols.Modifier) {
	t.Helper()
	if got.Format != w.format || got.Account != account || got.Code != w.code || got.Qualifier != w.qualifier ||
		got.Partition != w.partition || got.Zone != w.zone || got.Text != w.text || got.Known != w.known {
		t.Errorf("event %+v, want %+v", got, w)
	}
	for _, m := range w.mods {
		if !slicesContains(got.Modifiers, m) {
			t.Errorf("modifier %v missing from %v", m, got.Modifiers)
		}
	}
	if !reflect.DeepEqual(mediaMods(got.Modifiers), mediaMods(in)) {
		t.Errorf("media %v, sent %v", mediaMods(got.Modifiers), mediaMods(in))
	}
}

func slicesContains(ms []protocols.Modifier, m protocols.Modifier) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// TestEncodeRoundTripCases: every signal the case table accepts, sent
// again, reads back the same: account, code, qualifier, zone, area, text,
// media links; the ACK parses OK with the same sequence. The text is as
// ISO-8859-1 carries it.
func TestEncodeRoundTripCases(t *testing.T) {
	n := 0
	for i, tc := range decodeCases {
		if tc.err != nil || tc.kind != "signals" {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			m, err := codecFor(tc).Decode([]byte(tc.raw), testNow)
			if err != nil {
				t.Fatal(err)
			}
			ev := m.Events[0]
			seq := strconv.Itoa(1000 + i)
			got, _ := roundTrip(t, testTransmitter, seq, m.Account, ev)
			w := wantEvent{format: ev.Format, code: ev.Code, qualifier: ev.Qualifier, partition: ev.Partition, zone: ev.Zone,
				text: clean(ev.Text, maxInfo, true), known: ev.Known}
			checkEvent(t, got.Events[0], w, m.Account, ev.Modifiers)
		})
	}
	if n < 15 {
		t.Fatalf("only %d accepted signals in the table", n)
	}
}

func TestEncodeSignal(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			tx := tc.transmitter()
			if tc.err != nil {
				raw, err := tx.EncodeSignal(tc.seq, tc.acct(), tc.ev, testAt)
				if !errors.Is(err, tc.err) || raw != nil {
					t.Fatalf("got %q, %v; want %v", raw, err, tc.err)
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Fatalf("the password shows in %v", err)
				}
				return
			}
			m, raw := roundTrip(t, tx, tc.seq, tc.acct(), tc.ev)
			checkEvent(t, m.Events[0], tc.want, tc.acct(), tc.ev.Modifiers)
			if !bytes.HasPrefix(raw, []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`)) {
				t.Errorf("no ISO-8859-1 header: %q", raw)
			}
			for _, s := range tc.has {
				if !bytes.Contains(raw, []byte(s)) {
					t.Errorf("%q does not hold %q", raw, s)
				}
			}
			for _, s := range tc.hasNot {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%q holds %q", raw, s)
				}
			}
			for _, c := range raw {
				if c < ' ' && c != '\n' || c >= 0x7F && c < 0xA0 {
					t.Errorf("%q holds byte %#x", raw, c)
				}
			}
		})
	}
}

func TestEncodeHeartbeat(t *testing.T) {
	for _, hc := range heartbeatCases {
		t.Run(hc.name, func(t *testing.T) {
			raw := hc.tx.EncodeHeartbeat(hc.seq, testAt)
			c := New(Options{})
			if hc.tx.Authentication != "" {
				c = New(Options{Auth: testAuth})
			}
			m, err := c.Decode(raw, testNow)
			if err != nil || m.Kind != "heartbeat" || m.Sequence != hc.seq || m.Account != hc.tx.TransmitterCode || m.Receiver != "" {
				t.Fatalf("Decode %q: %+v %v", raw, m, err)
			}
			reply := c.Reply(m, nil, testNow)
			if !bytes.Contains(reply, []byte("<pingresponse>")) {
				t.Fatalf("reply %q", reply)
			}
			pr, err := ParseReply(reply)
			if err != nil || !pr.OK || pr.Retry || pr.Seq != hc.seq {
				t.Fatalf("ParseReply %+v %v", pr, err)
			}
			pr, err = ParseReply(Answer(m, StatusPingTooOften, testNow))
			if err != nil || pr.OK || !pr.Retry || pr.Seq != hc.seq {
				t.Fatalf("PING_TO_OFTEN: %+v %v", pr, err)
			}
		})
	}
}

// TestTransmitterSecret: the password is in the requests only.
func TestTransmitterSecret(t *testing.T) {
	tx := testTransmitter
	for _, s := range []string{tx.String(), fmt.Sprint(tx), fmt.Sprintf("%v %+v %#v %s", tx, tx, tx, tx)} {
		if strings.Contains(s, testPassword) {
			t.Fatalf("%s shows the password", s)
		}
	}
	bad := []Transmitter{
		{Authentication: "short", Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: testPassword + "x", Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: " " + testPassword[1:], Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: testPassword[:14] + "€", Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: testPassword, Receiver: "", TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: testPassword, Receiver: strings.Repeat("4", 21), TransmitterType: "SV300", TransmitterCode: "1"},
		{Authentication: testPassword, Receiver: "42", TransmitterType: "SV3000", TransmitterCode: "1"},
		{Authentication: testPassword, Receiver: "42", TransmitterType: "", TransmitterCode: "1"},
		{Authentication: testPassword, Receiver: "42", TransmitterType: "SV300", TransmitterCode: ""},
		{Authentication: testPassword, Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1 2"},
	}
	for _, b := range bad {
		err := b.Validate()
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%v: Validate %v", b, err)
		} else if strings.Contains(err.Error(), b.Authentication[min(1, len(b.Authentication)):]) && b.Authentication != "" {
			t.Errorf("%v shows the password", err)
		}
	}
	for _, good := range []Transmitter{testTransmitter, {Receiver: "42", TransmitterType: "SV300", TransmitterCode: "208013"}} {
		if err := good.Validate(); err != nil {
			t.Errorf("%v: %v", good, err)
		}
	}
}

// TestParseReply: the source's responses and ours.
func TestParseReply(t *testing.T) {
	for _, tc := range peerReplyCases {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := ParseReply([]byte(tc.raw))
			if tc.err != nil {
				var fe *protocols.FrameError
				if !errors.Is(err, tc.err) || !errors.As(err, &fe) || fe.Protocol != Name {
					t.Fatalf("got %+v, %v; want %v", pr, err, tc.err)
				}
				if pr.OK || pr.Retry {
					t.Fatalf("refused reply %+v", pr)
				}
				if strings.Contains(err.Error(), "8usedlb54a234md") {
					t.Fatalf("a password shows in %v", err)
				}
				return
			}
			want := protocols.PeerReply{Seq: tc.seq, OK: tc.ok, Retry: tc.retry, Text: tc.text}
			if err != nil || pr != want {
				t.Fatalf("got %+v, %v; want %+v", pr, err, want)
			}
		})
	}
}

// TestParseReplyStatuses: every status Answer can write, in both
// response types, parses as the dialect says a sender acts on it.
func TestParseReplyStatuses(t *testing.T) {
	retry := map[int]bool{StatusNotTreated: true, StatusServerError: true, StatusOtherError: true, StatusPingTooOften: true}
	ok := map[int]bool{StatusOK: true, StatusDuplicatedAlarm: true}
	for status := range statusInfo {
		for _, typ := range []string{rootAlarm, rootPing} {
			m := &protocols.Message{Protocol: Name, Sequence: "77", Detail: &Request{Type: typ}}
			pr, err := ParseReply(Answer(m, status, testNow))
			want := protocols.PeerReply{Seq: "77", OK: ok[status], Retry: retry[status], Text: strconv.Itoa(status) + " " + StatusInfo(status)}
			if err != nil || pr != want {
				t.Errorf("%s status %d: %+v %v, want %+v", typ, status, pr, err, want)
			}
		}
	}
}

// TestParseReplyOfReply: every answer Reply writes for a refusal of the
// case table is not OK and not to be sent again (the message must be
// mended); for the pipeline's outcomes, a store failure is retried.
func TestParseReplyOfReply(t *testing.T) {
	for _, tc := range decodeCases {
		if tc.name == "s7_requestnewauthentication" {
			continue // never sent; ParseReply refuses its response (TestParseReply)
		}
		c := codecFor(tc)
		m, err := c.Decode([]byte(tc.raw), testNow)
		pr, perr := ParseReply(c.Reply(m, err, testNow))
		if perr != nil || pr.Seq != tc.seq || pr.OK != (err == nil) || pr.Retry {
			t.Errorf("%s: %+v %v (decode %v)", tc.name, pr, perr, err)
		}
	}
	tc, _ := caseByName("s7_reference")
	c := codecFor(tc)
	m, _ := c.Decode([]byte(tc.raw), testNow)
	for _, rc := range replyCases {
		pr, err := ParseReply(c.Reply(m, rc.outcome, testNow))
		wantOK := rc.status == StatusOK
		wantRetry := rc.status == StatusNotTreated || rc.status == StatusServerError
		if err != nil || pr.Seq != "1" || pr.OK != wantOK || pr.Retry != wantRetry {
			t.Errorf("%s: %+v %v", rc.name, pr, err)
		}
	}
}

// replySplitCases: response streams and the frames SplitReply cuts.
var replySplitCases = []struct {
	name    string
	stream  string
	frames  []string
	tooLong bool
}{
	{name: "two_with_garbage", stream: "\x00junk" + reply("alarmresponse", "1", 0) + "\r\n^" + reply("pingresponse", "2", 0) + "\n",
		frames: []string{reply("alarmresponse", "1", 0), reply("pingresponse", "2", 0)}},
	{name: "s7_positive", stream: peerReplyCases[0].raw + "\r\n", frames: []string{peerReplyCases[0].raw}},
	{name: "abandoned", stream: hdr + "<alarmresponse><status>0" + reply("alarmresponse", "3", 10), frames: []string{reply("alarmresponse", "3", 10)}},
	{name: "new_auth_skipped_whole", stream: peerReplyCases[10].raw + reply("alarmresponse", "4", 0),
		frames: []string{peerReplyCases[10].raw, reply("alarmresponse", "4", 0)}},
	{name: "too_long", stream: hdr + "<alarmresponse>" + strings.Repeat("x", MaxReplyBytes), tooLong: true},
}

func splitReplyAll(stream []byte, chunk int) ([]string, error) {
	var frames []string
	var buf []byte
	for fed := 0; fed < len(stream) || len(buf) > 0; {
		n := len(stream) - fed
		if chunk > 0 && n > chunk {
			n = chunk
		}
		buf = append(buf, stream[fed:fed+n]...)
		fed += n
		atEOF := fed == len(stream)
		for len(buf) > 0 {
			adv, frame, err := SplitReply(buf, atEOF)
			if err != nil {
				return frames, err
			}
			if frame != nil {
				frames = append(frames, string(frame))
			}
			if adv == 0 {
				break
			}
			buf = buf[adv:]
		}
		if atEOF {
			break
		}
	}
	return frames, nil
}

func TestSplitReply(t *testing.T) {
	for _, sc := range replySplitCases {
		for _, chunk := range []int{0, 1, 7, 64} {
			frames, err := splitReplyAll([]byte(sc.stream), chunk)
			if sc.tooLong {
				if !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Errorf("%s/%d: %v", sc.name, chunk, err)
				}
				continue
			}
			if err != nil || !reflect.DeepEqual(frames, sc.frames) {
				t.Errorf("%s/%d: %q %v", sc.name, chunk, frames, err)
			}
		}
	}
}

// TestEncodeGolden: one golden file per encoded example.
func TestEncodeGolden(t *testing.T) {
	cases := make([]golden.Case, 0, len(encodeCases)+len(heartbeatCases))
	for _, tc := range encodeCases {
		cases = append(cases, golden.Case{File: "encode_" + tc.name, Input: describeSignal(tc)})
	}
	for _, hc := range heartbeatCases {
		cases = append(cases, golden.Case{File: "encode_" + hc.name, Input: describeHeartbeat(hc.tx, hc.seq)})
	}
	golden.Run(t, encodeGoldenDir, *update, cases, func(t *testing.T, file, input string) string {
		name := strings.TrimPrefix(file, "encode_")
		for _, tc := range encodeCases {
			if tc.name == name {
				if input != describeSignal(tc) {
					t.Fatalf("golden file %s holds %q", file, input)
				}
				raw, err := tc.transmitter().EncodeSignal(tc.seq, tc.acct(), tc.ev, testAt)
				return renderEncoded(t, raw, err)
			}
		}
		for _, hc := range heartbeatCases {
			if hc.name == name {
				if input != describeHeartbeat(hc.tx, hc.seq) {
					t.Fatalf("golden file %s holds %q", file, input)
				}
				return renderEncoded(t, hc.tx.EncodeHeartbeat(hc.seq, testAt), nil)
			}
		}
		t.Fatalf("golden file %s has no case in the table (go test -update removes it)", file)
		return ""
	})
}

// describeSignal is a golden file's input: the call, the password left out.
func describeSignal(tc encodeCase) string {
	tx := tc.transmitter()
	return fmt.Sprintf("EncodeSignal seq=%q account=%q at=%s transmitter=%s password_set=%t\nevent=%s",
		tc.seq, tc.acct(), testAt.Format(time.RFC3339Nano), tx, tx.Authentication != "", compactJSON(golden.ViewEvent(tc.ev)))
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func describeHeartbeat(tx Transmitter, seq string) string {
	return fmt.Sprintf("EncodeHeartbeat seq=%q transmitter=%s password_set=%t", seq, tx, tx.Authentication != "")
}

func renderEncoded(t *testing.T, raw []byte, err error) string {
	t.Helper()
	var b strings.Builder
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
		return b.String()
	}
	b.WriteString("encoded: " + strconv.Quote(string(raw)) + "\n")
	c := New(Options{})
	m, derr := c.Decode(raw, testNow)
	if derr != nil {
		b.WriteString("decode error: " + derr.Error() + "\n")
	}
	if m != nil {
		b.WriteString(golden.JSON(t, viewMessage(m)))
	}
	reply := c.Reply(m, derr, testNow)
	pr, perr := ParseReply(reply)
	b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
	b.WriteString(fmt.Sprintf("parsed: %+v %v\n", pr, perr))
	return b.String()
}
