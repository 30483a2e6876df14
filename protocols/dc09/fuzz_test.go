package dc09

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// seedFrames returns the case table's frames and the fixtures in
// testdata/dc09, the fuzzers' seed corpus.
func seedFrames(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, tc := range frameCases {
		out = append(out, []byte(tc.raw))
	}
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.frame"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzSplit: feeding a stream whole or in two reads cut anywhere yields the
// same frames, each a slice of the input from LF to CR; Split never breaks
// the SplitFunc contract. With the small cap an over-long candidate may be
// refused earlier when cut (it cannot see the LF that would resynchronise
// it yet), so an error in the cut stream allows a prefix of the frames.
func FuzzSplit(f *testing.F) {
	seeds := seedFrames(f)
	for i, s := range seeds {
		f.Add(s, uint16(len(s)/2))
		if i > 0 {
			f.Add(append(append([]byte{}, seeds[i-1]...), s...), uint16(len(seeds[i-1])))
		}
	}
	f.Add([]byte("garbage\n\x00\r\n"), uint16(3))
	codecs := []*Codec{New(Options{}), New(Options{MaxFrame: 96})}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		for _, c := range codecs {
			whole := splitChunks(c, data)
			parts := splitChunks(c, data[:at], data[at:])
			switch {
			case whole.err == nil && parts.err == nil:
				if !slices.Equal(whole.frames, parts.frames) {
					t.Fatalf("cut at %d: %q, whole: %q", at, parts.frames, whole.frames)
				}
			case parts.err != nil:
				if len(parts.frames) > len(whole.frames) || !slices.Equal(parts.frames, whole.frames[:len(parts.frames)]) {
					t.Fatalf("cut at %d (%v): %q is no prefix of %q", at, parts.err, parts.frames, whole.frames)
				}
			}
			for _, err := range []error{whole.err, parts.err} {
				if err != nil && (protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong)) {
					t.Fatalf("Split error %v", err)
				}
			}
			for _, fr := range whole.frames {
				if len(fr) < 2 || fr[0] != '\n' || fr[len(fr)-1] != '\r' || len(fr) > c.maxFrame || !bytes.Contains(data, []byte(fr)) {
					t.Fatalf("frame %q is not LF … CR within the cap", fr)
				}
			}
		}
	})
}

// FuzzDecode: Decode never panics; every error is a FrameError with a
// reason Decode documents, and a Message comes with it unless the CRC is bad
// or the header unreadable. Reply never panics and gives silence or one
// well-formed frame for any outcome; an accepted frame's ACK echoes its
// header, and Parse agrees with Decode.
//
// Each input is tried three ways: as it is; with its CRC and length fields
// corrected, so that the fuzzer reaches the grammar behind the checksum; and
// as the plaintext of an encrypted frame, so that it reaches pad stripping
// and the decrypted grammar.
func FuzzDecode(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s)
	}
	f.Add([]byte("pppp|#1234|NBA01][X1]_12:00:00,01-01-2024"))
	key, _ := ParseKey(hexKey128, "hex")
	keyHA, _ := ParseKey(asciiKeyHA, "ascii")
	c := New(Options{
		Keys: func(account string) (Key, bool) {
			if account == "1234" {
				return key, true
			}
			return keyHA, len(account)%2 == 0
		},
		Pad: testPad,
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, c, data)
		if fixed := fixHeader(data); fixed != nil {
			checkDecode(t, c, fixed)
		}
		checkDecode(t, c, encryptedFrame(key, data))
	})
}

var (
	decodeReasons = []protocols.Reason{protocols.ReasonCRC, protocols.ReasonSyntax, protocols.ReasonToken,
		protocols.ReasonNoKey, protocols.ReasonDecrypt, protocols.ReasonTimestamp, protocols.ReasonUnencrypted,
		protocols.ReasonAccountMismatch}
	replyOutcomes = func() []error {
		out := []error{nil, protocols.Reject("receiver", protocols.ReasonStore, nil), errors.New("x")}
		for _, r := range append(decodeReasons, protocols.ReasonTooLong, protocols.ReasonUnknownAccount) {
			out = append(out, protocols.Reject(Name, r, nil))
		}
		return out
	}()
)

