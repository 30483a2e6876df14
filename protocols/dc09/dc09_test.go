package dc09

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// sentinelOf is the sentinel each reason Decode returns wraps.
var sentinelOf = map[protocols.Reason]error{
	protocols.ReasonCRC:       ErrCRC,
	protocols.ReasonSyntax:    ErrSyntax,
	protocols.ReasonToken:     ErrToken,
	protocols.ReasonNoKey:     ErrNoKey,
	protocols.ReasonDecrypt:   ErrDecrypt,
	protocols.ReasonTimestamp: ErrTimestamp,

	protocols.ReasonUnencrypted:     ErrUnencrypted,
	protocols.ReasonAccountMismatch: ErrAccountMismatch,
}

func TestCRC(t *testing.T) {
	for _, tc := range crcCases {
		t.Run(tc.input, func(t *testing.T) {
			got := CRC([]byte(tc.input))
			if got != tc.arc {
				t.Fatalf("CRC(%q) = %04X, want %04X", tc.input, got, tc.arc)
			}
			if got == tc.ccitt {
				t.Fatalf("CRC(%q) = %04X is the CRC-16/CCITT value", tc.input, got)
			}
			if x := xmodem([]byte(tc.input)); x != tc.ccitt {
				t.Fatalf("reference XMODEM of %q = %04X, table says %04X", tc.input, x, tc.ccitt)
			}
		})
	}
}

// xmodem is CRC-16/XMODEM (CCITT polynomial), the wrong algorithm some
// hobby implementations use; the table's must-not-match column is checked
// against it.
func xmodem(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestDecode(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := codecFor(tc)
			if err != nil {
				t.Fatal(err)
			}
			now := tc.clock()
			m, err := c.Decode([]byte(tc.raw), now)
			checkOutcome(t, err, tc.reason)
			if tc.noMsg {
				if m != nil {
					t.Fatalf("Decode returned a Message %+v; the header cannot be echoed", m)
				}
			} else {
				if m == nil {
					t.Fatal("Decode returned no Message")
				}
				checkMessage(t, m, tc)
			}
			got := c.Reply(m, err, now)
			if string(got) != tc.reply {
				t.Fatalf("Reply = %s, want %s", strconv.Quote(string(got)), strconv.Quote(tc.reply))
			}
			if got != nil {
				checkWellFormed(t, got)
			}
			if err == nil {
				checkRebuild(t, m, []byte(tc.raw))
			}
		})
	}
}

func checkOutcome(t *testing.T, err error, want protocols.Reason) {
	t.Helper()
	if want == accepted {
		if err != nil {
			t.Fatalf("Decode: %v, want accepted", err)
		}
		return
	}
	var fe *protocols.FrameError
	if !errors.As(err, &fe) {
		t.Fatalf("Decode error %v is not a *protocols.FrameError (want reason %s)", err, want)
	}
	if fe.Protocol != Name || fe.Reason != want {
		t.Fatalf("Decode error %v: protocol %q reason %s, want %q %s", err, fe.Protocol, fe.Reason, Name, want)
	}
	if s := sentinelOf[want]; !errors.Is(err, s) {
		t.Fatalf("Decode error %v does not wrap %v", err, s)
	}
	if !strings.HasPrefix(err.Error(), "dc09: "+want.String()+": ") {
		t.Fatalf("error text %q does not start with the protocol and reason", err)
	}
}

func checkMessage(t *testing.T, m *protocols.Message, tc frameCase) {
	t.Helper()
	w := tc.msg
	if m.Protocol != Name || m.Kind != w.kind || m.Account != w.account || m.Receiver != w.receiver ||
		m.Line != w.line || m.Sequence != w.seq || m.Encrypted != w.encrypted {
		t.Fatalf("Message header = %s %q acct %q R %q L %q seq %q enc %v; want %q acct %q R %q L %q seq %q enc %v",
			m.Protocol, m.Kind, m.Account, m.Receiver, m.Line, m.Sequence, m.Encrypted,
			w.kind, w.account, w.receiver, w.line, w.seq, w.encrypted)
	}
	if !reflect.DeepEqual(m.Deviations, w.devs) {
		t.Fatalf("Deviations = %v, want %v", m.Deviations, w.devs)
	}
	f, ok := m.Detail.(*Frame)
	if !ok || f == nil {
		t.Fatalf("Detail = %T, want *Frame", m.Detail)
	}
	if f.Token != w.kind || f.Account != w.account || f.HasReceiver != w.hasReceiver || f.NoLine != w.noLine ||
		f.Line != w.frameLine() {
		t.Fatalf("Detail header = %q %q R? %v L %q no L? %v, want %q %q %v %q %v", f.Token, f.Account, f.HasReceiver,
			f.Line, f.NoLine, w.kind, w.account, w.hasReceiver, w.frameLine(), w.noLine)
	}
	bodyRead := tc.reason == accepted || (tc.reason == protocols.ReasonTimestamp && !w.ts.IsZero()) ||
		(tc.reason == protocols.ReasonTimestamp && w.encrypted)
	if bodyRead {
		if !m.Timestamp.Equal(w.ts) || m.Timestamp.IsZero() != w.ts.IsZero() {
			t.Fatalf("Timestamp = %v, want %v", m.Timestamp, w.ts)
		}
		checkBody(t, f, w)
	}
	if tc.reason != accepted {
		return
	}
	if len(m.Events) != len(w.events) {
		t.Fatalf("%d events %+v, want %d %+v", len(m.Events), m.Events, len(w.events), w.events)
	}
	for i, ev := range m.Events {
		got := wantEvent{format: ev.Format, account: ev.Account, code: ev.Code, qualifier: ev.Qualifier,
			partition: ev.Partition, zone: ev.Zone, user: ev.User, text: ev.Text, known: ev.Known}
		if got != w.events[i] {
			t.Errorf("event %d = %+v, want %+v", i, got, w.events[i])
		}
	}
}

