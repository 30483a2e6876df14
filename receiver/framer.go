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
	return &framer{codec: c, max: maxBytes, back: make([]byte, 0, min(maxBytes, 4096))}
}

// feed appends data and calls onFrame for each complete frame, in order, and
// onSkip for each run of bytes the codec skipped while resynchronising. The
// frame slice is valid only during the call.
func (f *framer) feed(data []byte, onFrame func([]byte) error, onSkip func(int)) error {
	f.compact()
	f.back = append(f.back[:f.end], data...)
	f.end = len(f.back)
	for f.start < f.end {
		adv, frame, err := f.codec.Split(f.back[f.start:f.end], false)
		if err != nil {
			return err
		}
		if adv == 0 && frame == nil {
			if f.end-f.start > f.max {
				return protocols.ErrFrameTooLong
			}
			return nil
		}
		if frame != nil {
			if err := onFrame(frame); err != nil {
				f.start += adv
				return err
			}
		} else if !isPadding(f.back[f.start : f.start+adv]) {
			onSkip(adv)
		}
		f.start += adv
	}
	return nil
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
