package sos

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

// Root elements of the requests a transmitter sends [S7].
const (
	rootAlarm   = "alarmrequest"
	rootPing    = "pingrequest"
	rootNewAuth = "requestnewauthentication"
)

var roots = []string{rootAlarm, rootPing, rootNewAuth}

// Split frames a TCP stream (bufio.SplitFunc). A message starts at its XML
// header "<?xml" (or, when the header is missing, at the start tag of a
// request root, so that it can be answered StatusXMLHeader) and ends after
// the closing tag of its root: </alarmrequest>, </pingrequest> or
// </requestnewauthentication> [S7: one XML document per message; I: the
// source defines no delimiter, the closing tag is the only end there is].
// White space, CR, LF and NUL between messages are consumed with the
// message that follows.
//
// Resynchronisation: bytes before a start marker are returned as a skipped
// run (advance, nil frame). A new start marker (a second XML header, or a
// second root start tag) before the end of the current message abandons
// the current one as skipped: a sender that lost its connection mid-message
// and starts over is then answered for the message it repeats, rather than
// refused for the concatenation (I).
//
// Only the first MaxFrameBytes of a candidate decide: a message must end
// within them, so that the stream fed whole or cut anywhere gives the same
// frames. Past them without an end or a new marker Split returns
// ReasonTooLong with protocols.ErrFrameTooLong: it cannot resynchronise.
// A document with another root has no end Split knows: it is skipped when
// the next message starts (Decode, given one, answers it INVALID_XML).
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	return split(data, atEOF, c.max, roots)
}

// split frames a stream of XML documents whose roots are one of names, a
// candidate frame capped at max bytes (Split for requests, SplitReply for
// responses).
func split(data []byte, atEOF bool, max int, names []string) (advance int, frame []byte, err error) {
	p := 0
	for p < len(data) && isSpaceOrNUL(data[p]) {
		p++
	}
	if p == len(data) {
		return len(data), nil, nil // only padding: consume it
	}
	switch marker(data[p:], names) {
	case markPartial:
		if atEOF {
			return len(data), nil, nil
		}
		return 0, nil, nil
	case markNone:
		// Garbage: skip to the next '<' that may start a message.
		if i := bytes.IndexByte(data[p+1:], '<'); i >= 0 {
			return p + 1 + i, nil, nil
		}
		return len(data), nil, nil
	}
	window := data[p:]
	if len(window) > max {
		window = window[:max]
	}
	seenRoot := marker(window, names) == markRoot
	for i := 1; i < len(window); {
		j := bytes.IndexByte(window[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if n := endTag(window[i:], names); n > 0 {
			return p + i + n, data[p : p+i+n], nil
		}
		switch m := marker(window[i:], names); {
		case m == markDecl || m == markRoot && seenRoot:
			return p + i, nil, nil // abandoned: a new message starts here
		case m == markRoot:
			seenRoot = true
		}
		i++
	}
	if len(data)-p > max {
		return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	}
	if atEOF {
		return len(data), nil, nil // a message cut by the end of the stream
	}
	return 0, nil, nil
}

func isSpaceOrNUL(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0 }

type mark uint8

const (
	markNone    mark = iota
	markPartial      // the bytes so far may still become a marker
	markDecl         // "<?xml" followed by white space or "?"
	markRoot         // "<alarmrequest" (or another root) followed by white space, ">" or "/"
)

// marker reads the start of b, which begins with '<' when it is a
// marker: an XML header or the start tag of one of the roots names. Letter
// case is ignored, so that a wrong-case header is answered StatusXMLHeader
// instead of skipped.
func marker(b []byte, names []string) mark {
	if len(b) == 0 || b[0] != '<' {
		return markNone
	}
	rest := b[1:]
	partial := false
	if m, part := markerName(rest, "?xml"); m != markNone {
		return m
	} else if part {
		partial = true
	}
	for _, name := range names {
		if m, part := markerName(rest, name); m != markNone {
			return m
		} else if part {
			partial = true
		}
	}
	if partial {
		return markPartial
	}
	return markNone
}

// markerName reads rest (b after its '<') for the marker of one name: the
// mark when it is complete, else whether rest may still become it.
func markerName(rest []byte, name string) (m mark, partial bool) {
	if len(rest) <= len(name) {
		return markNone, isFoldPrefixOf(rest, name)
	}
	if !hasFoldPrefix(rest, name) {
		return markNone, false
	}
	next := rest[len(name)]
	switch {
	case name == "?xml" && (isXMLSpace(next) || next == '?'):
		return markDecl, false
	case name != "?xml" && (isXMLSpace(next) || next == '>' || next == '/'):
		return markRoot, false
	}
	return markNone, false
}

// endTag returns the length of the closing tag of one of the roots names
// at the start of b ("</alarmrequest>", white space allowed before ">"), 0
// when there is none (or not all of it yet).
func endTag(b []byte, names []string) int {
	if len(b) < 2 || b[0] != '<' || b[1] != '/' {
		return 0
	}
	for _, name := range names {
		rest := b[2:]
		if len(rest) <= len(name) || !hasFoldPrefix(rest, name) {
			continue
		}
		k := 2 + len(name)
		for k < len(b) && isXMLSpace(b[k]) {
			k++
		}
		if k < len(b) && b[k] == '>' {
			return k + 1
		}
	}
	return 0
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// hasFoldPrefix reports whether b starts with w in any ASCII letter case.
func hasFoldPrefix(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		x, y := b[i], w[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// isFoldPrefixOf reports whether b is the start of w in any ASCII letter
// case.
func isFoldPrefixOf(b []byte, w string) bool {
	return len(b) <= len(w) && hasFoldPrefix(b, w[:len(b)])
}
