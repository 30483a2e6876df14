package dc09

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"strings"
)

// redacted is what every printed or marshalled form of a Key shows.
const redacted = "[redacted]"

// Key is an AES-128, -192 or -256 key for encrypted DC-09 frames
// [DC-09-2007 §5.4.5, DC-09 §3.10]. The zero Key means "no key".
//
// A Key never shows its bytes: String, GoString, Format (every fmt verb),
// MarshalText and so JSON print "[redacted]", and the material sits behind a
// pointer so that even a struct printed with an unexported Key field shows an
// address, not bytes. Copies share the same immutable material.
type Key struct {
	m *keyMaterial
}

type keyMaterial struct {
	block cipher.Block
	bits  int
}

// ParseKey parses a key as configured for an account. format "hex" takes 32,
// 48 or 64 hex digits in either case (the standard's 128/192/256-bit keys);
// "ascii" takes the bytes of a 16, 24 or 32-character printable ASCII string
// (the pysiaalarm, Home Assistant and Ajax convention, where
// "AAAAAAAAAAAAAAAA" is AES-128 with sixteen 0x41 bytes) [DC-09 §3.10]. The
// error text names the problem and the length, never the value.
func ParseKey(value, format string) (Key, error) {
	var raw []byte
	switch strings.ToLower(format) {
	case "hex":
		switch len(value) {
		case 32, 48, 64:
		default:
			return Key{}, fmt.Errorf("%w: a hex key has 32, 48 or 64 hex digits, this one has %d characters", ErrKey, len(value))
		}
		raw = make([]byte, len(value)/2)
		for i := 0; i < len(value); i += 2 {
			hi, ok1 := unhex(value[i])
			lo, ok2 := unhex(value[i+1])
			if !ok1 || !ok2 {
				pos := i + 1
				if ok1 {
					pos = i + 2
				}
				return Key{}, fmt.Errorf("%w: character %d of the hex key is not a hex digit", ErrKey, pos)
			}
			raw[i/2] = hi<<4 | lo
		}
	case "ascii":
		switch len(value) {
		case 16, 24, 32:
		default:
			return Key{}, fmt.Errorf("%w: an ascii key has 16, 24 or 32 characters, this one has %d bytes", ErrKey, len(value))
		}
		for i := 0; i < len(value); i++ {
			if value[i] < 0x20 || value[i] > 0x7E {
				return Key{}, fmt.Errorf("%w: byte %d of the ascii key is not printable ASCII", ErrKey, i+1)
			}
		}
		raw = []byte(value)
	default:
		return Key{}, fmt.Errorf("%w: key format %q is neither hex nor ascii", ErrKey, format)
	}
	k, err := newKey(raw)
	clear(raw)
	return k, err
}

// newKey builds a Key from raw key bytes.
func newKey(raw []byte) (Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		// aes.KeySizeError prints the length only.
		return Key{}, fmt.Errorf("%w: %d-byte key", ErrKey, len(raw))
	}
	return Key{m: &keyMaterial{block: block, bits: len(raw) * 8}}, nil
}

// Bits returns 128, 192 or 256, and 0 for the zero Key.
func (k Key) Bits() int {
	if k.m == nil {
		return 0
	}
	return k.m.bits
}

// IsZero reports whether k is the zero Key (no key).
func (k Key) IsZero() bool { return k.m == nil }

// String returns "[redacted]".
func (k Key) String() string { return redacted }

// GoString returns "[redacted]".
func (k Key) GoString() string { return redacted }

// Format prints "[redacted]" for every verb and flag.
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText returns "[redacted]", so JSON, YAML and zap show no key.
func (k Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// block returns the AES cipher, nil for the zero Key.
func (k Key) block() cipher.Block {
	if k.m == nil {
		return nil
	}
	return k.m.block
}

// unhex returns the value of one hex digit of either case.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func isHex(c byte) bool {
	_, ok := unhex(c)
	return ok
}

func isLowerHex(c byte) bool { return c >= 'a' && c <= 'f' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
