package sia

// The DC-03 block layer (header, function code, data, parity), as serial
// lines and Galaxy panels over TCP carry event data. No transport alarmrx
// serves carries blocks, so the package does not export them; the tests
// keep this decoder to feed ParsePayload what a block stream flattens to
// (TestBlocksToPayload, FuzzParse) and to pin the block encoding.

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// Block-layer errors. ErrParity arrives wrapped in a *protocols.FrameError
// with ReasonCRC; ErrShortBlock is returned as is: it only means that more
// bytes are needed.
var (
	ErrParity     = errors.New("sia: block parity")
	ErrShortBlock = errors.New("sia: short block")
)

// MaxBlockData is the most data bytes one block carries: the header's low
// six bits count them [DC-03 §blocks].
const MaxBlockData = 63

// Function codes of the blocks a receiver meets most (protocols.md §2.1).
const (
	FunctionEndOfData   byte = '0'
	FunctionAcknowledge byte = '8'
	FunctionReject      byte = '9'
	FunctionAccount     byte = '#'
	FunctionText        byte = 'A'
	FunctionListenIn    byte = 'L'
	FunctionNewEvent    byte = 'N'
	FunctionOldEvent    byte = 'O'
)

// Header bits besides the data length [DC-03 §blocks].
const (
	headerAckRequest     = 0x40
	headerReverseChannel = 0x80
	headerLengthMask     = 0x3F
)

// Block is one DC-03 block as sent over FSK, serial lines and the Galaxy
// TCP variant: header, function code, data, parity.
type Block struct {
	Function byte
	Data     []byte
	// AckRequest asks the other side to acknowledge the block (header bit 6).
	// Every block in the captures we know sets it.
	AckRequest bool
	// ReverseChannel enables the reverse channel (header bit 7).
	ReverseChannel bool
}

// AppendBinary appends the encoded block to dst. The error wraps ErrSyntax
// when Data is longer than MaxBlockData.
func (b Block) AppendBinary(dst []byte) ([]byte, error) {
	if len(b.Data) > MaxBlockData {
		return dst, syntaxError("block data of %d bytes exceeds %d", len(b.Data), MaxBlockData)
	}
	header := byte(len(b.Data))
	if b.AckRequest {
		header |= headerAckRequest
	}
	if b.ReverseChannel {
		header |= headerReverseChannel
	}
	dst = append(dst, header, b.Function)
	dst = append(dst, b.Data...)
	return append(dst, parity(header, b.Function, b.Data)), nil
}

// MarshalBinary returns the encoded block.
func (b Block) MarshalBinary() ([]byte, error) {
	return b.AppendBinary(make([]byte, 0, len(b.Data)+3))
}

// DecodeBlock decodes the block at the start of p and returns it with the
// number of bytes it took. Data aliases p. When p holds only part of a
// block the error is ErrShortBlock; a parity mismatch is ErrParity.
func DecodeBlock(p []byte) (b Block, n int, err error) {
	if len(p) < 2 {
		return Block{}, 0, ErrShortBlock
	}
	header := p[0]
	size := int(header & headerLengthMask)
	n = size + 3
	if len(p) < n {
		return Block{}, 0, ErrShortBlock
	}
	b = Block{
		Function:       p[1],
		Data:           p[2 : 2+size : 2+size],
		AckRequest:     header&headerAckRequest != 0,
		ReverseChannel: header&headerReverseChannel != 0,
	}
	if got, want := p[n-1], parity(header, b.Function, b.Data); got != want {
		return Block{}, 0, protocols.Rejectf(protocolName, protocols.ReasonCRC, ErrParity,
			"parity %s, want %s", hexByte(got), hexByte(want))
	}
	return b, n, nil
}

// AppendPayload appends the event data b carries to dst in the flattened
// form ParsePayload reads: an account block starts "#acct", an event, text
// or listen-in block adds "|" and the block. Control blocks (end of data,
// acknowledgements…) carry no event data and add nothing.
func AppendPayload(dst []byte, b Block) []byte {
	switch b.Function {
	case FunctionAccount:
		dst = append(dst, '#')
	case FunctionNewEvent, FunctionOldEvent, FunctionText, FunctionListenIn:
		dst = append(dst, '|', b.Function)
	default:
		return dst
	}
	return append(dst, b.Data...)
}

// parity is 0xFF XOR the header, the function code and every data byte. The
// header is taken whole, flags included, as openGalaxy and the Galaxy TCP
// captures do [DC-03 §blocks].
func parity(header, function byte, data []byte) byte {
	x := 0xFF ^ header ^ function
	for _, d := range data {
		x ^= d
	}
	return x
}

func hexByte(b byte) string {
	const digits = "0123456789ABCDEF"
	return "0x" + string([]byte{digits[b>>4], digits[b&0x0F]})
}

// TestDecodeBlockAndMarshal decodes a new-event block and encodes the
// receiver's acknowledgement.
func TestDecodeBlockAndMarshal(t *testing.T) {
	b, n, err := DecodeBlock([]byte{0x48, 0x4E, 0x72, 0x69, 0x31, 0x2F, 0x42, 0x41, 0x30, 0x31, 0xFE})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%c %s %d bytes", b.Function, b.Data, n); got != "N ri1/BA01 11 bytes" {
		t.Fatalf("decoded %q", got)
	}
	ack, err := Block{Function: FunctionAcknowledge, AckRequest: true}.MarshalBinary()
	if err != nil || !bytes.Equal(ack, []byte{0x40, 0x38, 0x87}) {
		t.Fatalf("acknowledgement % X, %v", ack, err)
	}
}
