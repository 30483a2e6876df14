package surgard

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// ErrNoRecord is what Encode returns, wrapped with the reason, for an event
// that no Sur-Gard record carries: sending it in another shape would change
// the account or the event the automation sees. The caller must not skip
// it silently (the output lists it as undeliverable).
var ErrNoRecord = errors.New("surgard: no Sur-Gard record carries the event")

// Head is the receiver and line a record names: RR (two hex digits) and
// LLL (line digits, 3 by default, 1 for MLR2-style output).
type Head struct {
	Receiver   int // 0–255, written as two hex digits
	Line       int
	LineDigits int // 1–7; 0 means 3
}

func (h Head) String() string {
	n := h.LineDigits
	if n <= 0 {
		n = 3
	}
	line := fmt.Sprintf("%0*d", n, h.Line)
	if len(line) > n {
		line = line[len(line)-n:]
	}
	return fmt.Sprintf("%02X%s", h.Receiver&0xFF, line)
}

// Heartbeat returns the link-supervision record 1RRLLL + 11 spaces + "@" +
// 4 spaces + DC4 [protocols.md §4.3]. The SG Automation Output Protocol
// (DSC form 7-3005 rev. 161, §4.2 "Supervisory Heartbeat Signal Protocol")
// writes it 1RR000…: RR the receiver's real programmed number, LLL 000,
// the line the receiver's own (CPM) messages use (SG-System 5 manual
// §5.4.6–5.4.7); the MLR2 form has one line digit (1011…).
func Heartbeat(h Head) []byte {
	return []byte("1" + h.String() + strings.Repeat(" ", 11) + "@" + strings.Repeat(" ", 4) + string(rune(DC4)))
}

// Encode returns the record for one event of an account, DC4 included, in
// 7-bit ASCII [protocols.md §4.5]. Only forms that carry the account and
// the event as they are, per the SG Automation Output Protocol (DSC form
// 7-3005 rev. 161):
//
//   - a Contact ID event of an account of exactly 4 hex digits:
//     5RRLLL 18AAAAQXYZGGCCC (§4.9), any class/event code XYZ, known or not;
//   - exactly 10 hex digits: QRRLLL 58AAAAAAAAAAQXYZGGCCC (§4.10);
//   - a SIA event, or a Contact ID event of any other account whose code
//     the tables pair with a SIA code: SRRLLL[#acct|…] (§4.7, "SIA protocol
//     2"; its account block takes up to 16 digits per the MLR2/DRL2A manual
//     and Patriot's Sur-Gard SIA notes, 6 per rev. 161).
//
// Padding an account to 4 or 10 digits would give the automation another
// account (accounts are strings: "012345" and "12345" may both exist), so
// a Contact ID code with no SIA twin from an account of any other length
// (DC-09 #ABC|1102 01 022, #12345|1999 01 021) has no record, nor has an
// account outside 1–16 hex digits in a SIA record; Encode returns
// ErrNoRecord with the reason for those.
//
// Text (the SIA ^text^ field) is transliterated to ASCII (é → e, ß → ss,
// – → -), '?' for what has no ASCII form: the records travel on serial
// lines and to automation that reads 7-bit characters, never UTF-8.
func Encode(h Head, account string, ev protocols.Event) ([]byte, error) {
	ev.Text = ASCII(ev.Text)
	if ev.Format == protocols.FormatContactID {
		if rec, ok := encodeCID(h, account, ev); ok {
			return rec, nil
		}
		sev, ok := toSIA(ev)
		if !ok {
			return nil, noCIDRecord(account, ev)
		}
		ev = sev
	}
	if ev.Format != protocols.FormatSIA {
		return nil, fmt.Errorf("%w: event format %q has no Sur-Gard record", ErrNoRecord, ev.Format)
	}
	if !siaAccount(account) {
		return nil, fmt.Errorf("%w: account %q is not 1 to 16 hex digits, as the account block of the SIA record (S) needs", ErrNoRecord, account)
	}
	payload := sia.FormatPayload(account, []protocols.Event{ev})
	if payload == "" {
		return nil, fmt.Errorf("%w: SIA event %s (address %q) of account %s has no DC-03 form for the SIA record (S)",
			ErrNoRecord, ev.Code, ev.Address, account)
	}
	return asciiRecord("S" + h.String() + "[" + payload + "]" + string(rune(DC4))), nil
}

