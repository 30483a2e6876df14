package dc09

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/charset"
)

// Frame is one DC-09 frame, decoded. Decode puts it in Message.Detail; Parse
// returns it; Encode builds the wire bytes from it.
//
// Header fields keep the bytes exactly as received, case included, because
// replies echo them [DC-09 §3.4]. A Frame returned by Decode or Parse owns
// its bytes: nothing aliases the input.
type Frame struct {
	// Token is the ID token without the '*' that marks encryption:
	// "SIA-DCS", "ADM-CID", "NULL", or in replies "ACK", "NAK", "DUH", "RSP".
	Token string
	// Encrypted reports the '*' form: the data, extended data and timestamp
	// travel AES-encrypted [DC-09 §3.10].
	Encrypted bool
	// Sequence is the four decimal digits of the sequence number (hex
	// digits, a tolerated deviation, are kept as sent).
	Sequence string
	// Receiver is the receiver number (1–6 hex digits); HasReceiver reports
	// whether the optional R field was present.
	Receiver    string
	HasReceiver bool
	// Line is the account prefix after L (0–6 hex digits; "" for a bare L).
	// NoLine reports a header without any L field, which the grammar
	// requires [DC-09 §3.3] and some senders leave out; Line is then "".
	// NoLine is the exception rather than HasLine the rule, so that a Frame
	// built by hand carries the L the grammar requires.
	Line   string
	NoLine bool
	// Account is the account after '#' (3–16 hex digits); in a NAK, the
	// digits after the literal 'A' ("0").
	Account string
	// Data is the content of the data block without its brackets, in clear
	// (decrypted for an encrypted frame).
	Data []byte
	// XData are the extended data blocks in order; unknown letters are kept.
	XData []XData
	// Timestamp is the frame's time in UTC when HasTimestamp is set.
	Timestamp    time.Time
	HasTimestamp bool
	// CRC and Length are the checksum and length fields as received (Parse,
	// Decode); Encode computes its own.
	CRC    uint16
	Length int
	// BinaryCRC reports the two-raw-byte CRC form some panels send
	// [DC-09 §3.13]; replies use the same form.
	BinaryCRC bool

	// accountMark is the byte before the account as received: '#', or 'A'
	// in a NAK. Zero in a Frame built by hand: Encode picks the standard one.
	accountMark byte
	// key decrypted the frame; the encrypted ACK uses it. Never printed: a
	// Key shows an address at most.
	key Key
}

// XData is one extended data block "[<ID><Value>]" [DC-09 §3.7].
type XData struct {
	ID    byte
	Value []byte
}

// Field limits [DC-09 §3.3].
const (
	seqLen        = 4
	maxReceiver   = 6
	maxLine       = 6
	minAccount    = 3
	maxAccount    = 16
	maxToken      = 32
	hexHeaderLen  = 1 + 4 + 4 // LF, CRC, length
	binHeaderLen  = 1 + 2 + 4 // LF, two CRC bytes, length
	nakMark       = 'A'
	standardMark  = '#'
	maxDeviations = 6
)

// deviations collects the tolerated departures of one frame without
// allocating until it is turned into a slice.
type deviations struct {
	n int
	r [maxDeviations]protocols.Reason
}

func (d *deviations) add(r protocols.Reason) {
	for i := 0; i < d.n; i++ {
		if d.r[i] == r {
			return
		}
	}
	if d.n < len(d.r) {
		d.r[d.n] = r
		d.n++
	}
}

func (d *deviations) slice() []protocols.Reason {
	if d.n == 0 {
		return nil
	}
	return append([]protocols.Reason(nil), d.r[:d.n]...)
}