func checkDecode(t *testing.T, c *Codec, data []byte) {
	t.Helper()
	m, err := c.Decode(data, defaultNow)
	if err != nil {
		var fe *protocols.FrameError
		if !errors.As(err, &fe) || fe.Protocol != Name || !slices.Contains(decodeReasons, fe.Reason) {
			t.Fatalf("Decode error %v is not one of the documented FrameErrors", err)
		}
		// Only a bad CRC or an unreadable header comes without a Message.
		if fe.Reason == protocols.ReasonCRC && m != nil || fe.Reason != protocols.ReasonCRC && fe.Reason != protocols.ReasonSyntax && m == nil {
			t.Fatalf("reason %s with Message %v", fe.Reason, m)
		}
	} else if m == nil {
		t.Fatal("nil Message and nil error")
	}
	for _, outcome := range append(replyOutcomes, err) {
		b := c.Reply(m, outcome, defaultNow)
		if b == nil {
			continue
		}
		if werr := wellFormed(b); werr != nil {
			t.Fatalf("Reply(%v) to %q = %q: %v", outcome, data, b, werr)
		}
	}
	if err != nil {
		if protocols.ReasonOf(err) == protocols.ReasonCRC && c.Reply(m, err, defaultNow) != nil {
			t.Fatal("a bad CRC was answered")
		}
		return
	}
	fr := m.Detail.(*Frame)
	ack := c.Reply(m, nil, defaultNow)
	if ack == nil {
		t.Fatalf("accepted frame %q got no ACK", data)
	}
	r, perr := Parse(ack, fr.key)
	if perr != nil || r.Token != TokenACK || r.Sequence != fr.Sequence || r.Account != fr.Account ||
		r.Line != fr.Line || r.NoLine != fr.NoLine || r.Receiver != fr.Receiver || r.HasReceiver != fr.HasReceiver || r.Encrypted != fr.Encrypted || r.BinaryCRC != fr.BinaryCRC {
		t.Fatalf("ACK %q for %q: %+v, %v", ack, data, r, perr)
	}
	p, perr := Parse(data, fr.key)
	if perr != nil || !sameFrame(p, fr) {
		t.Fatalf("Parse disagrees with Decode on %q: %+v, %v", data, p, perr)
	}
	checkRebuild(t, m, data)
}

// checkRebuild: the detail of a plain frame Decode accepted is rebuilt
// from its bytes alone, to the byte (what the store keeps of it: no
// detail); an encrypted frame's is not.
func checkRebuild(t *testing.T, m *protocols.Message, data []byte) {
	t.Helper()
	got, ok := RebuildDetail(data)
	if m.Encrypted {
		if ok {
			t.Fatalf("detail rebuilt for the encrypted frame %q: %s", data, got)
		}
		return
	}
	want, err := json.Marshal(m.Detail)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("detail rebuilt from %q:\n%s (%v)\nwant Decode's\n%s", data, got, ok, want)
	}
}

// fixHeader returns data with the CRC and length fields it should have, or
// nil when data has no frame envelope.
func fixHeader(data []byte) []byte {
	b := bytes.TrimRight(data, "\x00")
	if len(b) < 2 || b[0] != '\n' || b[len(b)-1] != '\r' {
		return nil
	}
	bodyStart, _ := detectForm(b[:len(b)-1])
	span := b[bodyStart : len(b)-1]
	if bodyStart == 0 || len(span) > maxLength {
		return nil
	}
	out := append([]byte{}, b...)
	crc := CRC(span)
	if bodyStart == binHeaderLen {
		out[1], out[2] = byte(crc>>8), byte(crc)
		putHex(out[3:7], uint16(len(span)))
	} else {
		putHex(out[1:5], crc)
		putHex(out[5:9], uint16(len(span)))
	}
	return out
}