// noCIDRecord says why a Contact ID event has no record.
func noCIDRecord(account string, ev protocols.Event) error {
	code := ev.Code
	if contactid.Format(ev) == "" {
		return fmt.Errorf("%w: Contact ID event %q (group %q, zone %q) does not fit the Contact ID fields and has no SIA code",
			ErrNoRecord, code, ev.Partition, ev.Zone)
	}
	if len(account) == 4 || len(account) == 10 {
		return fmt.Errorf("%w: account %q is not hexadecimal, as the Contact ID records need, and Contact ID %s has no SIA code",
			ErrNoRecord, account, code)
	}
	return fmt.Errorf("%w: Contact ID %s has no SIA code for the SIA record (S), and the Contact ID records (5, Q) "+
		"take accounts of exactly 4 or 10 digits, not %s (%d)", ErrNoRecord, code, account, len(account))
}

func siaAccount(account string) bool {
	return account != "" && len(account) <= 16 && allHex([]byte(account))
}

func encodeCID(h Head, account string, ev protocols.Event) ([]byte, bool) {
	body := strings.ReplaceAll(contactid.Format(ev), " ", "") // QXYZGGCCC
	if len(body) != 9 || !allHex([]byte(account)) {
		return nil, false
	}
	q := map[byte]byte{'1': 'E', '3': 'R', '6': 'P'}[body[0]]
	if q == 0 {
		return nil, false
	}
	tail := string(q) + body[1:]
	switch len(account) {
	case 4:
		return []byte("5" + h.String() + " 18" + account + tail + string(rune(DC4))), true
	case 10:
		return []byte("Q" + h.String() + " 58" + account + tail + string(rune(DC4))), true
	}
	return nil, false
}

// toSIA maps a Contact ID event to the SIA code the tables pair with it.
func toSIA(ev protocols.Event) (protocols.Event, bool) {
	row, ok := contactid.Lookup(ev.Code)
	if !ok {
		return ev, false
	}
	code := row.SIANew
	if ev.Qualifier == protocols.QualifierRestore {
		code = row.SIARestore
	}
	if code == "" {
		return ev, false
	}
	out := ev
	out.Format, out.Code = protocols.FormatSIA, code
	if s, ok := sia.Lookup(code); ok {
		out.Description, out.Category, out.AddressKind = s.Name, s.Category, s.Address
	}
	return out, true
}

// asciiRecord guards the rule that a record is 7-bit: the fields are
// checked or transliterated before, so this only ever finds nothing.
func asciiRecord(rec string) []byte {
	b := []byte(rec)
	for i, c := range b {
		if c >= 0x80 {
			b[i] = '?'
		}
	}
	return b
}

// ASCII returns s in 7-bit ASCII: ASCII passes as it is, Latin letters lose
// their diacritics (é → e, ü → u, ł → l) or are spelled out (ß → ss,
// æ → ae, þ → th), typographic punctuation becomes its ASCII form (– — → -,
// ‘ ’ → ', “ ” „ → ", … → ...), combining marks and zero-width characters
// go, and anything else (and invalid UTF-8) becomes '?'.
func ASCII(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r >= 0xC0 && r <= 0xFF:
			b.WriteString(latin1[r-0xC0])
		case r >= 0x100 && r <= 0x17F:
			b.WriteString(latinExtA[r-0x100])
		case r >= 0x300 && r <= 0x36F, r == 0x200B, r == 0x200C, r == 0x200D, r == 0x2060, r == 0xFEFF, r == 0xAD:
			// combining diacritics (decomposed text), zero-width, soft hyphen
		default:
			if t, ok := asciiPunct[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

// latin1 spells U+00C0–U+00FF.
var latin1 = [64]string{
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I", // À–Ï
	"D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "TH", "ss", // Ð–ß
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // à–ï
	"d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y", // ð–ÿ
}

// latinExtA spells U+0100–U+017F (Latin Extended-A: Central European,
// Baltic, Turkish, Maltese letters).
var latinExtA = [128]string{
	"A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d", // Ā–ď
	"D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g", // Đ–ğ
	"G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i", // Ġ–į
	"I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L", // İ–Ŀ
	"l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o", // ŀ–ŏ
	"O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s", // Ő–ş
	"S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u", // Š–ů
	"U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s", // Ű–ſ
}

// asciiPunct spells the punctuation and symbols alarm texts carry.
var asciiPunct = map[rune]string{
	0xA0: " ", 0xA1: "!", 0xA9: "(c)", 0xAB: `"`, 0xAE: "(R)", 0xB4: "'", 0xB7: ".", 0xBB: `"`, 0xBF: "?",
	0x0218: "S", 0x0219: "s", 0x021A: "T", 0x021B: "t", // Romanian comma-below letters
	0x2002: " ", 0x2003: " ", 0x2009: " ", 0x202F: " ",
	0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-",
	0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'", 0x2032: "'", 0x2039: "<",
	0x201C: `"`, 0x201D: `"`, 0x201E: `"`, 0x201F: `"`, 0x2033: `"`, 0x203A: ">",
	0x2022: "*", 0x2026: "...", 0x20AC: "EUR", 0x2122: "TM",
}
