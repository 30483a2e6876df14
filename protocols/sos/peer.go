package sos

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
)

// MaxReplyBytes caps a response SplitReply frames: the source's responses
// have four short elements [S7]; 4 KiB is ample (I).
const MaxReplyBytes = 4096

// Response roots the sending side reads [S7].
const (
	rootAlarmResponse = "alarmresponse"
	rootPingResponse  = "pingresponse"
	// rootNewAuthResponse is framed, so that it is skipped whole, but
	// never read: it carries a new password.
	rootNewAuthResponse = "requestnewauthenticationresponse"
)

var responseRoots = []string{rootAlarmResponse, rootPingResponse, rootNewAuthResponse}

// SplitReply frames the receiver's responses on the TCP stream
// (bufio.SplitFunc), as Split frames requests: a response starts at its
// XML header (or its root's start tag) and ends after the closing tag of
// its root, </alarmresponse> or </pingresponse> [S7; I: the closing tag is
// the only end there is]. Bytes before a start are skipped, a response
// abandoned by a new start is skipped, and a candidate longer than
// MaxReplyBytes without an end is refused with protocols.ErrFrameTooLong
// (ReasonTooLong).
func SplitReply(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	return split(data, atEOF, MaxReplyBytes, responseRoots)
}

// ParseReply reads one response that SplitReply framed: an alarmresponse
// or a pingresponse [S7 "Alarm Response", "Ping Response"]. Seq is its
// <reference> ("" when none), Text "<status> <info>" (the info as sent,
// shortened, or the protocol's own when none was sent). By status [S7
// "Response Codes"; automation-research.md §2.8 for the sender's action]:
//
//	0 OK, 10 DUPLICATED_ALARM ("treat as delivered")        OK
//	5 NOT_TREATED_NOT_DISTRIBUTED ("use failover address"),
//	98 SERVER_ERROR, 99 OTHER_ERROR ("send to failover"),
//	101 PING_TO_OFTEN                                       Retry
//	1, 2, 3, 4, 7, 9, 100, 6 (the source's NOT_AUTHORIZED
//	example) and any status the source does not define      neither
//
// An unknown status is not retried (I): stop-and-wait would send a
// refused message for ever, holding back every signal behind it.
//
// A response that is not well-formed, declares a DTD, has another root
// (a requestnewauthenticationresponse, which is never read: it holds a
// password) or lacks a numeric <status> is an error: a *protocols.FrameError
// wrapping ErrSyntax, ErrHeader, ErrUnknownType or ErrMissing.
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	var out protocols.PeerReply
	if len(frame) > MaxReplyBytes {
		return out, rejectf(protocols.ReasonTooLong, ErrTooLong, "response of %d bytes, limit %d", len(frame), MaxReplyBytes)
	}
	body := bytes.TrimPrefix(bytes.TrimLeft(frame, " \t\r\n\x00"), []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(body, []byte("<?xml")) {
		cs, err := header(body)
		if err != nil {
			return out, err
		}
		if cs == charsetNone && !utf8.Valid(body) {
			end := bytes.Index(body, []byte("?>")) + 2
			body = append(append([]byte{}, body[:end]...), cp1252ToUTF8(body[end:])...)
		}
	} else if !utf8.Valid(body) {
		// No header (tolerated in a response, I): the protocol's
		// ISO-8859-1.
		body = cp1252ToUTF8(body)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	dec.CharsetReader = charsetReader
	var (
		status, info string
		hasStatus    bool
		hasRoot      bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return out, rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return out, rejectf(protocols.ReasonSyntax, ErrSyntax, "text outside the root element")
			}
		case xml.StartElement:
			if hasRoot {
				return out, rejectf(protocols.ReasonSyntax, ErrSyntax, "content after the root element")
			}
			hasRoot = true
			switch root := strings.ToLower(t.Name.Local); root {
			case rootAlarmResponse, rootPingResponse:
			default:
				return out, rejectf(protocols.ReasonToken, ErrUnknownType, "root element <%s>: alarmresponse or pingresponse", shortName(t.Name.Local))
			}
			for done := false; !done; {
				tok, err := dec.Token()
				if err != nil {
					if err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return out, syntaxErr(err)
				}
				switch t := tok.(type) {
				case xml.EndElement:
					done = true
				case xml.Directive:
					return out, rejectf(protocols.ReasonSyntax, ErrSyntax, "a DTD or other <!…> declaration is refused")
				case xml.StartElement:
					text, _, err := readElement(dec, false)
					if err != nil {
						return out, err
					}
					text = strings.TrimSpace(text)
					switch strings.ToLower(t.Name.Local) {
					case "reference":
						if out.Seq == "" {
							out.Seq = text
						}
					case "status":
						if !hasStatus {
							status, hasStatus = text, true
						}
					case "info":
						if info == "" {
							info = text
						}
					}
				}
			}
		}
	}
	if !hasRoot {
		return out, rejectf(protocols.ReasonSyntax, ErrSyntax, "no root element")
	}
	n, err := strconv.Atoi(status)
	if !hasStatus || err != nil || n < 0 {
		return out, rejectf(protocols.ReasonSyntax, ErrMissing, "response without a numeric <status> (%s)", quote(status))
	}
	if info = printableInfo(info); info == "" {
		info = StatusInfo(n)
	}
	out.Text = strings.TrimSpace(strconv.Itoa(n) + " " + info)
	switch n {
	case StatusOK, StatusDuplicatedAlarm:
		out.OK = true
	case StatusNotTreated, StatusServerError, StatusOtherError, StatusPingTooOften:
		out.Retry = true
	}
	return out, nil
}

// printableInfo keeps an <info> text for the log: printable characters,
// at most 64.
func printableInfo(s string) string {
	var sb strings.Builder
	n := 0
	for _, r := range s {
		if n == 64 {
			sb.WriteString("…")
			break
		}
		if r < ' ' || r == 0x7F || r >= 0x80 && r < 0xA0 {
			r = ' '
		}
		sb.WriteRune(r)
		n++
	}
	return strings.TrimSpace(sb.String())
}
