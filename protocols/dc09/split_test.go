package dc09

import (
	"bufio"
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// feeder drives Split the way the receiver's framer does: it keeps the
// unconsumed bytes, appends each read and calls Split with atEOF false until
// Split asks for more.
type feeder struct {
	c       *Codec
	buf     []byte
	frames  []string
	skipped int
	err     error
}

func (f *feeder) feed(chunk []byte) {
	if f.err != nil {
		return
	}
	f.buf = append(f.buf, chunk...)
	for len(f.buf) > 0 {
		adv, frame, err := f.c.Split(f.buf, false)
		if err != nil {
			f.err = err
			return
		}
		if adv < 0 || adv > len(f.buf) || (adv == 0 && frame != nil) {
			panic("Split broke the SplitFunc contract: advance " + strconv.Itoa(adv))
		}
		if adv == 0 {
			return
		}
		if frame != nil {
			f.frames = append(f.frames, string(frame))
		} else {
			f.skipped += adv
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

// splittable is every case raw Split must find, in table order.
func splittable() []string {
	var out []string
	for _, tc := range frameCases {
		if !tc.noSplit {
			out = append(out, tc.raw)
		}
	}
	return out
}

func TestSplitEveryBoundary(t *testing.T) {
	c := New(Options{})
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			if !tc.noSplit {
				want = []string{tc.raw}
			}
			raw := []byte(tc.raw)
			for i := 0; i <= len(raw); i++ {
				f := splitChunks(c, raw[:i], raw[i:])
				if f.err != nil || !slices.Equal(f.frames, want) {
					t.Fatalf("cut at %d: frames %q, err %v; want %q", i, f.frames, f.err, want)
				}
			}
			// Byte by byte, then with NULs after the CR [DC-09 §3.2].
			f := &feeder{c: c}
			for i := range raw {
				f.feed(raw[i : i+1])
			}
			f.feed([]byte("\x00\x00\x00"))
			if !slices.Equal(f.frames, want) {
				t.Fatalf("byte by byte: %q, want %q", f.frames, want)
			}
		})
	}
}

func TestSplitManyFramesPerRead(t *testing.T) {
	c := New(Options{})
	frames := splittable()
	var stream bytes.Buffer
	for i, fr := range frames {
		stream.WriteString(fr)
		switch i % 4 {
		case 1:
			stream.WriteString("\x00\x00") // NULs after CR
		case 2:
			stream.WriteString("garbage\r\x00") // noise without LF
		case 3:
			stream.WriteString("\r\n") // a stray line end
		}
	}
	data := stream.Bytes()
	f := splitChunks(c, data)
	if f.err != nil || !slices.Equal(f.frames, frames) {
		t.Fatalf("one read: %d frames, err %v; want %d\n got %q", len(f.frames), f.err, len(frames), f.frames)
	}
	// Reads of every size from 1 to 64 bytes.
	for size := 1; size <= 64; size++ {
		f := &feeder{c: c}
		for i := 0; i < len(data); i += size {
			f.feed(data[i:min(i+size, len(data))])
		}
		if f.err != nil || !slices.Equal(f.frames, frames) {
			t.Fatalf("reads of %d bytes: %d frames, err %v", size, len(f.frames), f.err)
		}
	}
}

func TestSplitThreeFramesInOneBuffer(t *testing.T) {
	c := New(Options{})
	a, _ := caseByName("worked_event")
	b, _ := caseByName("binary_crc_holds_cr")
	d, _ := caseByName("aes_worked")
	data := []byte(a.raw + b.raw + "\x00" + d.raw)
	adv1, f1, err1 := c.Split(data, false)
	adv2, f2, err2 := c.Split(data[adv1:], false)
	adv3, f3, err3 := c.Split(data[adv1+adv2:], false)
	if err1 != nil || err2 != nil || err3 != nil || string(f1) != a.raw || string(f2) != b.raw || string(f3) != d.raw ||
		adv1+adv2+adv3 != len(data) {
		t.Fatalf("frames %q %q %q", f1, f2, f3)
	}
	if adv2 != len(b.raw)+1 {
		t.Fatalf("the NUL after the second frame was not consumed with it: advance %d", adv2)
	}
	if cap(f1) != len(f1) {
		t.Fatal("the frame returned can be appended into the next one")
	}
}

// TestSplitWrongLength: a frame whose length field is wrong but whose CRC
// is right is found by its CRC, also when another frame follows in the same
// read or the length field points past the end of the data [DC-09 §3.13].
func TestSplitWrongLength(t *testing.T) {
	c := New(Options{})
	good, _ := caseByName("worked_event")
	for _, name := range []string{"d1_wrong_length", "d3_wrong_length_xy", "d5_wrong_length_adm_cid"} {
		wrong, _ := caseByName(name)
		data := []byte(wrong.raw + good.raw + wrong.raw)
		want := []string{wrong.raw, good.raw, wrong.raw}
		for i := 0; i <= len(data); i++ {
			f := splitChunks(c, data[:i], data[i:])
			if f.err != nil || !slices.Equal(f.frames, want) {
				t.Fatalf("%s, cut at %d: %q, %v", name, i, f.frames, f.err)
			}
		}
	}
}

// TestSplitBadCRCWrongLength: a frame that has neither is skipped up to
// the next frame, which is found.
func TestSplitBadCRCWrongLength(t *testing.T) {
	c := New(Options{})
	bad, _ := caseByName("d7_bad_crc")
	good, _ := caseByName("worked_event")
	f := splitChunks(c, []byte(bad.raw+good.raw))
	if f.err != nil || !slices.Equal(f.frames, []string{good.raw}) || f.skipped != len(bad.raw) {
		t.Fatalf("frames %q skipped %d err %v", f.frames, f.skipped, f.err)
	}
	// Bad CRC, right length: the frame is returned; Decode rejects it.
	raw := []byte(good.raw)
	raw[1] = 'F'
	f = splitChunks(c, raw)
	if !slices.Equal(f.frames, []string{string(raw)}) {
		t.Fatalf("bad CRC with the right length: %q", f.frames)
	}
}

// TestSplitCRNotAlone: a CR inside the body does not end a frame whose
// length field says otherwise.
func TestSplitCRNotAlone(t *testing.T) {
	c := New(Options{})
	raw := plainFrame("\"SIA-DCS\"0001L0#1234[#1234|NBA01][Ia\rb]")
	for i := 0; i <= len(raw); i++ {
		f := splitChunks(c, []byte(raw[:i]), []byte(raw[i:]))
		if !slices.Equal(f.frames, []string{raw}) {
			t.Fatalf("cut at %d: %q", i, f.frames)
		}
	}
}

func TestSplitGarbage(t *testing.T) {
	c := New(Options{})
	good, _ := caseByName("worked_event")

	// No LF at all: everything is skipped at once, however long.
	noise := bytes.Repeat([]byte("0123456789ABCDEF\r"), 1000)
	adv, frame, err := c.Split(noise, false)
	if adv != len(noise) || frame != nil || err != nil {
		t.Fatalf("noise: %d %q %v", adv, frame, err)
	}
	// Garbage before a frame is skipped up to its LF.
	adv, frame, err = c.Split([]byte("xx\r"+good.raw), false)
	if adv != 3 || frame != nil || err != nil {
		t.Fatalf("garbage before a frame: %d %q %v", adv, frame, err)
	}
	// LF followed by something that is no header: resynchronise at the
	// next LF.
	f := splitChunks(c, []byte("\nhello\n\n\n12"+good.raw))
	if f.err != nil || !slices.Equal(f.frames, []string{good.raw}) {
		t.Fatalf("bad headers: %q %v", f.frames, f.err)
	}
	// A header whose body runs into the next frame's LF.
	f = splitChunks(c, []byte("\nED280035\"SIA-DCS\"00"+good.raw))
	if f.err != nil || !slices.Equal(f.frames, []string{good.raw}) {
		t.Fatalf("truncated frame: %q %v", f.frames, f.err)
	}
}

func TestSplitTooLong(t *testing.T) {
	good, _ := caseByName("worked_event")
	head := "\nED280035\"SIA-DCS\"0001L0#1234["

	// A plausible header and no end within the cap: too long.
	c := New(Options{})
	data := []byte(head + strings.Repeat("x", DefaultMaxFrame))
	adv, frame, err := c.Split(data, false)
	if adv != 0 || frame != nil || protocols.ReasonOf(err) != protocols.ReasonTooLong || !errors.Is(err, protocols.ErrFrameTooLong) {
		t.Fatalf("too long: %d %q %v", adv, frame, err)
	}
	// Below the cap it waits for more.
	if adv, frame, err := c.Split(data[:DefaultMaxFrame-1], false); adv != 0 || frame != nil || err != nil {
		t.Fatalf("below the cap: %d %q %v", adv, frame, err)
	}
	// With a later LF it resynchronises instead.
	f := splitChunks(c, []byte(head+strings.Repeat("x", DefaultMaxFrame)+good.raw))
	if f.err != nil || !slices.Equal(f.frames, []string{good.raw}) {
		t.Fatalf("resync past an over-long frame: %q %v", f.frames, f.err)
	}
	// A small cap: a frame longer than it is not found.
	small := New(Options{MaxFrame: 64})
	aes, _ := caseByName("aes_worked")
	f = splitChunks(small, []byte(good.raw+aes.raw+good.raw))
	if f.err != nil || !slices.Equal(f.frames, []string{good.raw, good.raw}) {
		t.Fatalf("small cap: %q %v", f.frames, f.err)
	}
	f = splitChunks(small, []byte(aes.raw))
	if protocols.ReasonOf(f.err) != protocols.ReasonTooLong {
		t.Fatalf("small cap, nothing after: %v", f.err)
	}
}

func TestSplitAtEOF(t *testing.T) {
	c := New(Options{})
	good, _ := caseByName("worked_event")
	part := []byte(good.raw[:20])
	if adv, frame, err := c.Split(part, true); adv != len(part) || frame != nil || err != nil {
		t.Fatalf("partial frame at EOF: %d %q %v", adv, frame, err)
	}
	if adv, frame, err := c.Split(nil, true); adv != 0 || frame != nil || err != nil {
		t.Fatalf("empty at EOF: %d %q %v", adv, frame, err)
	}
	if adv, frame, err := c.Split([]byte(good.raw), true); adv != len(good.raw) || string(frame) != good.raw || err != nil {
		t.Fatalf("whole frame at EOF: %d %q %v", adv, frame, err)
	}
}

// TestSplitScanner: Split is a bufio.SplitFunc.
func TestSplitScanner(t *testing.T) {
	frames := splittable()
	input := strings.Join(frames, "\x00")
	sc := bufio.NewScanner(strings.NewReader(input))
	sc.Buffer(make([]byte, 16), DefaultMaxFrame)
	sc.Split(New(Options{}).Split)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if err := sc.Err(); err != nil || !slices.Equal(got, frames) {
		t.Fatalf("Scanner: %d frames, %v", len(got), err)
	}
}

func TestSplitAllocations(t *testing.T) {
	c := New(Options{})
	tc, _ := caseByName("d1_wrong_length")
	raw := []byte(tc.raw)
	for _, in := range [][]byte{raw[:1], raw[:9], raw[:40], raw[:len(raw)-1], raw} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = c.Split(in, false) }); n != 0 {
			t.Fatalf("Split(%q) allocates %v times", in, n)
		}
	}
}