// detectForm tells the hex-CRC frame (LF, 4 hex, "0LLL", '"') from the
// binary-CRC one (LF, 2 raw bytes, "0LLL", '"') [DC-09 §3.13]. It returns
// the offset of the first '"', or 0 when data holds neither form. more
// reports that data is a proper prefix of a possible header.
func detectForm(data []byte) (bodyStart int, more bool) {
	hexOK, binOK := true, true
	n := min(len(data), hexHeaderLen+1)
	for i := 1; i < n && (hexOK || binOK); i++ {
		c := data[i]
		switch {
		case i <= 4:
			hexOK = hexOK && isHex(c)
		case i == 5:
			hexOK = hexOK && c == '0'
		case i <= 8:
			hexOK = hexOK && isHex(c)
		default:
			hexOK = hexOK && c == '"'
		}
		switch {
		case i <= 2:
		case i == 3:
			binOK = binOK && c == '0'
		case i <= 6:
			binOK = binOK && isHex(c)
		case i == 7:
			binOK = binOK && c == '"'
		}
	}
	switch {
	case binOK && len(data) > binHeaderLen:
		return binHeaderLen, false
	case hexOK && len(data) > hexHeaderLen:
		return hexHeaderLen, false
	case hexOK || binOK:
		return 0, true
	}
	return 0, false
}

// readHeader returns the CRC and length fields of a frame whose form
// detectForm found, and whether they used lower-case hex.
func readHeader(data []byte, bodyStart int) (crc uint16, length int, lower bool) {
	lenAt := 5
	if bodyStart == binHeaderLen {
		crc = uint16(data[1])<<8 | uint16(data[2])
		lenAt = 3
	} else {
		for _, c := range data[1:5] {
			v, _ := unhex(c)
			crc = crc<<4 | uint16(v)
			lower = lower || isLowerHex(c)
		}
	}
	for _, c := range data[lenAt : lenAt+4] {
		v, _ := unhex(c)
		length = length<<4 | int(v)
		lower = lower || isLowerHex(c)
	}
	return crc, length, lower
}

// parsed is a frame whose header has been read: CRC checked, token and
// addressing fields known. body is what follows the '[' after the account,
// up to the CR.
type parsed struct {
	f    *Frame
	body []byte
	devs deviations
}

// parseHeader checks the frame's envelope and CRC and reads its header
// [DC-09 §3.3]. Trailing NULs are ignored [DC-09 §3.2]. Every error is a
// frame that cannot be answered: a bad CRC (the standard wants silence,
// DC-09 test plan C.2.3.5) or a header whose fields cannot be echoed.
//
// parseHeader fills f, which the caller allocates, and returns it in parsed.
func parseHeader(raw []byte, f *Frame) (p parsed, err error) {
	return scanHeader(raw, f, true)
}

