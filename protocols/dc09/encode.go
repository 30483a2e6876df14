package dc09

import (
	"bytes"
	"fmt"
	"strings"
)

// Encode builds the wire bytes of f, LF to CR, with a correct CRC and
// length in upper-case hex (or the binary CRC when f.BinaryCRC is set). A
// zero key sends f in clear; any other key encrypts data, extended data and
// timestamp with AES-CBC behind pad bytes from pad [DC-09 §3.10]. pad nil
// selects random printable bytes; pad must return exactly n bytes, none of
// '|', '[', ']'. f.Encrypted with a zero key is an error; f.CRC and
// f.Length are ignored.
//
// Encode checks every field against the grammar Parse reads, so whatever
// Encode accepts parses back to the same frame. It is the client side of the
// codec: the `alarmrx send` and `bench` panel simulator builds its frames
// with it.
func Encode(f *Frame, key Key, pad func(n int) []byte) ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil frame", ErrEncode)
	}
	if f.Encrypted && key.IsZero() {
		return nil, fmt.Errorf("%w: encrypted frame and no key", ErrEncode)
	}
	return encode(f, key, pad, false)
}

// encode builds the frame. With randomOnBadPad, a pad func that breaks the
// rules is replaced by random bytes instead of failing (replies must go out).
func encode(f *Frame, key Key, pad func(n int) []byte, randomOnBadPad bool) ([]byte, error) {
	encrypted := !key.IsZero()
	if err := checkFields(f, encrypted); err != nil {
		return nil, err
	}
	mark := f.accountMark
	if mark == 0 {
		mark = standardMark
		if f.Token == TokenNAK && !encrypted {
			mark = nakMark
		}
	}

	headerLen := hexHeaderLen
	if f.BinaryCRC {
		headerLen = binHeaderLen
	}
	blocksLen := 1 + len(f.Data) // data and ']'
	for _, x := range f.XData {
		blocksLen += 3 + len(x.Value)
	}
	if f.HasTimestamp {
		blocksLen += 1 + timestampLen
	}
	n, ptLen, wireLen := 0, 0, blocksLen
	if encrypted {
		n = padLen(1 + blocksLen)
		ptLen = n + 1 + blocksLen
		wireLen = 2 * ptLen
	}
	size := headerLen + 4 + len(f.Token) + seqLen + 1 + len(f.Receiver) + 1 + len(f.Line) + 1 + len(f.Account) + 1 + wireLen + 1
	out := make([]byte, headerLen, size)

	out = append(out, '"')
	if encrypted {
		out = append(out, '*')
	}
	out = append(out, f.Token...)
	out = append(out, '"')
	out = append(out, f.Sequence...)
	if f.HasReceiver || f.Receiver != "" {
		out = append(out, 'R')
		out = append(out, f.Receiver...)
	}
	if !f.NoLine {
		out = append(out, 'L')
		out = append(out, f.Line...)
	}
	out = append(out, mark)
	out = append(out, f.Account...)
	out = append(out, '[')
	if !encrypted {
		out = appendBlocks(out, f)
	} else {
		// [DC-09 §3.10] pad | data ] [xdata…] _timestamp, encrypted, sent in
		// hex. The plaintext is built in the second half of the room its hex
		// takes, encrypted there and expanded to hex in place.
		start := len(out)
		out = out[:start+wireLen]
		pt := out[start+ptLen:]
		if pad == nil {
			randomPad(pt[:n])
		} else if b := pad(n); validPad(b, n) {
			copy(pt, b)
		} else if randomOnBadPad {
			randomPad(pt[:n])
		} else {
			return nil, fmt.Errorf("%w: pad func returned %d bytes (want %d, none of '|', '[', ']')", ErrEncode, len(b), n)
		}
		pt[n] = '|'
		if len(appendBlocks(pt[n+1:n+1], f)) != blocksLen {
			return nil, fmt.Errorf("%w: data blocks miscounted", ErrEncode) // cannot happen
		}
		encryptTo(key, pt)
		hexInPlace(out[start:])
	}

	body := out[headerLen:]
	if len(body) > maxLength {
		return nil, fmt.Errorf("%w: %d bytes after the header, the length field holds at most %d", ErrEncode, len(body), maxLength)
	}
	crc := CRC(body)
	out[0] = '\n'
	if f.BinaryCRC {
		out[1], out[2] = byte(crc>>8), byte(crc)
		putHex(out[3:7], uint16(len(body)))
	} else {
		putHex(out[1:5], crc)
		putHex(out[5:9], uint16(len(body)))
	}
	return append(out, '\r'), nil
}