// appendHex appends b in upper-case hex.
func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, upperHex[c>>4], upperHex[c&0x0F])
	}
	return dst
}

// encryptedFrame returns an encrypted SIA-DCS frame for account 1234 whose
// plaintext is pt, padded with 'p' in front to a whole number of blocks.
func encryptedFrame(key Key, pt []byte) []byte {
	n := (16 - len(pt)%16) % 16
	buf := append(bytes.Repeat([]byte("p"), n), pt...)
	if len(buf) == 0 {
		buf = bytes.Repeat([]byte("p"), 16)
	}
	encryptTo(key, buf)
	body := appendHex([]byte(`"*SIA-DCS"0001L0#1234[`), buf)
	if len(body) > maxLength {
		return nil
	}
	return []byte(plainFrame(string(body)))
}

// FuzzRoundTrip: whatever Frame Encode accepts, plain or with any key
// length, parses back to the same frame, encodes to the same bytes again,
// is found whole by Split and is not refused by Decode for its grammar.
func FuzzRoundTrip(f *testing.F) {
	for _, tc := range frameCases {
		fr, err := Parse([]byte(tc.raw), keyFor(tc))
		if err != nil {
			continue
		}
		keyIdx := uint8(0)
		if fr.Encrypted {
			keyIdx = 1
		}
		var xdata []byte
		for _, x := range fr.XData {
			xdata = append(append(append(xdata, x.ID), x.Value...), 0)
		}
		f.Add(fr.Token, fr.Sequence, fr.Receiver, fr.HasReceiver, fr.Line, fr.NoLine, fr.Account, fr.Data, xdata,
			fr.Timestamp.Unix(), fr.HasTimestamp, fr.BinaryCRC, keyIdx)
	}
	var keys []Key
	for _, k := range []struct{ v, f string }{{"", ""}, {hexKey128, "hex"}, {hexKey192, "hex"}, {hexKey256, "hex"}, {asciiKeyHA, "ascii"}} {
		key, _ := ParseKey(k.v, k.f)
		keys = append(keys, key)
	}
	c := New(Options{Keys: func(string) (Key, bool) { return keys[1], true }})
	f.Fuzz(func(t *testing.T, token, seq, receiver string, hasReceiver bool, line string, noLine bool, account string,
		data, xdata []byte, unix int64, hasTS, binary bool, keyIdx uint8) {
		key := keys[int(keyIdx)%len(keys)]
		in := &Frame{Token: token, Sequence: seq, Receiver: receiver, HasReceiver: hasReceiver, Line: line, NoLine: noLine,
			Account: account, Data: data, HasTimestamp: hasTS, BinaryCRC: binary, Encrypted: !key.IsZero()}
		if hasTS {
			in.Timestamp = time.Unix(unix, 0).UTC()
		}
		if len(xdata) > 0 {
			for _, block := range bytes.Split(xdata, []byte{0}) {
				if len(block) > 0 {
					in.XData = append(in.XData, XData{ID: block[0], Value: block[1:]})
				}
			}
		}
		b, err := Encode(in, key, testPad)
		if err != nil {
			if !errors.Is(err, ErrEncode) {
				t.Fatalf("Encode error %v does not wrap ErrEncode", err)
			}
			return
		}
		out, err := Parse(b, key)
		if err != nil {
			t.Fatalf("Parse(Encode(%+v)) = %q: %v", in, b, err)
		}
		want := *in
		want.HasReceiver = in.HasReceiver || in.Receiver != ""
		if !sameFrame(out, &want) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", b, out, want)
		}
		again, err := Encode(out, key, testPad)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("Encode not stable: %q then %q (%v)", b, again, err)
		}
		if adv, frame, err := c.Split(b, false); err != nil || adv != len(b) || !bytes.Equal(frame, b) {
			t.Fatalf("Split(%q) = %d, %q, %v", b, adv, frame, err)
		}
		m, err := c.Decode(b, in.Timestamp)
		switch protocols.ReasonOf(err) {
		case protocols.ReasonCRC, protocols.ReasonSyntax:
			t.Fatalf("Decode(%q): %v", b, err)
		}
		for _, outcome := range []error{err, nil} {
			if r := c.Reply(m, outcome, in.Timestamp); r != nil {
				if werr := wellFormed(r); werr != nil {
					t.Fatalf("Reply(%v) to %q = %q: %v", outcome, b, r, werr)
				}
			}
		}
	})
}