// scanHeader is parseHeader, with the CRC checked only when checkCRC is set:
// Redact reads the grammar of frames whatever their CRC.
func scanHeader(raw []byte, f *Frame, checkCRC bool) (p parsed, err error) {
	fail := func(reason protocols.Reason, sentinel error, format string, args ...any) (parsed, error) {
		return parsed{}, reject(reason, sentinel, format, args...)
	}
	raw = bytes.TrimRight(raw, "\x00")
	if len(raw) < 2 || raw[0] != '\n' || raw[len(raw)-1] != '\r' {
		return fail(protocols.ReasonSyntax, ErrSyntax, "frame does not run from LF to CR")
	}
	bodyStart, _ := detectForm(raw[:len(raw)-1])
	if bodyStart == 0 {
		return fail(protocols.ReasonSyntax, ErrSyntax, "no CRC and length header before the id token")
	}
	crc, length, lower := readHeader(raw, bodyStart)
	span := raw[bodyStart : len(raw)-1]
	// [DC-09 §3.5] CRC-16/ARC over the first '"' to the byte before CR.
	if checkCRC {
		if got := CRC(span); got != crc {
			return fail(protocols.ReasonCRC, ErrCRC, "computed %04X, header says %04X", got, crc)
		}
	}
	// [DC-09 §3.13] A wrong length with a right CRC is a known sender bug:
	// accepted, reported.
	if length != len(span) {
		p.devs.add(protocols.ReasonLength)
	}
	if lower {
		p.devs.add(protocols.ReasonLowerHex)
	}
	if bodyStart == binHeaderLen {
		p.devs.add(protocols.ReasonBinaryCRC)
	}

	// The header fields are read as offsets first so that one string
	// conversion serves them all.
	var h struct {
		tok0, tok1, rcv0, rcv1, line0, line1, acct0, acct1 int
		encrypted, hasReceiver, hasLine                    bool
		mark                                               byte
	}
	i := 1
	end := bytes.IndexByte(span[1:min(len(span), 2+1+maxToken)], '"')
	if end < 0 {
		return fail(protocols.ReasonSyntax, ErrSyntax, "id token not closed by '\"' within %d bytes", maxToken+1)
	}
	if span[i] == '*' {
		h.encrypted = true
		i++
	}
	h.tok0, h.tok1 = i, 1+end
	if h.tok1 == h.tok0 || span[h.tok0] == '*' || h.tok1-h.tok0 > maxToken {
		return fail(protocols.ReasonSyntax, ErrSyntax, "id token of %d bytes, want 1 to %d", h.tok1-h.tok0, maxToken)
	}
	for _, c := range span[h.tok0:h.tok1] {
		if c < 0x21 || c > 0x7E {
			return fail(protocols.ReasonSyntax, ErrSyntax, "id token holds byte %#02x", c)
		}
	}
	i = h.tok1 + 1
	isNAK := string(span[h.tok0:h.tok1]) == TokenNAK && !h.encrypted

	// [DC-09 §3.3, §3.11] Four decimal digits, echoed as received. Hex
	// digits are a known deviation: jvanovost/dc09_spt writes the sequence
	// with '{0:04X}', so its 10th message is 000A; refusing it would lose
	// every sixth frame of such a dialler. The receiver only echoes the
	// field and uses it for duplicate detection, which works on any text.
	if len(span) < i+seqLen || hexRun(span, i) < i+seqLen {
		return fail(protocols.ReasonSyntax, ErrSyntax, "sequence is not four decimal digits")
	}
	hexSeq := !allDigits(span[i : i+seqLen])
	i += seqLen
	// [DC-09 §3.3] Optional R + 1–6 hex digits.
	if i < len(span) && span[i] == 'R' {
		h.hasReceiver = true
		h.rcv0 = i + 1
		h.rcv1 = hexRun(span, h.rcv0)
		if n := h.rcv1 - h.rcv0; n < 1 || n > maxReceiver {
			return fail(protocols.ReasonSyntax, ErrSyntax, "receiver has %d hex digits, want 1 to %d", n, maxReceiver)
		}
		i = h.rcv1
	}
	// [DC-09 §3.3] L + 0–6 hex digits; a bare L is a known deviation
	// [DC-09 §3.13]. No L at all is another: the panel-side library
	// jvanovost/dc09_spt writes R and L only when they are configured, and
	// its README example configures neither. The header reads on from the
	// '#' and the frame counts as line 0.
	switch {
	case i < len(span) && span[i] == 'L':
		h.hasLine = true
		h.line0 = i + 1
		h.line1 = hexRun(span, h.line0)
		i = h.line1
	case i < len(span) && span[i] == standardMark:
		h.line0, h.line1 = i, i
	default:
		return fail(protocols.ReasonSyntax, ErrSyntax, "neither account prefix L nor account '#' after the sequence")
	}
	switch {
	case i < len(span) && span[i] == standardMark:
		h.mark = standardMark
	case isNAK && h.hasLine:
		// [DC-09 §3.8] The NAK's account is the literal A0. A is a hex
		// digit, so the line's run swallowed it: the last A splits them.
		if a := bytes.LastIndexByte(span[h.line0:h.line1], nakMark); a >= 0 {
			h.mark = nakMark
			h.line1 = h.line0 + a
			i = h.line1
		}
	}
	if h.mark == 0 {
		return fail(protocols.ReasonSyntax, ErrSyntax, "account field '#' missing")
	}
	if n := h.line1 - h.line0; n > maxLine {
		return fail(protocols.ReasonSyntax, ErrSyntax, "account prefix has %d hex digits, want at most %d", n, maxLine)
	}
	// [DC-09 §3.3, §3.4] # + 3–16 hex digits (the NAK's A + 1–16).
	h.acct0 = i + 1
	h.acct1 = hexRun(span, h.acct0)
	minAcct := minAccount
	if h.mark == nakMark {
		minAcct = 1
	}
	if n := h.acct1 - h.acct0; n < minAcct || n > maxAccount {
		return fail(protocols.ReasonSyntax, ErrSyntax, "account has %d hex digits, want %d to %d", n, minAcct, maxAccount)
	}
	i = h.acct1
	if i >= len(span) || span[i] != '[' {
		return fail(protocols.ReasonSyntax, ErrSyntax, "data block '[' missing after the account")
	}

	s := string(span[:i])
	*f = Frame{
		Token:       s[h.tok0:h.tok1],
		Encrypted:   h.encrypted,
		Sequence:    s[h.tok1+1 : h.tok1+1+seqLen],
		HasReceiver: h.hasReceiver,
		Line:        s[h.line0:h.line1],
		NoLine:      !h.hasLine,
		Account:     s[h.acct0:h.acct1],
		CRC:         crc,
		Length:      length,
		BinaryCRC:   bodyStart == binHeaderLen,
		accountMark: h.mark,
	}
	if h.hasReceiver {
		f.Receiver = s[h.rcv0:h.rcv1]
	}
	if hasLowerHex(f.Receiver) || hasLowerHex(f.Line) {
		p.devs.add(protocols.ReasonLowerHex)
	}
	if hexSeq {
		p.devs.add(protocols.ReasonHexSequence)
	}
	// [DC-09 §3.13] A bare L (no digits) is accepted and reported; so is a
	// header without L. R is optional [DC-09 §3.3]: its absence is reported
	// only when L is missing too, the header then naming neither receiver
	// nor line.
	switch {
	case f.NoLine:
		p.devs.add(protocols.ReasonNoLine)
		if !f.HasReceiver {
			p.devs.add(protocols.ReasonNoReceiver)
		}
	case f.Line == "":
		p.devs.add(protocols.ReasonEmptyLine)
	}
	p.f = f
	p.body = span[i+1:]
	return p, nil
}

