package surgard

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// Name is the protocol id used in configuration, logs and metrics.
const Name = "surgard"

// Control bytes [protocols.md §4.1].
const (
	DC4 = 0x14 // record terminator
	ACK = 0x06 // record accepted (durably stored)
	NAK = 0x15 // record received but not understood
)

// Record kinds (protocols.Message.Kind).
const (
	KindHeartbeat = "heartbeat" // 1RR…@: link supervision
	KindCID4      = "cid4"      // 5RRLLL 18AAAAQXYZGGCCC
	KindCID10     = "cid10"     // QRRLLL 58AAAAAAAAAAQXYZGGCCC
	KindSIA       = "sia"       // SRRLLL[#acct|…]
	KindStatus    = "status"    // 0RRLLL[#0000|…]: the receiver's own events
)

// Sentinel errors, wrapped in *protocols.FrameError.
var (
	ErrSyntax      = errors.New("surgard: malformed record")
	ErrUnsupported = errors.New("surgard: unsupported record type")
)

// MaxRecord is the default cap on one record; the longest standard record
// (SIA with 66 data bytes) is under 100 bytes.
const MaxRecord = 512

// Codec implements protocols.Codec for Sur-Gard records.
type Codec struct {
	maxRecord int
}

// New returns a codec; maxRecord ≤ 0 means MaxRecord.
func New(maxRecord int) *Codec {
	if maxRecord <= 0 {
		maxRecord = MaxRecord
	}
	return &Codec{maxRecord: maxRecord}
}

// Name returns "surgard".
func (c *Codec) Name() string { return Name }

// Split returns one record per DC4. Some "Sur-Gard compatible" boxes end
// records with CR or LF instead [protocols.md §4.4]; those end a record
// too. Empty records (a bare terminator) are skipped. A record longer than
// the cap is refused with ErrFrameTooLong.
//
// A record may start with the optional B32 header (see B32Header); the
// record returned keeps it, for Decode. Its length bytes are BCD and may be
// 0x14, so the terminator is looked for only after the header.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	start := 0
	for start < len(data) && isTerminator(data[start]) {
		start++
	}
	body := start
	switch n, more := b32Prefix(data[start:]); {
	case more && !atEOF:
		return start, nil, nil // a header may be arriving: wait for it
	case n > 0:
		body = start + n
	}
	i := bytes.IndexFunc(data[body:], func(r rune) bool { return r < 0x80 && isTerminator(byte(r)) })
	if i >= 0 {
		if i > c.maxRecord {
			return body + i + 1, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
		}
		return body + i + 1, data[start : body+i], nil
	}
	if len(data)-body > c.maxRecord {
		return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	}
	if atEOF && len(data) > start {
		// A last record without its terminator is still a record.
		return len(data), data[start:], nil
	}
	return start, nil, nil
}

func isTerminator(b byte) bool { return b == DC4 || b == '\r' || b == '\n' }

// B32Header is the optional header a Sur-Gard receiver (MLR2000, System
// III) puts before every TCP automation packet when its "B32 headers"
// option is on, for MAS's B32 automation: the bytes 00 00 LL LL, LL LL the
// BCD size of the whole packet, header and terminator included; the
// automation's ACK then travels as 00 00 00 05 06 [SG Automation Output
// Protocol (DSC form 7-3005) §1.4, protocols.md §4.1]. It is an option of
// the protocol, not a deviation from it. Decode puts it in Message.Detail;
// Reply answers such a record in the same form.
type B32Header struct {
	// Length is the packet size the header states.
	Length int
}

// MarshalJSON renders the header for the stored frame detail.
func (h *B32Header) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ B32Header struct{ Length int } }{struct{ Length int }{h.Length}})
}

// b32Len is the size of a B32 header.
const b32Len = 4

// b32Prefix reports whether b starts with a B32 header: its length, or
// more when b is a proper prefix of one.
func b32Prefix(b []byte) (n int, more bool) {
	for i := 0; i < b32Len; i++ {
		if i == len(b) {
			return 0, i > 0
		}
		if i < 2 && b[i] != 0 || i >= 2 && !isBCD(b[i]) {
			return 0, false
		}
	}
	return b32Len, false
}

// isBCD reports a byte of two decimal digits, one per nibble.
func isBCD(b byte) bool { return b>>4 <= 9 && b&0x0F <= 9 }

func bcd(b byte) int { return int(b>>4)*10 + int(b&0x0F) }

// b32Reply is the B32 form of a one-byte reply: the header of a 5-byte
// packet, then the byte [SG Automation Output Protocol §1.4].
func b32Reply(b byte) []byte { return []byte{0, 0, 0, 0x05, b} }

// Decode parses one record (without its terminator). A record that starts
// with a B32 header is decoded as if it had none; the header goes to
// Message.Detail, and a stated size that disagrees with the record's is
// reported as a ReasonLength deviation. When such a record is refused the
// Message (header only) comes with the error, so that Reply answers in
// kind.
func (c *Codec) Decode(rec []byte, _ time.Time) (*protocols.Message, error) {
	n, _ := b32Prefix(rec)
	if n == 0 {
		return c.decode(rec)
	}
	h := &B32Header{Length: bcd(rec[2])*100 + bcd(rec[3])}
	m, err := c.decode(rec[n:])
	if err != nil {
		return &protocols.Message{Protocol: Name, Detail: h}, err
	}
	m.Detail = h
	// The size counts the header, the record and its terminator, which
	// Split took off.
	if h.Length != len(rec)+1 {
		m.Deviations = []protocols.Reason{protocols.ReasonLength}
	}
	return m, nil
}

