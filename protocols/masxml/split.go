package masxml

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

var (
	declOpen = []byte("<?xml")
	rootOpen = []byte("<XMLMessageClass")
	rootEnd  = []byte("</XMLMessageClass>")
)

// framer frames a stream of XML documents with one root name: the
// requests (XMLMessageClass, Split) and the replies (AckNakClass,
// SplitReply) are framed alike.
type framer struct {
	open, end []byte // "<Root" and "</Root>"
	max       int
}

// maxDecl bounds an XML declaration: `<?xml version="1.0"
// encoding="windows-1252" standalone="yes"?>` is 62 bytes.
const maxDecl = 128

// isSeparator reports the bytes skipped between messages: white space, and
// the STX/ETX some TCP alarm links wrap messages in (I: the evidence shows
// none around MASXML; Manitou uses them [automation-research.md §2.12]).
// NUL padding is skipped too.
func isSeparator(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', 0x02, 0x03, 0x00:
		return true
	}
	return false
}

// Split frames a MASXML TCP stream; it has the contract of bufio.SplitFunc.
// A message is an optional XML declaration, then <XMLMessageClass …> up to
// and including the first </XMLMessageClass> [automation-research.md §2.3,
// §3.4; S6 frames the same way]. The frame aliases data and starts at the
// declaration or the root; separators before it are consumed with it.
//
// Resynchronisation: bytes that cannot begin a message are skipped
// (advance > 0, nil frame) up to the next '<'; a candidate in which another
// declaration or root opens before its end is cut short and skipped up to
// that point. Every decision depends only on the bytes up to the point
// where it is made, and the end is looked for within MaxFrameBytes of the
// start only, so the frames found do not depend on how the stream was cut
// into reads. A candidate reaching the cap with no end is skipped to the
// next declaration or root in data; with none, Split returns an error
// wrapping protocols.ErrFrameTooLong with reason protocols.ReasonTooLong.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	return framer{rootOpen, rootEnd, c.max}.split(data, atEOF)
}

func (f framer) split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	i := 0
	for i < len(data) && isSeparator(data[i]) {
		i++
	}
	if i == len(data) {
		return len(data), nil, nil
	}
	r, ok := f.rootAt(data, i)
	switch {
	case ok && r < 0: // a prefix of a declaration or root: wait
		if atEOF {
			return len(data), nil, nil
		}
		return 0, nil, nil
	case !ok: // garbage: skip to the next '<'
		if j := bytes.IndexByte(data[i+1:], '<'); j >= 0 {
			return i + 1 + j, nil, nil
		}
		return len(data), nil, nil
	}
	limit := min(len(data), i+f.max)
	body := data[r:limit]
	e := bytes.Index(body, f.end)
	to := limit
	if e >= 0 {
		to = r + e // only what precedes the end can cut the message short
	}
	n := f.nextStart(data, r+1, to)
	switch {
	case e >= 0 && n < 0:
		end := r + e + len(f.end)
		return end, data[i:end:end], nil
	case n >= 0:
		// Another message opens before this one ends: this one was cut
		// short. Skip it.
		return n, nil, nil
	case limit < i+f.max:
		if atEOF {
			return len(data), nil, nil
		}
		return 0, nil, nil
	}
	// Over the cap: resynchronise if another message opens later.
	if n := f.nextStart(data, r+1, len(data)); n >= 0 {
		return n, nil, nil
	}
	return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
}

// rootAt reads what starts at data[i]: an XML declaration followed by
// separators and the root, or the root alone. It returns the root's index
// and true; -1 and true when data ends inside a prefix of that; false when
// data[i:] cannot begin a message.
func (f framer) rootAt(data []byte, i int) (int, bool) {
	rest := data[i:]
	if hasPrefixOrPartial(rest, declOpen) {
		if len(rest) < len(declOpen) {
			return -1, true
		}
		j := i + len(declOpen)
		for ; j < len(data) && j-i < maxDecl; j++ {
			switch data[j] {
			case '<', '>':
				return 0, false
			case '?':
				if j+1 == len(data) {
					return -1, true
				}
				if data[j+1] == '>' {
					j += 2
					for j < len(data) && isSeparator(data[j]) {
						j++
					}
					return f.rootTag(data, j)
				}
			}
		}
		if j-i >= maxDecl {
			return 0, false
		}
		return -1, true
	}
	return f.rootTag(data, i)
}

// rootTag reads the root's start tag (<XMLMessageClass) followed by '>',
// '/' or white space at data[i].
func (f framer) rootTag(data []byte, i int) (int, bool) {
	rest := data[i:]
	if !hasPrefixOrPartial(rest, f.open) {
		return 0, false
	}
	if len(rest) <= len(f.open) {
		return -1, true
	}
	switch rest[len(f.open)] {
	case '>', '/', ' ', '\t', '\r', '\n':
		return i, true
	}
	return 0, false
}

// hasPrefixOrPartial reports whether b starts with p, or is a prefix of p.
func hasPrefixOrPartial(b, p []byte) bool {
	if len(b) < len(p) {
		return bytes.Equal(b, p[:len(b)])
	}
	return bytes.HasPrefix(b, p)
}

// nextStart returns the index of the first declaration or root opening in
// data[from:to] (whole, not cut by to), or -1. Neither may appear inside a
// message: "xml" is a reserved processing-instruction target.
func (f framer) nextStart(data []byte, from, to int) int {
	if from >= to {
		return -1
	}
	best := -1
	for _, p := range [][]byte{declOpen, f.open} {
		if j := bytes.Index(data[from:to], p); j >= 0 && (best < 0 || from+j < best) {
			best = from + j
		}
	}
	return best
}
