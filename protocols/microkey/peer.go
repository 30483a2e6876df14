package microkey

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// MaxReplyBytes caps one reply SplitReply frames: a Response is about a
// hundred bytes [S6].
const MaxReplyBytes = 4096

// ErrReply: a reply is not a Response with an ACK or NAK Status. Reason
// syntax (malformed) or token (a Status we do not know).
var ErrReply = errors.New("microkey: not a Response")

const (
	respOpen  = "<Response"
	respClose = "</Response>"
	// maxReplyText caps the Error text PeerReply.Text keeps for the log.
	maxReplyText = 200
)

// replyFramer reuses Split's checksum-tail logic for replies.
var replyFramer = &Codec{max: MaxReplyBytes}

// SplitReply frames the receiver's replies on the TCP stream as the
// emulator writes them [S6]: CR <Response>…</Response><Checksum>hhhh</Checksum> LF.
// A frame runs from "<Response" to the end of </Checksum>, or to
// </Response> when no checksum follows on the same line; CR, LF, NUL and
// blanks around it are skipped, so a missing or swapped CR/LF changes
// nothing. Anything before "<Response" (garbage, an XML declaration) is
// skipped; a reply cut short by the start of another is dropped and
// framing resumes at the new one. A complete reply over MaxReplyBytes is
// dropped; an incomplete one past it, with no other start in the buffer,
// fails with ErrFrameTooLong.
func SplitReply(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	if len(data) == 0 {
		return 0, nil, nil
	}
	if isPad(data[0]) {
		n := 1
		for n < len(data) && isPad(data[n]) {
			n++
		}
		return n, nil, nil
	}
	s, hold := findResponse(data, 0)
	switch {
	case s > 0:
		return s, nil, nil
	case s < 0 && atEOF:
		return len(data), nil, nil
	case s < 0 && hold > 0:
		return hold, nil, nil
	case s < 0:
		return 0, nil, nil
	}
	e := bytes.Index(data, []byte(respClose))
	next, hold := findResponse(data, 1)
	if next > 0 && (e < 0 || e > next) {
		return next, nil, nil
	}
	if e < 0 {
		return replyFramer.wait(data, atEOF, hold)
	}
	end := e + len(respClose)
	if end > MaxReplyBytes {
		return end, nil, nil
	}
	return replyFramer.tail(data, end, atEOF)
}

// findResponse returns the index at or after from of the first
// "<Response" followed by a blank, '>' or '/', or -1 and hold: the index
// of a tail that may still become one (len(data) when none).
func findResponse(data []byte, from int) (start, hold int) {
	for i := from; i < len(data); {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		p := i + j
		rest := data[p:]
		if n := len(respOpen); len(rest) > n && bytes.HasPrefix(rest, []byte(respOpen)) &&
			(isBlank(rest[n]) || rest[n] == '>' || rest[n] == '/') {
			return p, p
		}
		if len(rest) <= len(respOpen) && bytes.HasPrefix([]byte(respOpen), rest) {
			return -1, p
		}
		i = p + 1
	}
	return -1, len(data)
}