// decode parses one record without header or terminator.
func (c *Codec) decode(rec []byte) (*protocols.Message, error) {
	rec = bytes.TrimRight(rec, " ")
	if len(rec) < 2 {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "record %q too short", rec)
	}
	m := &protocols.Message{Protocol: Name}
	switch rec[0] {
	case '1':
		if bytes.IndexByte(rec, '@') < 0 {
			// Basic 4/3 pulse records share the '1'; they carry no Contact
			// ID or SIA code we could classify.
			return nil, protocols.Rejectf(Name, protocols.ReasonToken, ErrUnsupported, "4/3 pulse record %q", rec)
		}
		m.Kind = KindHeartbeat
		head := strings.TrimSpace(string(rec[1:bytes.IndexByte(rec, '@')]))
		if len(head) >= 2 {
			m.Receiver, m.Line = head[:2], head[2:]
		}
		return m, nil
	case '5':
		return decodeCID(m, rec, KindCID4, "18", "98", 4)
	case 'Q':
		return decodeCID(m, rec, KindCID10, "58", "", 10)
	case 'S', '0':
		m.Kind = KindSIA
		if rec[0] == '0' {
			m.Kind = KindStatus
		}
		return decodeSIA(m, rec)
	}
	return nil, protocols.Rejectf(Name, protocols.ReasonToken, ErrUnsupported, "record type %q", rec[0])
}

// splitHead splits "RRLLL" (receiver 2 hex digits, line 1–7 digits).
func splitHead(m *protocols.Message, head []byte) error {
	head = bytes.TrimRight(head, " ")
	if len(head) < 3 || len(head) > 9 || !allHex(head[:2]) || !allDigits(head[2:]) {
		return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "receiver and line %q, want RR and 1-7 line digits", head)
	}
	m.Receiver, m.Line = string(head[:2]), string(head[2:])
	return nil
}

// decodeCID parses 5RRLLL[s]18AAAAQXYZGGCCC and QRRLLL[s]58AAAAAAAAAAQXYZGGCCC
// from the fixed-length tail [protocols.md §4.4].
func decodeCID(m *protocols.Message, rec []byte, kind, format, altFormat string, acctLen int) (*protocols.Message, error) {
	m.Kind = kind
	tailLen := 2 + acctLen + 1 + 3 + 2 + 3
	if len(rec) < 1+3+tailLen {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "%s record %q too short", kind, rec)
	}
	tail := rec[len(rec)-tailLen:]
	if err := splitHead(m, rec[1:len(rec)-tailLen]); err != nil {
		return nil, err
	}
	if f := string(tail[:2]); f != format && (altFormat == "" || f != altFormat) {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "format id %q, want %s", f, format)
	}
	acct := tail[2 : 2+acctLen]
	if !allHex(acct) {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "account %q is not hex digits", acct)
	}
	rest := tail[2+acctLen:]
	var q byte
	switch rest[0] {
	case 'E':
		q = '1'
	case 'R':
		q = '3'
	case 'P':
		q = '6'
	default:
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "qualifier %q, want E, R or P", rest[0])
	}
	// "#acct|QXYZ GG CCC" is the DC-09 ADM-CID payload; its parser does the
	// digits, the code table and the zone/user split.
	payload := make([]byte, 0, 32)
	payload = append(payload, '#')
	payload = append(payload, acct...)
	payload = append(payload, '|', q)
	payload = append(payload, rest[1:4]...)
	payload = append(payload, ' ')
	payload = append(payload, rest[4:6]...)
	payload = append(payload, ' ')
	payload = append(payload, rest[6:9]...)
	account, ev, err := contactid.ParsePayload(payload)
	if err != nil {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "contact id %q: %v", rest, err)
	}
	m.Account = account
	ev.Account = account
	m.Events = []protocols.Event{ev}
	return m, nil
}

// decodeSIA parses SRRLLL[#acct|…] and 0RRLLL[#0000|…].
func decodeSIA(m *protocols.Message, rec []byte) (*protocols.Message, error) {
	open := bytes.IndexByte(rec, '[')
	if open < 0 || rec[len(rec)-1] != ']' {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "SIA record %q lacks [data]", rec)
	}
	if err := splitHead(m, rec[1:open]); err != nil {
		return nil, err
	}
	data := rec[open+1 : len(rec)-1]
	if bar := bytes.IndexByte(data, '|'); bar >= 0 && len(bytes.TrimSpace(data[bar+1:])) == 0 {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "SIA record %q carries no data", rec)
	}
	account, events, err := sia.ParsePayload(data)
	if err != nil {
		return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, "SIA data: %v", err)
	}
	m.Account = account
	m.Events = events
	return m, nil
}

// Reply is ACK for a stored record and NAK for one that could not be
// understood. When the store failed (ReasonStore) or the receiver is
// shutting down, the answer is silence: a Sur-Gard receiver gives up on a
// record after a number of NAKs, but keeps a record it got no answer for in
// its buffer and sends it again once a heartbeat is acknowledged
// [protocols.md §4.2]. Heartbeats get the same treatment, so that while the
// store fails the receiver sees no ACK at all and keeps buffering.
//
// A record that came with a B32 header is answered with one
// [SG Automation Output Protocol §1.4].
func (c *Codec) Reply(m *protocols.Message, outcome error, _ time.Time) []byte {
	b := byte(ACK)
	if outcome != nil {
		switch protocols.ReasonOf(outcome) {
		case protocols.ReasonStore, protocols.ReasonShutdown:
			return nil
		}
		b = NAK
	}
	if m != nil {
		if _, ok := m.Detail.(*B32Header); ok {
			return b32Reply(b)
		}
	}
	return []byte{b}
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(b) > 0
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
