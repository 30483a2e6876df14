package dc09

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"

	"github.com/alarmrx/alarmrx/protocols"
)

// decrypt hex-decodes ct and decrypts it with AES-CBC and a zero IV, without
// PKCS#7 [DC-09-2007 §5.4.5–5.4.6, DC-09 §3.10]. lower reports lower-case hex
// digits, which are accepted.
func decrypt(key Key, ct []byte) (pt []byte, lower bool, err error) {
	if len(ct) == 0 || len(ct)%(2*aes.BlockSize) != 0 {
		return nil, false, reject(protocols.ReasonDecrypt, ErrDecrypt,
			"%d hex digits of ciphertext, want a non-zero multiple of %d", len(ct), 2*aes.BlockSize)
	}
	pt = make([]byte, len(ct)/2)
	for i := range pt {
		hi, ok1 := unhex(ct[2*i])
		lo, ok2 := unhex(ct[2*i+1])
		if !ok1 || !ok2 {
			return nil, false, reject(protocols.ReasonDecrypt, ErrDecrypt, "ciphertext is not hex at offset %d", 2*i)
		}
		lower = lower || isLowerHex(ct[2*i]) || isLowerHex(ct[2*i+1])
		pt[i] = hi<<4 | lo
	}
	block := key.block()
	var prev, cur [aes.BlockSize]byte // prev starts as the zero IV
	for i := 0; i < len(pt); i += aes.BlockSize {
		b := pt[i : i+aes.BlockSize]
		copy(cur[:], b)
		block.Decrypt(b, b)
		for j := range b {
			b[j] ^= prev[j]
		}
		prev = cur
	}
	return pt, lower, nil
}

// encryptTo encrypts pt in place with AES-CBC and a zero IV; len(pt) is a
// multiple of the block size.
func encryptTo(key Key, pt []byte) {
	block := key.block()
	var prev [aes.BlockSize]byte
	for i := 0; i < len(pt); i += aes.BlockSize {
		b := pt[i : i+aes.BlockSize]
		for j := range b {
			b[j] ^= prev[j]
		}
		block.Encrypt(b, b)
		copy(prev[:], b)
	}
}

// stripPad removes the pad that starts a decrypted plaintext [DC-09 §3.10]:
// up to and including the first '|' when one comes before the first ']';
// otherwise everything before the ']' (the "ppp…]" form of encrypted NULLs
// and ACKs from some senders). rest starts with the data block's content.
func stripPad(pt []byte) (rest []byte, ok bool) {
	end := bytes.IndexByte(pt, ']')
	if end < 0 {
		return nil, false
	}
	if bar := bytes.IndexByte(pt[:end], '|'); bar >= 0 {
		return pt[bar+1:], true
	}
	return pt[end:], true
}

// padLen returns how many pad bytes make n bytes of plaintext a multiple of
// the block size: 1 to 16, never 0, as the pad is followed by '|'.
func padLen(n int) int { return aes.BlockSize - n%aes.BlockSize }

// padAlphabet is the pad's character set: printable, none of '|', '[', ']'.
const padAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomPad fills dst with random characters from padAlphabet.
func randomPad(dst []byte) {
	_, _ = rand.Read(dst) // crypto/rand.Read never fails (Go 1.24+)
	for i, b := range dst {
		dst[i] = padAlphabet[int(b)%len(padAlphabet)]
	}
}

// validPad reports whether b can serve as n pad bytes [DC-09 §3.10].
func validPad(b []byte, n int) bool {
	return len(b) == n && bytes.IndexAny(b, "|[]") < 0
}