// parseBody reads the data, extended data and timestamp of a frame whose
// header parseHeader read: in clear, or decrypted with key [DC-09 §3.10].
// A plain frame's errors are ReasonSyntax or, for a timestamp with the right
// shape and impossible values, ReasonTimestamp; an encrypted frame's are
// ReasonNoKey, ReasonDecrypt or ReasonTimestamp.
func (p *parsed) parseBody(key Key) error {
	f := p.f
	if !f.Encrypted {
		// One copy: Data and every XData value are slices of it.
		buf := bytes.Clone(p.body)
		return p.parseBlocks(buf, protocols.ReasonSyntax, ErrSyntax)
	}
	if key.IsZero() {
		return reject(protocols.ReasonNoKey, ErrNoKey, "no key for account %s", f.Account)
	}
	pt, lower, err := decrypt(key, p.body)
	if err != nil {
		return err
	}
	if lower {
		p.devs.add(protocols.ReasonLowerHex)
	}
	rest, ok := stripPad(pt)
	if !ok {
		return reject(protocols.ReasonDecrypt, ErrDecrypt, "no ']' in the decrypted data: wrong key or corrupt frame")
	}
	if err := p.parseBlocks(rest, protocols.ReasonDecrypt, ErrDecrypt); err != nil {
		return err
	}
	f.key = key
	return nil
}

// parseBlocks reads "data]{[xdata]}[_timestamp]" from b, which the Frame
// keeps. A grammar error is reported with reason and sentinel (the caller's
// choice: a syntax error in clear, a decrypt failure when b was decrypted).
func (p *parsed) parseBlocks(b []byte, reason protocols.Reason, sentinel error) error {
	f := p.f
	end := bytes.IndexByte(b, ']')
	if end < 0 {
		return reject(reason, sentinel, "data block not closed by ']'")
	}
	f.Data = b[:end:end]
	i := end + 1
	// [DC-09 §3.7] Zero or more extended data blocks; unknown IDs are kept.
	if n := countBlocks(b[i:]); n > 0 {
		f.XData = make([]XData, 0, n)
	}
	for i < len(b) && b[i] == '[' {
		end := bytes.IndexByte(b[i+1:], ']')
		if end < 0 {
			return reject(reason, sentinel, "extended data block at offset %d not closed by ']'", i)
		}
		if end == 0 {
			return reject(reason, sentinel, "empty extended data block at offset %d", i)
		}
		v := b[i+2 : i+1+end]
		f.XData = append(f.XData, XData{ID: b[i+1], Value: v[:len(v):len(v)]})
		i += end + 2
	}
	if i == len(b) {
		return nil
	}
	// [DC-09 §3.3, §3.9] "_HH:MM:SS,MM-DD-YYYY", UTC, last in the frame.
	if b[i] != '_' {
		return reject(reason, sentinel, "unexpected byte %#02x at offset %d after the data blocks", b[i], i)
	}
	ts := b[i+1:]
	t, ok := parseTimestamp(ts)
	if !ok {
		if len(ts) == timestampLen && ts[2] == ':' && ts[5] == ':' && ts[8] == ',' && ts[11] == '-' && ts[14] == '-' {
			return reject(protocols.ReasonTimestamp, ErrTimestamp, "timestamp %q is not a valid UTC time", ts)
		}
		return reject(reason, sentinel, "timestamp is not _HH:MM:SS,MM-DD-YYYY")
	}
	f.Timestamp, f.HasTimestamp = t, true
	return nil
}

