package dc09

import (
	"bytes"

	"github.com/alarmrx/alarmrx/protocols"
)

// Split frames a DC-09 byte stream; it has the contract of bufio.SplitFunc
// and is resumable: on partial input it returns (0, nil, nil) and allocates
// nothing, and the caller calls again with more bytes [DC-09 §3.2: several
// frames per read, one frame over several reads].
//
// The frame returned runs from LF to CR and aliases data. The NULs some
// senders put after CR are consumed with it [DC-09 §3.2]. Bytes before an LF
// are skipped (advance > 0, nil frame) so the caller can count them.
//
// A frame starts at LF with a header in either CRC form (four hex digits, or
// two raw bytes, followed by "0LLL" and '"') [DC-09 §3.3, §3.13]. Its end is
// the first CR that either sits where the length field says or closes a span
// whose CRC matches the header: the second rule finds the frames whose
// length field is wrong but whose CRC is right, a deviation senders are known
// for [DC-09 §3.13]. Split never ends a frame at a CR alone, so a CR inside
// the body or in a binary CRC cannot cut it short.
//
// Every decision depends only on the bytes up to the point where it is made,
// so the frames found do not depend on how the stream was cut into reads. A
// candidate is abandoned, and the stream resynchronised at the next LF, when
// its header is malformed, when an LF appears before its end (no body holds
// one), or when it reaches the size cap. A candidate that reaches the cap
// with no later LF in data is an error wrapping protocols.ErrFrameTooLong
// with reason protocols.ReasonTooLong.
func (c *Codec) Split(data []byte, atEOF bool) (advance int, frame []byte, err error) {
	if len(data) == 0 {
		return 0, nil, nil
	}
	if data[0] != '\n' {
		// Garbage or padding before a frame: skip to the next LF.
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i, nil, nil
		}
		return len(data), nil, nil
	}
	end, next := c.scan(data)
	switch {
	case end > 0:
		adv := end + 1
		for adv < len(data) && data[adv] == 0 {
			adv++
		}
		return adv, data[: end+1 : end+1], nil
	case next > 0:
		return next, nil, nil
	case next < 0:
		return 0, nil, protocols.Reject(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	case atEOF:
		// Nothing more will come: what is left cannot become a frame.
		return len(data), nil, nil
	}
	return 0, nil, nil
}

// scan looks for the end of the frame starting at data[0] (an LF). It
// returns the index of the CR ending it, or else next: the index where to
// resynchronise (an LF, or len(data) when none follows), -1 when the frame is
// over the size cap and nothing follows, 0 when more data is needed.
func (c *Codec) scan(data []byte) (end, next int) {
	bodyStart, more := detectForm(data)
	if bodyStart == 0 {
		if more {
			return 0, 0
		}
		return 0, resync(data, 1)
	}
	want, length, _ := readHeader(data, bodyStart)
	stated := bodyStart + length // where the length field puts the CR
	limit := min(len(data), c.maxFrame)
	var crc uint16
	for p := bodyStart; p < limit; p++ {
		switch data[p] {
		case '\r':
			if p == stated || crc == want {
				return p, 0
			}
		case '\n':
			return 0, p
		}
		crc = crcUpdate(crc, data[p])
	}
	if limit < c.maxFrame {
		return 0, 0
	}
	// Over the cap: resynchronise if another frame may start later.
	if next := resync(data, limit); next < len(data) {
		return 0, next
	}
	return 0, -1
}

// resync returns the index of the first LF at or after from, or len(data).
func resync(data []byte, from int) int {
	if i := bytes.IndexByte(data[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(data)
}