// frameLine is the Frame's Line for w: the Message's, except that a header
// without L has none (the Message says "0").
func (w wantMsg) frameLine() string {
	if w.noLine {
		return ""
	}
	return w.line
}

func checkBody(t *testing.T, f *Frame, w wantMsg) {
	t.Helper()
	if string(f.Data) != w.data {
		t.Fatalf("Data = %q, want %q", f.Data, w.data)
	}
	if len(f.XData) != len(w.xdata) {
		t.Fatalf("XData = %q, want %q", f.XData, w.xdata)
	}
	for i := range f.XData {
		if f.XData[i].ID != w.xdata[i].ID || !bytes.Equal(f.XData[i].Value, w.xdata[i].Value) {
			t.Fatalf("XData[%d] = %c%q, want %c%q", i, f.XData[i].ID, f.XData[i].Value, w.xdata[i].ID, w.xdata[i].Value)
		}
	}
	if f.HasTimestamp != !w.ts.IsZero() || !f.Timestamp.Equal(w.ts) {
		t.Fatalf("Timestamp = %v (%v), want %v", f.Timestamp, f.HasTimestamp, w.ts)
	}
}

// checkWellFormed checks that a reply is one frame with a correct CRC and
// length in upper-case hex (or binary CRC) that Parse reads.
func checkWellFormed(t *testing.T, b []byte) {
	t.Helper()
	if err := wellFormed(b); err != nil {
		t.Fatalf("reply %q: %v", b, err)
	}
}

func wellFormed(b []byte) error {
	if len(b) < 10 || b[0] != '\n' || b[len(b)-1] != '\r' {
		return errors.New("not LF … CR")
	}
	bodyStart, _ := detectForm(b)
	if bodyStart == 0 {
		return errors.New("no header")
	}
	span := b[bodyStart : len(b)-1]
	var hdr string
	if bodyStart == binHeaderLen {
		crc := CRC(span)
		if b[1] != byte(crc>>8) || b[2] != byte(crc) {
			return fmt.Errorf("binary CRC %02X%02X, want %04X", b[1], b[2], crc)
		}
		hdr = fmt.Sprintf("%04X", len(span))
		if string(b[3:7]) != hdr {
			return fmt.Errorf("length %q, want %s", b[3:7], hdr)
		}
	} else {
		hdr = fmt.Sprintf("%04X%04X", CRC(span), len(span))
		if string(b[1:9]) != hdr {
			return fmt.Errorf("header %q, want %s", b[1:9], hdr)
		}
	}
	if _, err := parseHeader(b, new(Frame)); err != nil {
		return err
	}
	return nil
}

func TestParse(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.raw), keyFor(tc))
			if tc.parseReason != accepted {
				if f != nil || protocols.ReasonOf(err) != tc.parseReason {
					t.Fatalf("Parse = %v, %v; want reason %s", f, err, tc.parseReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			w := tc.msg
			if f.Token != w.kind || f.Account != w.account || f.Receiver != w.receiver || f.HasReceiver != w.hasReceiver ||
				f.Line != w.frameLine() || f.NoLine != w.noLine || f.Sequence != w.seq || f.Encrypted != w.encrypted {
				t.Fatalf("Frame header = %+v, want %+v", f, w)
			}
			checkBody(t, f, w)
			crc, length := headerFields(t, tc.raw)
			if f.CRC != crc || f.Length != length {
				t.Fatalf("CRC %04X length %d, want %04X %d", f.CRC, f.Length, crc, length)
			}
			if f.BinaryCRC != (tc.raw[9] != '"') {
				t.Fatalf("BinaryCRC = %v", f.BinaryCRC)
			}
		})
	}
}