// FuzzRedact: Redact never panics; a frame without "[K" is kept as it is;
// no key-change value the parser reads from the frame is in the copy; and a
// plain frame built with a fuzzed key-change value comes out exactly as the
// same frame with "[redacted]" for the value (the CRC and length fields as
// sent), while the encrypted twin is kept as sent and its decoded JSON
// shows no key either.
func FuzzRedact(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s, []byte("00112233445566778899AABBCCDDEEFF"))
	}
	for _, tc := range redactCases {
		f.Add([]byte(tc.in), []byte(tc.name))
	}
	c := New(Options{})
	key, err := ParseKey(hexKey128, "hex")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw, value []byte) {
		out := c.Redact(raw)
		if !bytes.Contains(raw, keyBlock) && !bytes.Equal(out, raw) {
			t.Fatalf("Redact(%q) = %q, want it unchanged", raw, out)
		}
		var fr Frame
		if p, err := scanHeader(raw, &fr, false); err == nil && !fr.Encrypted && p.parseBlocks(bytes.Clone(p.body), 0, ErrSyntax) == nil {
			for _, x := range fr.XData {
				if x.ID == xdataKey && len(x.Value) >= 4 && bytes.Count(raw, x.Value) == 1 && bytes.Contains(out, x.Value) {
					t.Fatalf("Redact(%q) = %q keeps the key %q", raw, out, x.Value)
				}
			}
		}

		// Plant a key-change value between two fuzzed blocks.
		clean := func(b []byte) []byte {
			b = bytes.Map(func(r rune) rune {
				if r == ']' || r == '\r' || r == '\n' || r == 0 {
					return -1
				}
				return r
			}, b)
			return b[:min(len(b), 200)]
		}
		value = clean(value)
		data := clean(raw)
		planted := &Frame{Token: TokenSIA, Sequence: "0001", Line: "0", Account: "1234", Data: data,
			XData: []XData{{ID: 'I', Value: data}, {ID: xdataKey, Value: value}, {ID: 'X', Value: value}}}
		wire, err := Encode(planted, Key{}, nil)
		if err != nil {
			return
		}
		want := wire
		if len(value) > 0 {
			// "[redacted]" cannot be encoded: a NUL-marked stand-in is
			// encoded and swapped for it.
			const stand = "\x00redacted\x00"
			blanked := *planted
			blanked.XData = []XData{planted.XData[0], {ID: xdataKey, Value: []byte(stand)}, planted.XData[2]}
			b, err := Encode(&blanked, Key{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.Replace(b[hexHeaderLen:], []byte(stand), []byte(redacted), 1)
			want = append(wire[:hexHeaderLen:hexHeaderLen], b...)
		}
		if got := c.Redact(wire); !bytes.Equal(got, want) {
			t.Fatalf("Redact(%q)\n got %q\nwant %q", wire, got, want)
		}
		sealed, err := Encode(planted, key, testPad)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Redact(sealed); !bytes.Equal(got, sealed) {
			t.Fatalf("Redact(%q) = %q, want the ciphertext kept", sealed, got)
		}
		opened, err := Parse(sealed, key)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(opened)
		if len(value) >= 4 && !bytes.Contains(js, []byte(`"Value":"[redacted]"`)) {
			t.Fatalf("the decrypted frame's JSON %s shows no redacted key", js)
		}
	})
}