// appendBlocks appends "data]{[xdata]}[_timestamp]".
func appendBlocks(dst []byte, f *Frame) []byte {
	dst = append(dst, f.Data...)
	dst = append(dst, ']')
	for _, x := range f.XData {
		dst = append(dst, '[', x.ID)
		dst = append(dst, x.Value...)
		dst = append(dst, ']')
	}
	if f.HasTimestamp {
		dst = appendTimestamp(dst, f.Timestamp)
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// hexInPlace turns the bytes in the second half of b into upper-case hex
// filling all of b. Byte i is read before positions 2i and 2i+1, the only
// ones written for it, are; both lie at or before it.
func hexInPlace(b []byte) {
	n := len(b) / 2
	for i := range n {
		c := b[n+i]
		b[2*i], b[2*i+1] = upperHex[c>>4], upperHex[c&0x0F]
	}
}

// putHex writes v as four upper-case hex digits [DC-09 §3.3].
func putHex(dst []byte, v uint16) {
	dst[0] = upperHex[v>>12]
	dst[1] = upperHex[v>>8&0x0F]
	dst[2] = upperHex[v>>4&0x0F]
	dst[3] = upperHex[v&0x0F]
}

// checkFields checks f against the grammar parseHeader and parseBlocks
// read [DC-09 §3.3].
func checkFields(f *Frame, encrypted bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrEncode}, args...)...)
	}
	if len(f.Token) == 0 || len(f.Token) > maxToken || f.Token[0] == '*' {
		return bad("id token must have 1 to %d bytes and not start with '*'", maxToken)
	}
	for i := 0; i < len(f.Token); i++ {
		if c := f.Token[i]; c < 0x21 || c > 0x7E || c == '"' {
			return bad("id token holds byte %#02x", c)
		}
	}
	// A reply echoes the sequence as received, hex digits included.
	if len(f.Sequence) != seqLen || hexRun([]byte(f.Sequence), 0) != seqLen {
		return bad("sequence %q is not four decimal digits", f.Sequence)
	}
	if (f.HasReceiver || f.Receiver != "") && !hexField(f.Receiver, 1, maxReceiver) {
		return bad("receiver %q is not 1 to %d hex digits", f.Receiver, maxReceiver)
	}
	if !hexField(f.Line, 0, maxLine) {
		return bad("account prefix %q is not 0 to %d hex digits", f.Line, maxLine)
	}
	if f.NoLine && f.Line != "" {
		return bad("account prefix %q and NoLine", f.Line)
	}
	nak := f.Token == TokenNAK && !encrypted
	switch {
	case nak && f.NoLine && f.accountMark != standardMark:
		// [DC-09 §3.8] "A0" is told from the account prefix by the L
		// before it.
		return bad("the A account form needs the L field")
	case f.accountMark == nakMark && !nak:
		return bad("the A account form belongs to a plain NAK")
	case nak && f.accountMark != standardMark:
		// [DC-09 §3.8] "A0": the last A of the line/account run is the mark.
		if !hexField(f.Account, 1, maxAccount) || strings.IndexByte(f.Account, nakMark) >= 0 {
			return bad("NAK account %q is not 1 to %d hex digits without A", f.Account, maxAccount)
		}
	default:
		if !hexField(f.Account, minAccount, maxAccount) {
			return bad("account %q is not %d to %d hex digits", f.Account, minAccount, maxAccount)
		}
	}
	forbidden := "]"
	if !encrypted {
		// Split finds the end of a frame by its CR and resynchronises at LF:
		// neither may appear inside a body sent in clear.
		forbidden = "]\r\n"
	}
	if bytes.ContainsAny(f.Data, forbidden) {
		return bad("data holds one of %q", forbidden)
	}
	for i, x := range f.XData {
		if strings.IndexByte(forbidden, x.ID) >= 0 || bytes.ContainsAny(x.Value, forbidden) {
			return bad("extended data block %d holds one of %q", i, forbidden)
		}
	}
	if f.HasTimestamp && !encodableYear(f.Timestamp) {
		return bad("timestamp year %d does not fit four digits", f.Timestamp.UTC().Year())
	}
	return nil
}

func hexField(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}
