package receiver

import (
	"github.com/alarmrx/alarmrx/protocols"
)

// framer turns a byte stream into frames with the codec's Split. It keeps
// the partial bytes between reads (a read deadline is a tick, not an error,
// so framing resumes where it stopped) and caps what it holds: past maxBytes
// without a frame the stream is declared unframeable [style habit 3].
type framer struct {
	codec protocols.Codec
	max   int
	back  []byte // backing array, reused
	start int    // first unconsumed byte in back
	end   int
}

func newFramer(c protocols.Codec, maxBytes int) *framer {
	// back is allocated only when a read ends inside a frame: an idle
	// connection holds no frame buffer.
	return &framer{codec: c, max: maxBytes}
}

// feed calls onFrame for each complete frame of what came before and data,
// in order, and onSkip for each run of bytes the codec skipped while
// resynchronising, and keeps an incomplete frame's bytes for the next
// read. The frame slice is valid only during the call.
func (f *framer) feed(data []byte, onFrame func([]byte) error, onSkip func(int)) error {
	if f.start == f.end {
		// Nothing held back: frames are split where the read put them,
		// and only an incomplete tail is copied.
		n, err := f.split(data, onFrame, onSkip)
		f.back = append(f.back[:0], data[n:]...)
		f.start, f.end = 0, len(f.back)
		return err
	}
	f.compact()
	f.back = append(f.back[:f.end], data...)
	f.end = len(f.back)
	n, err := f.split(f.back[f.start:f.end], onFrame, onSkip)
	f.start += n
	return err
}

// split hands b's complete frames and skipped runs on and returns how many
// bytes of b they took.
func (f *framer) split(b []byte, onFrame func([]byte) error, onSkip func(int)) (int, error) {
	pos := 0
	for pos < len(b) {
		adv, frame, err := f.codec.Split(b[pos:], false)
		if err != nil {
			return pos, err
		}
		if adv == 0 && frame == nil {
			if len(b)-pos > f.max {
				return pos, protocols.ErrFrameTooLong
			}
			return pos, nil
		}
		if frame != nil {
			if err := onFrame(frame); err != nil {
				return pos + adv, err
			}
		} else if !isPadding(b[pos : pos+adv]) {
			onSkip(adv)
		}
		pos += adv
	}
	return pos, nil
}

// isPadding reports bytes that senders put between frames harmlessly: the
// NULs some append after CR, and stray line ends [DC-09 §3.2, §3.13].
func isPadding(b []byte) bool {
	for _, c := range b {
		if c != 0 && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (f *framer) compact() {
	if f.start == 0 {
		return
	}
	n := copy(f.back, f.back[f.start:f.end])
	f.back = f.back[:n]
	f.start, f.end = 0, n
}

func (f *framer) buffered() int { return f.end - f.start }

func (f *framer) pending() []byte { return f.back[f.start:f.end] }

// reset drops the buffered bytes: the stream resynchronises on what comes
// next.
func (f *framer) reset() { f.back, f.start, f.end = f.back[:0], 0, 0 }
