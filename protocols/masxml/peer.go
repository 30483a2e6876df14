package masxml

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// MaxReplyBytes caps one AckNakClass reply on the sending side: the
// evidence's reply is under 200 bytes [automation-research.md §2.3].
const MaxReplyBytes = 4096

// maxResultText bounds the ResultText kept for the log.
const maxResultText = 200

var (
	replyOpen = []byte("<AckNakClass")
	replyEnd  = []byte("</AckNakClass>")
)

// SplitReply frames the replies of a MASXML receiver on the TCP stream; it
// has the contract of bufio.SplitFunc. A reply is an optional XML
// declaration, then <AckNakClass …> up to and including the first
// </AckNakClass> (O: the reply layout [automation-research.md §2.3]; framed
// by its closing tag as requests are, I). It resynchronises and is
// resumable as Split is; a reply longer than MaxReplyBytes is skipped to
// the next declaration or AckNakClass in data, and with none SplitReply
// returns an error wrapping protocols.ErrFrameTooLong (reason
// ReasonTooLong).
func SplitReply(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	return framer{replyOpen, replyEnd, MaxReplyBytes}.split(data, atEOF)
}

// ParseReply reads one AckNakClass as SplitReply frames it, with the rules
// Decode applies to a request (encoding/xml strict, no directive, UTF-8,
// ISO-8859-1 or Windows-1252, element names in any case, unknown elements
// skipped, nothing after the root):
//
//	MessageSequenceNo  → Seq, as received (space trimmed)
//	ResultCode         → OK for 0 (O); Retry (I, our table in the package comment)
//	ResultText         → Text "<code> <text>", for the log
//
// ResultCode 0 is accepted (O: the only code known); 10 is "not stored"
// and is sent again; 1 (poorly formed) and 9 (invalid) are refusals that
// sending the same bytes again cannot mend (Retry false); any other code
// is unknown and is sent again (Retry true), as a sender that knows only
// "0 is accepted" does. A reply without a ResultCode, or one that is not
// an integer, is an error (a *protocols.FrameError wrapping ErrSyntax,
// ErrMissing or ErrWrongContent).
func ParseReply(frame []byte) (protocols.PeerReply, error) {
	if len(frame) > MaxReplyBytes {
		return protocols.PeerReply{}, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong,
			"reply of %d bytes, limit %d", len(frame), MaxReplyBytes)
	}
	p := &parser{dec: xml.NewDecoder(bytes.NewReader(frame))}
	p.dec.Strict = true
	p.dec.CharsetReader = charsetReader
	root, err := p.prolog()
	if err != nil {
		return protocols.PeerReply{}, err
	}
	if root.Name.Local != "AckNakClass" {
		return protocols.PeerReply{}, syntaxf("reply root element <%s>: want AckNakClass", clip(root.Name.Local))
	}
	var seq, code, text string
	var seenSeq, seenCode, seenText bool
	for done := false; !done; {
		t, err := p.token()
		if err != nil {
			return protocols.PeerReply{}, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			done = true
		case xml.StartElement:
			n := t.Name.Local
			switch {
			case strings.EqualFold(n, "MessageSequenceNo"):
				err = p.header(n, &seenSeq, &seq)
			case strings.EqualFold(n, "ResultCode"):
				err = p.header(n, &seenCode, &code)
			case strings.EqualFold(n, "ResultText"):
				if seenText {
					err = wrongf("<%s> given twice", n)
				}
				seenText = true
				if err == nil {
					text, err = p.text(n, MaxText)
				}
			default:
				err = p.skip()
			}
			if err != nil {
				return protocols.PeerReply{}, err
			}
		}
	}
	if err := p.epilogue(); err != nil {
		return protocols.PeerReply{}, err
	}
	if code == "" {
		return protocols.PeerReply{}, missingf("reply without a ResultCode")
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return protocols.PeerReply{}, wrongf("ResultCode %q is not an integer", clip(code))
	}
	r := protocols.PeerReply{Seq: seq, Text: resultLog(code, text)}
	switch n {
	case CodeOK:
		r.OK = true
	case CodePoorlyFormed, CodeInvalid:
	default: // CodeNotStored, and any code we do not know
		r.Retry = true
	}
	return r, nil
}

// resultLog is "<code> <text>" with the text cut and reduced to printable
// characters, so a reply cannot put line ends or escapes in the log.
func resultLog(code, text string) string {
	text = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7F || r >= 0x80 && r < 0xA0 || r == 0xFFFD {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, " "))
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > maxResultText {
		cut := maxResultText
		for cut > 0 && text[cut]&0xC0 == 0x80 {
			cut--
		}
		text = text[:cut] + "…"
	}
	if text == "" {
		return code
	}
	return code + " " + text
}
