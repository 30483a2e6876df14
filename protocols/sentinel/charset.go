package sentinel

import ichar "github.com/alarmrx/alarmrx/protocols/internal/charset"

// fromWindows1252 reads a line that is not UTF-8 as Windows-1252, which
// agrees with Latin-1 on every printable character: a panel name or zone
// text typed on a European installer's tool arrives in one of them (I).
func fromWindows1252(b []byte) string { return string(ichar.Decode(b, ichar.Windows1252)) }
