package masxml

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// feeder drives Split as a receiver does: bytes accumulate, complete
// frames are taken, an incomplete one waits for more.
type feeder struct {
	c      *Codec
	buf    []byte
	frames []string
	err    error
}

func (f *feeder) feed(b []byte) {
	if f.err != nil {
		return
	}
	f.buf = append(f.buf, b...)
	for len(f.buf) > 0 {
		adv, fr, err := f.c.Split(f.buf, false)
		if err != nil {
			f.err = err
			return
		}
		if adv < 0 || adv > len(f.buf) || len(fr) > adv {
			f.err = errors.New("split broke the SplitFunc contract")
			return
		}
		if fr != nil {
			f.frames = append(f.frames, string(fr))
		}
		if adv == 0 {
			if fr != nil {
				f.err = errors.New("a frame without advance")
			}
			return
		}
		f.buf = f.buf[adv:]
	}
}

func splitChunks(c *Codec, chunks ...[]byte) *feeder {
	f := &feeder{c: c}
	for _, ch := range chunks {
		f.feed(ch)
	}
	return f
}

func tooLong(err error) bool {
	return errors.Is(err, protocols.ErrFrameTooLong) && protocols.ReasonOf(err) == protocols.ReasonTooLong
}

// TestSplitEveryBoundary: every case's frames are found whole, cut at any
// byte, and fed byte by byte.
func TestSplitEveryBoundary(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, raw, want := tc.codec(), []byte(tc.raw), tc.frames()
			for i := 0; i <= len(raw); i++ {
				f := splitChunks(c, raw[:i], raw[i:])
				if (f.err != nil && !tooLong(f.err)) || !slices.Equal(f.frames, want) {
					t.Fatalf("cut at %d: frames %q, err %v; want %q", i, f.frames, f.err, want)
				}
			}
			f := &feeder{c: c}
			for i := range raw {
				f.feed(raw[i : i+1])
			}
			if !slices.Equal(f.frames, want) {
				t.Fatalf("byte by byte: %q, want %q", f.frames, want)
			}
		})
	}
}

// TestSplitStream: all cases back to back, separated by what senders put
// between messages, give all their frames in order.
func TestSplitStream(t *testing.T) {
	var stream []byte
	var want []string
	for i, tc := range cases {
		if tc.max != 0 {
			continue
		}
		stream = append(stream, tc.raw...)
		stream = append(stream, []string{"", "\r\n", "\x03\x02", "\n\n"}[i%4]...)
		want = append(want, tc.frames()...)
	}
	f := splitChunks(New(Options{}), stream)
	if f.err != nil || !slices.Equal(f.frames, want) {
		t.Fatalf("err %v\n got %q\nwant %q", f.err, f.frames, want)
	}
}

// TestSplitCap: a candidate over the cap is skipped when another message
// follows it in the buffer, and is ErrFrameTooLong when none does.
func TestSplitCap(t *testing.T) {
	c := New(Options{MaxFrameBytes: 300})
	big := []byte(bigMsg)
	f := splitChunks(c, big)
	if !tooLong(f.err) || len(f.frames) != 0 {
		t.Fatalf("alone: %v %q", f.err, f.frames)
	}
	f = splitChunks(c, append(append([]byte{}, big[:310]...), emulatorHeartbeat...))
	if f.err != nil || !slices.Equal(f.frames, []string{emulatorHeartbeat}) {
		t.Fatalf("followed by a heartbeat: %v %q", f.err, f.frames)
	}
	// Garbage alone is dropped as it comes, never buffered.
	g := []byte(strings.Repeat("no markup here ", 1000))
	if adv, fr, err := c.Split(g, false); adv != len(g) || fr != nil || err != nil {
		t.Fatalf("garbage: %d %q %v", adv, fr, err)
	}
}

// TestSplitEOF: at EOF an incomplete message is dropped, not returned.
func TestSplitEOF(t *testing.T) {
	c := New(Options{})
	part := []byte(emulatorAjax[:100])
	if adv, fr, err := c.Split(part, false); adv != 0 || fr != nil || err != nil {
		t.Fatalf("partial: %d %q %v", adv, fr, err)
	}
	if adv, fr, err := c.Split(part, true); adv != len(part) || fr != nil || err != nil {
		t.Fatalf("partial at EOF: %d %q %v", adv, fr, err)
	}
	if adv, fr, err := c.Split([]byte(" \r\n"), true); adv != 3 || fr != nil || err != nil {
		t.Fatalf("separators at EOF: %d %q %v", adv, fr, err)
	}
}
