package sentinel

import "strings"

// cp1252 holds the characters Windows-1252 puts at 0x80–0x9F, where
// Latin-1 has C1 controls; the five it leaves unassigned read as U+FFFD.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

// fromWindows1252 reads a line that is not UTF-8 as Windows-1252, which
// agrees with Latin-1 on every printable character: a panel name or zone
// text typed on a European installer's tool arrives in one of them (I).
func fromWindows1252(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + len(b)/4)
	for _, c := range b {
		switch {
		case c < 0x80:
			s.WriteByte(c)
		case c < 0xA0:
			s.WriteRune(cp1252[c-0x80])
		default:
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}