// ParseReply reads one reply SplitReply framed [S6]:
//
//	<Response><Sequence>s</Sequence><Status>ACK</Status></Response><Checksum>hhhh</Checksum>
//	<Response><Sequence>s</Sequence><Status>NAK</Status><Error>text</Error></Response><Checksum>hhhh</Checksum>
//
// Seq is the echoed Sequence; OK is Status ACK. A NAK is to be resent
// (Retry), as "smarter senders resend a NAK'd package" [S27], unless its
// Error says the data is invalid ("alert a human if the NAK was for
// invalid data" [S27]): the Error texts of our own Reply other than "Not
// stored, resend" (InvalidDataText). Text is "ACK", or "NAK" and the Error
// text. The checksum is not verified (its algorithm is unknown); an XML
// declaration and blanks are tolerated, as Decode tolerates them. Status
// and the element names are matched as the emulator writes them; Status
// is case-insensitive.
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	if len(frame) > MaxReplyBytes+len(sumOpen)+sumSpan+len(sumClose) {
		return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong,
			"reply of %d bytes, limit %d", len(frame), MaxReplyBytes)
	}
	body := bytes.Trim(frame, "\r\n\x00 \t")
	if i := bytes.LastIndex(body, []byte(respClose)); i >= 0 {
		body = body[:i+len(respClose)] // the checksum: not verified
	}
	var seq, status, text string
	var haveStatus bool
	err := parseResponse(body, func(name, value string) {
		switch name {
		case "Sequence":
			seq = cut(value, 64)
		case "Status":
			status, haveStatus = value, true
		case "Error":
			text = value
		}
	})
	if err != nil {
		return protocols.PeerReply{Seq: seq}, err
	}
	text = strings.Join(strings.Fields(short2(text)), " ")
	switch {
	case !haveStatus:
		return protocols.PeerReply{Seq: seq}, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrReply, "no <Status>")
	case strings.EqualFold(status, "ACK"):
		return protocols.PeerReply{Seq: seq, OK: true, Text: "ACK"}, nil
	case strings.EqualFold(status, "NAK"):
		r := protocols.PeerReply{Seq: seq, Retry: !InvalidDataText(text), Text: "NAK"}
		if text != "" {
			r.Text = "NAK: " + text
		}
		return r, nil
	}
	return protocols.PeerReply{Seq: seq}, protocols.Rejectf(Name, protocols.ReasonToken, ErrReply,
		"Status %q is neither ACK nor NAK", clip([]byte(status), 40))
}

// invalidData are the NAK texts that say the package itself is wrong:
// every text Reply writes except textNotStored (and the generic
// textUnknownReason, which says nothing either way).
var invalidData = []string{
	textInvalidXML, textChecksum, textCount, textNoSequence, textNoCount, textNoAccount, textNoCode,
	textBadSequence, textBadCount, textTooMany, textBadAccount, textBadCode, textBadField, textBadURL, textTooLong,
}

// InvalidDataText reports whether a NAK's Error text says the package's
// data is invalid, so that sending it again cannot mend it: one of the
// texts our Reply writes for a refusal (compared case-insensitively).
// "Not stored, resend", an empty text and texts we do not know are to be
// resent [S27].
func InvalidDataText(text string) bool {
	text = strings.TrimSpace(text)
	for _, t := range invalidData {
		if strings.EqualFold(text, t) {
			return true
		}
	}
	return false
}

// short2 drops control characters and cuts a reply text for the log.
func short2(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return cut(s, maxReplyText)
}

// parseResponse reads a <Response> document, refusing directives (as
// Decode does), and reports each child element's trimmed text.
func parseResponse(doc []byte, field func(name, value string)) error {
	doc, _ = transcode(doc)
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		r, _, err := charsetReader(label, in)
		return r, err
	}
	t := tokens{d}
	seenRoot := false
	bad := func(detail string, args ...any) error {
		return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrReply, detail, args...)
	}
	for {
		tok, err := t.next()
		if err == io.EOF {
			if !seenRoot {
				return bad("no <Response> element")
			}
			return nil
		}
		if err != nil {
			return bad("XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return bad("text outside <Response>")
			}
		case xml.StartElement:
			if seenRoot {
				return bad("content after </Response>")
			}
			if tok.Name.Local != "Response" {
				return bad("root element <%s>, want <Response>", clip([]byte(tok.Name.Local), 40))
			}
			seenRoot = true
			if err := readChildren(t, field); err != nil {
				var ne *nakError
				if errors.As(err, &ne) {
					return bad("%s", ne.detail)
				}
				return bad("XML: %v", err)
			}
		}
	}
}

// readChildren reads the children of <Response> up to its end; an element
// nested in a child is refused, as in a package.
func readChildren(t tokens, field func(name, value string)) error {
	n := 0
	for {
		tok, err := t.next()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if n++; n > MaxFields {
				return errors.New("too many elements in <Response>")
			}
			v, err := text(t, tok)
			if err != nil {
				return err
			}
			field(tok.Name.Local, v)
		}
	}
}
