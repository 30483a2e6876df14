package dc09

// crcTable is CRC-16/ARC by byte: polynomial 0x8005 reflected (0xA001),
// initial value 0, no final XOR [DC-09 §3.5, DC-07 CRC table with the
// erratum at entry 101 corrected to 0xEB01].
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC returns the CRC-16/ARC of b, the checksum DC-09 sends over the bytes
// from the first '"' to the byte before CR [DC-09 §3.5]. CRC("123456789") is
// 0xBB3D.
func CRC(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crcUpdate(crc, c)
	}
	return crc
}

func crcUpdate(crc uint16, c byte) uint16 {
	return crc>>8 ^ crcTable[byte(crc)^c]
}