// countBlocks counts the "[…]" blocks at the start of b, for sizing.
func countBlocks(b []byte) int {
	n := 0
	for len(b) > 0 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 0 {
			break
		}
		n++
		b = b[end+1:]
	}
	return n
}

// Parse decodes one frame, LF to CR (trailing NULs allowed): envelope, CRC,
// header grammar, data blocks and timestamp, decrypting with key when the
// frame is encrypted. It applies no policy: any ID token, reply tokens
// included, no timestamp window, no check that an encrypted frame carries a
// timestamp. A wrong length field is tolerated as Decode tolerates it. The
// panel simulator uses Parse to check the receiver's replies.
//
// Errors are *protocols.FrameError values wrapping ErrCRC, ErrSyntax,
// ErrNoKey (an encrypted frame and the zero key), ErrDecrypt or
// ErrTimestamp. On error the Frame is nil.
func Parse(frame []byte, key Key) (*Frame, error) {
	p, err := parseHeader(frame, new(Frame))
	if err != nil {
		return nil, err
	}
	if err := p.parseBody(key); err != nil {
		return nil, err
	}
	return p.f, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// hexRun returns the end of the run of hex digits starting at i.
func hexRun(b []byte, i int) int {
	for i < len(b) && isHex(b[i]) {
		i++
	}
	return i
}

func hasLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLowerHex(s[i]) {
			return true
		}
	}
	return false
}

// frameJSON is the JSON form of a Frame: bytes as text, the CRC in hex, the
// timestamp only when sent. The key is not part of it.
type frameJSON struct {
	Token       string
	Encrypted   bool
	Sequence    string
	Receiver    string `json:",omitempty"`
	HasReceiver bool   `json:",omitempty"`
	Line        string
	NoLine      bool `json:",omitempty"`
	Account     string
	Data        string
	XData       []xdataJSON `json:",omitempty"`
	Timestamp   *time.Time  `json:",omitempty"`
	CRC         string
	Length      int
	BinaryCRC   bool `json:",omitempty"`
}

type xdataJSON struct {
	ID    string
	Value string
}

// MarshalJSON renders the frame for logs, the API and golden files. Data and
// XData values that are not UTF-8 are read as Windows-1252, the charset of
// DC-09 text fields [DC-09 §3.7]. The value of a key-change block [K…] is
// an encryption key [DC-09 §3.7] and shows as "[redacted]" (an empty one
// stays empty); this is what the receiver stores as a frame's detail, and
// for an encrypted frame the only place the decrypted key would show.
func (f Frame) MarshalJSON() ([]byte, error) {
	v := frameJSON{
		Token: f.Token, Encrypted: f.Encrypted, Sequence: f.Sequence, Receiver: f.Receiver,
		HasReceiver: f.HasReceiver, Line: f.Line, NoLine: f.NoLine, Account: f.Account, Data: text(f.Data),
		CRC: fmt.Sprintf("%04X", f.CRC), Length: f.Length, BinaryCRC: f.BinaryCRC,
	}
	for _, x := range f.XData {
		value := text(x.Value)
		if x.ID == xdataKey && value != "" {
			value = redacted
		}
		v.XData = append(v.XData, xdataJSON{ID: text([]byte{x.ID}), Value: value})
	}
	if f.HasTimestamp {
		t := f.Timestamp
		v.Timestamp = &t
	}
	return json.Marshal(v)
}

// text returns b as a string: itself when it is UTF-8, else decoded from
// Windows-1252.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(charset.Decode(b, charset.Windows1252))
}
