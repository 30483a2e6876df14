package xmlsignal

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

var (
	replyOpen  = []byte("<AlarmResponse")
	replyClose = []byte("</AlarmResponse>")
	xmlDecl    = []byte("<?xml")
)

// maxDecl bounds an XML declaration and the white space after it: past
// it, what began like one is garbage.
const maxDecl = 256

// SplitReply frames the AlarmResponse replies of a native TCP listener
// (the bufio.SplitFunc contract): a frame is an optional XML declaration,
// white space, then <AlarmResponse …> up to and including the first
// </AlarmResponse>, as Answer writes it. Anything before a frame (line
// ends, garbage, an STX) is skipped, and what could still become the start
// of a frame is kept, so feeding the stream whole or cut anywhere gives the
// same frames. A reply longer than MaxReplyBytes is skipped to the next
// possible start in data; with none, SplitReply returns an error wrapping
// protocols.ErrFrameTooLong (reason ReasonTooLong).
func SplitReply(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	p, root, state := next(data, 0)
	switch state {
	case none:
		return len(data), nil, nil
	case maybe:
		if atEOF {
			return len(data), nil, nil
		}
		return p, nil, nil
	}
	if i := bytes.Index(data[root:], replyClose); i >= 0 {
		end := root + i + len(replyClose)
		if end-p <= MaxReplyBytes {
			return end, data[p:end], nil
		}
	} else if len(data)-p <= MaxReplyBytes {
		if atEOF {
			return len(data), nil, nil // a cut reply at the end: nothing to frame
		}
		return p, nil, nil
	}
	// Too long: resynchronise at the next possible start.
	if q, _, st := next(data, p+1); st != none {
		return q, nil, nil
	}
	return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
}

type startState int

const (
	none  startState = iota // no frame can start in data[from:]
	maybe                   // one may start at p, given more data
	found                   // one starts at p, its root element at root
)

// next finds the first '<' at or after from where a reply starts or may
// start.
func next(data []byte, from int) (p, root int, state startState) {
	for p = from; p < len(data); p++ {
		if data[p] != '<' {
			continue
		}
		if root, state = startAt(data, p); state != none {
			return p, root, state
		}
	}
	return len(data), 0, none
}

// startAt classifies data[p:], which begins with '<'.
func startAt(data []byte, p int) (int, startState) {
	s := data[p:]
	if !bytes.HasPrefix(s, xmlDecl) {
		if len(s) < len(xmlDecl) && bytes.HasPrefix(xmlDecl, s) {
			return 0, maybe // "<?x" may be a declaration, "<" also a root
		}
		return rootAt(data, p)
	}
	end := bytes.Index(s[:min(len(s), maxDecl)], []byte("?>"))
	if end < 0 {
		if len(s) < maxDecl {
			return 0, maybe
		}
		return 0, none
	}
	r := p + end + 2
	for r < len(data) && r-p < maxDecl && isSpace(data[r]) {
		r++
	}
	if r-p >= maxDecl {
		return 0, none
	}
	if r == len(data) {
		return 0, maybe
	}
	return rootAt(data, r)
}

// rootAt classifies data[r:] as the start of <AlarmResponse.
func rootAt(data []byte, r int) (int, startState) {
	s := data[r:]
	if len(s) <= len(replyOpen) {
		if bytes.HasPrefix(replyOpen, s) {
			return r, maybe
		}
		return 0, none
	}
	if !bytes.HasPrefix(s, replyOpen) {
		return 0, none
	}
	switch s[len(replyOpen)] {
	case '>', '/', ' ', '\t', '\r', '\n':
		return r, found
	}
	return 0, none
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// reply is an AlarmResponse as ParseReply reads it: the namespace may be
// missing, the code is checked by hand so that a reply without one is not
// read as code 0.
type reply struct {
	Sequence string `xml:"Sequence"`
	Status   *struct {
		Code *string `xml:"code,attr"`
		Text string  `xml:",chardata"`
	} `xml:"Status"`
}

// ParseReply reads one AlarmResponse as SplitReply frames it (at most
// MaxReplyBytes; encoding/xml strict, UTF-8, no directive, the root
// AlarmResponse in namespace urn:alarmrx:signal:1 or none, nothing but
// white space after it):
//
//	Sequence           → Seq, space trimmed ("" when absent)
//	Status/@code       → OK for 0 (OK) and 10 (DUPLICATE: the message was
//	                     stored before); Retry for 5 (NOT_TREATED: the
//	                     receiver could not store it), 98 (SERVER_ERROR),
//	                     101 (TOO_FREQUENT) and any code this package does
//	                     not know; no Retry for 1, 2, 3, 4 and 7, refusals
//	                     that the same bytes sent again cannot mend
//	Status text        → Text "<code> <text>", for the log (a reply
//	                     carries no secret)
//
// A reply without a Status code, or one that is not an integer, is an
// error (a *protocols.FrameError wrapping ErrInvalid or ErrMissing).
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	if len(frame) > MaxReplyBytes {
		return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong,
			"reply of %d bytes, limit %d", len(frame), MaxReplyBytes)
	}
	dec := xml.NewDecoder(bytes.NewReader(frame))
	dec.Strict = true
	var r reply
	for {
		tok, err := dec.Token()
		if err != nil {
			return protocols.PeerReply{}, reject(ErrInvalid, "reply: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return protocols.PeerReply{}, reject(ErrInvalid, "reply: directive refused")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return protocols.PeerReply{}, reject(ErrInvalid, "reply: text before the root")
			}
			continue
		case xml.StartElement:
			if t.Name.Local != "AlarmResponse" || t.Name.Space != Namespace && t.Name.Space != "" {
				return protocols.PeerReply{}, reject(ErrInvalid, "reply: root is not AlarmResponse")
			}
			if err := dec.DecodeElement(&r, &t); err != nil {
				return protocols.PeerReply{}, reject(ErrInvalid, "reply: %v", err)
			}
		default: // the declaration, comments
			continue
		}
		break
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if cd, ok := tok.(xml.CharData); err != nil || !ok || len(bytes.TrimSpace(cd)) > 0 {
			return protocols.PeerReply{}, reject(ErrInvalid, "reply: content after the root")
		}
	}
	if r.Status == nil || r.Status.Code == nil {
		return protocols.PeerReply{}, reject(ErrMissing, "reply: no Status code")
	}
	code, err := strconv.Atoi(strings.TrimSpace(*r.Status.Code))
	if err != nil {
		return protocols.PeerReply{}, reject(ErrInvalid, "reply: Status code %q is not an integer", clip(*r.Status.Code))
	}
	out := protocols.PeerReply{Seq: strings.TrimSpace(r.Sequence), Text: strconv.Itoa(code)}
	if t := logText(r.Status.Text); t != "" {
		out.Text += " " + t
	}
	switch code {
	case CodeOK, CodeDuplicate:
		out.OK = true
	case CodeInvalidLength, CodeInvalidXML, CodeWrongContent, CodeNotAuthorized, CodeMissing:
	default: // CodeNotTreated, CodeServerError, CodeTooFrequent, unknown
		out.Retry = true
	}
	return out, nil
}

// logText is a status text fit for a log line: printable, one line, at
// most 64 bytes.
func logText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(strings.TrimSpace(s), ""))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 64 {
		cut := 64
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut]
	}
	return s
}
