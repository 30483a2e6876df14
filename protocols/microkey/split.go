package microkey

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

const (
	declOpen  = "<?xml"
	rootOpen  = "<Signals"
	rootClose = "</Signals>"
	sumOpen   = "<Checksum>"
	sumClose  = "</Checksum>"
	// sumSpan bounds what follows </Signals> on the package's line: spaces,
	// then <Checksum>hhhh</Checksum>.
	sumSpan = 32
)

// isPad reports the bytes senders put around packages: the LF before and
// the CR after (the emulator's replies have them the other way round,
// CR…LF [S6]), NULs and blanks. Split skips them on their own, so the
// receiver does not count them as garbage.
func isPad(b byte) bool { return b == '\n' || b == '\r' || b == 0 || b == ' ' || b == '\t' }

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// Split frames a TCP stream into packages [automation-research.md §2.2,
// §3.4]: LF, an optional XML declaration, <Signals …>…</Signals>, then
// <Checksum>hhhh</Checksum>, then CR. A frame runs from "<?xml" or
// "<Signals" to the end of </Checksum>, or to </Signals> when no checksum
// follows on the same line; the LF and CR around it are skipped as
// padding, so a missing or swapped LF/CR changes nothing. Bytes before a
// package are skipped; a package cut short by the start of another is
// dropped and framing resumes at the new one. A candidate over the size
// cap is dropped when it is complete or another start follows, else Split
// fails with ErrFrameTooLong.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
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
	s, hold := findStart(data, 0)
	switch {
	case s > 0:
		return s, nil, nil
	case s < 0 && (atEOF || hold > 0):
		// Garbage; keep only a tail that may begin a package.
		if atEOF {
			return len(data), nil, nil
		}
		return hold, nil, nil
	case s < 0:
		return 0, nil, nil
	}
	root := 0
	if bytes.HasPrefix(data, []byte(declOpen)) {
		r, hold := findStart(data, 1)
		switch {
		case r > 0 && data[r+1] == '?':
			return r, nil, nil // a second declaration: the first was garbage
		case r > 0:
			root = r
		default:
			// Only a second declaration resynchronises here: a
			// "<Signals" still forming is this package's own root, and
			// past the cap the package is over it whatever follows, so
			// it must not be taken for a package of its own.
			if !bytes.HasPrefix(data[hold:], []byte("<?")) {
				hold = len(data)
			}
			return c.wait(data, atEOF, hold)
		}
	}
	e := bytes.Index(data[root:], []byte(rootClose))
	next, hold := findStart(data, root+1)
	if next > 0 && (e < 0 || root+e > next) {
		return next, nil, nil // cut short by another package
	}
	if e < 0 {
		return c.wait(data, atEOF, hold)
	}
	end := root + e + len(rootClose)
	if end > c.max {
		return end, nil, nil // complete but over the cap: dropped
	}
	return c.tail(data, end, atEOF)
}

// wait is Split's answer while a package is incomplete: more data, or the
// end of the stream, or a refusal past the cap when nothing in the buffer
// can start another package.
func (c *Codec) wait(data []byte, atEOF bool, hold int) (int, []byte, error) {
	switch {
	case atEOF:
		return len(data), nil, nil
	case len(data) <= c.max:
		return 0, nil, nil
	case hold > 0 && hold < len(data):
		return hold, nil, nil
	}
	return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
}

// tail decides where the package ending at data[:end] (just after
// </Signals>) stops: after a <Checksum> element on the same line, or at
// end. A <Checksum> that does not close on its line stays in the frame for
// Decode to refuse.
func (c *Codec) tail(data []byte, end int, atEOF bool) (int, []byte, error) {
	p := end
	for p < len(data) && p-end < sumSpan && (data[p] == ' ' || data[p] == '\t') {
		p++
	}
	if p-end >= sumSpan {
		return end, data[:end:end], nil
	}
	if p == len(data) {
		if atEOF {
			return end, data[:end:end], nil
		}
		return 0, nil, nil
	}
	rest := data[p:]
	if len(rest) < len(sumOpen) && bytes.HasPrefix([]byte(sumOpen), rest) {
		if atEOF {
			return end, data[:end:end], nil
		}
		return 0, nil, nil
	}
	if !bytes.HasPrefix(rest, []byte(sumOpen)) {
		return end, data[:end:end], nil
	}
	q := p + len(sumOpen)
	for i := q; ; i++ {
		if i == len(data) {
			if atEOF {
				return i, data[:i:i], nil
			}
			return 0, nil, nil
		}
		if i-q >= sumSpan || data[i] == '\r' || data[i] == '\n' {
			return i, data[:i:i], nil
		}
		if data[i] != '<' {
			continue
		}
		r := data[i:]
		switch {
		case bytes.HasPrefix(r, []byte(sumClose)):
			fe := i + len(sumClose)
			return fe, data[:fe:fe], nil
		case len(r) < len(sumClose) && bytes.HasPrefix([]byte(sumClose), r):
			if atEOF {
				return len(data), data[:len(data):len(data)], nil
			}
			return 0, nil, nil
		}
		return i, data[:i:i], nil
	}
}

// findStart returns the index at or after from of the first "<?xml " or
// "<Signals" followed by a blank, '>' or '/', or -1 and hold: the index of
// a tail that may still become one (len(data) when none).
func findStart(data []byte, from int) (start, hold int) {
	for i := from; i < len(data); {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		p := i + j
		rest := data[p:]
		if n := len(declOpen); len(rest) > n && bytes.HasPrefix(rest, []byte(declOpen)) && isBlank(rest[n]) {
			return p, p
		}
		if n := len(rootOpen); len(rest) > n && bytes.HasPrefix(rest, []byte(rootOpen)) &&
			(isBlank(rest[n]) || rest[n] == '>' || rest[n] == '/') {
			return p, p
		}
		if len(rest) <= len(rootOpen) && (bytes.HasPrefix([]byte(declOpen+" "), rest) || bytes.HasPrefix([]byte(rootOpen), rest)) {
			return -1, p
		}
		i = p + 1
	}
	return -1, len(data)
}