// headerFields reads the CRC and length fields of a raw frame independently
// of the package.
func headerFields(t *testing.T, raw string) (uint16, int) {
	t.Helper()
	if raw[9] == '"' {
		crc, err1 := strconv.ParseUint(raw[1:5], 16, 16)
		n, err2 := strconv.ParseUint(raw[5:9], 16, 16)
		if err1 != nil || err2 != nil {
			t.Fatalf("header of %q: %v %v", raw, err1, err2)
		}
		return uint16(crc), int(n)
	}
	n, err := strconv.ParseUint(raw[3:7], 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	return uint16(raw[1])<<8 | uint16(raw[2]), int(n)
}

// TestDecodeDoesNotAlias: the Message must survive the caller reusing the
// frame buffer, as the receiver's framer does.
func TestDecodeDoesNotAlias(t *testing.T) {
	for _, name := range []string{"a8_xdata", "aes256_hex_sia_xdata"} {
		tc, _ := caseByName(name)
		c, _ := codecFor(tc)
		buf := []byte(tc.raw)
		m, err := c.Decode(buf, tc.clock())
		if err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] = 'Z'
		}
		checkMessage(t, m, tc)
	}
}

func TestDecodeTrailingNULs(t *testing.T) {
	tc, _ := caseByName("worked_event")
	c := New(Options{})
	m, err := c.Decode([]byte(tc.raw+"\x00\x00\x00"), defaultNow)
	if err != nil || m.Sequence != "0001" {
		t.Fatalf("Decode with NULs after CR: %v, %v", m, err)
	}
}

func TestDecodeEnvelope(t *testing.T) {
	c := New(Options{})
	for _, raw := range []string{
		"",
		"\n",
		"\r",
		"\n\r",
		"ED280035\"SIA-DCS\"0001L0#1234[]\r",   // no LF
		"\nED280035\"SIA-DCS\"0001L0#1234[]",   // no CR
		"\nXD280035\"SIA-DCS\"0001L0#1234[]\r", // CRC not hex
		"\nED281035\"SIA-DCS\"0001L0#1234[]\r", // length not 0LLL
		"\nED280035SIA-DCS\"0001L0#1234[]\r",   // no quote
		"\n1EF20013\"NULL0000L0#1234[]\r",      // unclosed token (CRC wrong too)
		"\n\x00\x000013\"\"0000L0#1234[]\r",    // empty token, binary CRC
		"\n" + strings.Repeat("A", 100) + "\r", // noise
		"\n0000000A\"" + strings.Repeat("X", 40) + "\r", // token too long
	} {
		m, err := c.Decode([]byte(raw), defaultNow)
		if m != nil || err == nil {
			t.Errorf("Decode(%q) = %v, %v; want an error and no Message", raw, m, err)
		}
		if r := protocols.ReasonOf(err); r != protocols.ReasonSyntax && r != protocols.ReasonCRC {
			t.Errorf("Decode(%q): reason %s", raw, r)
		}
		if b := c.Reply(m, err, defaultNow); b != nil {
			t.Errorf("Decode(%q): reply %q, want silence", raw, b)
		}
	}
}

