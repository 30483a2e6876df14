package receiver

import (
	"errors"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestFramer feeds the framer the same stream in every chunking, from one
// write to a byte at a time: the frames, the skipped runs and the
// leftover must not depend on how the stream was cut.
func TestFramer(t *testing.T) {
	for _, c := range []struct {
		name     string
		stream   string
		frames   []string
		skipped  []int // runs of skipped bytes, in order
		leftover string
	}{
		{name: "frames", stream: "1,1,BA\n1,2,BA\n", frames: []string{"1,1,BA\n", "1,2,BA\n"}},
		{name: "partial_tail", stream: "1,1,BA\n1,2", frames: []string{"1,1,BA\n"}, leftover: "1,2"},
		{name: "garbage_is_counted", stream: "#noise\n1,1,BA\n", frames: []string{"1,1,BA\n"}, skipped: []int{7}},
	} {
		for _, chunk := range []int{len(c.stream), 3, 1} {
			t.Run(c.name+"/chunk"+string(rune('0'+min(chunk, 9))), func(t *testing.T) {
				f := newFramer(lineCodec{}, 64)
				var frames []string
				var skipped []int
				for i := 0; i < len(c.stream); i += chunk {
					err := f.feed([]byte(c.stream[i:min(i+chunk, len(c.stream))]),
						func(b []byte) error { frames = append(frames, string(b)); return nil },
						func(n int) { skipped = append(skipped, n) })
					if err != nil {
						t.Fatal(err)
					}
				}
				if strings.Join(frames, "|") != strings.Join(c.frames, "|") {
					t.Errorf("frames %q, want %q", frames, c.frames)
				}
				if len(skipped) != len(c.skipped) || (len(skipped) > 0 && skipped[0] != c.skipped[0]) {
					t.Errorf("skipped %v, want %v", skipped, c.skipped)
				}
				if got := string(f.pending()); got != c.leftover || f.buffered() != len(c.leftover) {
					t.Errorf("leftover %q (%d buffered), want %q", got, f.buffered(), c.leftover)
				}
			})
		}
	}
}

// TestFramerCapsWhatItHolds: past its cap without a frame the stream is
// unframeable; after a reset the next frame is found again.
func TestFramerCapsWhatItHolds(t *testing.T) {
	f := newFramer(lineCodec{}, 8)
	noFrame := func([]byte) error { t.Fatal("no frame expected"); return nil }
	if err := f.feed([]byte("12345678"), noFrame, func(int) {}); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	if err := f.feed([]byte("9"), noFrame, func(int) {}); !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("past the cap: %v, want ErrFrameTooLong", err)
	}
	f.reset()
	var got string
	if err := f.feed([]byte("1,1,BA\n"), func(b []byte) error { got = string(b); return nil }, func(int) {}); err != nil || got != "1,1,BA\n" {
		t.Fatalf("after reset: frame %q, err %v", got, err)
	}
}

// TestFramerStopsAtAFailedReply: when writing a frame's reply fails, the
// frame counts as consumed and the error ends the feed: the frames after it
// are not handled without their predecessor's reply.
func TestFramerStopsAtAFailedReply(t *testing.T) {
	f := newFramer(lineCodec{}, 64)
	errWrite := errors.New("write failed")
	n := 0
	err := f.feed([]byte("1,1,BA\n1,2,BA\n"), func([]byte) error { n++; return errWrite }, func(int) {})
	if !errors.Is(err, errWrite) || n != 1 || string(f.pending()) != "1,2,BA\n" {
		t.Fatalf("err %v after %d frames, pending %q", err, n, f.pending())
	}
}

// TestPaddingIsNotGarbage: the NULs and line ends senders put between
// frames are skipped without being counted [DC-09 §3.2, §3.13].
func TestPaddingIsNotGarbage(t *testing.T) {
	for in, want := range map[string]bool{"\x00\x00": true, "\r\n": true, "\n": true, "\r\x00x": false, "#": false} {
		if got := isPadding([]byte(in)); got != want {
			t.Errorf("isPadding(%q) = %v, want %v", in, got, want)
		}
	}
}