// TestHeaderGrammar builds frames with correct CRCs around header fields
// and checks what Parse makes of them.
func TestHeaderGrammar(t *testing.T) {
	for _, tc := range []struct {
		body   string
		ok     bool
		field  string // "receiver", "line" or "account" value expected
		reason protocols.Reason
	}{
		{`"NULL"0000R1L0#123[]`, true, "account=123", 0},
		{`"NULL"0000R123456L0#1234[]`, true, "receiver=123456", 0},
		{`"NULL"0000R1234567L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000RL0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L1234567#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000#1234[]`, true, "line=", 0},                // no R, no L [DC-09 §3.13]
		{`"NULL"0000R1#1234[]`, true, "receiver=1", 0},         // R, no L
		{`"NULL"0000#12[]`, false, "", protocols.ReasonSyntax}, // no L, two-digit account
		{`"NULL"0000R1[]`, false, "", protocols.ReasonSyntax},  // neither L nor '#'
		{`"NULL"0000X#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000#1234`, false, "", protocols.ReasonSyntax},
		{`"NAK"0000R0A0[]`, false, "", protocols.ReasonSyntax}, // the A0 form needs its L
		{`"NAK"0000#1234[]`, true, "account=1234", 0},
		{`"NULL"0000LABCDEF#1234[]`, true, "line=ABCDEF", 0},
		{`"NULL"0000L0#0123456789ABCDEF[]`, true, "account=0123456789ABCDEF", 0},
		{`"NULL"0000L0#0123456789ABCDEF0[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#12G4[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234`, false, "", protocols.ReasonSyntax},
		{`"NULL"000GL0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0A1234[]`, false, "", protocols.ReasonSyntax}, // A form only in a NAK
		{`"NAK"0000R0L0A0[]`, true, "account=0", 0},
		{`"NAK"0000R0LA0[]`, true, "line=", 0},
		{`"NAK"0000R0LBA12[]`, true, "account=12", 0},
		{`"NAK"0000R0L0#1234[]`, true, "account=1234", 0},
		{`"NAK"0000R0L0[]`, false, "", protocols.ReasonSyntax},
		{`"**NULL"0000L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`""0000L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"` + strings.Repeat("T", maxToken) + `"0000L0#1234[]`, true, "account=1234", 0},
		{`"` + strings.Repeat("T", maxToken+1) + `"0000L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"*"0000L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NU LL"0000L0#1234[]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234[][]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234[][I`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234[][[x]]`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234[][[x]`, true, "account=1234", 0},
		{`"NULL"0000L0#1234[a[b][_x]_12:00:00,01-01-2024`, true, "account=1234", 0},
		{`"NULL"0000L0#1234[]_12:00:00,01-01-2024x`, false, "", protocols.ReasonSyntax},
		{`"NULL"0000L0#1234[]_12:60:00,01-01-2024`, false, "", protocols.ReasonTimestamp},
		{`"NULL"0000L0#1234[]_12:00:00,13-01-2024`, false, "", protocols.ReasonTimestamp},
		{`"NULL"0000L0#1234[]_12:00:00,02-29-2024`, true, "account=1234", 0},
		{`"NULL"0000L0#1234[]_12:00:00,02-29-2023`, false, "", protocols.ReasonTimestamp},
	} {
		raw := plainFrame(tc.body)
		f, err := Parse([]byte(raw), Key{})
		if !tc.ok {
			if err == nil || protocols.ReasonOf(err) != tc.reason {
				t.Errorf("Parse(%q) = %+v, %v; want reason %s", tc.body, f, err, tc.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.body, err)
			continue
		}
		name, value, _ := strings.Cut(tc.field, "=")
		got := map[string]string{"receiver": f.Receiver, "line": f.Line, "account": f.Account}[name]
		if got != value {
			t.Errorf("Parse(%q): %s = %q, want %q", tc.body, name, got, value)
		}
		// Whatever Parse accepts, Encode writes back byte for byte.
		if b, err := Encode(f, Key{}, nil); err != nil || string(b) != raw {
			t.Errorf("Encode(Parse(%q)) = %q, %v", raw, b, err)
		}
	}
}

// plainFrame wraps body in LF, CRC, length and CR.
func plainFrame(body string) string {
	return fmt.Sprintf("\n%04X%04X%s\r", CRC([]byte(body)), len(body), body)
}

// binaryFrame wraps body in LF, binary CRC, length and CR [DC-09 §3.13].
func binaryFrame(body string) string {
	crc := CRC([]byte(body))
	return "\n" + string([]byte{byte(crc >> 8), byte(crc)}) + fmt.Sprintf("%04X%s\r", len(body), body)
}

func TestBinaryFrameHelper(t *testing.T) {
	tc, _ := caseByName("binary_crc_null")
	if got := binaryFrame(`"NULL"0000R1L1#9413[]_18:45:07,01-30-2021`); got != tc.raw {
		t.Fatalf("binaryFrame = %q, want the case's %q", got, tc.raw)
	}
}

// TestReplyOutcomes covers the outcomes the receiver, not Decode, decides:
// store failure, unknown account, shutdown, foreign errors.
func TestReplyOutcomes(t *testing.T) {
	tc, _ := caseByName("worked_event")
	c := New(Options{})
	now := at(2024, 1, 1, 12, 0, 5)
	m, err := c.Decode([]byte(tc.raw), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, outcome := range []error{
		protocols.Reject("receiver", protocols.ReasonStore, errors.New("disk full")),
		protocols.Reject("receiver", protocols.ReasonUnknownAccount, nil),
		protocols.Reject("receiver", protocols.ReasonShutdown, nil),
		fmt.Errorf("commit: %w", protocols.Reject("store", protocols.ReasonStore, nil)),
		errors.New("something else"),
	} {
		if got := c.Reply(m, outcome, now); string(got) != nak120005 {
			t.Errorf("Reply(%v) = %q, want %q", outcome, got, nak120005)
		}
	}
	for _, outcome := range []error{
		protocols.Reject(Name, protocols.ReasonCRC, ErrCRC),
		protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong),
		protocols.Reject(Name, protocols.ReasonGarbage, nil),
	} {
		if got := c.Reply(m, outcome, now); got != nil {
			t.Errorf("Reply(%v) = %q, want silence", outcome, got)
		}
	}
	if got := c.Reply(nil, nil, now); got != nil {
		t.Errorf("Reply(nil, nil) = %q", got)
	}
	if got := c.Reply(nil, protocols.Reject("receiver", protocols.ReasonShutdown, nil), now); string(got) != nak120005 {
		t.Errorf("Reply(nil, shutdown) = %q, want the NAK", got)
	}
	if got := c.Reply(nil, protocols.Reject(Name, protocols.ReasonSyntax, ErrSyntax), now); got != nil {
		t.Errorf("Reply(nil, syntax) = %q, want silence", got)
	}
}

// TestReplyHandBuiltMessage: a Message without a *Frame (built by another
// component) is still echoed; an encrypted one cannot be ACKed without the
// key that decrypted it.
func TestReplyHandBuiltMessage(t *testing.T) {
	c := New(Options{})
	m := &protocols.Message{Protocol: Name, Kind: "SIA-DCS", Account: "1234", Line: "0", Sequence: "0001"}
	if got := c.Reply(m, nil, defaultNow); string(got) != "\n1BC10012\"ACK\"0001L0#1234[]\r" {
		t.Fatalf("ACK = %q", got)
	}
	m.Receiver = "C0FFD"
	if got := c.Reply(m, protocols.Reject(Name, protocols.ReasonToken, ErrToken), defaultNow); !bytes.Contains(got, []byte(`"DUH"0001RC0FFDL0#1234[]`)) {
		t.Fatalf("DUH = %q", got)
	}
	m.Encrypted = true
	if got := c.Reply(m, nil, defaultNow); got != nil {
		t.Fatalf("ACK for an encrypted Message without key = %q, want silence", got)
	}
	m.Encrypted, m.Account = false, "not an account"
	if got := c.Reply(m, nil, defaultNow); got != nil {
		t.Fatalf("ACK echoing an account outside the grammar = %q, want silence", got)
	}
}

// TestReplyPadFallback: a Pad func that breaks the rules does not stop the
// *ACK; random printable pad takes its place.
func TestReplyPadFallback(t *testing.T) {
	tc, _ := caseByName("aes_worked")
	for name, pad := range map[string]func(int) []byte{
		"nil":       nil,
		"short":     func(int) []byte { return []byte("abc") },
		"forbidden": func(n int) []byte { return bytes.Repeat([]byte("|"), n) },
	} {
		t.Run(name, func(t *testing.T) {
			key, _ := ParseKey(hexKey128, "hex")
			c := New(Options{Keys: func(string) (Key, bool) { return key, true }, Pad: pad})
			m, err := c.Decode([]byte(tc.raw), defaultNow)
			if err != nil {
				t.Fatal(err)
			}
			b := c.Reply(m, nil, defaultNow)
			checkWellFormed(t, b)
			f, err := Parse(b, key)
			if err != nil || f.Token != TokenACK || !f.Encrypted || !f.Timestamp.Equal(defaultNow) {
				t.Fatalf("*ACK %q: %+v, %v", b, f, err)
			}
			// The pad is 10 printable bytes, none of | [ ].
			pt, _, _ := decrypt(key, b[bytes.IndexByte(b, '[')+1:len(b)-1])
			if pad := pt[:10]; !validPad(pad, 10) || bytes.ContainsFunc(pad, func(r rune) bool { return r < 0x21 || r > 0x7E }) {
				t.Fatalf("pad %q", pad)
			}
			if string(pt[10:]) != "|]_12:00:01,01-01-2024" {
				t.Fatalf("plaintext %q", pt)
			}
		})
	}
}

// TestEncodeReproducesVectors: Encode of what Parse read gives the frame
// back byte for byte wherever the sender followed the standard: the CRC and
// length are upper-case hex and right. The §3.10 frame comes back too when
// given its pad.
func TestEncodeReproducesVectors(t *testing.T) {
	for _, tc := range frameCases {
		if tc.parseReason != accepted {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			key := keyFor(tc)
			f, err := Parse([]byte(tc.raw), key)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Encrypted {
				// A plain frame for an account with a key: encode it plain.
				key = Key{}
			}
			b, err := Encode(f, key, testPad)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			back, err := Parse(b, key)
			if err != nil {
				t.Fatalf("Parse(Encode(f)) of %q: %v", b, err)
			}
			if !sameFrame(f, back) {
				t.Fatalf("round trip changed the frame:\n got %+v\nwant %+v", back, f)
			}
			deviates := strings.ContainsAny(tc.raw[1:9], "abcdef") || f.Length != len(tc.raw)-hdrLen(f)-1
			if !f.Encrypted && !deviates && string(b) != tc.raw {
				t.Fatalf("Encode = %q, want %q", b, tc.raw)
			}
		})
	}
	tc, _ := caseByName("aes_worked")
	key := keyFor(tc)
	f, _ := Parse([]byte(tc.raw), key)
	b, err := Encode(f, key, func(n int) []byte { return []byte("Xy7Kq2Lm9Pz4Wv1"[:n]) })
	if err != nil || string(b) != tc.raw {
		t.Fatalf("Encode of the §3.10 frame with its pad = %q, %v; want %q", b, err, tc.raw)
	}
}

func hdrLen(f *Frame) int {
	if f.BinaryCRC {
		return binHeaderLen
	}
	return hexHeaderLen
}

// sameFrame compares what Encode carries over: everything but CRC and
// length (recomputed) and the key.
func sameFrame(a, b *Frame) bool {
	return a.Token == b.Token && a.Encrypted == b.Encrypted && a.Sequence == b.Sequence &&
		a.Receiver == b.Receiver && a.HasReceiver == b.HasReceiver && a.Line == b.Line && a.NoLine == b.NoLine &&
		a.Account == b.Account &&
		bytes.Equal(a.Data, b.Data) && reflect.DeepEqual(normXData(a.XData), normXData(b.XData)) &&
		a.HasTimestamp == b.HasTimestamp && a.Timestamp.Equal(b.Timestamp) && a.BinaryCRC == b.BinaryCRC
}

func normXData(x []XData) []XData {
	if len(x) == 0 {
		return nil
	}
	out := make([]XData, len(x))
	for i, v := range x {
		out[i] = XData{ID: v.ID, Value: append([]byte{}, v.Value...)}
	}
	return out
}

func TestEncodeErrors(t *testing.T) {
	key, _ := ParseKey(hexKey128, "hex")
	ok := Frame{Token: "SIA-DCS", Sequence: "0001", Line: "0", Account: "1234", Data: []byte("#1234|NBA01")}
	for name, mutate := range map[string]func(f *Frame){
		"empty token":        func(f *Frame) { f.Token = "" },
		"star token":         func(f *Frame) { f.Token = "*SIA-DCS" },
		"quote in token":     func(f *Frame) { f.Token = `A"B` },
		"space in token":     func(f *Frame) { f.Token = "A B" },
		"long token":         func(f *Frame) { f.Token = strings.Repeat("T", maxToken+1) },
		"short sequence":     func(f *Frame) { f.Sequence = "1" },
		"sequence not hex":   func(f *Frame) { f.Sequence = "00G1" },
		"empty receiver":     func(f *Frame) { f.HasReceiver = true },
		"long receiver":      func(f *Frame) { f.Receiver = "1234567" },
		"long line":          func(f *Frame) { f.Line = "1234567" },
		"non-hex line":       func(f *Frame) { f.Line = "G" },
		"short account":      func(f *Frame) { f.Account = "12" },
		"long account":       func(f *Frame) { f.Account = strings.Repeat("1", 17) },
		"bracket in data":    func(f *Frame) { f.Data = []byte("a]b") },
		"LF in data":         func(f *Frame) { f.Data = []byte("a\nb") },
		"CR in xdata":        func(f *Frame) { f.XData = []XData{{ID: 'I', Value: []byte("a\rb")}} },
		"bracket xdata id":   func(f *Frame) { f.XData = []XData{{ID: ']', Value: []byte("x")}} },
		"year 10000":         func(f *Frame) { f.HasTimestamp, f.Timestamp = true, at(10000, 1, 1, 0, 0, 0) },
		"negative year":      func(f *Frame) { f.HasTimestamp, f.Timestamp = true, at(-1, 1, 1, 0, 0, 0) },
		"too long":           func(f *Frame) { f.Data = bytes.Repeat([]byte("x"), maxLength) },
		"A account in a NAK": func(f *Frame) { f.Token, f.Account = TokenNAK, "0A" },
		"line and NoLine":    func(f *Frame) { f.NoLine = true },
		"A0 NAK without L":   func(f *Frame) { f.Token, f.Account, f.Line, f.NoLine = TokenNAK, "0", "", true },
	} {
		f := ok
		mutate(&f)
		if b, err := Encode(&f, Key{}, nil); err == nil || !errors.Is(err, ErrEncode) {
			t.Errorf("%s: Encode = %q, %v; want ErrEncode", name, b, err)
		}
	}
	if _, err := Encode(nil, Key{}, nil); !errors.Is(err, ErrEncode) {
		t.Errorf("Encode(nil): %v", err)
	}
	enc := ok
	enc.Encrypted = true
	if _, err := Encode(&enc, Key{}, nil); !errors.Is(err, ErrEncode) {
		t.Errorf("encrypted frame, zero key: %v", err)
	}
	if _, err := Encode(&ok, key, func(int) []byte { return []byte("x") }); !errors.Is(err, ErrEncode) {
		t.Errorf("short pad: %v", err)
	}
	if _, err := Encode(&ok, key, func(n int) []byte { return bytes.Repeat([]byte("]"), n) }); !errors.Is(err, ErrEncode) {
		t.Errorf("pad with ']': %v", err)
	}
	// In an encrypted frame CR and LF travel as hex: allowed.
	f := ok
	f.Data = []byte("line1\r\nline2")
	f.HasTimestamp, f.Timestamp = true, noon2024
	b, err := Encode(&f, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b, key)
	if err != nil || string(back.Data) != "line1\r\nline2" {
		t.Fatalf("Parse(Encode) = %+v, %v", back, err)
	}
}

// TestRoundTripKeys: every key length and format, through Encode, Decode
// and the *ACK.
func TestRoundTripKeys(t *testing.T) {
	for _, k := range []struct{ value, format string }{
		{hexKey128, "hex"}, {strings.ToLower(hexKey192), "hex"}, {hexKey256, "hex"},
		{asciiKeyHA, "ascii"}, {asciiKey192, "ascii"}, {asciiKey256, "ascii"},
	} {
		t.Run(fmt.Sprintf("%s_%d", k.format, len(k.value)), func(t *testing.T) {
			key, err := ParseKey(k.value, k.format)
			if err != nil {
				t.Fatal(err)
			}
			c := New(Options{Keys: func(a string) (Key, bool) { return key, a == "ABC123" }, Pad: testPad})
			for _, f := range []*Frame{
				{Token: TokenSIA, Sequence: "0042", Receiver: "7", HasReceiver: true, Line: "1", Account: "ABC123",
					Data: []byte("#ABC123|Nri1/BA012"), XData: []XData{{ID: 'I', Value: []byte("caf\xe9")}},
					Timestamp: noon2024, HasTimestamp: true},
				{Token: TokenCID, Sequence: "9999", Line: "", Account: "ABC123", Data: []byte("#ABC123|1110 02 129"),
					Timestamp: noon2024, HasTimestamp: true},
				{Token: TokenNull, Sequence: "0000", Line: "0", Account: "ABC123", Timestamp: noon2024, HasTimestamp: true, BinaryCRC: true},
				{Token: TokenSIA, Sequence: "0003", NoLine: true, Account: "ABC123", Data: []byte("#ABC123|Nri1/BA012"),
					Timestamp: noon2024, HasTimestamp: true},
			} {
				b, err := Encode(f, key, testPad)
				if err != nil {
					t.Fatal(err)
				}
				m, err := c.Decode(b, defaultNow)
				if err != nil {
					t.Fatalf("Decode(%q): %v", b, err)
				}
				got := m.Detail.(*Frame)
				want := *f
				want.Encrypted = true
				if !sameFrame(got, &want) {
					t.Fatalf("decoded %+v, want %+v", got, want)
				}
				ack := c.Reply(m, nil, defaultNow)
				checkWellFormed(t, ack)
				r, err := Parse(ack, key)
				if err != nil || r.Token != TokenACK || !r.Encrypted || r.Sequence != f.Sequence || r.Account != f.Account ||
					r.Line != f.Line || r.NoLine != f.NoLine || r.BinaryCRC != f.BinaryCRC || !r.Timestamp.Equal(defaultNow) || len(r.Data) != 0 {
					t.Fatalf("*ACK %q parsed as %+v, %v", ack, r, err)
				}
				other, _ := ParseKey(strings.Repeat("5A", key.Bits()/8), "hex")
				if _, err := Parse(ack, other); protocols.ReasonOf(err) != protocols.ReasonDecrypt {
					t.Fatalf("*ACK with another key: %v", err)
				}
			}
		})
	}
}

func TestWindow(t *testing.T) {
	if w := DefaultWindow(); w.Ahead != 20*time.Second || w.Behind != 40*time.Second || w.ApplyToPlain {
		t.Fatalf("DefaultWindow = %+v", w)
	}
	c := New(Options{Window: Window{ApplyToPlain: true}})
	if c.window.Ahead != 20*time.Second || c.window.Behind != 40*time.Second || !c.window.ApplyToPlain {
		t.Fatalf("zero window became %+v", c.window)
	}
	c = New(Options{Window: Window{Ahead: time.Minute, Behind: -time.Second}})
	if c.window.Ahead != time.Minute || c.window.Behind != 0 {
		t.Fatalf("window %+v", c.window)
	}
	// Sub-second receiver clocks are compared by the second.
	w := DefaultWindow()
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{noon2024.Add(40*time.Second + 999*time.Millisecond), true},
		{noon2024.Add(41 * time.Second), false},
		{noon2024.Add(-20*time.Second + 500*time.Millisecond), true},
		{noon2024.Add(-20*time.Second - 500*time.Millisecond), false},
		{noon2024.In(time.FixedZone("UTC+5", 5*3600)), true},
	} {
		if got := w.inWindow(noon2024, tc.now); got != tc.ok {
			t.Errorf("inWindow(noon, %v) = %v, want %v", tc.now, got, tc.ok)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	if c := New(Options{}); c.maxFrame != DefaultMaxFrame || c.Name() != "dc09" {
		t.Fatalf("New(Options{}) = %+v", c)
	}
	if c := New(Options{MaxFrame: 3}); c.maxFrame != minMaxFrame {
		t.Fatalf("MaxFrame 3 became %d", c.maxFrame)
	}
	if DefaultMaxFrame < 1+4+4+0x0FFF+1 {
		t.Fatalf("DefaultMaxFrame %d does not fit the longest frame", DefaultMaxFrame)
	}
}

func TestNoKeysOption(t *testing.T) {
	tc, _ := caseByName("aes_worked")
	c := New(Options{})
	_, err := c.Decode([]byte(tc.raw), defaultNow)
	if protocols.ReasonOf(err) != protocols.ReasonNoKey {
		t.Fatalf("nil Keys: %v", err)
	}
	c = New(Options{Keys: func(string) (Key, bool) { return Key{}, true }})
	if _, err = c.Decode([]byte(tc.raw), defaultNow); protocols.ReasonOf(err) != protocols.ReasonNoKey {
		t.Fatalf("zero key: %v", err)
	}
	var asked []string
	c = New(Options{Keys: func(a string) (Key, bool) { asked = append(asked, a); return Key{}, false }})
	_, _ = c.Decode([]byte(tc.raw), defaultNow)
	if !reflect.DeepEqual(asked, []string{"1234"}) {
		t.Fatalf("Keys asked for %q, want the header account", asked)
	}
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		value, format string
		bits          int
	}{
		{hexKey128, "hex", 128},
		{strings.ToLower(hexKey128), "hex", 128},
		{hexKey192, "HEX", 192},
		{hexKey256, "hex", 256},
		{asciiKeyHA, "ascii", 128},
		{asciiKey192, "ascii", 192},
		{asciiKey256, "ASCII", 256},
	} {
		k, err := ParseKey(tc.value, tc.format)
		if err != nil || k.Bits() != tc.bits || k.IsZero() {
			t.Errorf("ParseKey(%s, %s) = %d bits, %v", tc.value, tc.format, k.Bits(), err)
		}
	}
	if (Key{}).Bits() != 0 || !(Key{}).IsZero() {
		t.Error("zero Key")
	}
	for _, tc := range []struct{ value, format string }{
		{hexKey128[:31], "hex"},
		{hexKey128 + "0", "hex"},
		{"G" + hexKey128[1:], "hex"},
		{hexKey128[:31] + "g", "hex"},
		{"", "hex"},
		{asciiKeyHA[:15], "ascii"},
		{asciiKeyHA + "A", "ascii"},
		{"AAAAAAAAAAAAAAA\x00", "ascii"},
		{"AAAAAAAAAAAAAA\xc3\xa9", "ascii"},
		{hexKey128, "base64"},
		{hexKey128, ""},
	} {
		k, err := ParseKey(tc.value, tc.format)
		if err == nil || !errors.Is(err, ErrKey) || !k.IsZero() {
			t.Errorf("ParseKey(%q, %q) = %v, %v; want ErrKey", tc.value, tc.format, k, err)
			continue
		}
		if tc.value != "" && strings.Contains(err.Error(), tc.value) {
			t.Errorf("ParseKey error %q shows the key", err)
		}
	}
}

// TestFrameJSON: text that is not UTF-8 is read as Windows-1252, the
// charset of DC-09 text fields [DC-09 §3.7]; the timestamp shows only when
// sent; the key never.
func TestFrameJSON(t *testing.T) {
	key, _ := ParseKey(hexKey128, "hex")
	f := Frame{
		Token: TokenSIA, Sequence: "0001", Line: "0", Account: "1234", Data: []byte("#1234|NBA01"),
		XData: []XData{{ID: 'I', Value: []byte("caf\xe9 \x80 \x9f")}, {ID: 'M', Value: []byte("0026B9E4268B")}},
		CRC:   0x0630, Length: 33, key: key,
	}
	b, err := json.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Token":"SIA-DCS","Encrypted":false,"Sequence":"0001","Line":"0","Account":"1234","Data":"#1234|NBA01",` +
		`"XData":[{"ID":"I","Value":"café € Ÿ"},{"ID":"M","Value":"0026B9E4268B"}],"CRC":"0630","Length":33}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
	f.HasTimestamp, f.Timestamp = true, noon2024
	if b, _ := json.Marshal(f); !bytes.Contains(b, []byte(`"Timestamp":"2024-01-01T12:00:00Z"`)) {
		t.Fatalf("JSON with timestamp: %s", b)
	}
}

// TestVerificationURLIsMedia: an extended data block V that holds an
// http(s) URL [DC-09 §3.7] is each event's media_clip; any other V value
// stays in the frame's extended data alone.
func TestVerificationURLIsMedia(t *testing.T) {
	c := New(Options{})
	for _, tc := range []struct{ v, want string }{
		{"https://v.example/clip/9", "https://v.example/clip/9"},
		{"rtsp://cam/1", ""},
	} {
		raw, err := Encode(&Frame{Token: TokenSIA, Sequence: "0001", Line: "0", Account: "1234", Data: []byte("#1234|NBA01"),
			XData: []XData{{ID: 'V', Value: []byte(tc.v)}}}, Key{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Decode(raw, defaultNow)
		if err != nil || len(m.Events) != 1 {
			t.Fatalf("%q: %+v, %v", raw, m, err)
		}
		got := ""
		for _, md := range m.Events[0].Modifiers {
			if md.Name == "media_clip" {
				got = md.Value
			}
		}
		if got != tc.want {
			t.Errorf("V %q: media_clip %q, want %q", tc.v, got, tc.want)
		}
	}
}
